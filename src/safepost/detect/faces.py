"""Face detection: three shipped detectors, run as an ensemble of passes.

Each *pass* runs one detector on the image at one scale, optionally mirrored, and returns
boxes (x0, y0, x1, y1, score) in the image's own pixel coordinates. A mode is a list of
passes plus the rule that fuses their boxes; ``thorough`` favours recall (photos),
``fast`` favours speed. Figures for each mode are in docs/benchmarks.md.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from safepost.core import DetectionError, Region, TooLargeError
from safepost.detect import models
from safepost.detect.recipes import FAST, MAX_INPUT_LONG_SIDE, MODES, THOROUGH, UNSURE_BELOW, Mode, Pass


def _pad_to_multiple(image: np.ndarray, multiple: int = 32) -> np.ndarray:
    h, w = image.shape[:2]
    ph, pw = -h % multiple, -w % multiple
    if ph or pw:
        image = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=0)
    return image


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression of (x0, y0, x1, y1, score) rows."""
    if len(boxes) == 0:
        return np.empty(0, dtype=int)
    xywh = np.column_stack([boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]])
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), boxes[:, 4].tolist(), 0.0, iou)
    return np.asarray(keep, dtype=int).reshape(-1)


def _centerface(rgb: np.ndarray, threshold: float) -> np.ndarray:
    session = models.centerface_session()
    h, w = rgb.shape[:2]
    blob = _pad_to_multiple(rgb).astype(np.float32).transpose(2, 0, 1)[None]
    heatmap, scale, offset, _ = session.run(None, {"input.1": blob})
    heat = heatmap[0, 0]
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return np.empty((0, 5), np.float32)
    bh = np.exp(scale[0, 0, ys, xs]) * 4
    bw = np.exp(scale[0, 1, ys, xs]) * 4
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * 4
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * 4
    x0 = np.clip(cx - bw / 2, 0, w)
    y0 = np.clip(cy - bh / 2, 0, h)
    boxes = np.column_stack([x0, y0, np.minimum(x0 + bw, w), np.minimum(y0 + bh, h), heat[ys, xs]])
    return boxes[nms(boxes, 0.3)].astype(np.float32)


_RETINA_STEPS = (8, 16, 32)
_RETINA_SIZES = ((16, 32), (64, 128), (256, 512))
_retina_anchor_cache: dict[tuple[int, int], np.ndarray] = {}


