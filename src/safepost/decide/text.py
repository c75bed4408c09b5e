"""The post text against the registry and the rules: names without consent, personal data,
Chatham House quotes, uploader identifiers; and the rewrite `prepare` suggests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from safepost.consent.events import Event
from safepost.core import Finding
from safepost.decide.consent import ConsentUse, consent_for
from safepost.decide.source_links import source_links
from safepost.post.review import Review
from safepost.post.schema import PostMeta, SourceKind
from safepost.text import REVIEW_SCORE, fold, name_marks
from safepost.words import Phrase, name_form

PLACEHOLDER = {"en": "a participant", "es": "una persona participante", "fr": "une personne participante"}
PII_LABEL = {
    "EMAIL": "[email removed]",
    "PHONE": "[phone removed]",
    "GPS": "[location removed]",
    "ID_NUMBER": "[ID number removed]",
    "ADDRESS": "[address removed]",
}
PII_TITLE = {
    "EMAIL": Phrase("Email address"),
    "PHONE": Phrase("Phone number"),
    "GPS": Phrase("GPS coordinates"),
    "ID_NUMBER": Phrase("ID number"),
    "ADDRESS": Phrase("Street address"),
    "TRACKING_URL": Phrase("Link with tracking parameters"),
}
PII_FIX = {
    "EMAIL": Phrase("Remove it, or give a contact the organisation controls; prepare removes it."),
    "PHONE": Phrase("Remove it, or give a line the organisation controls; prepare removes it."),
    "GPS": Phrase("Remove it, or name the city only; prepare removes it."),
    "ADDRESS": Phrase("Remove it, or name the city only; prepare removes it."),
}
HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,30}")
#: How far before or after a quote a name counts as its speaker.
SPEAKER_WINDOW = 80


@dataclass
class TextFound:
    """What the text analysers (``safepost.text``) found in the post text, for :func:`check_text` to judge:
    registry-name matches, personal data and quotes."""

    names: list = field(default_factory=list)
    pii: list = field(default_factory=list)
    quotes: list = field(default_factory=list)


def text_lang(meta: PostMeta) -> str:
    """The two-letter language the post text is read and rewritten in (English unless post.yaml says)."""
    return (meta.language or "en")[:2]


@dataclass
class TextCheck:
    """Findings about the text, the consents relied on, and the edits that make it safe."""

    findings: list[Finding] = field(default_factory=list)
    used: list[ConsentUse] = field(default_factory=list)
    named: dict[str, bool] = field(default_factory=dict)  # person id -> named with consent
    edits: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, replacement)
    location_revealed: bool = False


def check_text(
    conn,
    text: str,
    meta: PostMeta,
    event: Event | None,
    found: TextFound,
    review: Review,
    at: str,
    public_contacts: Sequence[str] = (),
) -> TextCheck:
    """Judge what was ``found`` in ``text``; ``public_contacts`` are the organisation's own e-mails and
    phones (policy.yaml)."""
    out = TextCheck()
    placeholder = PLACEHOLDER.get(text_lang(meta), PLACEHOLDER["en"])
    chatham = bool(event and event.chatham_house)
    links = {fold(link.text).text: link.person_id for link in review.names}
    name_spans = []
    marks = _Marks(text)
    for match in found.names:
        folded = fold(match.text).text
        if folded in links:
            if links[folded] is None:
                continue
            candidates = [links[folded]]
        elif match.score < REVIEW_SCORE:
            _possible_mention(out, match)
            continue
        else:
            candidates = list(match.candidates or [match.person_id])
        name_spans.append((match.start, match.end))
        _check_name(conn, out, match, candidates, meta, at, chatham, placeholder, marks)
    for pii in found.pii:
        if is_public_contact(pii, public_contacts):
            _org_contact(out, pii)
        else:
            _check_pii(out, text, pii)
    for quote in found.quotes:
        _check_quote(out, text, quote, name_spans, chatham, placeholder)
    if meta.source.kind == SourceKind.THIRD_PARTY:
        _check_uploader(out, text, meta)
    return out


def _check_name(conn, out: TextCheck, match, candidates, meta, at, chatham, placeholder, marks) -> None:
    who = candidates[0]
    verdicts = [consent_for(conn, pid, "name", meta, at) for pid in candidates]
    allowed = all(v[0] for v in verdicts)
    how = (
        Phrase("matched as {how}, could be any of {who}", how=name_form(match.how), who=", ".join(candidates))
        if len(candidates) > 1
        else Phrase("matched as {how}", how=name_form(match.how))
    )
    span = [match.start, match.end]
    if chatham:
        out.findings.append(
            Finding(
                "chatham_house_name",
                "high",
                Phrase("'{name}' is named in a post about a Chatham House event ({how})", name=match.text, how=how),
                Phrase(
                    "Under the Chatham House rule, what was said may be shared but not who said it or who was there."
                ),
                Phrase("Remove the name; prepare writes '{placeholder}'.", placeholder=placeholder),
                span=span,
                person_id=who,
                blocks=True,
                fixed_by_prepare=True,
            )
        )
        out.edits.append(marks.edit(match.start, match.end, placeholder))
        return
    if allowed:
        out.named[who] = True
        out.used.extend(ConsentUse(pid, "name", v[2]) for pid, v in zip(candidates, verdicts, strict=True))
        out.findings.append(
            Finding(
                "name_with_consent",
                "info",
                Phrase("'{name}' is named with consent ({how})", name=match.text, how=how),
                Phrase("Their name consent covers this platform, audience, purpose and date."),
                Phrase("Nothing to do; check the match is the right person."),
                span=span,
                person_id=who,
            )
        )
        return
    reason = next(v[1] for v in verdicts if not v[0])
    out.named.setdefault(who, False)
    out.findings.append(
        Finding(
            "name_without_consent",
            "high",
            Phrase("'{name}' is named without name consent ({how})", name=match.text, how=how),
            Phrase("A name links a person to this post and this event. Consent: {reason}.", reason=reason),
            Phrase(
                "Remove the name, use initials, or use a pseudonym; prepare writes '{placeholder}'. "
                "If this is someone else, say so in the review (names).",
                placeholder=placeholder,
            ),
            span=span,
            person_id=who,
            blocks=True,
            fixed_by_prepare=True,
        )
    )
    out.edits.append(marks.edit(match.start, match.end, placeholder))


class _Marks:
    """The hashtags and links of the text: a name inside one is removed with all of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tags = [(s - 1, e) for s, e in name_marks.hashtags(text)]
        self.links = name_marks.links(text)

    def edit(self, start: int, end: int, placeholder: str) -> tuple[int, int, str]:
        """The edit that removes the name at [start, end): "#FreeAnaRuiz" goes whole, a link too."""
        for s, e in self.links:
            if s <= start and end <= e:
                return s, e, "[link removed]"
        for s, e in self.tags:
            if s <= start and end <= e:
                rest = self.text[e:].split("\n", 1)[0]
                trailing = all(w.startswith("#") for w in rest.split())
                return (s, e, "") if trailing else (s, e, placeholder)
        return start, end, placeholder


