"""Masks that cover regions of an image.

The safe styles never look at the pixels they replace, so nothing of a face survives:

- ``solid`` (default): a flat fill;
- ``noise``: random noise;
- ``mosaic``: coarse blocks of random colour, all of one brightness (drawn over noise, not over
  the face; without light and dark blocks, nothing in it looks like eyes to a face detector).

``blur`` and ``pixelate`` are offered for cases where looks matter more than safety, and are
labelled reversible everywhere: published attacks recover faces from both.

``illustration``, ``silhouette`` and ``avatar`` mask the same areas solid first, then draw a
stylised picture over the result (``safepost.anonymize.stylise``).

Every region is grown by a margin so the mask covers the whole head (hair, ears, chin), and
is drawn as an ellipse (default) or a box.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from safepost.anonymize.spec import REVERSIBLE_STYLES, SAFE_STYLES, SHAPES, STYLES, STYLISED_STYLES, MaskSpec
from safepost.core import Region


def grown_box(region: Region, spec: MaskSpec) -> tuple[float, float, float, float]:
    """The region's box after adding the head margins, in pixels (may exceed the image)."""
    w, h = region.width, region.height
    k = spec.tight_factor if region.score < spec.tight_score and region.size < spec.tight_size else 1.0
    return (
        region.x0 - k * spec.margin * w,
        region.y0 - k * spec.margin_top * h,
        region.x1 + k * spec.margin * w,
        region.y1 + k * spec.margin_bottom * h,
    )


def _draw(target: np.ndarray, regions: Iterable[Region], spec: MaskSpec, value) -> None:
    """Fill every region's mask shape on ``target`` (HxW or HxWx3) with ``value``, in place."""
    h, w = target.shape[:2]
    for region in regions:
        if region.kind != "face":  # user regions are drawn exactly as given
            x0, y0, x1, y1 = region.x0, region.y0, region.x1, region.y1
            box = True
        else:
            x0, y0, x1, y1 = grown_box(region, spec)
            box = spec.shape == "box"
        if box:
            ix0, iy0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
            ix1, iy1 = min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))
            if ix1 > ix0 and iy1 > iy0:
                target[iy0:iy1, ix0:ix1] = value
        else:
            centre = (round((x0 + x1) / 2 * 16), round((y0 + y1) / 2 * 16))
            axes = (max(1, round((x1 - x0) / 2 * 16)), max(1, round((y1 - y0) / 2 * 16)))
            cv2.ellipse(target, centre, axes, 0, 0, 360, value, thickness=-1, lineType=cv2.LINE_8, shift=4)


def coverage_mask(shape: tuple[int, int], regions: Iterable[Region], spec: MaskSpec) -> np.ndarray:
    """Boolean HxW array, True where any region's mask falls."""
    canvas = np.zeros(shape, np.uint8)
    _draw(canvas, regions, spec, 1)
    return canvas.astype(bool)


def _random_pixels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _isoluminant_pixels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random colours of one brightness: no dark and light blocks a face detector could read as eyes."""
    ycrcb = np.empty(shape, np.uint8)
    ycrcb[..., 0] = 128
    ycrcb[..., 1:] = rng.integers(80, 177, size=(*shape[:-1], 2), dtype=np.uint8)
    return cv2.cvtColor(ycrcb.reshape(-1, 1, 3), cv2.COLOR_YCrCb2RGB).reshape(shape)


def apply_masks(
    rgb: np.ndarray, regions: Iterable[Region], spec: MaskSpec, rng: np.random.Generator | None = None
) -> np.ndarray:
    """A new image with every region covered; the input array is not modified."""
    regions = list(regions)
    if spec.stylised:  # masks solid first, then draws the picture over (docs/stylise.md)
        from safepost.anonymize.stylise import stylise

        return stylise(rgb, regions, spec)
    out = rgb.copy()
    if not regions:
        return out
    if spec.style == "solid":  # drawn straight onto the copy: same pixels as the mask path, faster
        _draw(out, regions, spec, tuple(int(c) for c in spec.color))
        return out
    mask = coverage_mask(rgb.shape[:2], regions, spec)
    if not mask.any():
        return out
    rng = rng or np.random.default_rng()
    if spec.style == "solid":
        out[mask] = spec.color
    elif spec.style == "noise":
        out[mask] = _random_pixels(rng, (int(mask.sum()), 3))
    elif spec.style == "mosaic":
        block = _mosaic_block(regions)
        h, w = mask.shape
        small = _isoluminant_pixels(rng, (-(-h // block), -(-w // block), 3))
        tiles = np.repeat(np.repeat(small, block, axis=0), block, axis=1)[:h, :w]
        out[mask] = tiles[mask]
    elif spec.style == "blur":
        k = max(3, (_mosaic_block(regions) * 2) | 1)
        out[mask] = cv2.GaussianBlur(rgb, (k, k), 0)[mask]
    elif spec.style == "pixelate":
        block = _mosaic_block(regions)
        h, w = mask.shape
        small = cv2.resize(rgb, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
        out[mask] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)[mask]
    return out


def _mosaic_block(regions: list[Region]) -> int:
    """Block size in pixels: about a sixth of the median region's side, at least 4."""
    sides = sorted(max(r.width, r.height) for r in regions)
    return max(4, int(sides[len(sides) // 2] / 6))


__all__ = [
    "REVERSIBLE_STYLES",
    "SAFE_STYLES",
    "SHAPES",
    "STYLES",
    "STYLISED_STYLES",
    "MaskSpec",
    "apply_masks",
    "coverage_mask",
    "grown_box",
]
