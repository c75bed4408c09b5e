"""A post being prepared in the browser: its context, the vault ids of its media, the reviewer's edits.

A draft lives in the session's memory only; its media live encrypted in the vault. Locking the
session forgets the draft (the originals stay in the vault, where every upload is recorded).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safepost.core import InputError
from safepost.web.forms import Form

AUDIENCES = ("public", "closed", "internal")
ACCOUNTS = ("organisation", "personal", "anonymous")
SENSITIVITIES = ("low", "medium", "high")
SOURCES = ("own", "third-party")
SOURCE_CONSENTS = ("unknown", "obtained", "refused")
PURPOSES = ("advocacy", "fundraising", "reporting", "documentation", "recruitment")
MAX_TEXT = 100_000


def platforms() -> tuple[str, ...]:
    """The platforms ``post.yaml`` knows."""
    from safepost.post.schema import PLATFORMS

    return PLATFORMS


@dataclass
class MediaItem:
    """One uploaded file: its name in the post, where it is in the vault, its family and size."""

    name: str
    vault_id: str
    family: str
    size: int


@dataclass
class Draft:
    """Context, text, media and review edits of one post; cached check results."""

    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    text: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    media: dict[str, MediaItem] = field(default_factory=dict)
    keep: list[dict] = field(default_factory=list)
    add: list[dict] = field(default_factory=list)
    drop: list[dict] = field(default_factory=list)
    report: Any = None
    prepared: Any = None
    #: bumped by every change, so a check that ran on an older state is not cached
    version: int = 0
    previews: dict[str, tuple[bytes, int, int]] = field(default_factory=dict)
    #: the post check's media analyser: detections reused between review steps (memory only)
    analyser: Any = None

    def unique_name(self, name: str) -> str:
        """``name``, or ``name (2).ext`` ... when the post already has a file of that name."""
        if name not in self.media:
            return name
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, "." + ext) if dot else (name, "")
        n = 2
        while f"{stem} ({n}){ext}" in self.media:
            n += 1
        return f"{stem} ({n}){ext}"

    def meta(self) -> dict[str, Any]:
        """The ``post.yaml`` fields of this draft."""
        return {**self.context, "text": self.text, "media": list(self.media)}

    def review(self) -> dict[str, list[dict]]:
        return {"keep": list(self.keep), "add": list(self.add), "drop": list(self.drop)}

    def changed(self) -> None:
        """Forget the cached check results (the review or the post changed)."""
        self.report = None
        self.prepared = None
        self.version += 1

    # -- reviewer edits ------------------------------------------------------------------------

    def keep_face(self, media: str, region: str, person_id: str) -> None:
        self._require(media)
        self.keep = [k for k in self.keep if (k["media"], k["region"]) != (media, region)]
        self.drop = [d for d in self.drop if (d["media"], d["region"]) != (media, region)]
        self.keep.append({"media": media, "region": region, "person_id": person_id})
        self.changed()

    def add_box(self, media: str, box: list[int], label: str = "manual") -> None:
        self._require(media)
        self.add.append({"media": media, "box": box, "label": label or "manual"})
        self.changed()

    def drop_region(self, media: str, region: str) -> None:
        self._require(media)
        self.keep = [k for k in self.keep if (k["media"], k["region"]) != (media, region)]
        if not any((d["media"], d["region"]) == (media, region) for d in self.drop):
            self.drop.append({"media": media, "region": region})
        self.changed()

    def undo(self, kind: str, index: int) -> None:
        """Remove edit ``index`` of ``kind`` (keep, add or drop): the region is masked again."""
        edits = {"keep": self.keep, "add": self.add, "drop": self.drop}.get(kind)
        if edits is None or not 0 <= index < len(edits):
            raise InputError("That change does not exist any more; reload the page.")
        del edits[index]
        self.changed()

    def _require(self, media: str) -> None:
        if media not in self.media:
            raise InputError(f"The post has no file called {media}.")


def _choice(form: Form, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = form.get(name) or default
    if value is not None and value not in allowed:
        raise InputError(f"'{value}' is not a valid choice for {name}.")
    return value


def context_from_form(form: Form, known_events: set[str], known_people: set[str]) -> tuple[str, dict[str, Any]]:
    """The post text and the ``post.yaml`` context from the New post form; InputError on bad values."""
    text = form.get("text")
    if len(text) > MAX_TEXT:
        raise InputError(f"The post text is longer than {MAX_TEXT:,} characters.")
    chosen = form.getlist("platforms")
    unknown = [p for p in chosen if p not in platforms()]
    if unknown:
        raise InputError(f"Unknown platform: {', '.join(unknown)}.")
    if not chosen:
        raise InputError("Choose at least one platform.")
    event = form.get("event") or None
    if event is not None and event not in known_events:
        raise InputError(f"There is no event {event} in the registry.")
    people = form.getlist("people")
    missing = [p for p in people if p not in known_people]
    if missing:
        raise InputError(f"Unknown person: {', '.join(missing)}.")
    publish_at = form.get("publish_at") or None
    if publish_at is not None:
        try:
            datetime.fromisoformat(publish_at)
        except ValueError:
            raise InputError(f"'{publish_at}' is not a date and time.") from None
    purpose = form.get("purpose") or "advocacy"
    if len(purpose) > 60 or not purpose.replace("-", "").replace("_", "").isalnum():
        raise InputError("The purpose must be one word, such as advocacy or fundraising.")
    source: dict[str, Any] = {"kind": _choice(form, "source", SOURCES, "own")}
    if source["kind"] == "third-party":
        source.update(
            url=form.get("source_url") or None,
            uploader=form.get("source_uploader") or None,
            consent=_choice(form, "source_consent", SOURCE_CONSENTS, "unknown"),
            benefit=form.get("source_benefit"),
        )
        reachable = form.get("source_contactable")
        source["uploader_contactable"] = {"yes": True, "no": False}.get(reachable)
    context = {
        "platforms": chosen,
        "audience": _choice(form, "audience", AUDIENCES, "public"),
        "account": _choice(form, "account", ACCOUNTS, "organisation"),
        "purpose": purpose.lower(),
        "event": event,
        "publish_at": publish_at,
        "location_sensitivity": _choice(form, "location_sensitivity", SENSITIVITIES, "medium"),
        "people": people,
        "source": source,
    }
    if form.get("language") in ("en", "es"):
        context["language"] = form.get("language")
    return text, context