def _retina_anchors(h: int, w: int) -> np.ndarray:
    """Prior boxes (cx, cy, w, h) in pixels, in the network's output order."""
    key = (h, w)
    if key not in _retina_anchor_cache:
        parts = []
        for step, sizes in zip(_RETINA_STEPS, _RETINA_SIZES, strict=True):
            ny, nx = -(-h // step), -(-w // step)
            yy, xx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
            centres = np.column_stack([(xx.ravel() + 0.5) * step, (yy.ravel() + 0.5) * step])
            for_cell = [np.column_stack([centres, np.full((len(centres), 2), s)]) for s in sizes]
            parts.append(np.stack(for_cell, axis=1).reshape(-1, 4))
        _retina_anchor_cache[key] = np.concatenate(parts).astype(np.float32)
    return _retina_anchor_cache[key]


def _retinaface(rgb: np.ndarray, threshold: float) -> np.ndarray:
    session = models.retinaface_session()
    h, w = rgb.shape[:2]
    padded = _pad_to_multiple(rgb)
    ph, pw = padded.shape[:2]
    bgr = padded[:, :, ::-1].astype(np.float32) - np.array([104, 117, 123], np.float32)
    loc, conf, _ = session.run(None, {"input": bgr.transpose(2, 0, 1)[None]})
    scores = conf[0, :, 1]
    idx = np.nonzero(scores > threshold)[0]
    if len(idx) == 0:
        return np.empty((0, 5), np.float32)
    priors = _retina_anchors(ph, pw)[idx]
    d = loc[0, idx]
    cxy = priors[:, :2] + d[:, :2] * 0.1 * priors[:, 2:]
    wh = priors[:, 2:] * np.exp(d[:, 2:] * 0.2)
    x0y0 = np.clip(cxy - wh / 2, 0, [w, h])
    x1y1 = np.clip(cxy + wh / 2, 0, [w, h])
    boxes = np.column_stack([x0y0, x1y1, scores[idx]])
    return boxes[nms(boxes, 0.4)].astype(np.float32)


def _yunet(rgb: np.ndarray, threshold: float) -> np.ndarray:
    detect = models.yunet_detect_function()
    result = np.asarray(detect(np.ascontiguousarray(rgb[:, :, ::-1])))
    if result.size == 0:
        return np.empty((0, 5), np.float32)
    result = result.reshape(len(result), -1).astype(np.float32)
    scores = result[:, 0] / 100.0
    keep = scores > threshold
    x, y, bw, bh = (result[keep, i] for i in range(1, 5))
    return np.column_stack([x, y, x + bw, y + bh, scores[keep]]).astype(np.float32)


_DETECTORS = {"centerface": _centerface, "retinaface": _retinaface, "yunet": _yunet}
_NMS_IOU = {"centerface": 0.3, "retinaface": 0.4}

#: A detector input with more pixels than TILE_SIDE**2 is run tile by tile (TILE_SIDE square, each
#: overlapping the next by TILE_OVERLAP), so its activations never need more than about 0.5 GiB:
#: a whole 4096 x 4096 input took 6 GiB, a 4000 x 3000 one 2.5 GiB. The tiles keep the pass's
#: scale, so small faces stay as large as before (never shrunk to save memory); a face up to
#: TILE_OVERLAP pixels is whole in at least one tile, a larger one cut by a tile edge is found
#: in parts that together cover it (and whole by the half-size pass of ``thorough``).
TILE_SIDE = 1536
#: boxes from all passes of one picture before fusion (a real crowd photo gives a few hundred)
MAX_CANDIDATES = 50_000
TILE_OVERLAP = 384


def _tile_starts(length: int) -> list[int]:
    if length <= TILE_SIDE:
        return [0]
    stride = TILE_SIDE - TILE_OVERLAP
    count = -(-(length - TILE_SIDE) // stride) + 1
    last = length - TILE_SIDE
    return sorted({min(round(i * last / (count - 1)), last) for i in range(count)})


def detect_tiled(image: np.ndarray, detector: str, threshold: float) -> np.ndarray:
    """One detector over ``image``, tile by tile when it is large; boxes in ``image`` coordinates."""
    h, w = image.shape[:2]
    run = _DETECTORS[detector]
    if h * w <= TILE_SIDE * TILE_SIDE or detector not in _NMS_IOU:
        return run(image, threshold)
    parts = []
    for y in _tile_starts(h):
        for x in _tile_starts(w):
            boxes = run(np.ascontiguousarray(image[y : y + TILE_SIDE, x : x + TILE_SIDE]), threshold)
            if len(boxes):
                boxes = boxes.copy()
                boxes[:, [0, 2]] += x
                boxes[:, [1, 3]] += y
                parts.append(boxes)
    if not parts:
        return np.empty((0, 5), np.float32)
    boxes = np.concatenate(parts)
    return boxes[nms(boxes, _NMS_IOU[detector])].astype(np.float32)


def run_pass(rgb: np.ndarray, spec: Pass, threshold: float | None = None) -> np.ndarray:
    """Boxes of one pass in the coordinates of ``rgb`` (rows of x0, y0, x1, y1, score)."""
    h, w = rgb.shape[:2]
    scale = min(spec.scale, MAX_INPUT_LONG_SIDE / max(h, w))
    allowed = spec.max_long_side / max(h, w)
    if spec.scale > allowed and spec.scale > 1:
        if spec.max_size == float("inf"):
            return np.empty((0, 5), np.float32)
        # the pass that answers for small faces: as large as allowed, never skipped
        scale = min(scale, max(allowed, 1.0))
    image = rgb
    if abs(scale - 1.0) > 1e-6:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        image = cv2.resize(rgb, size, interpolation=interp)
    if spec.flip:
        image = image[:, ::-1]
    image = np.ascontiguousarray(image)
    try:
        boxes = detect_tiled(image, spec.detector, spec.threshold if threshold is None else threshold)
    except DetectionError:
        raise
    except Exception as exc:  # a model failure must never let an image through unmasked
        raise DetectionError(f"face detector {spec.name} failed: {exc}") from exc
    boxes = boxes.copy()
    if spec.flip:
        iw = image.shape[1]
        boxes[:, [0, 2]] = iw - boxes[:, [2, 0]]
    boxes[:, :4] /= np.array([image.shape[1] / w, image.shape[0] / h] * 2, np.float32)
    return within_sizes(boxes, spec)


def within_sizes(boxes: np.ndarray, spec: Pass) -> np.ndarray:
    """The rows of ``boxes`` whose size, sqrt(w*h), is inside the pass's size window."""
    if spec.min_size <= 0 and spec.max_size == float("inf"):
        return boxes
    size = np.sqrt(np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    return boxes[(size >= spec.min_size) & (size < spec.max_size)]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two arrays of (x0, y0, x1, y1, ...) rows."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def fuse(per_pass: list[np.ndarray], mode: Mode) -> list[tuple[np.ndarray, int, list[int]]]:
    """Cluster boxes from all passes; return (box, support, pass indices) per kept face.

    More than ``MAX_CANDIDATES`` boxes in all is refused (:class:`TooLargeError`, exit 5).

    A cluster's box is the score-weighted mean of its members, its score the highest member
    score. Large faces must reach ``mode.large_face_threshold``.
    """
    rows = [np.column_stack([b, np.full(len(b), i)]) for i, b in enumerate(per_pass) if len(b)]
    if not rows:
        return []
    allb = np.concatenate(rows)
    if len(allb) > MAX_CANDIDATES:
        raise TooLargeError(
            f"the picture holds {len(allb):,} face candidates; the limit is {MAX_CANDIDATES:,}: "
            "too many to check reliably (crop it into parts)"
        )
    allb = allb[np.argsort(-allb[:, 4])]
    taken = np.zeros(len(allb), bool)
    faces = []
    for i in range(len(allb)):
        if taken[i]:
            continue
        # one row of the IoU matrix at a time: memory grows with the boxes, not their square
        # (a tile of 10,000 faces made a 30,000 x 30,000 matrix, over 7 GB)
        # (every box before i is taken already: only the later ones can join)
        ious = iou_matrix(allb[i : i + 1], allb[i + 1 :])[0]
        later = np.nonzero((ious >= mode.merge_iou) & ~taken[i + 1 :])[0] + i + 1
        members = np.union1d(later, [i])
        taken[members] = True
        group = allb[members]
        passes = sorted({int(p) for p in group[:, 5]})
        score = float(group[:, 4].max())
        weights = group[:, 4:5]
        box = (group[:, :4] * weights).sum(0) / weights.sum()
        size = np.sqrt(max(box[2] - box[0], 0) * max(box[3] - box[1], 0))
        if size >= mode.large_face_size and score < mode.large_face_threshold:
            continue
        if len(passes) < 2 and score < mode.agree_below:
            continue
        faces.append((np.append(box, score), len(passes), passes))
    return faces


def verified(faces: list[tuple[np.ndarray, int, list[int]]], checks: np.ndarray, mode: Mode) -> list:
    """The fused ``faces`` that score at least ``mode.verify_below`` or overlap a ``checks`` box.

    ``checks`` are the verify pass's boxes (x0, y0, x1, y1, score) already at its threshold.
    """
    if not faces:
        return faces
    boxes = np.stack([box for box, _, _ in faces])
    found = np.zeros(len(faces), bool)
    if len(checks):
        found = (iou_matrix(boxes, checks) >= mode.verify_iou).any(axis=1)
    return [face for face, ok in zip(faces, found, strict=True) if ok or face[0][4] >= mode.verify_below]


class FaceDetector:
    """Finds faces in RGB images with one of the MODES."""

    def __init__(self, mode: str | Mode = "thorough"):
        if isinstance(mode, str):
            if mode not in MODES:
                raise DetectionError(f"unknown detection mode '{mode}'; choose one of {', '.join(MODES)}")
            mode = MODES[mode]
        self.mode = mode

    def detect(self, rgb: np.ndarray, frame: int = 0, first_id: int = 1) -> list[Region]:
        """Faces in one upright RGB frame, as Regions numbered from ``first_id``."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise DetectionError("face detection needs an 8-bit RGB image")
        per_pass = [run_pass(rgb, p) for p in self.mode.passes]
        faces = fuse(per_pass, self.mode)
        if self.mode.verify is not None and any(box[4] < self.mode.verify_below for box, _, _ in faces):
            faces = verified(faces, run_pass(rgb, self.mode.verify), self.mode)
        regions = []
        for n, (box, support, passes) in enumerate(faces, start=first_id):
            x0, y0, x1, y1, score = (float(v) for v in box)
            regions.append(
                Region(
                    id=f"f{n}",
                    kind="face",
                    x0=x0,
                    y0=y0,
                    x1=x1,
                    y1=y1,
                    score=score,
                    source="+".join(self.mode.passes[p].name for p in passes),
                    frame=frame,
                    extra={"support": support, "unsure": score < UNSURE_BELOW},
                )
            )
        return regions


__all__ = [
    "FAST",
    "MODES",
    "THOROUGH",
    "FaceDetector",
    "Mode",
    "Pass",
    "fuse",
    "iou_matrix",
    "nms",
    "run_pass",
    "verified",
    "within_sizes",
]


_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()


def face_detector(mode: str | Mode = "thorough") -> FaceDetector:
    """The one shared :class:`FaceDetector` of ``mode`` in this process (the models load once).

    Every stage that needs faces takes its detector from here, so a batch, a web session and a
    post check reuse one detector per mode. Detection itself holds no state between images.
    """
    with _SHARED_LOCK:
        detector = _SHARED.get(mode)
        if detector is None:
            detector = _SHARED[mode] = FaceDetector(mode)
        return detector
