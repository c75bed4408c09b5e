"""Render the decisions of a check: masked photos, and the before/after pictures of a report."""

from __future__ import annotations

import io

import numpy as np

from safepost.core import Region
from safepost.core.report import AnalysedMedia
from safepost.decide.media import is_watermark


def mask_regions(item: AnalysedMedia, third_party: bool) -> list[Region]:
    """Every area `prepare` covers in a photo: each region not kept, whatever its kind (fail closed),
    and for third-party material the watermarks and usernames (they point to the person who filmed it).
    Scores go along: small weak faces get the smaller margins of `safepost redact` (MaskSpec)."""
    regions = [Region(r.id, r.kind, *r.box, score=r.score) for r in item.report.regions if r.decision == "mask"]
    if third_party:
        regions += [Region(f"w{n}", "text", *t["box"]) for n, t in enumerate(watermarks(item))]
    return regions


def watermarks(item: AnalysedMedia) -> list[dict]:
    """The text lines of a photo that look like a watermark or a username."""
    return [t for t in item.report.texts if is_watermark(t.get("text", ""))]


def coverage(item: AnalysedMedia, third_party: bool) -> np.ndarray:
    """True where `prepare` draws a mask on this photo (same pixels as :func:`masked_photo`)."""
    from safepost.anonymize.masks import coverage_mask
    from safepost.anonymize.spec import MaskSpec

    return coverage_mask(item.rgb.shape[:2], mask_regions(item, third_party), MaskSpec())


def masked_photo(item: AnalysedMedia, third_party: bool) -> bytes:
    from PIL import Image

    from safepost.anonymize.masks import apply_masks
    from safepost.anonymize.spec import MaskSpec

    masked = apply_masks(item.rgb, mask_regions(item, third_party), MaskSpec())
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
