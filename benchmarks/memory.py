#!/usr/bin/env python3
"""Peak memory (and wall time) of `safepost redact` / `clean` on large generated inputs, beside deface.

    .venv/bin/python benchmarks/memory.py [--data DIR] [--cases photo-12mp,...] [--tools safepost,deface]
                                          [--video-seconds 2] [--timeout 1800]

Inputs are made in code on first use (or read from --data DIR if it holds them already): photos of
12 MP (4000x3000), 48 MP (8000x6000) and 16 MP square (4096x4096) with public-domain sample faces
pasted at several sizes, a 4K (3840x2160) clip of a few seconds, and a 100-page PDF. Each tool runs
once per input as its own process; the figure is that process's peak resident set (ru_maxrss from
wait4), beside its wall time and exit code. Targets (issue 18): <= 2 GiB for any accepted input,
<= 1.5 GiB for a 12 MP photo. deface==1.5.0 runs from benchmarks/.venvs/deface (see _anchors.py).
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

from _anchors import DEFACE_VERSION, ensure_deface, log

REPO = Path(__file__).resolve().parents[1]
SAFEPOST = Path(sys.executable).with_name("safepost")
SAMPLES = REPO / "src" / "safepost" / "samples"
GIB = 1 << 30
TARGET_GIB = {"photo-12mp": 1.5}
DEFAULT_TARGET_GIB = 2.0

CASES = {
    "photo-12mp": ("photo-12mp.jpg", (4000, 3000)),
    "photo-48mp": ("photo-48mp.jpg", (8000, 6000)),
    "photo-16mp-square": ("photo-16mp-square.jpg", (4096, 4096)),
    "video-4k": ("video-4k.mp4", (3840, 2160)),
    "pdf-100p": ("pdf-100p.pdf", (1240, 1754)),
}


def _canvas(size: tuple[int, int], seed: int):
    """A textured background with the sample faces pasted at sizes from 40 to 600 px."""
    import numpy as np
    from PIL import Image

    width, height = size
    rng = np.random.default_rng(seed)
    small = rng.integers(60, 200, (max(1, height // 64), max(1, width // 64), 3), dtype=np.uint8)
    canvas = Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR)
    faces = [Image.open(SAMPLES / name).convert("RGB") for name in ("astronaut.jpg", "cameraman.jpg")]
    x = 20
    for n, side in enumerate((40, 80, 160, 320, 600)):
        side = min(side, height // 2, width // 6)
        face = faces[n % 2].resize((side, side), Image.Resampling.LANCZOS)
        canvas.paste(face, (x, height // 4))
        x += side + 40
    return canvas


def make_photo(path: Path, size: tuple[int, int]) -> None:
    _canvas(size, 1).save(path, quality=90)


def make_video(path: Path, size: tuple[int, int], seconds: float = 2.0, fps: int = 30) -> None:
    import av
    import numpy as np

    base = np.asarray(_canvas(size, 2))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.roll(base, 8 * index, axis=1), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def make_pdf(path: Path, size: tuple[int, int], pages: int = 100) -> None:
    first = _canvas(size, 3)
    rest = [_canvas(size, 4 + n) for n in range(pages - 1)]
    first.save(path, save_all=True, append_images=rest, resolution=150)


def ensure_input(data: Path, case: str, video_seconds: float = 2.0) -> Path:
    name, size = CASES[case]
    if case.startswith("video") and video_seconds != 2.0:
        name = name.replace(".mp4", f"-{video_seconds:g}s.mp4")
    path = data / name
    if not path.exists():
        log(f"making {path} ...")
        if case.startswith("video"):
            make_video(path, size, seconds=video_seconds)
        else:
            (make_pdf if case.startswith("pdf") else make_photo)(path, size)
    return path


def run(cmd: list[str], timeout: float = 1800) -> dict:
    """Run ``cmd``; its exit code, wall seconds and peak RSS (the process itself, from wait4)."""
    start = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}  # this checkout, not an installed copy
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": round(time.monotonic() - start, 1),
        "peak_gib": round(usage.ru_maxrss * 1024 / GIB, 2),
        "stderr_tail": stderr.strip().splitlines()[-1:] if stderr.strip() else [],
    }


def commands(tool: str, case: str, src: Path, out: Path) -> list[tuple[str, list[str]]]:
    ext = src.suffix
    if tool == "safepost":
        cmds = [("redact", [str(SAFEPOST), "redact", str(src), "-o", str(out / f"redacted{ext}")])]
        if case.startswith(("video", "pdf")):
            cmds.append(("clean", [str(SAFEPOST), "clean", str(src), "-o", str(out / f"clean{ext}")]))
        return cmds
    if tool == "deface" and not case.startswith("pdf"):
        exe = ensure_deface()
        extra = ["--execution-provider", "CPUExecutionProvider"] if case.startswith("video") else []
        return [("redact", [str(exe), str(src), "-o", str(out / f"deface{ext}"), "--replacewith", "solid", *extra])]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder for the generated inputs (kept between runs)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    parser.add_argument("--tools", default="safepost,deface", help="comma-separated subset of safepost,deface")
    parser.add_argument("--video-seconds", type=float, default=2.0, help="length of the 4K clip (default 2)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a run is stopped (default 1800)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / "safepost-memory-bench"
    data.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory-bench-", dir=data) as tmp:
        for case in args.cases.split(","):
            src = ensure_input(data, case, args.video_seconds)
            for tool in args.tools.split(","):
                for command, cmd in commands(tool, case, src, Path(tmp)):
                    log(f"{case}: {tool} {command} ...")
                    result = run(cmd, args.timeout)
                    target = TARGET_GIB.get(case, DEFAULT_TARGET_GIB)
                    rows.append({"case": case, "tool": tool, "command": command, "target_gib": target, **result})
                    log(f"  exit {result['exit']}, peak {result['peak_gib']:.2f} GiB, {result['wall_s']:.1f} s")
                    for leftover in Path(tmp).iterdir():
                        leftover.unlink()
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"load_avg": load, "deface": DEFACE_VERSION, "rows": rows}, indent=2))
        return 0
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; deface {DEFACE_VERSION}")
    print(f"{'input':<18} {'tool':<9} {'command':<7} {'exit':>4} {'peak GiB':>8} {'target':>6} {'wall s':>7}")
    for r in rows:
        mark = "" if r["tool"] != "safepost" or r["peak_gib"] <= r["target_gib"] else "  OVER"
        print(
            f"{r['case']:<18} {r['tool']:<9} {r['command']:<7} {r['exit']:>4} {r['peak_gib']:>8.2f} "
            f"{r['target_gib']:>6.1f} {r['wall_s']:>7.1f}{mark}"
        )
        if r["exit"] and r["stderr_tail"]:
            print(f"    {r['stderr_tail'][0][:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
