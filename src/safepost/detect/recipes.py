"""Detection recipes: which detector passes each mode runs, and how their boxes are fused.

Kept free of heavy imports so the CLI can list the modes without loading OpenCV.
Tuned on the dev faces set with benchmarks/tune_faces.py; figures in docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass

#: No pass feeds a detector more than this many pixels on the long side; bigger images are
#: scaled down for that pass (a face of 10 px at this size is at the detectors' limit anyway).
MAX_INPUT_LONG_SIDE = 4096
#: a face scoring under this is marked unsure (``Region.extra["unsure"]``): shown for review, still masked
UNSURE_BELOW = 0.5


@dataclass(frozen=True)
class Pass:
    """One detector run: which model, at what scale, mirrored or not, and its score floor."""

    detector: str
    threshold: float
    scale: float = 1.0
    flip: bool = False
    #: skip the pass when the scaled image would be longer than this (upscaling big photos
    #: costs much and gains nothing: their faces are already large in pixels)
    max_long_side: int = MAX_INPUT_LONG_SIDE
    #: keep only boxes whose size, sqrt(w*h) in the input image's pixels, is in
    #: [min_size, max_size): each scale answers for the face sizes it sees best (an upscaled
    #: pass for small faces, a downscaled one for large faces)
    min_size: float = 0.0
    max_size: float = float("inf")

    @property
    def name(self) -> str:
        flip = "-flip" if self.flip else ""
        return f"{self.detector}@{self.scale:g}x{flip}"


@dataclass(frozen=True)
class Mode:
    """A detection recipe: passes, and how their boxes are fused."""

    name: str
    passes: tuple[Pass, ...]
    #: boxes from different passes overlapping at least this much are one face
    merge_iou: float = 0.4
    #: faces this large (sqrt(w*h), pixels) must score at least ``large_face_threshold``:
    #: real large faces score high, and a false large box would mask a big area for nothing
    large_face_size: float = 96.0
    large_face_threshold: float = 0.0
    #: a face scoring under this must be found by at least two passes (e.g. the image and its
    #: mirror): false alarms in texture rarely survive mirroring, real faces do
    agree_below: float = 0.0
    #: a face scoring under ``verify_below`` is kept only if the ``verify`` pass, a different
    #: detector, also finds a face there (IoU >= ``verify_iou``): crowd texture that fools one
    #: network rarely fools another. The verify pass only runs when such weak boxes exist.
    verify: Pass | None = None
    verify_below: float = 0.0
    verify_iou: float = 0.3


# thorough: CenterFace on the image and its mirror at a low threshold (recall), plus a half-size
# pass that sees faces too large or too blurred for the full-size one.
THOROUGH = Mode(
    name="thorough",
    passes=(
        Pass("centerface", 0.07),
        Pass("centerface", 0.07, flip=True),
        Pass("centerface", 0.1, scale=0.5),
    ),
    large_face_threshold=0.2,
)
# fast: one RetinaFace-MobileNet pass at 3/4 size, about 2.5x cheaper than CenterFace.
FAST = Mode(name="fast", passes=(Pass("retinaface", 0.07, scale=0.75),), large_face_threshold=0.3)
MODES = {m.name: m for m in (THOROUGH, FAST)} | {"realtime": FAST}  # realtime is a video mode; photos use fast
