"""Stylised anonymisation (illustration, silhouette, avatar): faces masked first, nothing of them kept."""

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.anonymize import stylise
from safepost.anonymize.masks import apply_masks, coverage_mask
from safepost.anonymize.spec import PHOTO_ONLY_STYLES, STYLISED_STYLES, MaskSpec
from safepost.cli import main
from safepost.core import Region, SafepostError, UnsupportedFormatError
from safepost.flows.media import redact_file
from tests.conftest import ASTRONAUT_FACE, SAMPLES, changed_fraction, rgb

FACE = Region(id="f1", kind="face", x0=130, y0=60, x1=190, y1=135)
BOX = (130, 60, 190, 135)


def _scene(seed: int) -> np.ndarray:
    """A 320x400 scene (gradient wall, a person's body) with a random 'face' that depends on ``seed``."""
    h, w = 320, 400
    wall = np.linspace(60, 220, w, dtype=np.float32)[None, :, None] * np.array([1.0, 0.9, 0.7], np.float32)
    image = np.broadcast_to(wall, (h, w, 3)).astype(np.uint8).copy()
    cv2.rectangle(image, (110, 140), (210, 320), (40, 70, 150), -1)  # a blue coat below the face
    cv2.rectangle(image, (20, 250), (80, 300), (200, 30, 30), -1)  # a red sign, far from the person
    x0, y0, x1, y1 = BOX
    image[y0:y1, x0:x1] = np.random.default_rng(seed).integers(0, 256, (y1 - y0, x1 - x0, 3), dtype=np.uint8)
    return image


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("style", STYLISED_STYLES)
def test_masked_pixels_change_and_do_not_depend_on_the_face(style):
    a, b = _scene(1), _scene(2)
    spec = MaskSpec(style=style)
    out_a, out_b = apply_masks(a, [FACE], spec), apply_masks(b, [FACE], spec)
    inside = coverage_mask(a.shape[:2], [FACE], spec)
    assert inside[60:135, 130:190].mean() > 0.95  # the default mask geometry covers the face
    assert np.array_equal(out_a[inside], out_b[inside])  # two different faces, identical masked pixels
    assert np.array_equal(out_a, out_b)  # the whole picture is drawn from the masked image only
    assert changed_fraction(a, out_a, BOX) > 0.9
    assert not spec.reversible and spec.stylised


@pytest.mark.parametrize("style", STYLISED_STYLES)
def test_styles_are_deterministic_and_leave_the_input_alone(style):
    a = _scene(3)
    before = a.copy()
    first = apply_masks(a, [FACE], MaskSpec(style=style))
    assert np.array_equal(a, before)
    assert np.array_equal(first, apply_masks(a, [FACE], MaskSpec(style=style)))


def test_illustration_redraws_the_picture_and_fills_masks_flat():
    a = _scene(4)
    spec = MaskSpec(style="illustration")
    out = apply_masks(a, [FACE], spec)
    inside = coverage_mask(a.shape[:2], [FACE], spec)
    assert (out[inside] == stylise.PAPER).all()  # one flat fill, its ink outline drawn outside
    assert changed_fraction(a, out, (0, 0, 400, 50)) > 0.05  # the wall is redrawn too
    assert len(np.unique(out.reshape(-1, 3), axis=0)) < len(np.unique(a.reshape(-1, 3), axis=0)) / 10
    # no faces found: the picture is still drawn
    assert not np.array_equal(apply_masks(a, [], spec), a)


def test_silhouette_covers_the_body_and_keeps_the_far_background():
    a = _scene(5)
    spec = MaskSpec(style="silhouette")
    out = apply_masks(a, [FACE], spec)
    inside = coverage_mask(a.shape[:2], [FACE], spec)
    assert (out[inside] == stylise.SHADOW).all()
    coat = out[180:300, 130:190].reshape(-1, 3)
    assert (coat == stylise.SHADOW).all(axis=1).mean() > 0.9  # the person's body became a flat shape
    assert np.array_equal(out[255:295, 25:75], a[255:295, 25:75])  # the sign far away is untouched
    assert np.array_equal(apply_masks(a, [], spec), a)


def test_silhouette_falls_back_to_the_body_prior_when_segmentation_fails(monkeypatch):
    def broken(*_args, **_kwargs):
        raise cv2.error("simulated GrabCut failure")

    monkeypatch.setattr(stylise, "_grabcut", broken)
    a = _scene(6)
    spec = MaskSpec(style="silhouette")
    out = apply_masks(a, [FACE], spec)
    assert (out[coverage_mask(a.shape[:2], [FACE], spec)] == stylise.SHADOW).all()
    assert (out[200:260, 150:170] == stylise.SHADOW).all()  # the prior torso below the face


def test_silhouette_with_a_face_filling_the_image_has_no_background_to_learn():
    a = _scene(7)[60:135, 130:190].copy()
    face = Region(id="f1", kind="face", x0=0, y0=0, x1=60, y1=75)
    out = apply_masks(a, [face], MaskSpec(style="silhouette"))
    assert (out == stylise.SHADOW).all(axis=2).mean() > 0.9


def test_avatar_draws_an_opaque_head_over_the_whole_mask_and_nothing_else():
    a = _scene(8)
    spec = MaskSpec(style="avatar")
    text = Region(id="t1", kind="text", x0=20, y0=250, x1=80, y1=300)
    out = apply_masks(a, [FACE, text], spec)
    face_area = coverage_mask(a.shape[:2], [FACE], spec)
    both = coverage_mask(a.shape[:2], [FACE, text], spec)
    assert np.array_equal(out[~both], a[~both])
    fill = (out[face_area] == stylise.AVATAR_FILL).all(axis=1).mean()
    assert 0.6 < fill < 0.98  # mostly the disc colour, with eyes, mouth and outline drawn on it
    assert (out[250:300, 20:80] == stylise.REGION_FILL).all()  # a text region is a plain block


