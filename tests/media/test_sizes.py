"""Output sizes (issue 23, item 5): outputs within 1.5x of the input at the same visual quality,
HEIC kept as HEIC, PDF photo pages at their own resolution, video bit rate near the input's, and a
note when a format must grow."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from safepost.flows.media import clean_file
from safepost.media.images import QUALITY_STEPS, ensure_heif_support, load_image, save_image
from safepost.media.video import encoder_preset
from tests.conftest import SAMPLES

LIMIT = 1.5


def _photo(width: int = 960, height: int = 640) -> Image.Image:
    base = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((width, height), Image.LANCZOS)
    rgb = np.asarray(base).astype(np.float32) + np.random.default_rng(1).normal(0, 3, (height, width, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def test_a_phone_heic_stays_heic_within_the_limit_and_looks_the_same(tmp_path):
    ensure_heif_support()
    src = tmp_path / "IMG_2041.HEIC"
    _photo().save(src, "HEIF", quality=50)  # libheif's default, as phones write
    out = clean_file(src, tmp_path / "clean.heic").output
    assert Image.open(out).format == "HEIF"
    assert out.stat().st_size <= LIMIT * src.stat().st_size, (out.stat().st_size, src.stat().st_size)
    assert _psnr(load_image(src).frames[0], load_image(out).frames[0]) > 40  # no visible difference


def test_a_camera_jpeg_stays_within_the_limit(tmp_path):
    src = tmp_path / "march.jpg"
    _photo().save(src, "JPEG", quality=85)
    out = clean_file(src, tmp_path / "clean.jpg").output
    assert out.stat().st_size <= LIMIT * src.stat().st_size
    assert _psnr(load_image(src).frames[0], load_image(out).frames[0]) > 40


def test_a_format_that_must_grow_says_so_and_why(tmp_path):
    src = tmp_path / "tiny.jpg"
    _photo().save(src, "JPEG", quality=20)  # smaller than anything safepost writes
    result = clean_file(src, tmp_path / "clean.jpg")
    assert any(
        n.startswith("the output is ") and "x the input's size: JPEG at the lowest quality" in n for n in result.notes
    )
    encoded = save_image([np.zeros((16, 16, 3), np.uint8)], tmp_path / "x.jpg", "JPEG", budget=10)
    assert not encoded.within_budget and encoded.quality == QUALITY_STEPS["JPEG"][-1]
    png = save_image([np.zeros((16, 16, 3), np.uint8)], tmp_path / "x.png", "PNG", budget=10)
    assert png.quality is None  # lossless: written once


def test_a_pdf_photo_page_keeps_its_resolution_and_its_size(tmp_path):
    from fpdf import FPDF

    photo = _photo(1200, 800)
    pdf = FPDF(unit="pt", format=(1200 * 72 / 200, 800 * 72 / 200))  # a 200 dpi picture filling the page
    pdf.add_page()
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    pdf.image(buffer, x=0, y=0, w=pdf.w, h=pdf.h)
    src = tmp_path / "report.pdf"
    pdf.output(str(src))
    result = clean_file(src, tmp_path / "clean.pdf")
    assert "at 200 dpi" in result.notes[0]
    assert result.output.stat().st_size <= LIMIT * src.stat().st_size
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(result.output))
    try:
        image = next(doc[0].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))
        assert (image.get_metadata().width, image.get_metadata().height) == (1200, 800)
        assert image.get_filters() == ["DCTDecode"]  # a photo page is a JPEG, not a lossless picture
    finally:
        doc.close()


def _clip(path: Path, seconds: int = 8, fps: int = 25) -> None:
    base = np.asarray(_photo(640, 400))
    rng = np.random.default_rng(2)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        video.codec_context.options = {"preset": "medium", "crf": "26"}
        for i in range(seconds * fps):
            x, y = 100 + int(80 * np.sin(i / 15)), 60 + int(50 * np.cos(i / 19))
            frame = base[y : y + 240, x : x + 320].astype(np.int16) + rng.normal(0, 2, (240, 320, 3)).astype(np.int16)
            out.mux(video.encode(av.VideoFrame.from_ndarray(np.clip(frame, 0, 255).astype(np.uint8), format="rgb24")))
        out.mux(video.encode(None))


def _video_bytes(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(p.size for p in container.demux(video=0) if p.size)


@pytest.mark.parametrize("preset", ["ultrafast", "medium"])  # --mode realtime's encoder, and the default one
def test_video_bit_rate_stays_near_the_input(tmp_path, preset):
    src = tmp_path / "clip.mp4"
    _clip(src)
    with encoder_preset(preset):
        out = clean_file(src, tmp_path / f"clean-{preset}.mp4").output
    assert _video_bytes(out) <= LIMIT * _video_bytes(src), (_video_bytes(out), _video_bytes(src))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(25) and stream.frames == 200
