"""Stylised anonymisation (M9): pictures that keep the scene's story while no face survives.

Every style starts from the default solid mask: the same regions, margins and shape, filled
flat. Everything after that reads the masked picture only, never the original, so nothing of
a face can reach the output whatever the drawing step does:

- ``illustration``: the whole picture is redrawn as flat colour areas with ink lines (an
  edge-preserving filter, colour quantisation, adaptive-threshold lines), and every mask is
  filled flat on top;
- ``silhouette``: people become flat cut-outs, grown by GrabCut from each face and a body prior
  below it; the masks are always filled too, so a failed segmentation still hides every face;
- ``avatar``: each face mask is filled with an opaque drawn head (a disc with a smile);
  other regions (text, manual areas) are filled flat.

The drawing is done on a reduced copy (``WORK_SIDE``) and scaled back; masks are drawn at
full size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from safepost.anonymize.masks import apply_masks, coverage_mask, grown_box
from safepost.anonymize.spec import MaskSpec
from safepost.core import Region

#: long side of the reduced copy that is redrawn, per style
WORK_SIDE = {"illustration": 1280, "silhouette": 480}
#: pictures narrower than this (px) are too small to redraw; their masks are still filled
MIN_DRAWN_SIDE = 16
#: regions that are heads: they get an avatar and seed a silhouette
HEAD_KINDS = ("face",)

INK = (34, 34, 42)
PAPER = (236, 228, 212)
SHADOW = (46, 54, 74)
SHADOW_EDGE = (150, 160, 180)
AVATAR_FILL = (246, 198, 70)
AVATAR_INK = (84, 56, 28)
AVATAR_CHEEK = (240, 150, 90)
REGION_FILL = (190, 190, 190)


def stylise(rgb: np.ndarray, regions: list[Region], spec: MaskSpec) -> np.ndarray:
    """A new image: ``regions`` masked as the solid default would, then drawn in ``spec.style``."""
    solid = replace(spec, style="solid")
    masked = apply_masks(rgb, regions, solid)  # the irreversible mask comes first, always
    covered = coverage_mask(masked.shape[:2], regions, solid)
    return _DRAW[spec.style](masked, regions, covered, solid)


def _downscaled(image: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _upscaled(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    if image.shape[:2] == (h, w):
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)


# -- illustration ----------------------------------------------------------------------------------


def illustration(masked: np.ndarray, regions: list[Region], covered: np.ndarray, spec: MaskSpec) -> np.ndarray:
    """The whole picture as flat colours and ink lines, masks filled flat inside an ink outline."""
    small, _ = _downscaled(masked, WORK_SIDE["illustration"])
    if min(small.shape[:2]) < MIN_DRAWN_SIDE:  # a thumbnail-sized picture: masks only
        out = masked.copy()
    else:
        smooth = cv2.edgePreservingFilter(small, flags=cv2.RECURS_FILTER, sigma_s=50, sigma_r=0.45)
        drawing = quantised(smooth, colours=14)
        drawing[ink_lines(smooth)] = INK
        out = np.ascontiguousarray(_upscaled(drawing, masked.shape[:2]))
    _outline(out, covered, INK)
    out[covered] = PAPER  # after the outline: the ink stays outside, every mask is one flat colour
    return out


def quantised(rgb: np.ndarray, colours: int) -> np.ndarray:
    """``rgb`` reduced to ``colours`` flat colours (k-means on a fixed sample, then a lookup table)."""
    pixels = rgb.reshape(-1, 3)
    rng = np.random.default_rng(0)
    sample = pixels[rng.integers(0, len(pixels), size=min(len(pixels), 6000))].astype(np.float32)
    k = max(1, min(colours, len(np.unique(sample, axis=0))))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _, _, centres = cv2.kmeans(sample, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    # every 5-bit-per-channel colour -> its nearest centre, then one table look-up per pixel
    levels = np.arange(32, dtype=np.float32) * 8 + 4
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    nearest = ((grid[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    table = np.clip(centres[nearest], 0, 255).astype(np.uint8)
    q = (rgb >> 3).astype(np.int32)
    return table[(q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]]


def ink_lines(rgb: np.ndarray) -> np.ndarray:
    """Boolean HxW: where a pen would draw (local darkening edges of the smoothed picture)."""
    grey = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 5)
    block = max(3, (max(rgb.shape[:2]) // 160) | 1)
    edges = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 6)
    lines = edges == 0
    # drop specks: keep strokes, not texture
    opened = cv2.morphologyEx(lines.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return opened.astype(bool)


def _outline(out: np.ndarray, covered: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Draw the border of ``covered`` on ``out`` in place."""
    if not covered.any():
        return
    contours, _ = cv2.findContours(covered.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    thickness = max(3, min(out.shape[:2]) // 200)
    cv2.drawContours(out, contours, -1, colour, thickness, lineType=cv2.LINE_AA)


# -- silhouette ------------------------------------------------------------------------------------


def silhouette(masked: np.ndarray, regions: list[Region], covered: np.ndarray, spec: MaskSpec) -> np.ndarray:
    """People as flat dark cut-outs over the (masked) scene, nearest in front; every mask filled flat."""
    heads = [r for r in regions if r.kind in HEAD_KINDS]
    out = masked.copy()
    if heads:
        small, scale = _downscaled(masked, WORK_SIDE["silhouette"])
        people = people_mask(small, heads, spec, scale)
        edge = max(2, min(out.shape[:2]) // 250)
        for r in sorted(heads, key=lambda r: r.size):  # far (small) people first, near ones over them
            own = people & _dilated(_person_prior(small.shape[:2], r, spec, scale), r.width * scale * 0.6)
            contours, _ = cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            if not contours:
                continue
            full = [np.round((c.astype(np.float32) + 0.5) / scale - 0.5).astype(np.int32) for c in contours]
            cv2.drawContours(out, full, -1, SHADOW, -1, cv2.LINE_AA)
            cv2.drawContours(out, full, -1, SHADOW_EDGE, edge, cv2.LINE_AA)
    out[covered] = SHADOW  # after the drawing: every mask is one flat colour, whatever segmentation did
    return out


def people_mask(small: np.ndarray, heads: list[Region], spec: MaskSpec, scale: float) -> np.ndarray:
    """Boolean mask of ``small``: people found by GrabCut from heads and body priors; the priors if it fails."""
    seeds, sure, prior = _body_seeds(small.shape[:2], heads, spec, scale)
    try:
        people = _grabcut(small, seeds) | sure
    except cv2.error:  # e.g. no background left to learn from: the prior shape is still a person
        people = prior | sure
    return _keep_touching(people, sure)


def _person_prior(shape: tuple[int, int], r: Region, spec: MaskSpec, scale: float) -> np.ndarray:
    """Boolean mask of one person's likely shape: grown head and a torso below it."""
    canvas = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = (v * scale for v in (r.x0, r.y0, r.x1, r.y1))
    fw, fh, cx = x1 - x0, y1 - y0, (x0 + x1) / 2
    torso = [
        (cx - 0.35 * fw, y1),
        (cx - 1.5 * fw, y1 + 0.7 * fh),
        (cx - 1.6 * fw, y1 + 5.5 * fh),
        (cx + 1.6 * fw, y1 + 5.5 * fh),
        (cx + 1.5 * fw, y1 + 0.7 * fh),
        (cx + 0.35 * fw, y1),
    ]
    cv2.fillPoly(canvas, [np.array([_pt(*p) for p in torso], np.int32)], 1)
    _ellipse(canvas, *(v * scale for v in grown_box(r, spec)))
    return canvas > 0


def _dilated(mask: np.ndarray, radius: float) -> np.ndarray:
    k = max(1, round(radius)) * 2 + 1
    return cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0


def _body_seeds(
    shape: tuple[int, int], heads: list[Region], spec: MaskSpec, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GrabCut labels, sure-person and prior-person masks for heads, in the reduced image."""
    roi = np.zeros(shape, np.uint8)
    sure = np.zeros(shape, np.uint8)
    prior = np.zeros(shape, bool)
    for r in heads:
        x0, y0, x1, y1 = (v * scale for v in (r.x0, r.y0, r.x1, r.y1))
        fw, fh, cx = x1 - x0, y1 - y0, (x0 + x1) / 2
        top = grown_box(r, spec)[1] * scale
        cv2.rectangle(roi, _pt(cx - 2.8 * fw, top - 0.3 * fh), _pt(cx + 2.8 * fw, y1 + 6.5 * fh), 1, -1)
        prior |= _person_prior(shape, r, spec, scale)
        _ellipse(sure, x0, y0, x1, y1)
        cv2.rectangle(sure, _pt(cx - 0.3 * fw, y1 - 0.1 * fh), _pt(cx + 0.3 * fw, y1 + 1.6 * fh), 1, -1)
    seeds = np.full(shape, cv2.GC_BGD, np.uint8)
    seeds[roi > 0] = cv2.GC_PR_BGD
    seeds[prior] = cv2.GC_PR_FGD
    seeds[sure > 0] = cv2.GC_FGD
    return seeds, sure > 0, prior


def _grabcut(image: np.ndarray, seeds: np.ndarray, iterations: int = 2) -> np.ndarray:
    """GrabCut refined from ``seeds`` inside their bounding box; boolean foreground, full size."""
    ys, xs = np.nonzero(seeds != cv2.GC_BGD)
    pad = 4
    y0, y1 = max(0, ys.min() - pad), min(seeds.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(seeds.shape[1], xs.max() + pad + 1)
    labels = np.ascontiguousarray(seeds[y0:y1, x0:x1])
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    if not np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        raise cv2.error("no background to learn from")
    cv2.setRNGSeed(0)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(crop, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    found = np.zeros(seeds.shape, bool)
    found[y0:y1, x0:x1] = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    return found


def _keep_touching(people: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """Smooth ``people`` and keep only the parts connected to a sure-person seed."""
    closed = cv2.morphologyEx(people.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels = cv2.connectedComponents(closed, connectivity=8)
    if count <= 1:
        return sure.copy()
    keep = np.zeros(count, bool)
    keep[np.unique(labels[sure])] = True
    keep[0] = False
    return keep[labels] | sure


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x), round(y)


def _ellipse(target: np.ndarray, x0: float, y0: float, x1: float, y1: float, value=1, thickness: int = -1) -> None:
    centre = (round((x0 + x1) / 2 * 16), round((y0 + y1) / 2 * 16))
    axes = (max(1, round((x1 - x0) / 2 * 16)), max(1, round((y1 - y0) / 2 * 16)))
    cv2.ellipse(target, centre, axes, 0, 0, 360, value, thickness=thickness, lineType=cv2.LINE_8, shift=4)


# -- avatar ----------------------------------------------------------------------------------------


def avatar(masked: np.ndarray, regions: list[Region], covered: np.ndarray, spec: MaskSpec) -> np.ndarray:
    """Each face mask filled with an opaque drawn head; other regions filled flat."""
    out = masked.copy()
    out[covered] = REGION_FILL
    h, w = out.shape[:2]
    for r in (r for r in regions if r.kind in HEAD_KINDS):
        gx0, gy0, gx1, gy1 = grown_box(r, spec)
        ix0, iy0 = max(0, int(np.floor(gx0))), max(0, int(np.floor(gy0)))
        ix1, iy1 = min(w, int(np.ceil(gx1))), min(h, int(np.ceil(gy1)))
        if ix1 <= ix0 or iy1 <= iy0:
            continue
        local = replace(r, x0=r.x0 - ix0, y0=r.y0 - iy0, x1=r.x1 - ix0, y1=r.y1 - iy0)
        inside = coverage_mask((iy1 - iy0, ix1 - ix0), [local], spec)
        head = _drawn_head((iy1 - iy0, ix1 - ix0), (gx0 - ix0, gy0 - iy0, gx1 - ix0, gy1 - iy0), spec.shape)
        out[iy0:iy1, ix0:ix1][inside] = head[inside]
    return out


def _drawn_head(shape: tuple[int, int], box: tuple[float, float, float, float], outline_shape: str) -> np.ndarray:
    """A calm drawn face filling ``box`` (grown-box coordinates in a canvas of ``shape``).

    A smile and rosy cheeks, no eyes: with eyes, face detectors (CenterFace, dlib HOG) take the
    drawing for a face, which benchmarks/reidentify.py counts as a face found in the mask.
    """
    canvas = np.empty((*shape, 3), np.uint8)
    canvas[:] = AVATAR_FILL
    x0, y0, x1, y1 = box
    ax, ay = (x1 - x0) / 2, (y1 - y0) / 2
    if min(ax, ay) < 6:  # too small for features to read: a plain disc
        return canvas
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    line = max(1, round(0.07 * ax))
    if outline_shape == "ellipse":
        _ellipse(canvas, x0, y0, x1, y1, AVATAR_INK, thickness=2 * line)
    else:
        cv2.rectangle(canvas, _pt(x0, y0), _pt(x1, y1), AVATAR_INK, 2 * line)
    cheek = max(1, round(0.12 * ax))
    for side in (-1, 1):
        cv2.circle(canvas, _pt(cx + side * 0.5 * ax, cy + 0.15 * ay), cheek, AVATAR_CHEEK, -1, cv2.LINE_AA)
    mouth_axes = (max(1, round(0.38 * ax)), max(1, round(0.14 * ay)))
    cv2.ellipse(canvas, _pt(cx, cy + 0.26 * ay), mouth_axes, 0, 25, 155, AVATAR_INK, line, cv2.LINE_AA)
    return canvas


_DRAW: dict[str, Callable[[np.ndarray, list[Region], np.ndarray, MaskSpec], np.ndarray]] = {
    "illustration": illustration,
    "silhouette": silhouette,
    "avatar": avatar,
}

__all__ = ["HEAD_KINDS", "WORK_SIDE", "avatar", "illustration", "people_mask", "quantised", "silhouette", "stylise"]
