#!/usr/bin/env python3
"""Output sizes against input sizes, at the same picture quality, on generated files (issue 23, item 5).

Makes a phone-like JPEG photo, the same photo as HEIC, a screenshot PNG, a PDF (a photo page and a
text page) and an H.264 clip with sound; runs `clean` (metadata removal) and `redact` (faces masked;
video in --mode realtime) through the Python API, and prints for each: input and output bytes, the
ratio, and the picture quality of the cleaned copy against the input (PSNR in dB over the decoded
pixels; 40 dB and more cannot be told apart by eye, 35-40 is near-transparent). Target: every
output within 1.5x of its input.

    .venv/bin/python benchmarks/sizes.py [--out DIR] [--json]

Everything is generated in code from the bundled public-domain samples: no data set is needed.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "src" / "safepost" / "samples"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TARGET = 1.5


def _photo(width: int = 3024, height: int = 2016, seed: int = 7) -> np.ndarray:
    """A phone-sized picture: the two sample photos side by side, scaled up, with sensor-like grain."""
    left = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((width // 2, height), Image.LANCZOS)
    right = Image.open(SAMPLES / "cameraman.jpg").convert("RGB").resize((width - width // 2, height), Image.LANCZOS)
    canvas = Image.new("RGB", (width, height))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (width // 2, 0))
    rgb = np.asarray(canvas).astype(np.float32)
    rgb += np.random.default_rng(seed).normal(0, 3.0, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _screenshot(width: int = 1170, height: int = 2532) -> Image.Image:
    image = Image.new("RGB", (width, height), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 36) if FONT.exists() else ImageFont.load_default()
    for row in range(24):
        y = 120 + row * 100
        draw.rounded_rectangle((40, y, width - 40, y + 80), 18, fill=(255, 255, 255) if row % 2 else (225, 240, 255))
        draw.text((70, y + 20), f"Message {row + 1}: we meet at the square at {8 + row % 10}:00", font=font, fill=0)
    return image


def make_inputs(folder: Path) -> dict[str, Path]:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    photo = Image.fromarray(_photo())
    exif = Image.open(SAMPLES / "astronaut.jpg").info.get("exif", b"")
    files = {}
    files["photo.jpg"] = folder / "photo.jpg"
    photo.save(files["photo.jpg"], "JPEG", quality=85, exif=exif)  # a phone camera's usual setting
    files["photo.heic"] = folder / "photo.heic"
    photo.save(files["photo.heic"], "HEIF", quality=50)  # libheif's default, as phones write
    files["screenshot.png"] = folder / "screenshot.png"
    _screenshot().save(files["screenshot.png"], "PNG", optimize=True)
    files["report.pdf"] = folder / "report.pdf"
    _pdf(files["report.pdf"], photo)
    files["clip.mp4"] = folder / "clip.mp4"
    _clip(files["clip.mp4"])
    return files


def _pdf(path: Path, photo: Image.Image) -> None:
    """Page 1: the photo at 200 dpi on an A4-wide page (as a scanner or a camera app writes it); page 2: text."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(photo.width * 72 / 200, photo.height * 72 / 200))
    pdf.add_page()
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    pdf.image(buffer, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 16, "Report of the forum. " * 120)
    pdf.output(str(path))


def _clip(path: Path, seconds: int = 6, fps: int = 25) -> None:
    """640x360 H.264 (x264 medium, CRF 23: a phone's or a messenger's usual quality) with AAC sound."""
    base = np.asarray(Image.fromarray(_photo(1280, 720)).resize((960, 540)))
    rng = np.random.default_rng(3)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"
        video.codec_context.options = {"preset": "medium", "crf": "23"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for i in range(seconds * fps):
            x, y = int(160 + 150 * np.sin(i / 20)), int(90 + 80 * np.cos(i / 27))  # a slow handheld pan
            frame = base[y : y + 360, x : x + 640].astype(np.int16) + rng.normal(0, 2, (360, 640, 3)).astype(np.int16)
            img = av.VideoFrame.from_ndarray(np.clip(frame, 0, 255).astype(np.uint8), format="rgb24")
            out.mux(video.encode(img))
        out.mux(video.encode(None))
        t = np.arange(seconds * 48000) / 48000
        tone = (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(np.float32)
        for start in range(0, len(tone), 1024):
            chunk = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = 48000, start, Fraction(1, 48000)
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))


