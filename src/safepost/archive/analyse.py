"""Analyse items: the text phase (names, consent, PII, places, affiliations) and the media phase.

The two phases are separate so that thousands of text items are never held up by slow media:
:meth:`ItemAnalyser.text` makes an :class:`ItemResult`; :meth:`ItemAnalyser.add_media` adds
what the item's photos and videos reveal; :meth:`ItemResult.rescore` sums the points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from safepost.archive.affiliation import AffiliationMatcher
from safepost.archive.items import ArchiveItem
from safepost.archive.media import LARGE_FACE, UNSUPPORTED, MediaResult
from safepost.core import ARCHIVE_KEYS, Finding
from safepost.decide.scoring import (
    CHECK,
    DELETE,
    PII_POINTS,
    PRIVATE,
    UNTAG,
    actions_for,
    edit_or_delete,
    level_of,
)

CHAT_PLATFORMS = ("whatsapp", "telegram")
EXCERPT = 280


class TextCheck(Protocol):
    """Registry names and personal data in one text (``safepost.text`` behind it)."""

    def names(self, text: str) -> list[Any]: ...

    def pii(self, text: str) -> list[Any]: ...


@dataclass
class ConsentAnswer:
    allowed: bool
    reason: str


class ConsentLookup:
    """``name`` consent for a person on a platform and audience, asked once each (None: no registry)."""

    def __init__(self, ask: Callable[[str, str, str], ConsentAnswer] | None) -> None:
        self._ask = ask
        self._cache: dict[tuple[str, str, str], ConsentAnswer] = {}

    def __call__(self, person_id: str, platform: str, audience: str) -> ConsentAnswer:
        key = (person_id, platform, audience)
        if key not in self._cache:
            self._cache[key] = (
                self._ask(person_id, platform, audience) if self._ask else ConsentAnswer(False, "no registry")
            )
        return self._cache[key]


@dataclass
class ItemResult:
    """Everything found about one item, its reasons, score, level and what to do."""

    id: str
    platform: str
    kind: str
    where: str
    date: str | None
    url: str = ""
    excerpt: str = ""
    author: str = ""
    reasons: list[Finding] = field(default_factory=list)
    media_reasons: list[Finding] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    affiliations: list[dict] = field(default_factory=list)
    tagged: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    media: list[dict] = field(default_factory=list)
    media_paths: list[str] = field(default_factory=list)
    score: int = 0
    level: str = "none"
    actions: list[dict] = field(default_factory=list)

    def rescore(self) -> None:
        every = self.reasons + self.media_reasons
        self.score = sum(r.points for r in every)
        self.level = level_of(self.score)
        self.actions = actions_for(every, self.platform, self.kind)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["reasons"] = [r.to_dict(ARCHIVE_KEYS) for r in self.reasons]
        data["media_reasons"] = [r.to_dict(ARCHIVE_KEYS) for r in self.media_reasons]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ItemResult:
        data = dict(data)
        data["reasons"] = [Finding.from_dict(r, ARCHIVE_KEYS) for r in data.get("reasons", [])]
        data["media_reasons"] = [Finding.from_dict(r, ARCHIVE_KEYS) for r in data.get("media_reasons", [])]
        return cls(**data)

    @property
    def is_harmless(self) -> bool:
        return not (
            self.reasons
            or self.media_reasons
            or self.people
            or self.places
            or self.affiliations
            or self.tagged
            or self.mentions
            or self.media
        )


class ItemAnalyser:
    """Turns items into results with one registry, one consent lookup and one affiliation matcher."""

    def __init__(
        self,
        text_check: TextCheck,
        consent: ConsentLookup,
        affiliations: AffiliationMatcher,
        people: dict[str, Any] | None = None,
        owner_names: Sequence[str] = (),
        owner_ids: Sequence[str] = (),
    ) -> None:
        self.text_check = text_check
        self.consent = consent
        self.affiliations = affiliations
        self.people = people or {}
        self.owner_names = {n.casefold() for n in owner_names if n}
        #: the account's own handle and numeric id: never personal data to remove from its own posts
        self.owner_ids = sorted({i.lstrip("@").casefold() for i in owner_ids if len(i.lstrip("@")) >= 2}, key=len)

    # -- text phase --------------------------------------------------------------------------------

    def text(self, item: ArchiveItem) -> ItemResult:
        result = ItemResult(
            id=item.id,
            platform=item.platform,
            kind=item.kind,
            where=item.where,
            date=item.date,
            url=item.url,
            excerpt=item.text[:EXCERPT],
            author=item.author if item.platform in CHAT_PLATFORMS else "",
            tagged=list(item.tagged),
            mentions=list(item.mentions),
            media_paths=[m.path for m in item.media],
        )
        fix = edit_or_delete(item.platform, item.kind)
        self._names(item, result, fix)
        self._pii(item, result, fix)
        self._places(item, result, fix)
        self._affiliations(item, result)
        if item.tagged and item.kind not in ("chat", "group"):
            result.reasons.append(
                Finding(
                    "tagged",
                    points=10,
                    why=f"Tags {len(item.tagged)} people: {', '.join(item.tagged[:5])}.",
                    fix=UNTAG,
                    value=", ".join(item.tagged[:5]),
                )
            )
        result.rescore()
        return result

    def _names(self, item: ArchiveItem, result: ItemResult, fix: str) -> None:
        audience = "closed" if item.platform in CHAT_PLATFORMS and item.kind != "post" else "public"
        parts = [item.text, *item.tagged]
        if result.author and result.author.casefold() not in self.owner_names:
            parts.append(result.author)
        seen: set[str] = set()
        for match in self.text_check.names("\n".join(p for p in parts if p)):
            person_id = getattr(match, "person_id", "") or next(iter(getattr(match, "candidates", []) or []), "")
            if not person_id or person_id in seen:
                continue
            seen.add(person_id)
            shown = getattr(match, "text", "")
            person = self.people.get(person_id)
            name = getattr(person, "display_name", "") or shown
            if getattr(match, "ambiguous", False):
                options = ", ".join(getattr(match, "candidates", []) or [person_id])
                result.people.append({"person_id": person_id, "name": name, "consent": None, "why": "ambiguous"})
                result.reasons.append(
                    Finding(
                        "name_possible",
                        points=25,
                        why=f"'{shown}' may name a person in your registry ({options}).",
                        fix=fix,
                        value=shown,
                    )
                )
                continue
            answer = self.consent(person_id, item.platform, audience)
            result.people.append(
                {"person_id": person_id, "name": name, "consent": answer.allowed, "why": answer.reason}
            )
            if answer.allowed:
                result.reasons.append(
                    Finding(
                        "name_consented",
                        points=5,
                        why=f"Names {name} ({person_id}); their consent covers it.",
                        fix="",
                        value=shown,
                    )
                )
                continue
            minor = bool(getattr(person, "is_minor", False))
            result.reasons.append(
                Finding(
                    "name_no_consent",
                    points=50 if minor else 40,
                    why=f"Names {name} ({person_id}){', a minor,' if minor else ''} without consent for their name "
                    f"on {item.platform} ({answer.reason}).",
                    fix=fix,
                    value=shown,
                )
            )

    def _pii(self, item: ArchiveItem, result: ItemResult, fix: str) -> None:
        if not item.text:
            return
        by_kind: dict[str, list[str]] = {}
        own = self._own_spans(item.text)
        for match in self.text_check.pii(item.text):
            start, end = getattr(match, "start", None), getattr(match, "end", None)
            if start is not None and any(s <= start and end <= e for s, e in own):
                continue  # a number inside the account's own @handle or id
            by_kind.setdefault(getattr(match, "kind", "PII"), []).append(getattr(match, "text", ""))
        for kind, values in by_kind.items():
            words = kind.lower().replace("_", " ")
            result.reasons.append(
                Finding(
                    "pii",
                    points=PII_POINTS.get(kind, 20),
                    why=f"Shows personal data: {words} ({len(values)}).",
                    fix=fix,
                    value="; ".join(values[:3]),
                )
            )

    def _own_spans(self, text: str) -> list[tuple[int, int]]:
        """Where the account's own handle (with its @) or id appears in ``text``, as whole tokens."""
        spans: list[tuple[int, int]] = []
        folded = text.casefold()
        for own in self.owner_ids:
            at = folded.find(own)
            while at >= 0:
                end = at + len(own)
                before = folded[at - 1] if at else " "
                after = folded[end] if end < len(folded) else " "
                if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
                    spans.append((at - 1 if before == "@" else at, end))
                at = folded.find(own, end)
        return spans

    def _places(self, item: ArchiveItem, result: ItemResult, fix: str) -> None:
        places = list(item.places) + [m.declared for m in item.media if m.declared]
        for place in places:
            result.places.append({"label": place.label(), "lat": place.lat, "lon": place.lon, "source": place.source})
        exact = [p for p in places if p.has_coordinates]
        if exact:
            result.reasons.append(
                Finding(
                    "location",
                    points=25,
                    why=f"Gives an exact position ({exact[0].source}): {exact[0].label()}.",
                    fix=fix,
                    value=exact[0].label(),
                )
            )
        elif places:
            result.reasons.append(
                Finding(
                    "place",
                    points=10,
                    why=f"Names a place ({places[0].source}): {places[0].label()}.",
                    fix=fix,
                    value=places[0].label(),
                )
            )

    def _affiliations(self, item: ArchiveItem, result: ItemResult) -> None:
        signals = self.affiliations.signals(item)
        result.affiliations = [asdict(s) for s in signals]
        action = DELETE if item.kind in ("follow", "like", "group", "page") else PRIVATE
        mine = [s for s in signals if s.configured]
        generic = [s for s in signals if not s.configured]
        if mine:
            labels = ", ".join(s.label for s in mine[:4])
            result.reasons.append(
                Finding(
                    "affiliation",
                    points=min(30, 20 + 5 * (len(mine) - 1)),
                    why=f"Shows an affiliation from your list: {labels}.",
                    fix=action,
                    value=labels,
                )
            )
        if generic:
            labels = ", ".join(f"{s.label} ({s.theme})" for s in generic[:4])
            result.reasons.append(
                Finding(
                    "affiliation_generic",
                    points=10,
                    why=f"Signals a cause or group: {labels}.",
                    fix=action,
                    value=labels,
                )
            )

    # -- media phase -------------------------------------------------------------------------------

    def add_media(self, result: ItemResult, analysed: list[MediaResult], missing: Sequence[Any]) -> None:
        """Set the media reasons of ``result`` from its analysed media and the paths the export lacks."""
        result.media = [m.to_dict() for m in analysed]
        reasons: list[Finding] = []
        faces = max((m.faces for m in analysed), default=0)
        if faces:
            large = any(m.largest_face >= LARGE_FACE for m in analysed)
            points = 20 + 5 * (min(faces, 4) - 1) + (10 if large else 0)
            size = " (at least one large enough to recognise)" if large else ""
            reasons.append(
                Finding(
                    "face",
                    points=points,
                    why=f"Shows {faces} face(s){size}: anyone pictured can be identified.",
                    fix=DELETE,
                    value=f"{faces} face(s)",
                )
            )
        gps = next((m for m in analysed if m.gps), None)
        if gps:
            reasons.append(
                Finding(
                    "gps_media",
                    points=35,
                    why=f"The {gps.kind} file holds the GPS position where it was taken: "
                    f"{gps.gps[0]:.5f}, {gps.gps[1]:.5f}.",
                    fix=DELETE,
                    value=f"{gps.gps[0]:.5f}, {gps.gps[1]:.5f}",
                )
            )
        kinds = {f["kind"] for m in analysed for f in m.findings}
        if kinds & {"owner", "serial"}:
            reasons.append(
                Finding(
                    "metadata", points=10, why="A file names its owner or carries a device serial number.", fix=DELETE
                )
            )
        elif "device" in kinds:
            reasons.append(
                Finding("metadata", points=3, why="A file names the camera or phone that made it.", fix=DELETE)
            )
        broken = [m for m in analysed if m.error and m.problem != UNSUPPORTED]
        unsupported = [m for m in analysed if m.error and m.problem == UNSUPPORTED]
        if broken:
            reasons.append(
                Finding(
                    "unchecked",
                    points=15,
                    why=f"{broken[0].path} could not be checked ({broken[0].error}).",
                    fix=CHECK,
                    value=broken[0].path,
                )
            )
        if unsupported:
            reasons.append(
                Finding(
                    "unsupported",
                    points=5,
                    why=f"{len(unsupported)} attached file(s) are not photos or videos and were not checked "
                    f"({unsupported[0].path}).",
                    fix=CHECK,
                    value=unsupported[0].path,
                )
            )
        if missing:
            first = missing[0]
            path, note = getattr(first, "path", first), getattr(first, "note", "")
            reasons.append(
                Finding(
                    "media_missing",
                    points=5,
                    why=f"{len(missing)} photo/video file(s) are not in the export"
                    f"{' (' + note + ')' if note else ''}, so they were not checked.",
                    fix=CHECK,
                    value=path,
                )
            )
        result.media_reasons = reasons
        result.rescore()