def is_public_contact(pii, public_contacts: Sequence[str]) -> bool:
    """Is this e-mail or phone one of the organisation's own public contacts (policy.yaml)?"""
    if pii.kind == "EMAIL":
        return pii.text.strip().lower() in {c.strip().lower() for c in public_contacts if "@" in c}
    if pii.kind == "PHONE":
        digits = re.sub(r"\D", "", pii.text)
        for contact in public_contacts:
            known = re.sub(r"\D", "", contact)
            if "@" not in contact and len(known) >= 7 and len(digits) >= 7:
                if known.endswith(digits[-8:]) or digits.endswith(known[-8:]):
                    return True
    return False


def _org_contact(out: TextCheck, pii) -> None:
    out.findings.append(
        Finding(
            "org_contact",
            "info",
            Phrase("The organisation's own contact: {value}", value=pii.text),
            Phrase("It is listed in policy.yaml (public_contacts), so it is kept."),
            Phrase("Nothing to do."),
            span=[pii.start, pii.end],
        )
    )


def _possible_mention(out: TextCheck, match) -> None:
    """A lone first name or surname that nothing else in the post explains: a lead for a human, not a claim."""
    who = ", ".join(match.candidates or [match.person_id])
    out.findings.append(
        Finding(
            "possible_name",
            "medium",
            Phrase("'{name}' may name someone in the registry ({who})", name=match.text, who=who),
            Phrase("A first name or surname alone can still identify a person to people who know the event."),
            Phrase("If it is one of them, remove it or use a pseudonym; if not, say so in the review (names)."),
            span=[match.start, match.end],
            person_id=match.person_id,
        )
    )


