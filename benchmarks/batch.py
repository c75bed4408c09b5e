#!/usr/bin/env python3
"""Batch throughput: the plain loop against Dask LocalCluster with 1 and 2 workers, on one mixed set.

Builds a mixed archive in a temporary folder (photos resized from the eval faces images, some with
EXIF and GPS; a few one-page PDFs holding a photo; a few short generated videos with a moving face;
one corrupt photo), then runs `safepost batch` on it once per setup, each in its own process into
its own output folder, and prints files/s and scaling efficiency side by side:

    .venv/bin/python benchmarks/batch.py [--data ../shared/eval/faces] [--files 200] [--mode fast]
        [--setups loop,dask1,dask2,processes2] [--keep DIR] [--json]

Setups: `loop` (the anchor: one process, one file after another), `dask1` / `dask2` (`--dask local
--workers 1/2`), `processes2` (`--workers 2`, local processes without Dask). Time = the run's own
clock (cluster start-up included, interpreter start-up not; that is `wall`). Efficiency of an N-worker
setup = its files/s / (N x files/s of dask1). The eval images stay in the temporary folder (never in
the repo); without --data the photos are generated from the bundled public-domain samples.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "src" / "safepost" / "samples"
CLI = "import sys; from safepost.cli import run; sys.argv = ['safepost', *sys.argv[1:]]; run()"
SETUPS = {
    "loop": [],
    "dask1": ["--dask", "local", "--workers", "1"],
    "dask2": ["--dask", "local", "--workers", "2"],
    "processes2": ["--workers", "2"],
}
WORKERS = {"loop": 1, "dask1": 1, "dask2": 2, "processes2": 2}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _sources(data: Path | None) -> list[Path]:
    if data and (data / "images").is_dir():
        return sorted((data / "images").rglob("*.jpg"))
    log(f"no eval images under {data}; using the bundled samples")
    return sorted(SAMPLES.glob("*.jpg"))


def _gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    return exif


def _video(path: Path, face: Image.Image, frames: int = 20) -> None:
    import av

    rng = np.random.default_rng(len(path.name))
    background = rng.integers(60, 200, (240, 320, 3), dtype=np.uint8)
    face = face.resize((96, 96))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(frames):
            frame = Image.fromarray(background.copy())
            frame.paste(face, (20 + 8 * i, 60))
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")))
        out.mux(stream.encode(None))


def build_set(folder: Path, sources: list[Path], files: int) -> dict[str, int]:
    """``files`` inputs: ~5% PDFs, ~4% videos, one corrupt photo, the rest photos (a third with GPS)."""
    rng = random.Random(20261125)
    pdfs, videos = max(1, files // 20), max(1, files // 25)
    photos = files - pdfs - videos - 1
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286))
    for i in range(photos):
        sub = folder / f"event{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        with Image.open(sources[i % len(sources)]) as image:
            picture = image.convert("RGB")
        side = rng.choice((640, 800, 1024))
        picture.thumbnail((side, side))
        if i % 3 == 0:
            picture.save(sub / f"photo{i:03d}.jpg", quality=90, exif=_gps_exif())
        elif i % 3 == 1:
            picture.save(sub / f"photo{i:03d}.jpg", quality=90)
        else:
            picture.save(sub / f"photo{i:03d}.png")
    (folder / "documents").mkdir()
    for i in range(pdfs):
        with Image.open(sources[(7 * i) % len(sources)]) as image:
            page = image.convert("RGB")
        page.thumbnail((800, 800))
        page.save(folder / "documents" / f"report{i:02d}.pdf", resolution=100.0, title="Internal", author="Jane Doe")
    (folder / "videos").mkdir()
    for i in range(videos):
        _video(folder / "videos" / f"clip{i:02d}.mp4", face)
    (folder / "corrupt.jpg").write_bytes((SAMPLES / "astronaut.jpg").read_bytes()[:2500])
    return {"photos": photos, "pdfs": pdfs, "videos": videos, "corrupt": 1}


def run_setup(name: str, in_dir: Path, out_dir: Path, mode: str) -> dict:
    command = [sys.executable, "-c", CLI, "batch", str(in_dir), "-o", str(out_dir), "--mode", mode]
    command += ["--audio", "drop", "--json", *SETUPS[name]]
    env = {k: v for k, v in os.environ.items() if k != "SAFEPOST_THREADS"}
    before = load()
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 15):
        raise SystemExit(f"{name} crashed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout)
    processed = summary["done"] + summary["failed"]
    return {
        "setup": name,
        "workers": WORKERS[name],
        "done": summary["done"],
        "failed": summary["failed"],
        "skipped": summary["skipped"],
        "seconds": summary["seconds"],
        "wall": round(wall, 2),
        "files_per_s": round(processed / summary["seconds"], 3),
        "load_before": before,
        "load_after": load(),
        "statuses": _statuses(out_dir),
    }


def _statuses(out_dir: Path) -> dict[str, str]:
    lines = (out_dir / "manifest.jsonl").read_text().splitlines()
    return {entry["input"]: entry["status"] for entry in map(json.loads, lines)}


def _no_gps_left(out_dir: Path) -> bool:
    for path in out_dir.rglob("*.jpg"):
        with Image.open(path) as image:
            if image.getexif().get_ifd(0x8825):
                return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/eval/faces"), help="eval faces folder")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--mode", default="fast", choices=("fast", "thorough"))
    parser.add_argument("--setups", default="loop,dask1,dask2,processes2")
    parser.add_argument("--keep", type=Path, help="keep the generated set and outputs in this new folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = args.data if args.data.is_absolute() else (REPO / args.data).resolve()
    setups = [s for s in args.setups.split(",") if s]
    unknown = set(setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups: {', '.join(sorted(unknown))}")

    work = args.keep or Path(tempfile.mkdtemp(prefix="safepost-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        in_dir = work / "in"
        mix = build_set(in_dir, _sources(data), args.files)
        log(f"built {args.files} files in {in_dir}: {mix}; cpus {os.cpu_count()}; {load()}")
        results = []
        for name in setups:
            log(f"running {name} ...")
            results.append(run_setup(name, in_dir, work / f"out-{name}", args.mode))
            results[-1]["no_gps_left"] = _no_gps_left(work / f"out-{name}")
            log(f"  {results[-1]['files_per_s']} files/s in {results[-1]['seconds']} s ({results[-1]['load_after']})")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    base = next((r["files_per_s"] for r in results if r["setup"] == "dask1"), None)
    loop = next((r["files_per_s"] for r in results if r["setup"] == "loop"), None)
    for r in results:
        r["vs_loop"] = round(r["files_per_s"] / loop, 2) if loop else None
        r["efficiency"] = round(r["files_per_s"] / (r["workers"] * base), 2) if base else None
    same = len({json.dumps(r.pop("statuses"), sort_keys=True) for r in results}) == 1
    if args.json:
        print(
            json.dumps(
                {"files": args.files, "mix": mix, "mode": args.mode, "results": results, "same_statuses": same},
                indent=2,
            )
        )
        return 0
    print(f"\n{args.files} files ({mix}), --mode {args.mode}, {os.cpu_count()} CPUs")
    print("| setup | workers | done | failed | seconds | wall s | files/s | x loop | efficiency | GPS left | load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for r in results:
        print(
            f"| {r['setup']} | {r['workers']} | {r['done']} | {r['failed']} | {r['seconds']:.1f} | {r['wall']:.1f} | "
            f"{r['files_per_s']:.2f} | {r['vs_loop']} | {r['efficiency']} | {'no' if r['no_gps_left'] else 'YES'} | "
            f"{r['load_before']} -> {r['load_after'].split()[-3]} |"
        )
    print(f"same status for every file in every setup: {'yes' if same else 'NO'}")
    return 0 if same and all(r["no_gps_left"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
