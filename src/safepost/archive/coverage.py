"""Coverage: every item and media file of the export is analysed or listed with the reason it was not.

Two jobs, both after the reader:

* :func:`unlinked_media` turns every photo or video present in the export that no item refers
  to (an attachment style or a media folder a reader does not know) into an item of its own,
  so it is analysed anyway;
* :func:`measure` counts, after the audit, items read / found and media analysed / found, and
  lists each file not analysed with its reason (missing from the export, unreadable, too large,
  unsupported, --no-media).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from safepost.archive.items import ArchiveItem
from safepost.archive.media import TOO_LARGE, UNREADABLE, UNSUPPORTED
from safepost.archive.source import ExportSource

MISSING = "missing from the export"
NO_MEDIA = "not analysed (--no-media)"
REASONS = (MISSING, UNREADABLE, TOO_LARGE, UNSUPPORTED, NO_MEDIA)
#: what counts as a photo or video file present in an export (by name; content is checked later)
MEDIA_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".bmp", ".tif", ".tiff",
    ".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".avi",
)  # fmt: skip


def is_media_name(name: str) -> bool:
    return name.lower().endswith(MEDIA_SUFFIXES)


def unlinked_media(present: Iterable[str], items: Sequence[ArchiveItem], platform: str) -> list[ArchiveItem]:
    """An item for each photo or video in ``present`` that no item of ``items`` refers to."""
    from safepost.archive.formats._common import media_ref

    referenced = {m.path for item in items for m in item.media}
    return [
        ArchiveItem(id=f"file:{path}", platform=platform, kind="file", where=path, media=[media_ref(path)])
        for path in sorted(set(present))
        if path not in referenced
    ]


def measure(
    items: Sequence[ArchiveItem],
    media_results: dict[str, dict],
    source: ExportSource,
    media_on: bool,
    skipped: Sequence[dict],
) -> dict:
    """The coverage block of the report.

    ``media_results`` maps a path to its analysed MediaResult dict; ``skipped`` lists the entries
    the reader found but could not read (``{"where", "reason"}``).
    """
    not_analysed: list[dict] = []
    seen: set[str] = set()
    analysed = 0
    for item in items:
        for ref in item.media:
            if ref.path in seen:
                continue
            seen.add(ref.path)
            reason = _why_not(ref.path, ref.note, media_results, source, media_on)
            if reason is None:
                analysed += 1
            else:
                not_analysed.append({"path": ref.path, "item": item.id, "where": item.where, "reason": reason})
    by_reason = Counter(_family(n["reason"]) for n in not_analysed)
    return {
        "items_found": len(items) + len(skipped),
        "items_read": len(items),
        "items_not_read": list(skipped),
        "media_found": len(seen),
        "media_analysed": analysed,
        "media_not_analysed": not_analysed,
        "media_not_analysed_by_reason": {r: by_reason[r] for r in REASONS if by_reason[r]},
    }


def _why_not(path: str, note: str, results: dict[str, dict], source: ExportSource, media_on: bool) -> str | None:
    if not source.exists(path):
        return f"{MISSING} ({note})" if note else MISSING
    if not media_on:
        return NO_MEDIA
    result = results.get(path)
    if result is None:
        return f"{UNREADABLE} (not reached)"
    if result.get("error"):
        return f"{result.get('problem') or UNREADABLE}: {result['error']}"
    return None


def _family(reason: str) -> str:
    return next((r for r in REASONS if reason.startswith(r)), UNREADABLE)


def line(coverage: dict) -> str:
    """One sentence for the terminal and the report: items read / found, media analysed / found."""
    text = (
        f"items read {coverage['items_read']:,} / {coverage['items_found']:,} found; "
        f"media analysed {coverage['media_analysed']:,} / {coverage['media_found']:,} found"
    )
    reasons = coverage["media_not_analysed_by_reason"]
    if reasons:
        text += " (" + ", ".join(f"{n:,} {r}" for r, n in reasons.items()) + ")"
    return text
