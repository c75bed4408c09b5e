import numpy as np
import pytest

from safepost.anonymize.masks import (
    REVERSIBLE_STYLES,
    SAFE_STYLES,
    MaskSpec,
    apply_masks,
    coverage_mask,
    grown_box,
)
from safepost.core import Region, SafepostError

FACE = Region(id="f1", kind="face", x0=40, y0=40, x1=80, y1=90)


def _images():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (160, 160, 3), dtype=np.uint8), rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)


@pytest.mark.parametrize("style", SAFE_STYLES)
def test_safe_masks_do_not_depend_on_the_original_pixels(style):
    a, b = _images()
    spec = MaskSpec(style=style)
    out_a = apply_masks(a, [FACE], spec, rng=np.random.default_rng(5))
    out_b = apply_masks(b, [FACE], spec, rng=np.random.default_rng(5))
    inside = coverage_mask(a.shape[:2], [FACE], spec)
    assert np.array_equal(out_a[inside], out_b[inside])  # nothing of the face leaks into the mask
    assert np.array_equal(out_a[~inside], a[~inside])  # and nothing else is touched


@pytest.mark.parametrize("style", SAFE_STYLES + REVERSIBLE_STYLES)
def test_every_style_changes_the_face(style):
    a, _ = _images()
    out = apply_masks(a, [FACE], MaskSpec(style=style))
    diff = np.abs(out[40:90, 40:80].astype(int) - a[40:90, 40:80].astype(int)).max(axis=2)
    assert (diff > 24).mean() > 0.6
    assert MaskSpec(style=style).reversible == (style in REVERSIBLE_STYLES)


def test_margin_covers_hair_and_chin_and_ellipse_or_box():
    x0, y0, x1, y1 = grown_box(FACE, MaskSpec())
    assert x0 < FACE.x0 and y0 < FACE.y0 - 0.3 * FACE.height and y1 > FACE.y1 and x1 > FACE.x1
    box = coverage_mask((160, 160), [FACE], MaskSpec(shape="box"))
    ellipse = coverage_mask((160, 160), [FACE], MaskSpec(shape="ellipse"))
    assert box[40:90, 40:80].all()
    assert ellipse[40:90, 40:80].mean() > 0.95
    assert ellipse.sum() < box.sum()


def test_manual_regions_are_masked_exactly():
    region = Region(id="m1", kind="manual", x0=10, y0=20, x1=30, y1=25)
    mask = coverage_mask((100, 100), [region], MaskSpec())
    assert mask.sum() == 20 * 5 and mask[20:25, 10:30].all()


def test_input_array_is_not_modified_and_regions_may_exceed_the_image():
    a, _ = _images()
    before = a.copy()
    out = apply_masks(a, [Region(id="f", kind="face", x0=-50, y0=-50, x1=500, y1=500)], MaskSpec())
    assert np.array_equal(a, before)
    assert (out == 0).all()


@pytest.mark.parametrize("kwargs", [{"style": "gaussian"}, {"shape": "star"}, {"margin": -0.1}])
def test_bad_mask_options_are_refused(kwargs):
    with pytest.raises(SafepostError):
        MaskSpec(**kwargs)
