"""Render the decisions of a check: masked photos, and the before/after pictures of a report."""

from __future__ import annotations

import io

from safepost.check.decide import WATERMARK_HINTS
from safepost.check.media import AnalysedMedia
from safepost.core import Region


def masked_photo(item: AnalysedMedia, third_party: bool) -> bytes:
    from PIL import Image

    from safepost.anonymize.masks import apply_masks
    from safepost.anonymize.spec import MaskSpec

    regions = [
        # every region not explicitly kept is masked, whatever its kind (fail closed)
        Region(r.id, r.kind, *r.box)
        for r in item.report.regions
        if r.decision == "mask"
    ]
    if third_party:  # watermarks and usernames point to the person who filmed it
        regions += [
            Region(f"w{n}", "text", *t["box"])
            for n, t in enumerate(item.report.texts)
            if any(h in t.get("text", "").lower() for h in WATERMARK_HINTS)
        ]
    masked = apply_masks(item.rgb, regions, MaskSpec())
    out = io.BytesIO()
    if item.format == "PNG":
        Image.fromarray(masked).save(out, "PNG")
    else:
        Image.fromarray(masked).save(out, "JPEG", quality=92)
    return out.getvalue()


def previews(analysis, after: bool = True, reveal: bool = False) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Report pictures by media name: "before" (regions covered unless ``reveal``) and, with ``after``,
    the photo as `prepare` would publish it. Videos get none (their tracks are listed instead)."""
    from safepost.report.pictures import after_picture, before_picture

    third_party = analysis.third_party
    before, published = {}, {}
    for item in analysis.media:
        if item.rgb is None:
            continue
        before[item.report.name] = before_picture(item.rgb, item.report.regions, reveal=reveal)
        if after:
            published[item.report.name] = after_picture(masked_photo(item, third_party))
    return before, published