def _check_pii(out: TextCheck, text: str, pii) -> None:
    span = [pii.start, pii.end]
    if pii.kind == "TRACKING_URL":
        clean = pii.fix or pii.text
        if not any(s <= pii.start and pii.end <= e for s, e, _ in out.edits):  # a name in it removes it all
            out.edits.append((pii.start, pii.end, clean))
        severity, fix = "medium", Phrase("Use the link without its tracking parameters: {link}", link=clean)
    else:
        out.edits.append((pii.start, pii.end, PII_LABEL.get(pii.kind, "[removed]")))
        severity, fix = "high", PII_FIX.get(pii.kind) or Phrase("Remove it; prepare removes it.")
        out.location_revealed |= pii.kind in ("GPS", "ADDRESS")
    out.findings.append(
        Finding(
            f"pii_{pii.kind.lower()}",
            severity,
            Phrase("{what}: {value}", what=PII_TITLE.get(pii.kind, pii.kind), value=pii.text),
            Phrase(pii.why_id or pii.why, **pii.why_values),  # the text package's reasons, in the catalogue too
            fix,
            span=span,
            fixed_by_prepare=True,
        )
    )


def _check_quote(out: TextCheck, text: str, quote, name_spans, chatham: bool, placeholder: str) -> None:
    if not chatham:
        return
    near = [(s, e) for s, e in name_spans if quote.start - SPEAKER_WINDOW <= s and e <= quote.end + SPEAKER_WINDOW]
    speaker = quote.speaker
    if speaker and not near:
        at = text.find(speaker, max(0, quote.start - SPEAKER_WINDOW), quote.end + SPEAKER_WINDOW + len(speaker))
        if at >= 0:
            out.edits.append((at, at + len(speaker), placeholder))
    attributed = bool(near or speaker)
    out.findings.append(
        Finding(
            "chatham_house_quote",
            "high" if attributed else "info",
            Phrase("Quote attributed to a speaker at a Chatham House event")
            if attributed
            else Phrase("Quote from a Chatham House event, not attributed"),
            Phrase("The Chatham House rule allows sharing what was said, never who said it."),
            Phrase("Remove who said it; prepare writes '{placeholder}'.", placeholder=placeholder)
            if attributed
            else Phrase("Keep it unattributed."),
            span=[quote.start, quote.end],
            blocks=attributed,
            fixed_by_prepare=attributed,
        )
    )


def _check_uploader(out: TextCheck, text: str, meta: PostMeta) -> None:
    links = source_links(text, meta.source.url, meta.source.uploader)
    for start, end, why in links:
        out.findings.append(
            Finding(
                "third_party_source_link",
                "high",
                Phrase("The text links to the original of third-party material: {link}", link=text[start:end]),
                Phrase(
                    "The link undoes the anonymisation: {why}. Whoever follows it sees the un-blurred original "
                    "and can find the person who filmed it.",
                    why=why,
                ),
                Phrase(
                    "Remove the link; credit the source generally ('video sent to us by a witness'). "
                    "prepare removes it."
                ),
                span=[start, end],
                blocks=True,
                fixed_by_prepare=True,
            )
        )
        out.edits[:] = [e for e in out.edits if e[1] <= start or e[0] >= end]  # e.g. its tracking-link fix
        out.edits.append((start, end, "[source link removed]"))
    marks = [(m.start(), m.end()) for m in HANDLE.finditer(text)]
    uploader = (meta.source.uploader or "").strip()
    if uploader:
        marks += [(m.start(), m.end()) for m in re.finditer(re.escape(uploader), text, flags=re.I)]
    marks = [(s, e) for s, e in marks if not any(s < le and ls < e for ls, le, _ in links)]
    for start, end in sorted(set(marks)):
        out.findings.append(
            Finding(
                "uploader_identifier",
                "high",
                Phrase("The text names an account or uploader: {name}", name=text[start:end]),
                Phrase("Crediting the person who filmed third-party material can expose them to reprisals."),
                Phrase("Credit the source generally ('a local witness'); prepare removes the handle."),
                span=[start, end],
                fixed_by_prepare=True,
            )
        )
        out.edits.append((start, end, "[source withheld]"))


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace spans right to left; an edit overlapping one already applied is skipped (the first wins)."""
    out, last_start = text, len(text) + 1
    for start, end, replacement in sorted(set(edits), key=lambda e: (-e[0], e[1])):
        if end > last_start:
            continue
        out = out[:start] + replacement + out[end:]
        last_start = start
    return out
