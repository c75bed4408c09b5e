"""Speed on a sparse scene: safepost's video modes against deface on a clip with one face.

    .venv/bin/python benchmarks/video_sparse.py [--frames 150] [--runs 1]

The eval clips are dense crowds, where deface slows down with every face it finds while
safepost's cost per frame barely changes, so their fps ratio flatters us. This builds a 720p
clip from the bundled astronaut sample (one face, a slow pan; no eval data) in a temporary
folder and times every tool on it the way benchmarks/video.py does (one process each, start-up
included). It checks speed only: the clip has no ground truth.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
from PIL import Image
from video import REPO, TOOLS, Clip, run_one

SAMPLE = REPO / "src" / "safepost" / "samples" / "astronaut.jpg"
WIDTH, HEIGHT = 1280, 720


def sparse_clip(dest: Path, frames: int) -> Clip:
    """A slow pan over the sample photo, scaled up so the frame stays covered."""
    photo = Image.open(SAMPLE).convert("RGB")
    side = WIDTH + 2 * frames
    big = np.asarray(photo.resize((side, side * photo.height // photo.width)))
    with av.open(str(dest), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for i in range(frames):
            crop = np.ascontiguousarray(big[:HEIGHT, 2 * i : 2 * i + WIDTH])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(crop, format="rgb24")))
        out.mux(stream.encode())
    return Clip("sparse", video=dest, gt=dest, frames=frames)  # no ground truth: run_one never reads gt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--runs", type=int, default=1, help="runs per tool; the best is kept")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="safepost-sparse-") as tmp:
        clip = sparse_clip(Path(tmp) / "sparse.mp4", args.frames)
        fps: dict[str, float] = {}
        with open(Path(tmp) / "log.txt", "w") as log:
            for _ in range(args.runs):
                for tool in TOOLS:  # tools inside each run, so load changes hit them alike
                    result = run_one(tool, clip, Path(tmp), timeout=600, logf=log)
                    if result["error"]:
                        print(f"{tool}: {result['error']}", file=sys.stderr)
                        return 1
                    fps[tool] = max(fps.get(tool, 0.0), result["fps"])
    for tool in TOOLS:
        print(f"{tool:18} {fps[tool]:6.2f} fps  {fps[tool] / fps['deface']:5.2f}x deface")
    return 0


if __name__ == "__main__":
    sys.exit(main())