@pytest.mark.parametrize("style", STYLISED_STYLES)
def test_odd_regions_tiny_or_beyond_the_image_box_shape(style):
    a = _scene(9)
    b = a.copy()
    b[:60, :50] = np.random.default_rng(0).integers(0, 256, (60, 50, 3), dtype=np.uint8)
    regions = [
        Region(id="f1", kind="face", x0=-40, y0=-30, x1=60, y1=70),
        Region(id="f2", kind="face", x0=300, y0=20, x1=304, y1=25, score=0.1),
        Region(id="f3", kind="face", x0=380, y0=300, x1=460, y1=380),
    ]
    for shape in ("ellipse", "box"):
        spec = MaskSpec(style=style, shape=shape)
        out = apply_masks(a, regions, spec)
        inside = coverage_mask(a.shape[:2], regions, spec)
        assert out.shape == a.shape and out.dtype == np.uint8
        assert inside[:60, :50].all() and inside[20:25, 300:304].all() and inside[300:, 380:].all()
        assert np.array_equal(out[inside], apply_masks(b, regions, spec)[inside])


def test_unknown_style_is_refused():
    with pytest.raises(SafepostError):
        MaskSpec(style="cartoon")


@pytest.mark.parametrize("style", STYLISED_STYLES)
def test_redact_file_writes_a_stylised_photo_without_metadata(astronaut, tmp_path, style):
    result = redact_file(astronaut, tmp_path / f"{style}.jpg", mode="fast", mask=MaskSpec(style=style))
    assert result.faces_found >= 1
    assert result.to_dict()["mask"] == {"style": style, "shape": "ellipse", "reversible": False}
    assert changed_fraction(rgb(astronaut), rgb(result.output), ASTRONAUT_FACE) > 0.9
    with Image.open(result.output) as out:
        assert len(out.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp"} & set(out.info)
    assert b"ExampleCam" not in result.output.read_bytes()


def test_cli_style_option(astronaut, tmp_path):
    out = tmp_path / "drawn.png"
    result = _run("redact", astronaut, "-o", out, "--style", "illustration", "--mode", "fast")
    assert result.exit_code == 0, result.output
    assert "reversed" not in result.output
    assert changed_fraction(rgb(astronaut), rgb(out), ASTRONAUT_FACE) > 0.9
    with Image.open(out) as im:
        assert len(im.getexif()) == 0 and not {"exif", "icc_profile", "xmp"} & set(im.info)


@pytest.mark.parametrize("style", ["blur", "pixelate"])
def test_cli_reversible_styles_still_warn(astronaut, tmp_path, style):
    result = _run("redact", astronaut, "-o", tmp_path / "r.png", "--style", style, "--mode", "fast")
    assert result.exit_code == 0 and "reversed" in result.output


def test_cli_bad_style_is_a_usage_error_and_writes_nothing(astronaut, tmp_path):
    result = _run("redact", astronaut, "-o", tmp_path / "x.png", "--style", "cartoon")
    assert result.exit_code == 2 and "cartoon" in result.output
    assert not (tmp_path / "x.png").exists()


def test_cli_corrupt_input_with_a_style_fails_closed(astronaut, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(astronaut.read_bytes()[:300])
    out = tmp_path / "o.jpg"
    result = _run("redact", broken, "-o", out, "--style", "silhouette", "--mode", "fast")
    assert result.exit_code == 3
    assert not out.exists()


@pytest.fixture
def tiny_clip(tmp_path):
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            frame = np.full((64, 64, 3), 40 * i, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("style", PHOTO_ONLY_STYLES)
def test_photo_only_styles_refuse_videos(tiny_clip, tmp_path, style):
    out = tmp_path / "v.mp4"
    with pytest.raises(UnsupportedFormatError, match="photos"):
        redact_file(tiny_clip, out, mask=MaskSpec(style=style))
    assert not out.exists()
    result = _run("redact", tiny_clip, "-o", out, "--style", style)
    assert result.exit_code == UnsupportedFormatError.exit_code and not out.exists()


def test_avatar_works_in_video(tmp_path):
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286)).resize((128, 128))
    background = np.random.default_rng(3).integers(60, 200, (240, 320, 3), dtype=np.uint8)
    src, out = tmp_path / "walk.mp4", tmp_path / "walk.avatar.mp4"
    with av.open(str(src), "w") as container:
        stream = container.add_stream("libx264", rate=6)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(6):
            frame = Image.fromarray(background.copy())
            frame.paste(face, (20 + 10 * i, 40))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")))
        container.mux(stream.encode(None))
    result = redact_file(src, out, mask=MaskSpec(style="avatar"))
    assert result.faces_found >= 1
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]
    assert len(frames) == 6
    for i, frame in enumerate(frames):
        x = 20 + 10 * i  # the face (astronaut box scaled by 0.5) sits at x+15..x+57, y+17..y+72
        patch = frame[40 + 25 : 40 + 60, x + 22 : x + 50]
        yellow = (np.abs(patch - np.array(stylise.AVATAR_FILL)).max(axis=2) < 40).mean()
        assert yellow > 0.6


@pytest.mark.parametrize("style", STYLISED_STYLES)
@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 1, 3), (3, 200, 3)])
def test_tiny_pictures_are_masked_without_crashing(style, shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    for regions in ([], [Region(id="f1", kind="face", x0=-5, y0=-5, x1=300, y1=300)]):
        out = apply_masks(image, regions, MaskSpec(style=style))
        assert out.shape == image.shape
        if regions:
            assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 2  # a flat fill (and an avatar outline)
