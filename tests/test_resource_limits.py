"""Bounded resources (issue 18 item 3): pathological containers are refused quickly with exit 5."""

from __future__ import annotations

import struct
import threading
import time

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.core import TooLargeError
from safepost.media import images as images_mod


def invoke_bounded(*args, limit_s: float = 30.0):
    box = {}

    def target():
        box["result"] = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit_s)
    assert "result" in box, f"safepost {' '.join(map(str, args))} took over {limit_s} s"
    return box["result"]


def gif(path, frames: int, side: int = 4) -> None:
    pictures = [Image.new("P", (side, side), n % 200) for n in range(frames)]
    for n, picture in enumerate(pictures):
        picture.putpalette([(n + i) % 256 for i in range(768)])
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=20, disposal=1)


def test_gif_with_too_many_frames_is_exit_5_at_once(tmp_path):
    path = tmp_path / "many.gif"
    gif(path, images_mod.MAX_FRAMES + 500)
    with Image.open(path) as im:
        assert im.n_frames > images_mod.MAX_FRAMES  # the file really holds them
    start = time.monotonic()
    result = invoke_bounded("redact", path)
    assert result.exit_code == 5, result.output
    assert f"the limit is {images_mod.MAX_FRAMES:,} frames" in result.stderr
    assert time.monotonic() - start < 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.gif"]


def test_gif_at_the_frame_limit_is_read(tmp_path):
    path = tmp_path / "ok.gif"
    gif(path, 30)
    assert len(images_mod.load_image(path).pictures) == 30


def _small_mp4(path, frames: int = 6) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(frames):
            pixels = np.full((48, 64, 3), (20 * n) % 256, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(stream.encode(None))


def _with_edit_list(data: bytes, entries: int) -> bytes:
    """Insert moov/trak/edts/elst with ``entries`` entries (the index is last: no offset moves)."""
    moov = data.rfind(b"moov") - 4
    trak = data.find(b"trak", moov) - 4
    assert data[moov + 4 : moov + 8] == b"moov" and trak > moov
    tkhd_size = struct.unpack_from(">I", data, trak + 8)[0]
    body = struct.pack(">II", 0, entries) + struct.pack(">IiI", 10, 0, 0x10000) * entries
    elst = struct.pack(">I4s", 8 + len(body), b"elst") + body
    edts = struct.pack(">I4s", 8 + len(elst), b"edts") + elst
    at = trak + 8 + tkhd_size
    out = bytearray(data[:at] + edts + data[at:])
    for box in (moov, trak):
        struct.pack_into(">I", out, box, struct.unpack_from(">I", out, box)[0] + len(edts))
    return bytes(out)


def test_mp4_with_a_huge_edit_list_is_exit_5_at_once(tmp_path):
    plain = tmp_path / "plain.mp4"
    _small_mp4(plain)
    few = tmp_path / "few.mp4"
    few.write_bytes(_with_edit_list(plain.read_bytes(), 1))  # a camera's single edit: still read
    assert invoke_bounded("clean", few, "-o", tmp_path / "few-out.mp4").exit_code == 0
    bomb = tmp_path / "edits.mp4"
    bomb.write_bytes(_with_edit_list(plain.read_bytes(), 200_000))
    assert 2_000_000 < bomb.stat().st_size < 3_000_000
    for command in ("redact", "clean"):
        start = time.monotonic()
        result = invoke_bounded(command, bomb, "-o", tmp_path / f"out-{command}.mp4")
        assert result.exit_code == 5, (command, result.output)
        assert "edit list of 200,000 entries" in result.stderr
        assert time.monotonic() - start < 10
        assert not (tmp_path / f"out-{command}.mp4").exists()


def test_check_edit_lists_reads_only_iso_files(tmp_path):
    from safepost.media.mp4_limits import check_edit_lists

    other = tmp_path / "x.avi"
    other.write_bytes(b"RIFF" + bytes(100))
    check_edit_lists(other)  # no error: not ISO-BMFF
    with pytest.raises(TooLargeError):
        path = tmp_path / "e.mp4"
        _small_mp4(tmp_path / "p.mp4")
        path.write_bytes(_with_edit_list((tmp_path / "p.mp4").read_bytes(), 5000))
        check_edit_lists(path)


def test_web_runs_one_heavy_job_at_a_time(monkeypatch):
    import safepost.flows.post as check_mod
    from safepost.web import checking

    running, most = [0], [0]
    guard = threading.Lock()

    def slow_check(post, ws, **kwargs):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with guard:
            running[0] -= 1
        return "checked"

    monkeypatch.setattr(check_mod, "check_post", slow_check)
    monkeypatch.setattr(checking, "build_post", lambda ws, draft: (object(), None))
    monkeypatch.setattr(checking.PostChecker, "_analyser", lambda self, draft: None)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(checking.PostChecker().check(None, None))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["checked"] * 3
    assert most[0] == 1  # two sessions' checks never decode and detect at the same time


def test_video_over_4k_is_exit_5(tmp_path):
    from safepost.media import video as video_mod

    assert video_mod.MAX_VIDEO_PIXELS == 4096 * 2304  # 8192 x 8192 frames (over 6 GB) are refused
    path = tmp_path / "5k.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 4608, 2592, "yuv420p"
        out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((2592, 4608, 3), np.uint8), format="rgb24")))
        out.mux(stream.encode(None))
    for command in ("redact", "clean"):
        result = invoke_bounded(command, path, "-o", tmp_path / f"out-{command}.mp4")
        assert result.exit_code == 5 and "too large" in result.stderr.lower(), (command, result.output)
        assert not (tmp_path / f"out-{command}.mp4").exists()


