"""HEIC/AVIF decoder errors (issue 18 item 5): damaged coded data is refused, never decoded as garbage.

libheif and libavif conceal damage (a zeroed or cut picture decodes "fine", with grey or garbage
rows, and no warning reaches Pillow); safepost checks the file's structure and coded data first.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.core import InputError, TooLargeError
from safepost.media.images import ensure_heif_support, load_image


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def encoded(fmt: str, size=(384, 256)) -> bytes:
    ensure_heif_support()
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3))
    pixels = np.kron(blocks, np.ones((8, 8, 1))).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=fmt, quality=90)
    return out.getvalue()


def damaged(data: bytes, how: str) -> bytes:
    mdat = data.find(b"mdat") + 4  # the coded picture follows the mdat box header
    if how == "truncated":
        return data[: len(data) * 2 // 3]
    if how == "zeroed tail":  # same length: the container still looks whole
        return data[:-300] + bytes(300)
    if how == "zeroed middle":
        middle = (mdat + len(data)) // 2
        return data[:middle] + bytes(200) + data[middle + 200 :]
    if how == "bad length":
        return data[:mdat] + b"\xff\xff" + data[mdat + 2 :]
    raise AssertionError(how)


FORMATS = [("HEIF", ".heic"), ("AVIF", ".avif")]
DAMAGE = ["truncated", "zeroed tail", "zeroed middle", "bad length"]


@pytest.mark.parametrize(("fmt", "ext"), FORMATS)
def test_intact_file_still_loads(fmt, ext, tmp_path):
    path = tmp_path / f"ok{ext}"
    path.write_bytes(encoded(fmt))
    loaded = load_image(path)
    assert loaded.format == fmt and loaded.frames[0].shape == (256, 384, 3)
    result = invoke("clean", path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"ok.clean{ext}").is_file()


@pytest.mark.parametrize("how", DAMAGE)
@pytest.mark.parametrize(("fmt", "ext"), FORMATS)
def test_damaged_coded_data_is_refused_exit_3(fmt, ext, how, tmp_path):
    data = damaged(encoded(fmt), how)
    with pytest.raises(InputError) as caught:
        load_image(f"x{ext}", data=data)  # in memory (web app, post check) as from disk
    assert caught.value.exit_code == 3 and "damaged or truncated" in str(caught.value)
    path = tmp_path / f"broken{ext}"
    path.write_bytes(data)
    for command in ("redact", "clean"):
        result = invoke(command, path)
        assert result.exit_code == 3, (command, result.output)
        assert "damaged or truncated" in result.stderr and "internal error" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no output, no leftover


def _set_ispe(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    at = out.find(b"ispe") + 8  # box type, then version/flags
    struct.pack_into(">II", out, at, width, height)
    return bytes(out)


def test_avif_declaring_another_size_than_it_codes_is_refused():
    data = _set_ispe(encoded("AVIF"), 384, 128)  # libavif would show a cropped picture
    with pytest.raises(InputError) as caught:
        load_image("x.avif", data=data)
    assert caught.value.exit_code == 3 and "codes 384 x 256" in str(caught.value)


@pytest.mark.parametrize(("fmt", "ext"), FORMATS)
def test_tiny_file_declaring_huge_dimensions_is_exit_5(fmt, ext, tmp_path):
    path = tmp_path / f"bomb{ext}"
    path.write_bytes(_set_ispe(encoded(fmt, (64, 64)), 60000, 60000))
    assert path.stat().st_size < 20_000
    with pytest.raises(TooLargeError):
        load_image(path)
    result = invoke("redact", path)
    assert result.exit_code == 5 and "too large" in result.stderr, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
