"""Shared fixtures: public-domain sample photos with hand-measured face boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "src" / "safepost" / "samples"
#: Eileen Collins's face in samples/astronaut.jpg (512x512), measured by hand: brows to chin,
#: ear to ear, as x0, y0, x1, y1.
ASTRONAUT_FACE = (180, 65, 265, 175)


def rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(np.int16)


def changed_fraction(before: np.ndarray, after: np.ndarray, box) -> float:
    """Share of the pixels in box that differ by more than 24 in some channel."""
    x0, y0, x1, y1 = box
    diff = np.abs(before[y0:y1, x0:x1].astype(np.int16) - after[y0:y1, x0:x1].astype(np.int16))
    return float((diff > 24).any(axis=2).mean())


@pytest.fixture
def astronaut(tmp_path) -> Path:
    """A private copy of the astronaut sample (JPEG with demo EXIF incl. GPS)."""
    target = tmp_path / "astronaut.jpg"
    target.write_bytes((SAMPLES / "astronaut.jpg").read_bytes())
    return target


@pytest.fixture(scope="session")
def crowd() -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A generated 900x600 scene holding the astronaut's face at three sizes, with their boxes."""
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 295, 210))
    rng = np.random.default_rng(7)
    canvas = Image.fromarray(rng.integers(90, 160, (600, 900, 3), dtype=np.uint8))
    boxes = []
    for (x, y), width in zip([(40, 60), (360, 200), (700, 420)], [240, 110, 50], strict=True):
        height = round(width * face.height / face.width)
        canvas.paste(face.resize((width, height)), (x, y))
        fx0, fy0, fx1, fy1 = (np.array(ASTRONAUT_FACE) - [150, 30, 150, 30]) * width / face.width
        boxes.append((x + int(fx0), y + int(fy0), x + int(fx1), y + int(fy1)))
    return np.asarray(canvas), boxes
