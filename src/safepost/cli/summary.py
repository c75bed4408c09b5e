"""Plain-words summaries of a redaction for the terminal: which ids were masked, which left visible.

A crowd photo has a hundred faces: past ``MAX_IDS`` ids a summary gives their count and range
("144 masked (f1 to f144)") and points to ``--json`` for the list. English and Spanish (words.py).
"""

from __future__ import annotations

import re

from safepost.words import Lines, Phrase

#: ids listed one by one in a summary line; more are summarised
MAX_IDS = 6

#: how each kind of region is named in a summary (singular, plural)
_KINDS = {
    "nophoto_tag": ("1 NO PHOTO tag", "{n} NO PHOTO tags"),
    "unread_tag": ("1 tag we could not read", "{n} tags we could not read"),
    "nophoto_area": ("1 area above a NO PHOTO tag", "{n} areas above NO PHOTO tags"),
    "text": ("1 line of text", "{n} lines of text"),
    "manual": ("1 region added by hand", "{n} regions added by hand"),
}
_REGIONS = ("1 region", "{n} regions")


def _count(n: int, one: str, many: str) -> Phrase:
    return Phrase(one) if n == 1 else Phrase(many, n=n)


def id_list(ids: list[str]) -> str:
    """'f1, f2, f3'; past MAX_IDS, 'f1 to f144' when they run without a gap, else 'f1, f2, f3 and 141 more'."""
    if len(ids) <= MAX_IDS:
        return ", ".join(ids)
    numbers = [re.fullmatch(r"([a-z]+)(\d+)", i) for i in ids]
    if all(numbers) and len({m[1] for m in numbers}) == 1:
        values = [int(m[2]) for m in numbers]
        if values == list(range(values[0], values[0] + len(values))):
            return Phrase("{first} to {last}", first=ids[0], last=ids[-1])
    return Phrase("{first} and {n} more", first=", ".join(ids[:3]), n=len(ids) - 3)


def _group(ids: list[str], one: str, many: str) -> Phrase:
    """'f1, f2 masked', or past MAX_IDS '144 masked (f1 to f144)'."""
    if len(ids) <= MAX_IDS:
        return Phrase(one, ids=", ".join(ids))
    return Phrase(many, n=len(ids), ids=id_list(ids))


def photo_summary(result) -> str:
    """'2 faces found: f1 masked, f2 left visible; also masked: 1 region added by hand (m1)'."""
    visible = set(result.ignored) | set(result.kept)
    faces = [r.id for r in result.regions if r.kind == "face"]
    parts = []
    masked = [i for i in faces if i not in visible]
    shown = [i for i in faces if i in visible]
    if masked:
        parts.append(_group(masked, "{ids} masked", "{n} masked ({ids})"))
    if shown:
        parts.append(_group(shown, "{ids} left visible", "{n} left visible ({ids})"))
    found = _count(len(faces), "1 face found", "{n} faces found")
    line = Phrase("{found}: {what}", found=found, what=Lines(parts, ", ")) if parts else found
    others: dict[str, list[str]] = {}
    for region in result.regions:
        if region.kind != "face" and region.id not in visible:
            others.setdefault(region.kind, []).append(region.id)
    if others:
        extra = [
            Phrase("{what} ({ids})", what=_count(len(ids), *_KINDS.get(kind, _REGIONS)), ids=id_list(ids))
            for kind, ids in others.items()
        ]
        line = Phrase("{line}; also masked: {extra}", line=line, extra=Lines(extra, ", "))
    return line


def unsure_summary(unsure: list[str]) -> Phrase:
    """The line on weak detections: their ids, or past MAX_IDS their count and where to find them."""
    if len(unsure) <= MAX_IDS:
        return Phrase(
            "unsure, may not be faces (still masked): {ids}; leave one that is not a face unmasked with --ignore ID",
            ids=", ".join(unsure),
        )
    return Phrase(
        "{n} of them unsure, may not be faces (still masked): their ids are in --json; leave one that is not a "
        "face unmasked with --ignore ID",
        n=len(unsure),
    )


def video_summary(result) -> Phrase:
    """'3 face tracks found, 1 wearing a NO PHOTO tag, 2 masked'."""
    found = _count(result.faces_found, "1 face track found", "{n} face tracks found")
    if result.nophoto_tracks:
        found = Phrase("{found}, {n} wearing a NO PHOTO tag", found=found, n=len(result.nophoto_tracks))
    return Phrase("{found}, {n} masked", found=found, n=result.masked)
