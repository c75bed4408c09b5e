#!/usr/bin/env python3
"""Peak memory of a video read and written in memory (the web app's path) beside the same work on files.

    .venv/bin/python benchmarks/memory_inmemory.py --data DIR [--steps clean,mask] [--timeout 3000]

DIR holds ``video-4k.mp4`` (made by ``benchmarks/memory.py`` on first use). Each step runs twice, each
time as its own process: with the video as a file (``file``) and as a MemoryFile read from its bytes,
its output left in memory too (``memory``, what the web app does on every system). Steps: ``clean``
(``media.video.transcode``: decode and encode every frame) and ``mask`` (``flows.prepare.mask_video``:
the prepared copy, both passes, written to memory either way). The figure is the process's own peak
resident set (``ru_maxrss``, printed by the process itself).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GIB = 1 << 30

_CHILD = r"""
import sys
from pathlib import Path
step, how, src, out = sys.argv[1:5]
from safepost.media.memfile import MemoryFile
source = MemoryFile(Path(src).name, Path(src).read_bytes()) if how == "memory" else Path(src)
target = MemoryFile("out.mp4") if how == "memory" else Path(out)
if step == "clean":
    from safepost.media.video import transcode
    transcode(source, target)
else:
    from safepost.flows.prepare import mask_video
    if how == "file":
        target = MemoryFile("out.mp4")  # prepare renders into memory: only the input differs
    mask_video(source, target, [], [], "keep")
import resource
size = len(target.data) if isinstance(target, MemoryFile) else target.stat().st_size
print(size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(step: str, how: str, src: Path, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", _CHILD, step, how, str(src), str(Path(tmp) / "out.mp4")]
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        wall = time.monotonic() - start
    size, peak = (int(v) for v in out.decode().split()) if proc.returncode == 0 else (0, 0)
    return {
        "step": step,
        "input": how,
        "exit": proc.returncode,
        "peak_gib": round(peak * 1024 / GIB, 2),
        "wall_s": round(wall, 1),
        "output_bytes": size,
        "error": err.decode()[-300:] if proc.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with video-4k.mp4")
    parser.add_argument("--steps", default="clean", help="clean,mask")
    parser.add_argument("--timeout", type=float, default=3000)
    args = parser.parse_args()
    src = args.data / "video-4k.mp4"
    if not src.is_file():
        print(f"{src} is missing: make it with benchmarks/memory.py --data DIR --cases video-4k", file=sys.stderr)
        return 2
    print(f"load average: {os.getloadavg()}", file=sys.stderr)
    for step in args.steps.split(","):
        for how in ("file", "memory"):
            print(json.dumps(run(step, how, src, args.timeout)), flush=True)
    print(f"load average: {os.getloadavg()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