def _decode_image(path: Path) -> np.ndarray:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return np.asarray(Image.open(path).convert("RGB"))


def _decode_pdf(path: Path, dpi: int = 100) -> list[np.ndarray]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [np.asarray(pdf[i].render(scale=dpi / 72).to_pil().convert("RGB")) for i in range(len(pdf))]
    finally:
        pdf.close()


def _decode_video(path: Path, limit: int = 150) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= limit:
                break
    return frames


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    mse = float(np.mean((a[:h, :w].astype(np.float64) - b[:h, :w].astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def quality(src: Path, out: Path) -> float | None:
    """PSNR of the output against the input, over the decoded pictures (the mean over frames and pages)."""
    suffix = src.suffix.lower()
    if suffix == ".pdf":
        pairs = list(zip(_decode_pdf(src), _decode_pdf(out), strict=False))
    elif suffix == ".mp4":
        pairs = list(zip(_decode_video(src), _decode_video(out), strict=False))
    else:
        pairs = [(_decode_image(src), _decode_image(out))]
    return round(float(np.mean([psnr(a, b) for a, b in pairs])), 1) if pairs else None


def video_bitrate(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float(stream.duration * stream.time_base) if stream.duration else float(container.duration / 1e6)
        total = sum(p.size for p in container.demux(stream) if p.size)
    return int(total * 8 / seconds)


def run(out_dir: Path) -> list[dict]:
    sys.path.insert(0, str(REPO / "src"))
    from safepost.detect.faces import FaceDetector
    from safepost.flows.media import clean_file, redact_file

    inputs_dir = out_dir / "inputs"
    shutil.rmtree(out_dir, ignore_errors=True)
    inputs_dir.mkdir(parents=True)
    files = make_inputs(inputs_dir)
    detector = FaceDetector("fast")
    rows = []
    for name, src in files.items():
        actions = ("clean", "clean-realtime", "redact") if src.suffix == ".mp4" else ("clean", "redact")
        for action in actions:
            target = out_dir / action / name
            target.parent.mkdir(exist_ok=True)
            start = time.perf_counter()
            if action == "clean":
                result = clean_file(src, target)
            elif action == "clean-realtime":  # the encoder --mode realtime uses (x264 ultrafast), no masks
                from safepost.media.video import encoder_preset

                with encoder_preset("ultrafast"):
                    result = clean_file(src, target)
            elif src.suffix == ".mp4":
                result = redact_file(src, target, mode="realtime", audio="keep")
            else:
                result = redact_file(src, target, mode="fast", detector=detector)
            seconds = time.perf_counter() - start
            row = {
                "file": name,
                "action": action,
                "input_bytes": src.stat().st_size,
                "output_bytes": result.output.stat().st_size,
                "seconds": round(seconds, 2),
            }
            row["ratio"] = round(row["output_bytes"] / row["input_bytes"], 2)
            if action.startswith("clean"):
                row["psnr_db"] = quality(src, result.output)
            if src.suffix == ".mp4":
                row["video_kbps_in"] = video_bitrate(src) // 1000
                row["video_kbps_out"] = video_bitrate(result.output) // 1000
            rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="keep inputs and outputs here (default: a temp folder)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="safepost-sizes-"))
    try:
        rows = run(out_dir)
    finally:
        if args.out is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'file':16} {'action':14} {'input':>10} {'output':>10} {'ratio':>6} {'PSNR dB':>8} {'s':>6}  note")
        for r in rows:
            note = ""
            if "video_kbps_in" in r:
                note = f"video {r['video_kbps_in']} -> {r['video_kbps_out']} kbit/s"
            psnr_text = "" if r.get("psnr_db") is None else f"{r['psnr_db']:.1f}"
            print(
                f"{r['file']:16} {r['action']:14} {r['input_bytes']:>10,} {r['output_bytes']:>10,} "
                f"{r['ratio']:>6.2f} {psnr_text:>8} {r['seconds']:>6.1f}  {note}"
            )
    over = [r for r in rows if r["ratio"] > TARGET]
    print(f"within {TARGET}x of the input: {len(rows) - len(over)}/{len(rows)}", file=sys.stderr)
    for r in over:
        print(f"  over: {r['file']} {r['action']} x{r['ratio']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
