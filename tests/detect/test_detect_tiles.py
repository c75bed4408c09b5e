"""Bounded memory in detection (issue 18 item 3): big detector inputs run tile by tile, faces kept."""

from __future__ import annotations

import numpy as np
from PIL import Image

from safepost.detect import faces as faces_mod
from safepost.detect.faces import TILE_OVERLAP, TILE_SIDE, FaceDetector, _tile_starts
from tests.conftest import ASTRONAUT_FACE, SAMPLES


def test_tiles_cover_every_pixel_with_overlap():
    for length in (TILE_SIDE, TILE_SIDE + 1, 3000, 4096, 7777):
        starts = _tile_starts(length)
        assert starts[0] == 0 and starts[-1] + TILE_SIDE == max(length, TILE_SIDE)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert all(gap <= TILE_SIDE - TILE_OVERLAP for gap in gaps)  # a face up to the overlap is whole somewhere


def scene(size=(2200, 1700), width=80):
    """A 3.7 MP scene with the astronaut's face pasted across tile seams and inside tiles; its boxes."""
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 295, 210))
    rng = np.random.default_rng(3)
    small = rng.integers(90, 160, (size[1] // 50, size[0] // 50, 3), dtype=np.uint8)
    canvas = Image.fromarray(small).resize(size, Image.Resampling.BILINEAR)
    seams_x = [s for s in _tile_starts(size[0])[1:]]
    seams_y = [s for s in _tile_starts(size[1])[1:]]
    spots = [(seams_x[0] - width // 2, 400), (1200, seams_y[0] - width // 2), (seams_x[-1] - 10, seams_y[-1] - 20)]
    spots.append((300, 300))
    boxes = []
    height = round(width * face.height / face.width)
    for x, y in spots:
        canvas.paste(face.resize((width, height)), (x, y))
        fx0, fy0, fx1, fy1 = (np.array(ASTRONAUT_FACE) - [150, 30, 150, 30]) * width / face.width
        boxes.append((x + fx0, y + fy0, x + fx1, y + fy1))
    return np.asarray(canvas), boxes


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_big_input_runs_in_tiles_and_finds_faces_on_the_seams(monkeypatch):
    pixels, truth = scene()
    seen = []
    real = dict(faces_mod._DETECTORS)
    for name, fn in real.items():
        monkeypatch.setitem(faces_mod._DETECTORS, name, lambda img, t, fn=fn: seen.append(img.shape) or fn(img, t))
    for mode in ("thorough", "fast"):
        seen.clear()
        regions = FaceDetector(mode).detect(pixels)
        assert seen and max(h * w for h, w, _ in seen) <= TILE_SIDE * TILE_SIDE  # never the whole picture at once
        for box in truth:  # every face found, the ones cut by a seam too
            assert any(_iou(box, (r.x0, r.y0, r.x1, r.y1)) > 0.3 for r in regions), (mode, box)


def _many_boxes(count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 4000, (count, 2)).astype(np.float32)
    side = rng.uniform(8, 30, (count, 1)).astype(np.float32)
    return np.column_stack([xy, xy + side, rng.uniform(0.3, 0.99, (count, 1))]).astype(np.float32)


def test_fusion_memory_grows_with_the_boxes_not_their_square():
    import tracemalloc

    from safepost.detect.recipes import THOROUGH

    per_pass = [_many_boxes(2500, seed) for seed in range(2)]  # 5,000 boxes: a 5,000^2 matrix is 200 MB
    tracemalloc.start()
    try:
        faces = faces_mod.fuse(per_pass, THOROUGH)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(faces) > 1000
    assert peak < 50 * 2**20, f"fusion of 5,000 boxes took {peak / 2**20:.0f} MB"


def test_too_many_candidates_is_exit_5(monkeypatch):
    from safepost.core import TooLargeError
    from safepost.detect.recipes import THOROUGH

    monkeypatch.setattr(faces_mod, "MAX_CANDIDATES", 1000)
    try:
        faces_mod.fuse([_many_boxes(600), _many_boxes(600, 2)], THOROUGH)
    except TooLargeError as exc:
        assert exc.exit_code == 5 and "1,200 face candidates" in str(exc)
    else:
        raise AssertionError("1,200 candidates over a limit of 1,000 were fused")