def _pdf(content: bytes, extra_objects: bytes = b"", resources: bytes = b"") -> bytes:
    import zlib

    packed = zlib.compress(content, 9)
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R" + resources + b">>endobj\n"
        b"4 0 obj<</Length " + str(len(packed)).encode() + b"/Filter/FlateDecode>>stream\n" + packed + b"\nendstream "
        b"endobj\n" + extra_objects + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def test_pdf_content_bomb_is_exit_5_before_rendering(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(_pdf(b"0 0 1 1 re f\n" * 2_000_000))  # 26 MB of drawing in a ~50 KB file
    assert bomb.stat().st_size < 200_000
    small = tmp_path / "small.pdf"
    small.write_bytes(_pdf(b"0 0 1 1 re f\n" * 1000))
    assert invoke_bounded("clean", small, "-o", tmp_path / "small-out.pdf").exit_code == 0
    for command in ("redact", "clean"):
        start = time.monotonic()
        result = invoke_bounded(command, bomb, "-o", tmp_path / f"out-{command}.pdf")
        assert result.exit_code == 5, (command, result.output)
        assert "decompression bomb" in result.stderr
        assert time.monotonic() - start < 15  # PDFium took minutes (and 1.8 GB for 65 MB) on these
        assert not (tmp_path / f"out-{command}.pdf").exists()


def test_pdf_image_declaring_huge_pixels_is_exit_5(tmp_path):
    image = b"5 0 obj<</Type/XObject/Subtype/Image/Width 40000/Height 40000/BitsPerComponent 8/ColorSpace/DeviceRGB"
    image += b"/Length 4>>stream\n\x00\x00\x00\x00\nendstream endobj\n"
    path = tmp_path / "image.pdf"
    path.write_bytes(_pdf(b"q 200 0 0 200 0 0 cm /Im0 Do Q\n", image, b"/Resources<</XObject<</Im0 5 0 R>>>>"))
    result = invoke_bounded("clean", path, "-o", tmp_path / "out.pdf")
    assert result.exit_code == 5 and "40,000 x 40,000" in result.stderr, result.output
    assert not (tmp_path / "out.pdf").exists()


def test_face_search_budget_refuses_long_animations_for_redact_only(tmp_path):
    from safepost.detect.budget import MAX_SEARCH_FRAMES

    path = tmp_path / "long.gif"
    gif(path, MAX_SEARCH_FRAMES + 50)  # under the 1,000 frames clean reads, over what redact searches
    start = time.monotonic()
    result = invoke_bounded("redact", path, "-o", tmp_path / "out.gif")
    assert result.exit_code == 5, result.output
    assert f"faces are searched in at most {MAX_SEARCH_FRAMES:,} frames" in result.stderr
    assert "convert a long animation to a video" in result.stderr
    assert time.monotonic() - start < 20 and not (tmp_path / "out.gif").exists()
    assert invoke_bounded("clean", path, "-o", tmp_path / "clean.gif").exit_code == 0


def test_face_search_budget_refuses_long_pdfs_and_says_to_split_them(tmp_path):
    from test_media_pdf import blank_pages

    from safepost.detect.budget import MAX_SEARCH_FRAMES
    from safepost.media import pdf as pdf_mod

    path = tmp_path / "long.pdf"
    path.write_bytes(blank_pages(MAX_SEARCH_FRAMES + 1))
    start = time.monotonic()
    result = invoke_bounded("redact", path, "-o", tmp_path / "out.pdf")
    assert result.exit_code == 5, result.output
    assert f"{MAX_SEARCH_FRAMES + 1:,} pages" in result.stderr and "split the PDF" in result.stderr
    assert time.monotonic() - start < 20 and not (tmp_path / "out.pdf").exists()
    assert invoke_bounded("clean", path, "-o", tmp_path / "clean.pdf").exit_code == 0  # clean reads up to 300

    big = tmp_path / "big.pdf"  # pages of 2,000 x 2,000 pt: 17.4 million pixels each at 150 dpi
    big.write_bytes(blank_pages(15, b"[0 0 2000 2000]"))  # 15 of them: 260 million, over the search budget
    result = invoke_bounded("redact", big, "-o", tmp_path / "big-out.pdf")
    assert result.exit_code == 5 and "pixels in its 15 pages" in result.stderr, result.output
    huge = tmp_path / "huge.pdf"  # 30 pages of 50 million pixels each (the page limit): 1.5 billion to render
    huge.write_bytes(blank_pages(30, b"[0 0 5000 5000]"))
    result = invoke_bounded("clean", huge, "-o", tmp_path / "huge-out.pdf")
    assert result.exit_code == 5, result.output
    assert f"the limit is {pdf_mod.MAX_TOTAL_PIXELS:,} pixels in all" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.pdf", "clean.pdf", "huge.pdf", "long.pdf"]
