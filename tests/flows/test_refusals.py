"""Clear refusals for hostile files (issue 18 items 5 and 6): each a SafepostError with its exit code."""

from __future__ import annotations

import os
import struct
import threading
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def invoke_bounded(*args, limit_s: float = 60.0):
    """``invoke`` in a thread, so a hang fails the test instead of stalling the suite."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", invoke(*args)), daemon=True)
    thread.start()
    thread.join(limit_s)
    assert "result" in box, f"safepost {' '.join(map(str, args))} did not finish"
    return box["result"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(extra: list[bytes] = (), width: int = 8, height: int = 8, pixels: bool = True) -> bytes:
    raw = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height)) if pixels else b""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


# 32 MB of zeros compress to ~32 KB: the file is small, what it would expand to is not.
BOMB = zlib.compress(b"\x00" * (32 << 20), 9)


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.png"
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(path)
    return path


def test_pixel_bomb_header_is_exit_5_in_inspect_and_clean(tmp_path, good):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png(width=30000, height=30000, pixels=False))
    for command in ("inspect", "clean"):
        result = invoke(command, bomb)
        assert result.exit_code == 5, result.output
        assert "too large" in result.stderr and "internal error" not in result.stderr
    result = invoke("inspect", bomb, good)  # the run carries on to the next file
    assert result.exit_code == 5
    assert "good.png" in result.stdout


@pytest.mark.parametrize(
    "chunk",
    [
        _chunk(b"iCCP", b"icc\x00\x00" + BOMB),
        _chunk(b"zTXt", b"Comment\x00\x00" + BOMB),
        _chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + BOMB),
    ],
    ids=["iCCP", "zTXt", "iTXt"],
)
def test_png_metadata_bombs_are_exit_5(tmp_path, chunk):
    path = tmp_path / "meta.png"
    path.write_bytes(png([chunk]))
    for command in ("inspect", "clean"):
        result = invoke(command, path)
        assert result.exit_code == 5, (command, result.output)
        assert "decompression bomb" in result.stderr
    assert not (tmp_path / "meta.clean.png").exists()


def test_makernote_stored_as_one_short_is_reported(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x927C] = 7  # one SHORT, not the usual UNDEFINED bytes
    path = tmp_path / "note.jpg"
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(path, exif=exif)
    result = invoke("inspect", path)
    assert result.exit_code == 0, result.output
    assert "Camera-maker notes" in result.stdout


def test_multi_page_tiff_is_cleaned_page_by_page(tmp_path):
    path = tmp_path / "pages.tif"
    first = Image.fromarray(np.full((40, 50, 3), 120, np.uint8))
    first.save(path, save_all=True, append_images=[Image.fromarray(np.full((30, 20, 3), 30, np.uint8))])
    result = invoke("clean", path)
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "pages.clean.tif") as out:
        sizes = []
        for page in range(out.n_frames):
            out.seek(page)
            sizes.append(out.size)
    assert sizes == [(50, 40), (20, 30)]


def test_255_byte_file_name_gets_a_shortened_output_name(tmp_path, good):
    name = "é" * 125 + "a.png"  # 255 bytes in UTF-8
    assert len(name.encode()) == 255
    path = tmp_path / name
    path.write_bytes(good.read_bytes())
    result = invoke("clean", path)
    assert result.exit_code == 0, result.output
    outputs = [p for p in tmp_path.iterdir() if p.name.endswith(".clean.png")]
    assert len(outputs) == 1 and len(outputs[0].name.encode()) <= 255


@pytest.mark.parametrize("command", ["inspect", "clean", "redact"])
def test_fifo_is_refused_before_it_is_opened(tmp_path, good, command):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    result = invoke_bounded(command, fifo, good) if command != "redact" else invoke_bounded(command, fifo)
    assert result.exit_code == 3, result.output
    assert "not a regular file" in result.stderr
    if command != "redact":
        assert "good.png" in result.output


def test_an_unexpected_error_in_one_file_does_not_stop_the_others(tmp_path, good, monkeypatch):
    import safepost.flows.media

    real = safepost.flows.media.inspect_file
    other = tmp_path / "other.png"
    other.write_bytes(good.read_bytes())

    def flaky(path, *args, **kwargs):
        if path.name == "good.png":
            raise RuntimeError("boom")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(safepost.flows.media, "inspect_file", flaky)
    result = invoke("inspect", good, other)
    assert result.exit_code == 1
    assert "internal error RuntimeError: boom" in result.stderr
    assert "other.png" in result.stdout
