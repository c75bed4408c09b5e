"""Plain-words summaries of a redaction for the terminal: which ids were masked, which left visible."""

from __future__ import annotations

#: how each kind of region is named in a summary (singular, plural)
_KINDS = {
    "nophoto_tag": ("NO PHOTO tag", "NO PHOTO tags"),
    "unread_tag": ("tag we could not read", "tags we could not read"),
    "nophoto_area": ("area above a NO PHOTO tag", "areas above NO PHOTO tags"),
    "text": ("line of text", "lines of text"),
    "manual": ("region added by hand", "regions added by hand"),
}


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def photo_summary(result) -> str:
    """'2 faces found: f1 masked, f2 left visible; also masked: 1 region added by hand (m1)'."""
    visible = set(result.ignored) | set(result.kept)
    faces = [r.id for r in result.regions if r.kind == "face"]
    line = _count(len(faces), "face", "faces") + " found"
    masked = [i for i in faces if i not in visible]
    shown = [i for i in faces if i in visible]
    parts = []
    if masked:
        parts.append(f"{', '.join(masked)} masked")
    if shown:
        parts.append(f"{', '.join(shown)} left visible")
    if parts:
        line += ": " + ", ".join(parts)
    others: dict[str, list[str]] = {}
    for region in result.regions:
        if region.kind != "face" and region.id not in visible:
            others.setdefault(region.kind, []).append(region.id)
    if others:
        extra = [
            f"{_count(len(ids), *_KINDS.get(kind, ('region', 'regions')))} ({', '.join(ids)})"
            for kind, ids in others.items()
        ]
        line += "; also masked: " + ", ".join(extra)
    return line
