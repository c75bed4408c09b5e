"""Camera motion between consecutive video frames, and scene cuts.

Between two detections, a face box is carried along with the picture: the motion of the
whole frame (pan, zoom, small rotation) is estimated from a few hundred corners tracked with
pyramidal Lucas-Kanade optical flow on a small grey copy, as a similarity transform. When the
corners cannot be followed and the picture's histogram changes sharply, the frame starts a
new scene: nothing is carried across a cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: width of the grey copy the motion is measured on
WORK_WIDTH = 320
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@dataclass
class Step:
    """Motion from the previous frame to this one, in full-frame pixels (2x3 matrix)."""

    matrix: np.ndarray
    cut: bool = False


def compose(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The 2x3 transform applying ``first`` then ``second``."""
    a = np.vstack([first, [0, 0, 1]])
    b = np.vstack([second, [0, 0, 1]])
    return (b @ a)[:2]


def invert(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix)


def warp_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Boxes (x0, y0, x1, y1, ...) moved by a similarity transform; extra columns are kept."""
    if len(boxes) == 0:
        return boxes
    out = boxes.copy()
    corners = np.stack([boxes[:, [0, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]], boxes[:, [2, 1]]], axis=1)
    moved = corners @ matrix[:, :2].T + matrix[:, 2]
    out[:, 0], out[:, 1] = moved[..., 0].min(1), moved[..., 1].min(1)
    out[:, 2], out[:, 3] = moved[..., 0].max(1), moved[..., 1].max(1)
    return out


def warp_box(box: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """One box moved by a transform (plain float maths: this runs for every track on every frame)."""
    (a, b, c), (d, e, f) = matrix.tolist()
    x0, y0, x1, y1 = float(box[0]), float(box[1]), float(box[2]), float(box[3])
    xs = (a * x0 + b * y0 + c, a * x1 + b * y1 + c, a * x0 + b * y1 + c, a * x1 + b * y0 + c)
    ys = (d * x0 + e * y0 + f, d * x1 + e * y1 + f, d * x0 + e * y1 + f, d * x1 + e * y0 + f)
    out = np.array(box, dtype=np.float64, copy=True)
    out[:4] = (min(xs), min(ys), max(xs), max(ys))
    return out


class MotionEstimator:
    """Feed frames in order; get the camera motion since the previous frame."""

    def __init__(self, cut_threshold: float = 0.5):
        self.cut_threshold = cut_threshold
        self._prev: np.ndarray | None = None
        self._prev_hist: np.ndarray | None = None
        self._scale = 1.0

    def _grey(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        self._scale = w / WORK_WIDTH if w > WORK_WIDTH else 1.0
        size = (round(w / self._scale), round(h / self._scale))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if self._scale != 1.0 else rgb
        return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)

    def step(self, rgb: np.ndarray) -> Step:
        """Motion from the previous frame to ``rgb`` (identity and ``cut`` for the first frame)."""
        grey = self._grey(rgb)
        hist = cv2.calcHist([grey], [0], None, [32], [0, 256]).ravel()
        hist /= max(float(hist.sum()), 1.0)
        prev, prev_hist = self._prev, self._prev_hist
        self._prev, self._prev_hist = grey, hist
        if prev is None or prev.shape != grey.shape:
            return Step(IDENTITY.copy(), cut=True)
        matrix = self._similarity(prev, grey)
        changed = 0.5 * float(np.abs(hist - prev_hist).sum())  # total variation distance, 0..1
        if matrix is None:
            return Step(IDENTITY.copy(), cut=changed > self.cut_threshold / 2)
        if changed > self.cut_threshold:
            return Step(IDENTITY.copy(), cut=True)
        return Step(matrix)

    def _similarity(self, prev: np.ndarray, grey: np.ndarray) -> np.ndarray | None:
        points = cv2.goodFeaturesToTrack(prev, maxCorners=200, qualityLevel=0.01, minDistance=6)
        if points is None or len(points) < 12:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(prev, grey, points, None, winSize=(15, 15), maxLevel=3)
        good = status.ravel() == 1
        if good.sum() < 12:
            return None
        matrix, inliers = cv2.estimateAffinePartial2D(
            points[good], moved[good], method=cv2.RANSAC, ransacReprojThreshold=2.0
        )
        if matrix is None or inliers is None or inliers.sum() < 10:
            return None
        matrix = matrix.copy()
        matrix[:, 2] *= self._scale  # translation back to full-frame pixels
        return matrix


def camera_speed(steps: list[Step]) -> np.ndarray:
    """Per frame, how far the picture moves (|dx|, |dy| pixels) into or out of it, whichever is more.

    A fast pan smears faces along its direction and makes carried boxes less certain, so masks
    are stretched along it (``TrackSettings.blur_growth``). Scene cuts count as no motion.
    """
    moves = np.array([[0.0, 0.0] if s.cut else np.abs(s.matrix[:, 2]) for s in steps]).reshape(-1, 2)
    if len(moves) == 0:
        return moves
    following = np.vstack([moves[1:], [0.0, 0.0]])
    return np.maximum(moves, following)
