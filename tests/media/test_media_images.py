"""Tests for safepost.media.images and safepost.media.atomic (fixtures are made in code)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from PIL.TiffImagePlugin import IFDRational

from safepost.core import InputError, OutputError, TooLargeError, UnsupportedFormatError
from safepost.media.atomic import atomic_write
from safepost.media.images import (
    MAX_PIXELS,
    MAX_TOTAL_PIXELS,
    SUPPORTED_FORMATS,
    LoadedImage,
    format_for_extension,
    load_image,
    output_extension,
    save_image,
)

WRITABLE = ["JPEG", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "BMP", "GIF"]
SECRET = "SecretCam-4711"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="' + SECRET.encode() + b'"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# Tags that identify a camera, a place, a person or a colour profile (TIFF always has
# structural tags such as width and height, which are fine).
IDENTIFYING_TAGS = {GPS_IFD, 0x8769, 0x010F, 0x0110, 0x0131, 0x013B, 0x9286, 0x8298, 34675, 700, 33723}


def make_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = SECRET  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x013B] = "Jane Doe"  # Artist
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (IFDRational(52), IFDRational(30), IFDRational(155, 10))  # GPSLatitude
    gps[3] = "E"  # GPSLongitudeRef
    gps[4] = (IFDRational(13), IFDRational(24), IFDRational(1))  # GPSLongitude
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def gradient(width: int = 64, height: int = 48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, np.full_like(x, 128)], axis=2))


def write_with_metadata(path: Path, fmt: str) -> None:
    """Save a test picture carrying as much metadata as Pillow writes for ``fmt``."""
    im = gradient()
    exif = make_exif().tobytes()
    icc = srgb_icc()
    if fmt == "JPEG":
        im.save(path, "JPEG", exif=exif, icc_profile=icc, xmp=XMP, comment=SECRET.encode())
    elif fmt == "PNG":
        info = PngInfo()
        info.add_text("Author", SECRET)
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        im.save(path, "PNG", exif=exif, icc_profile=icc, pnginfo=info)
    elif fmt in ("WEBP", "HEIF", "AVIF"):
        if fmt == "HEIF":
            from safepost.media.images import ensure_heif_support

            ensure_heif_support()  # registered here too, so this test passes when run alone
        im.save(path, fmt, exif=exif, icc_profile=icc, xmp=XMP)
    elif fmt == "TIFF":
        tags = make_exif()
        tags[700] = XMP  # XMP lives in a TIFF tag
        im.save(path, "TIFF", exif=tags.tobytes(), icc_profile=icc)
    elif fmt == "GIF":
        im.save(path, "GIF", comment=SECRET.encode())
    else:
        im.save(path, fmt)


def check_no_metadata(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    assert SECRET.encode() not in data
    with Image.open(path) as out:
        assert out.format == ("JPEG" if fmt == "MPO" else fmt)
        exif = out.getexif()
        if fmt == "TIFF":
            assert not set(exif) & IDENTIFYING_TAGS
        else:
            assert len(exif) == 0
        assert not exif.get_ifd(GPS_IFD)
        for key in ("icc_profile", "xmp", "exif", "XML:com.adobe.xmp", "comment", "Author"):
            assert not out.info.get(key), key
    if fmt == "JPEG":
        assert b"Exif" not in data
        assert b"http://ns.adobe.com" not in data
        assert b"ICC_PROFILE" not in data


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", WRITABLE)
def test_round_trip_strips_metadata(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / f"in{SUPPORTED_FORMATS[fmt]}"
    write_with_metadata(src, fmt)
    with Image.open(src) as original:  # the fixture really carries metadata
        if fmt not in ("BMP", "GIF"):
            assert GPS_IFD in original.getexif()
            assert original.info.get("icc_profile")

    loaded = load_image(src)
    assert loaded.format == fmt
    assert loaded.path == src
    assert len(loaded.frames) == 1 and not loaded.is_animated
    frame = loaded.frames[0]
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8

    out = tmp_path / f"out{output_extension(fmt)}"
    save_image(loaded.frames, out, loaded.format)
    check_no_metadata(out, fmt)
    again = load_image(out)
    assert again.frames[0].shape == (48, 64, 3)
    tolerance = 40 if fmt == "GIF" else 12  # GIF has a 256-colour palette
    diff = np.abs(again.frames[0].astype(int) - np.asarray(gradient()).astype(int))
    assert diff.mean() < tolerance


def test_exiftool_finds_no_gps_in_jpeg_output(tmp_path: Path) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        pytest.skip("exiftool is not installed")
    src = tmp_path / "in.jpg"
    write_with_metadata(src, "JPEG")
    before = json.loads(subprocess.run([exiftool, "-j", "-G", str(src)], capture_output=True, check=True).stdout)
    assert any("GPS" in key for key in before[0])  # exiftool sees the GPS block of the input
    out = tmp_path / "out.jpg"
    save_image(load_image(src).frames, out, "JPEG")
    after = json.loads(subprocess.run([exiftool, "-j", "-G", str(out)], capture_output=True, check=True).stdout)
    assert not [key for key in after[0] if "GPS" in key]
    assert not [key for key in after[0] if key.startswith(("EXIF:", "XMP", "ICC_Profile:", "IPTC:"))]


def test_mpo_reads_primary_image_and_writes_jpeg(tmp_path: Path) -> None:
    src = tmp_path / "in.mpo"
    first = Image.new("RGB", (32, 24), (200, 30, 30))
    second = Image.new("RGB", (32, 24), (30, 30, 200))
    first.save(src, "MPO", save_all=True, append_images=[second], exif=make_exif().tobytes())
    loaded = load_image(src)
    assert loaded.format == "MPO"
    assert len(loaded.frames) == 1
    assert loaded.frames[0][12, 16, 0] > 150 and loaded.frames[0][12, 16, 2] < 80
    out = tmp_path / f"out{output_extension('MPO')}"
    assert out.suffix == ".jpg"
    save_image(loaded.frames, out, loaded.format)
    check_no_metadata(out, "JPEG")


def test_multipage_tiff_reads_every_page(tmp_path: Path) -> None:
    src = tmp_path / "pages.tif"
    pages = [Image.new("RGB", (30, 20), (255, 0, 0)), Image.new("RGB", (10, 40), (0, 0, 255))]
    pages[0].save(src, "TIFF", save_all=True, append_images=pages[1:])
    loaded = load_image(src)
    assert [f.shape for f in loaded.frames] == [(20, 30, 3), (40, 10, 3)]
    assert loaded.durations == [] and not loaded.is_animated
    out = tmp_path / "out.tif"
    save_image(loaded.frames, out, "TIFF")
    with Image.open(out) as reopened:
        assert reopened.n_frames == 2
        assert reopened.info.get("compression") == "tiff_adobe_deflate"


# --- pixels: orientation, transparency, colour ---------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    im = Image.new("RGB", (40, 20), (0, 0, 0))
    im.putpixel((0, 0), (255, 0, 0))
    src = tmp_path / "rotated.png"
    im.save(src, "PNG", exif=make_exif(orientation=6).tobytes())
    frame = load_image(src).frames[0]
    assert frame.shape == (40, 20, 3)
    # Orientation 6: shown rotated 90 degrees clockwise, so top-left goes to top-right.
    assert tuple(frame[0, 19]) == (255, 0, 0)
    assert tuple(frame[0, 0]) == (0, 0, 0)


def test_transparent_pixels_become_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[:, :5] = (255, 0, 0, 0)  # red hidden under full transparency
    rgba[:, 5:] = (0, 0, 255, 255)
    src = tmp_path / "alpha.png"
    Image.fromarray(rgba).save(src)
    frame = load_image(src).frames[0]
    assert (frame[:, :5] == 255).all()
    assert (frame[:, 5:] == (0, 0, 255)).all()


def test_palette_transparency_becomes_white(tmp_path: Path) -> None:
    im = Image.new("P", (8, 8), 1)
    im.putpalette([255, 0, 0, 0, 255, 0])
    im.paste(0, (0, 0, 4, 8))
    src = tmp_path / "trns.gif"
    im.save(src, "GIF", transparency=0)
    frame = load_image(src).frames[0]
    assert (frame[:, :4] == 255).all()
    assert (frame[:, 4:] == (0, 255, 0)).all()


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    src = tmp_path / "grey16.png"
    Image.fromarray(np.full((6, 6), 0x8000, dtype=np.uint16)).save(src)
    with Image.open(src) as check:
        assert check.mode.startswith("I")
    frame = load_image(src).frames[0]
    assert (frame == 128).all()


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    src = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(src)
    frame = load_image(src).frames[0]
    assert frame.shape == (16, 16, 3)
    assert frame[8, 8, 0] > 200 and frame[8, 8, 1] < 60


def test_broken_icc_profile_falls_back(tmp_path: Path) -> None:
    src = tmp_path / "badicc.png"
    Image.new("RGB", (8, 8), (10, 200, 30)).save(src, icc_profile=b"not a profile at all")
    frame = load_image(src).frames[0]
    assert (frame == (10, 200, 30)).all()


def test_grey_and_bilevel_modes(tmp_path: Path) -> None:
    for mode, value, expected in (("L", 77, 77), ("1", 1, 255), ("LA", (90, 255), 90)):
        src = tmp_path / f"mode-{mode}.png"
        Image.new(mode, (5, 5), value).save(src)
        frame = load_image(src).frames[0]
        assert frame.shape == (5, 5, 3) and (frame == expected).all(), mode


# --- animations -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_keeps_frames_and_durations(tmp_path: Path, fmt: str) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (20, 16), c) for c in colours]
    src = tmp_path / f"anim{SUPPORTED_FORMATS[fmt]}"
    frames[0].save(src, fmt, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)

    loaded = load_image(src)
    assert len(loaded.frames) == 3 and loaded.is_animated
    assert loaded.durations == [100, 200, 300]
    assert loaded.loop == 0
    for frame, colour in zip(loaded.frames, colours, strict=True):
        assert np.abs(frame[8, 10].astype(int) - colour).max() < 10

    out = tmp_path / f"out{SUPPORTED_FORMATS[fmt]}"
    save_image(loaded.frames, out, fmt, durations=loaded.durations, loop=loaded.loop)
    with Image.open(out) as reopened:
        assert reopened.n_frames == 3
        seen = []
        for index in range(3):
            reopened.seek(index)
            reopened.load()  # WebP sets the duration on load
            seen.append(reopened.info.get("duration"))
        assert seen == [100, 200, 300]
    assert load_image(out).durations == [100, 200, 300]


# --- bad input ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "nope.jpg")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        load_image(tmp_path)


def test_zero_byte_file(tmp_path: Path) -> None:
    src = tmp_path / "empty.jpg"
    src.touch()
    with pytest.raises(InputError, match=r"empty \(0 bytes\)"):
        load_image(src)


def test_random_bytes(tmp_path: Path) -> None:
    src = tmp_path / "noise.jpg"
    src.write_bytes(np.random.default_rng(1234).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="not an image safepost can read") as info:
        load_image(src)
    assert type(info.value) is InputError


def test_text_file(tmp_path: Path) -> None:
    src = tmp_path / "notes.png"
    src.write_text("These are meeting notes, not a picture.\n" * 20)
    with pytest.raises(InputError, match="not an image safepost can read") as info:
        load_image(src)
    assert type(info.value) is InputError


def test_truncated_jpeg(tmp_path: Path) -> None:
    whole = io.BytesIO()
    gradient(256, 256).save(whole, "JPEG", quality=95)
    src = tmp_path / "half.jpg"
    src.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    with pytest.raises(InputError, match="damaged or truncated") as info:
        load_image(src)
    assert type(info.value) is InputError


def test_png_with_broken_chunk(tmp_path: Path) -> None:
    whole = io.BytesIO()
    gradient().save(whole, "PNG")
    data = bytearray(whole.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF  # corrupt compressed pixels; the chunk CRC no longer matches
    src = tmp_path / "broken.png"
    src.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        load_image(src)
    assert type(info.value) is InputError


def test_png_with_bad_zlib_stream_and_fixed_crc(tmp_path: Path) -> None:
    whole = io.BytesIO()
    gradient().save(whole, "PNG")
    data = bytearray(whole.getvalue())
    start = data.index(b"IDAT")
    length = int.from_bytes(data[start - 4 : start], "big")
    body = bytearray(b"\x00" * length)  # not a zlib stream
    data[start + 4 : start + 4 + length] = body
    data[start + 4 + length : start + 8 + length] = zlib.crc32(b"IDAT" + body).to_bytes(4, "big")
    src = tmp_path / "badzlib.png"
    src.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged or truncated"):
        load_image(src)


@pytest.mark.parametrize(("fmt", "suffix"), [("ICO", ".ico"), ("TGA", ".tga"), ("PCX", ".pcx")])
def test_unsupported_format(tmp_path: Path, fmt: str, suffix: str) -> None:
    src = tmp_path / f"icon{suffix}"
    Image.new("RGB", (32, 32), (1, 2, 3)).save(src, fmt)
    with pytest.raises(UnsupportedFormatError, match="JPEG") as info:
        load_image(src)
    assert fmt in str(info.value)


def test_huge_header_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(src)
    assert src.stat().st_size < 1_000_000
    with pytest.raises(TooLargeError):
        load_image(src)


def test_own_pixel_limit_applies_below_pillow_limit(tmp_path: Path) -> None:
    src = tmp_path / "big.png"
    Image.new("1", (8000, 7000)).save(src)  # 56 M pixels: over MAX_PIXELS, under Pillow's guard
    assert 8000 * 7000 > MAX_PIXELS
    with pytest.raises(TooLargeError, match="50,000,000"):
        load_image(src)


def test_pixel_limit_overrides(tmp_path: Path) -> None:
    src = tmp_path / "small.gif"
    frames = [Image.new("RGB", (100, 100), (i * 50, 0, 0)) for i in range(3)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    with pytest.raises(TooLargeError):
        load_image(src, max_pixels=9_999)
    with pytest.raises(TooLargeError):
        load_image(src, max_total_pixels=25_000)
    assert len(load_image(src, max_pixels=10_000, max_total_pixels=30_000).frames) == 3
    assert MAX_TOTAL_PIXELS == 400_000_000


# --- save_image and format helpers ----------------------------------------------------------


def test_save_unknown_format(tmp_path: Path) -> None:
    frame = np.zeros((4, 4, 3), dtype=np.uint8)
    with pytest.raises(UnsupportedFormatError):
        save_image([frame], tmp_path / "x.ico", "ICO")
    assert not (tmp_path / "x.ico").exists()


def test_save_rejects_bad_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        save_image([np.zeros((4, 4), dtype=np.uint8)], tmp_path / "x.png", "PNG")
    with pytest.raises(OutputError):
        save_image([np.zeros((4, 4, 3), dtype=np.uint8)] * 2, tmp_path / "x.jpg", "JPEG")
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        save_image([np.zeros((4, 4, 3), dtype=np.uint8)], tmp_path / "missing" / "x.png", "PNG")


def test_format_helpers() -> None:
    assert format_for_extension(".jpg") == "JPEG"
    assert format_for_extension(".JPEG") == "JPEG"
    assert format_for_extension("heic") == "HEIF"
    assert format_for_extension(".heif") == "HEIF"
    assert format_for_extension(".tif") == "TIFF"
    assert output_extension("JPEG") == ".jpg"
    assert output_extension("MPO") == ".jpg"
    assert output_extension("TIFF") == ".tif"
    with pytest.raises(UnsupportedFormatError):
        format_for_extension(".ico")
    with pytest.raises(UnsupportedFormatError):
        output_extension("PCX")
    assert LoadedImage(pictures=[Image.new("RGB", (1, 1))] * 2).is_animated is False


# --- atomic_write ---------------------------------------------------------------------------


def test_atomic_write_writes(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    atomic_write(target, lambda f: f.write(b"hello"))
    assert target.read_bytes() == b"hello"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_write_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"

    def fail(stream: io.BufferedWriter) -> None:
        stream.write(b"partial")
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError, match="encoder crashed"):
        atomic_write(target, fail)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def fail(stream: io.BufferedWriter) -> None:
        stream.write(b"new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left"):
        atomic_write(target, fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_write_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "out.bin", lambda f: f.write(b"x"))


def test_atomic_write_onto_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutputError):
        atomic_write(tmp_path / "taken", lambda f: f.write(b"x"))
    assert sorted(os.listdir(tmp_path)) == ["taken"]
