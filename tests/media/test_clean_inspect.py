"""`safepost clean` and `safepost inspect` on images, and choosing a cleaner from content."""

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.core import InputError, OutputError, Severity, UnsupportedFormatError
from safepost.flows.media import clean_file, inspect_file
from safepost.media import sniff


def _exif_with_everything() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "Phone X"
    exif[0x013B] = "Jane Doe"
    exif[0x0132] = "2026:01:02 03:04:05"
    exif.get_ifd(0x8769)[0xA431] = "SN-123456"
    exif.get_ifd(0x8769)[0xA430] = "Jane's camera"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 27.0, 0.0), "W", (70.0, 40.0, 0.0)
    return exif


@pytest.fixture
def dirty_jpeg(tmp_path):
    path = tmp_path / "dirty.jpg"
    Image.new("RGB", (64, 48), "green").save(path, exif=_exif_with_everything().tobytes(), comment=b"meet at 6")
    return path


def test_inspect_reports_location_serial_owner_device_and_dates(dirty_jpeg):
    result = inspect_file(dirty_jpeg)
    kinds = {f.kind: f for f in result.findings}
    assert kinds["location"].value == "-33.450000, -70.666667"
    assert kinds["location"].severity is Severity.HIGH
    assert kinds["serial"].value == "SN-123456" and kinds["owner"].severity is Severity.HIGH
    assert {"device", "date", "text"} <= set(kinds)
    assert result.worst is Severity.HIGH
    assert result.findings[0].severity is Severity.HIGH  # most severe first
    assert all(f.why and f.fix for f in result.findings)


def test_clean_removes_everything_inspect_found(dirty_jpeg):
    result = clean_file(dirty_jpeg)
    assert result.output == dirty_jpeg.with_name("dirty.clean.jpg")
    assert inspect_file(result.output).findings == []
    if shutil.which("exiftool"):
        tags = json.loads(subprocess.check_output(["exiftool", "-j", "-a", "-G1", str(result.output)]))[0]
        assert not [k for k in tags if any(w in k for w in ("GPS", "Serial", "Owner", "Make", "Model", "Comment"))]


def test_mpo_keeps_only_the_primary_image(tmp_path):
    path = tmp_path / "stereo.mpo"
    left, right = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    left.save(path, "MPO", save_all=True, append_images=[right])
    assert Image.open(path).n_frames == 2
    result = clean_file(path, tmp_path / "out")
    assert result.output == tmp_path / "out.jpg" and "MPO" in result.notes[0]
    with Image.open(result.output) as out:
        assert getattr(out, "n_frames", 1) == 1 and out.format == "JPEG"
        assert out.getpixel((16, 16))[0] > 200  # the red primary image, not the blue one


def test_office_documents_and_unknown_files_are_refused(tmp_path):
    docx = tmp_path / "report.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    with pytest.raises(UnsupportedFormatError, match="office"):
        clean_file(docx)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x07" * 100)
    with pytest.raises(InputError):
        clean_file(junk)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.bin", "report.docx"]


def test_in_place_refuses_a_change_of_type(tmp_path, dirty_jpeg):
    with pytest.raises(OutputError, match="in place"):
        clean_file(dirty_jpeg.rename(tmp_path / "x.png"), in_place=True)


@pytest.mark.parametrize(
    ("head", "family"),
    [
        (b"%PDF-1.7\n", sniff.PDF),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", sniff.IMAGE),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmif1", sniff.IMAGE),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", sniff.VIDEO),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", sniff.VIDEO),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", sniff.IMAGE),
        (b"RIFF\x00\x00\x00\x00AVI LIST", sniff.VIDEO),
        (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), sniff.VIDEO),
        (b"\x1a\x45\xdf\xa3\x01\x00", sniff.VIDEO),
        (b"PK\x03\x04\x14\x00", sniff.OFFICE),
        (b"\xff\xd8\xff\xe1", sniff.IMAGE),
        (b"hello world", sniff.UNKNOWN),
    ],
)
def test_family_is_read_from_content(head, family):
    assert sniff.family_of(head) == family


def test_cli_clean_and_inspect(dirty_jpeg, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["inspect", str(dirty_jpeg)])
    assert result.exit_code == 0 and "GPS position" in result.output and "HIGH" in result.output
    data = json.loads(runner.invoke(main, ["inspect", "--json", str(dirty_jpeg)]).stdout)
    assert data["worst"] == "high" and any(f["kind"] == "serial" for f in data["findings"])
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(main, ["clean", str(dirty_jpeg), "-o", str(out)])
    assert result.exit_code == 0 and (out / "dirty.jpg").exists()
    assert "nothing identifying" in runner.invoke(main, ["inspect", str(out / "dirty.jpg")]).output
    empty = tmp_path / "e.mp4"
    empty.write_bytes(b"")
    assert runner.invoke(main, ["clean", str(empty)]).exit_code == 3
    assert runner.invoke(main, ["inspect", str(empty)]).exit_code == 3


