"""Personal data in post text: emails, phones, GPS coordinates, ID numbers, addresses, tracking links.

    for m in find_pii("Escríbenos a prensa@example.org o al +58 414-555-0101"):
        print(m.kind, m.text, m.why)

Each detector is a small module with one job (:mod:`.pii_contact`, :mod:`.pii_geo`, :mod:`.pii_ids`,
:mod:`.pii_address`, :mod:`.pii_links`). They run in a fixed order and a later one never reports
inside what an earlier one found, so "1.020.304.050" is an ID number and not also a phone:
links and emails first, then coordinates, ID numbers, phones, and addresses last (an address may
hold a house number but never swallows a phone or an email next to it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from safepost.text._input import checked_text

PII_KINDS = ("EMAIL", "PHONE", "GPS", "ID_NUMBER", "ADDRESS", "TRACKING_URL")
#: An @handle or #hashtag (not the domain part of an email): a name for an account or topic, never a number
#: to report ("@V12345678" is an account, not a cédula).
_HANDLE_OR_TAG = re.compile(r"(?<![\w.%+\-])(?:@[A-Za-z0-9_]{1,50}|#[^\W\d]\w{0,99})")  # "#12-30" is a number


@dataclass
class PiiMatch:
    """One piece of personal data: what it is, where (original offsets), why it matters, how to fix it.

    ``kind`` is one of :data:`PII_KINDS`; ``why`` is a plain-language reason; ``fix`` a concrete
    suggestion (for a tracking link: the same link without its tracking parameters); ``score`` 0..1.
    A reason with values has its catalogue id in ``why_id`` and the values in ``why_values``
    (the check says it in the post's language: ``Phrase(why_id, **why_values)``).
    """

    kind: str
    start: int
    end: int
    text: str
    why: str
    score: float = 1.0
    fix: str = ""
    why_id: str = ""
    why_values: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def find_pii(text: str, lang: str | None = None) -> list[PiiMatch]:
    """Every email, phone, GPS coordinate, ID number, street address and tracking link in ``text``.

    ``lang`` ("en", "es", "pt", "fr"...) only orders the phone regions tried first; every detector
    runs whatever the language. Matches never overlap except a tracking link, which may contain
    coordinates. Sorted by start.
    """
    from safepost.text import pii_address, pii_contact, pii_geo, pii_ids, pii_landmarks, pii_links

    checked_text(text)
    if not text:
        return []
    found: list[PiiMatch] = []
    tracking, link_spans = pii_links.find_links(text)
    found += tracking
    taken = list(link_spans) + [m.span() for m in _HANDLE_OR_TAG.finditer(text)]

    def keep(matches: list[PiiMatch], blockers: list[tuple[int, int]]) -> None:
        for m in matches:
            if not any(m.start < e and s < m.end for s, e in blockers):
                found.append(m)
                taken.append((m.start, m.end))

    keep(pii_contact.find_emails(text), list(taken))
    keep(pii_geo.find_gps(text), _non_link(taken, link_spans))  # coordinates inside map links count
    keep(pii_ids.find_ids(text), taken)
    keep(pii_contact.find_phones(text, lang, taken), taken)
    keep(pii_address.find_addresses(text, taken), taken)
    keep(pii_landmarks.find_landmark_addresses(text, taken), taken)
    return sorted(found, key=lambda m: (m.start, m.end))


def _non_link(taken: list[tuple[int, int]], links: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [span for span in taken if span not in links]
