import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from safepost.anonymize.masks import MaskSpec
from safepost.core import DetectionError, OutputError, RegionsFileError
from safepost.decide.regions import ManualEdits, parse_edits
from safepost.detect import faces
from safepost.flows.media import redact_file
from safepost.media.images import ensure_heif_support
from tests.conftest import ASTRONAUT_FACE, changed_fraction, rgb


def test_face_pixels_change_and_metadata_is_gone(astronaut):
    result = redact_file(astronaut)
    assert result.output == astronaut.with_name("astronaut.redacted.jpg")
    assert result.faces_found >= 1
    assert changed_fraction(rgb(astronaut), rgb(result.output), ASTRONAUT_FACE) > 0.95
    with Image.open(result.output) as out:
        assert len(out.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp"} & set(out.info)
    assert b"ExampleCam" not in result.output.read_bytes()


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed (scripts/test.sh installs it)")
def test_exiftool_finds_no_gps_or_camera_in_the_output(astronaut):
    before = json.loads(subprocess.check_output(["exiftool", "-j", "-G", str(astronaut)]))[0]
    assert any(k.startswith("GPS") or ":GPS" in k for k in before)  # the fixture really has GPS
    result = redact_file(astronaut)
    tags = json.loads(subprocess.check_output(["exiftool", "-j", "-G", str(result.output)]))[0]
    assert not [k for k in tags if "GPS" in k or k.startswith("EXIF:") or k.startswith("XMP") or "ICC" in k]


@pytest.mark.parametrize("ext", [".png", ".webp", ".heic", ".tiff", ".bmp", ".jpg"])
def test_formats_in_and_out(astronaut, tmp_path, ext):
    src = tmp_path / f"in{ext}"
    ensure_heif_support()  # lets Pillow write the .heic fixture
    Image.open(astronaut).save(src)
    result = redact_file(src, mode="fast")
    assert result.output.suffix == ext
    assert changed_fraction(rgb(src), rgb(result.output), ASTRONAUT_FACE) > 0.9


def test_every_gif_frame_is_masked(astronaut, tmp_path):
    base = Image.open(astronaut).convert("RGB")
    frames = [base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), base]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[100, 150, 200], loop=0)
    result = redact_file(src, mode="fast")
    assert result.frames == 3
    out = Image.open(result.output)
    assert out.n_frames == 3
    x0, y0, x1, y1 = ASTRONAUT_FACE
    mirrored = (512 - x1, y0, 512 - x0, y1)
    for i, box in enumerate([ASTRONAUT_FACE, mirrored, ASTRONAUT_FACE]):
        out.seek(i)
        src_frame = Image.open(src)
        src_frame.seek(i)
        assert changed_fraction(np.asarray(src_frame.convert("RGB")), np.asarray(out.convert("RGB")), box) > 0.9


def test_never_overwrites_the_input_unless_in_place(astronaut):
    original = astronaut.read_bytes()
    with pytest.raises(OutputError, match="overwrite the input"):
        redact_file(astronaut, astronaut)
    assert astronaut.read_bytes() == original
    result = redact_file(astronaut, in_place=True, mode="fast")
    assert result.output == astronaut and astronaut.read_bytes() != original


def test_output_folder_and_format_from_extension(astronaut, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    assert redact_file(astronaut, folder, mode="fast").output == folder / "astronaut.jpg"
    assert redact_file(astronaut, tmp_path / "x.png", mode="fast").format == "PNG"


def test_manual_region_is_masked_and_ignored_face_is_not(astronaut, tmp_path):
    edits = parse_edits({"regions": [{"x": 40, "y": 380, "width": 60, "height": 40, "label": "badge"}]})
    result = redact_file(astronaut, tmp_path / "m.png", mode="fast", edits=edits)
    assert changed_fraction(rgb(astronaut), rgb(result.output), (40, 380, 100, 420)) > 0.95
    assert any(r.kind == "manual" and r.label == "badge" for r in result.regions)

    face_ids = [r.id for r in result.regions if r.kind == "face"]
    result = redact_file(astronaut, tmp_path / "i.png", mode="fast", edits=ManualEdits(ignore=face_ids))
    assert result.ignored == face_ids
    assert changed_fraction(rgb(astronaut), rgb(result.output), ASTRONAUT_FACE) < 0.05


def test_unknown_ignore_id_fails_without_output(astronaut, tmp_path):
    with pytest.raises(RegionsFileError, match="f99"):
        redact_file(astronaut, tmp_path / "o.png", edits=ManualEdits(ignore=["f99"]))
    assert not (tmp_path / "o.png").exists()


def test_detector_failure_writes_nothing(astronaut, tmp_path, monkeypatch):
    def boom(image, threshold):
        raise RuntimeError("model exploded")

    monkeypatch.setitem(faces._DETECTORS, "retinaface", boom)
    monkeypatch.setitem(faces._DETECTORS, "centerface", boom)
    with pytest.raises(DetectionError):
        redact_file(astronaut, tmp_path / "o.jpg")
    assert list(tmp_path.iterdir()) == [astronaut]


def test_result_json_lists_regions(astronaut):
    data = redact_file(astronaut, mode="fast", mask=MaskSpec(style="noise")).to_dict()
    assert data["faces_found"] == len([r for r in data["regions"] if r["kind"] == "face"]) >= 1
    assert data["mask"] == {"style": "noise", "shape": "ellipse", "reversible": False}
    json.dumps(data)


def test_fuzzed_files_fail_cleanly_or_are_fully_processed(astronaut, tmp_path):
    """Byte-flipped and cut copies of a real JPEG: a SafepostError or a masked output, nothing else."""
    from safepost.core import SafepostError

    original = astronaut.read_bytes()
    rng = np.random.default_rng(2024)
    refused = processed = 0
    for n in range(25):
        data = bytearray(original)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 40))):
            data[pos] = int(rng.integers(0, 256))
        if n % 5 == 0:
            data = data[: int(rng.integers(2, len(data)))]
        src = tmp_path / f"fuzz{n}.jpg"
        src.write_bytes(bytes(data))
        out = tmp_path / f"fuzz{n}.out.png"
        try:
            result = redact_file(src, out, mode="fast")
        except SafepostError as exc:
            assert str(exc) and not out.exists()
            refused += 1
        else:
            with Image.open(out) as written:  # a whole, decodable picture of the input's size
                written.load()
                assert written.size == (result.width, result.height) and not written.getexif()
            assert result.output == out and result.masked == len(result.regions)  # every face found is masked
            processed += 1
    assert refused and processed, (refused, processed)  # both branches really ran


def test_animation_into_a_single_frame_format_is_refused(astronaut, tmp_path):
    base = Image.open(astronaut).convert("RGB")
    src = tmp_path / "anim.gif"
    base.save(src, save_all=True, append_images=[base.rotate(90)], duration=100, loop=0)
    with pytest.raises(OutputError, match="frames"):
        redact_file(src, tmp_path / "still.jpg", mode="fast")
    assert not (tmp_path / "still.jpg").exists()