def _phone_video(path, container_format="mp4"):
    import av
    import numpy as np

    with av.open(str(path), "w", format=container_format) as out:
        out.metadata["location"] = "+48.8584+002.2945/"
        out.metadata["creation_time"] = "2026-03-01T10:00:00Z"
        out.metadata["artist"] = "Jane Doe"
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(4):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.full((32, 32, 3), 60 * i, np.uint8), "rgb24")))
        out.mux(stream.encode(None))


def test_video_inspect_and_clean(tmp_path):
    src = tmp_path / "clip.mov"
    _phone_video(src, "mov")
    found = {f.kind: f for f in inspect_file(src).findings}
    assert found["location"].severity is Severity.HIGH and "48.8584" in found["location"].value
    assert "date" in found and found["owner"].value == "Jane Doe"
    result = clean_file(src)
    assert result.output == tmp_path / "clip.clean.mp4" and result.family == "video"
    assert inspect_file(result.output).findings == []


def test_pdf_inspect_and_clean(tmp_path):
    src = tmp_path / "report.pdf"
    Image.new("RGB", (200, 100), "white").save(src, "PDF", author="Jane Doe", title="Witness list")
    found = {f.kind: f for f in inspect_file(src).findings}
    assert found["owner"].value == "Jane Doe" and found["text"].value == "Witness list"
    result = clean_file(src, tmp_path / "clean.pdf")
    assert "text can no longer be selected" in result.notes[0]
    assert inspect_file(result.output).findings == []
    assert b"Jane" not in result.output.read_bytes()


def _exiftool(path) -> dict:
    return json.loads(subprocess.check_output(["exiftool", "-j", "-a", "-G1", "-ee", str(path)]))[0]


@pytest.mark.skipif(not shutil.which("heif-enc"), reason="heif-enc missing (scripts/test.sh installs libheif-examples)")
def test_heic_thumbnail_is_gone(tmp_path):
    import pillow_heif

    png, heic = tmp_path / "p.png", tmp_path / "photo.heic"
    Image.new("RGB", (128, 96), "red").save(png)
    subprocess.run(["heif-enc", "-t", "32", "-q", "80", str(png), "-o", str(heic)], check=True, capture_output=True)
    thumbs = sum(len(i.info.get("thumbnails", [])) for i in pillow_heif.open_heif(str(heic)))
    assert thumbs == 1  # the fixture really has one
    assert any(f.kind == "preview" for f in inspect_file(heic).findings)
    result = clean_file(heic)
    assert sum(len(i.info.get("thumbnails", [])) for i in pillow_heif.open_heif(str(result.output))) == 0
    assert not any(f.kind == "preview" for f in inspect_file(result.output).findings)


@pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool missing (scripts/test.sh installs it)")
def test_exif_thumbnail_and_every_identifying_tag_are_gone_per_exiftool(dirty_jpeg, tmp_path):
    thumb = tmp_path / "thumb.jpg"
    Image.new("RGB", (16, 12), "blue").save(thumb)
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-ThumbnailImage<={thumb}", str(dirty_jpeg)], check=True)
    before = _exiftool(dirty_jpeg)
    assert "IFD1:ThumbnailImage" in before and any("GPS" in k for k in before)
    out = clean_file(dirty_jpeg).output
    after = _exiftool(out)
    identifying = ("GPS", "Thumbnail", "Serial", "Owner", "Artist", "Make", "Model", "Date", "Comment", "XMP")
    leaks = [k for k in after if any(word in k for word in identifying) and not k.startswith(("System:", "File:"))]
    assert leaks == []
    assert out.read_bytes().count(b"\xff\xd8\xff") == 1  # no embedded JPEG besides the image itself


def test_an_empty_gps_block_is_reported_as_present_without_a_position(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)})
    path = tmp_path / "nofix.jpg"
    Image.new("RGB", (32, 32), "gray").save(path, exif=exif)
    gps = [f for f in inspect_file(path).findings if f.kind == "location"]
    assert len(gps) == 1 and gps[0].severity == Severity.HIGH  # still removed and still flagged
    assert "no position" in gps[0].value and "0.000000" not in gps[0].value
