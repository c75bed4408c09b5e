#!/usr/bin/env python3
"""Video face anonymisation of safepost against the anchor tool deface, side by side on the same clips.

Each tool runs on every clip of the video eval set (one process per clip, wall clock per process; clips in
the outer loop, tools in the inner one, so load on a shared machine hits all tools alike), outputs go to
OUT/<tool>/<clip>.mp4, and every output is scored by the eval set's own score_video.py --json once all runs
are done. Prints a table per tool and clip with an ALL row per tool, then the issue's targets (PASS/FAIL).

    .venv/bin/python benchmarks/video.py [--tools safepost-thorough,safepost-realtime,deface]
        [--clips clip1,clip2] [--limit-frames N] [--timeout S] [--data DIR] [--out DIR] [--json]

deface==1.5.0 runs from its own venv, benchmarks/.venvs/deface (see _anchors.py), as
`deface CLIP -o OUT.mp4 --replacewith solid --keep-audio --execution-provider CPUExecutionProvider`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _anchors import DEFACE_VERSION, deface_backend, ensure_deface, log

REPO = Path(__file__).resolve().parents[1]
SAFEPOST = REPO / ".venv" / "bin" / "safepost"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"  # has numpy + av, what score_video.py needs
TOOLS = ("safepost-thorough", "safepost-realtime", "deface")
# (tool, metric, op, limit, reference): with a reference tool the limit is a factor on its ALL metric.
# exposed = pooled exposed face-frames / face-frames; fps = total frames / total wall; audio = on every clip.
TARGETS: tuple[tuple[str, str, str, float, str | None], ...] = (
    ("safepost-thorough", "exposed", "<=", 0.25, "deface"),
    ("safepost-thorough", "fps", ">=", 2.0, "deface"),
    ("safepost-thorough", "collateral", "<=", 0.10, None),
    ("safepost-thorough", "audio", "==", 1.0, None),
    ("safepost-realtime", "fps", ">=", 25.0, None),  # at 720p: every clip is 1280x720
    ("safepost-realtime", "exposed", "<=", 1.0, "deface"),
    ("safepost-realtime", "collateral", "<=", 0.10, None),
    ("safepost-realtime", "audio", "==", 1.0, None),
)  # a tool with any error gets n/a, never PASS


@dataclass
class Clip:
    name: str
    video: Path
    gt: Path
    frames: int


def truncate(name: str, video: Path, gt: dict[str, Any], n: int, tmp: Path) -> Clip:
    """First n frames of a clip and its GT, in tmp (outside the repo). Video is re-encoded losslessly
    (x264 -qp 0, yuv420p like the source), so the decoded frames equal the original's; audio is cut to match."""
    dest = tmp / f"{name}.mp4"
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-i",
        str(video),
        "-map",
        "0",
        "-frames:v",
        str(n),
        "-t",
        f"{n / float(gt['fps']):.3f}",
        "-c:v",
        "libx264",
        "-qp",
        "0",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "copy",
        "-map_metadata",
        "0",
        str(dest),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"ffmpeg could not cut {video}:\n{proc.stderr.strip()}")
    cut = dict(gt, frames=n, video=dest.name)
    for key in ("frames_gt", "frames_face_ids", "frames_ignore"):
        cut[key] = {k: v for k, v in gt.get(key, {}).items() if int(k) < n}
    cut["motion_blur_frames"] = [i for i in gt.get("motion_blur_frames", []) if i < n]
    cut["camera_cx_cy_w"] = gt.get("camera_cx_cy_w", [])[:n]
    cut.pop("face_frames", None)  # stale for the cut; the scorer counts from frames_gt
    gt_path = tmp / f"{name}.json"
    gt_path.write_text(json.dumps(cut))
    return Clip(name, dest, gt_path, n)


def find_clips(data: Path, names: list[str] | None, limit_frames: int | None, tmp: Path) -> list[Clip]:
    names = names or sorted((p.stem for p in data.glob("clip*.mp4")), key=lambda s: (len(s), s))
    clips = []
    for name in names:
        video, gt_path = data / f"{name}.mp4", data / f"{name}.json"
        if not video.is_file() or not gt_path.is_file():
            raise SystemExit(f"{name}: {video.name} or {gt_path.name} missing in {data}")
        gt = json.loads(gt_path.read_text())
        if limit_frames and limit_frames < int(gt["frames"]):
            clips.append(truncate(name, video, gt, limit_frames, tmp))
        else:
            clips.append(Clip(name, video, gt_path, int(gt["frames"])))
    return clips


def command(tool: str, clip: Clip, dest: Path) -> list[str]:
    if tool == "deface":
        # --keep-audio copies the source's audio stream (deface drops it by default); without it the audio
        # column would compare a deface default rather than detection. --execution-provider only applies to the
        # onnxrt backend; with the opencv backend (no onnxruntime in the venv) it is a no-op. No --scale.
        cmd = [
            ensure_deface(),
            clip.video,
            "-o",
            dest,
            "--replacewith",
            "solid",
            "--keep-audio",
            "--execution-provider",
            "CPUExecutionProvider",
        ]
    else:
        cmd = [SAFEPOST, "redact", clip.video, "-o", dest, "--mode", tool.split("-", 1)[1]]
    return [str(c) for c in cmd]


def run_one(tool: str, clip: Clip, out: Path, timeout: float, logf: Any) -> dict[str, Any]:
    """Run one tool on one clip in its own process group; return wall time, exit status and any error."""
    dest = out / tool / f"{clip.name}.mp4"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)  # a stale output must not count
    if tool != "deface" and not SAFEPOST.exists():
        return {"wall_s": None, "exit": None, "output": None, "error": f"{SAFEPOST} not found", "fps": None}
    args = command(tool, clip, dest)
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        text, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this call started: deface's ffmpeg children too
        text, _ = proc.communicate()
        timed_out = True
    wall = time.perf_counter() - t0
    logf.write(f"$ {' '.join(args)}\n{text}\n[exit {proc.returncode}, {wall:.1f} s]\n")
    logf.flush()
    error = None
    if timed_out:
        error = f"timeout after {timeout:g} s"
    elif proc.returncode:
        tail = [ln.strip() for ln in text.splitlines() if ln.strip()][-3:]
        error = f"exit {proc.returncode}: {' | '.join(tail)}"
    elif not dest.is_file():
        error = "exit 0 but no output"
    ok = error is None
    return {
        "wall_s": wall,
        "exit": proc.returncode,
        "output": str(dest) if dest.is_file() else None,
        "error": error,
        "fps": clip.frames / wall if ok and wall > 0 else None,
    }


def score(data: Path, clip: Clip, output: Path) -> dict[str, Any]:
    python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
    cmd = [
        str(python),
        str(data / "score_video.py"),
        "--gt",
        str(clip.gt),
        "--output",
        str(output),
        "--original",
        str(clip.video),
        "--json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        return {"error": f"score_video.py exit {proc.returncode}: {proc.stderr.strip()}"}
    return json.loads(proc.stdout)


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ALL row over one tool's clips: exposed pooled, collateral weighted by frames, fps = frames / wall."""
    timed = [r for r in rows if r.get("fps") is not None]
    scored = [r for r in rows if r.get("face_frames") is not None]
    frames, wall = sum(r["frames"] for r in timed), sum(r["wall_s"] for r in timed)  # successful runs only
    n, e = sum(r["face_frames"] for r in scored), sum(r["exposed_face_frames"] for r in scored)
    w = sum(r["frames"] for r in scored)
    coll = [(r["collateral"], r["frames"]) for r in scored]
    return {
        "clips": len(rows),
        "clips_scored": len(scored),
        "frames": sum(r["frames"] for r in rows),
        "frames_timed": frames,
        "wall_s": wall if timed else None,
        "fps": frames / wall if wall > 0 else None,
        "exposed_face_frames": e if scored else None,
        "face_frames": n if scored else None,
        "exposed": e / n if n else (0.0 if scored else None),
        "collateral": sum(c * f for c, f in coll) / w if w else None,
        "audio": (1.0 if all(r["audio"] for r in scored) else 0.0) if scored else None,
    }


def check_targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for tool, metric, op, limit, ref in TARGETS:
        if tool not in results:
            continue
        value = results[tool]["all"].get(metric)
        if ref:
            ref_value = results.get(ref, {}).get("all", {}).get(metric)
            bound = None if ref_value is None else limit * ref_value
            shown = "-" if bound is None else (f"{100 * bound:.2f}%" if metric == "exposed" else f"{bound:.2f}")
            label = f"{metric} {op} {limit:g}x {ref} ({shown})"
        else:
            bound = limit
            label = "audio on every clip" if metric == "audio" else f"{metric} {op} {limit:g}"
        if results[tool]["errors"] or value is None or bound is None or math.isnan(value):
            verdict = "n/a"
        elif op == "==":
            verdict = "PASS" if value == bound else "FAIL"
        else:
            verdict = "PASS" if (value >= bound if op == ">=" else value <= bound) else "FAIL"
        checks.append(
            {"tool": tool, "metric": metric, "target": label, "value": value, "bound": bound, "result": verdict}
        )
    return checks


def fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def fmt_value(metric: str, v: float | None) -> str:
    if metric == "exposed":
        return "-" if v is None else f"{100 * v:.2f}%"
    if metric == "audio":
        return "-" if v is None else ("yes" if v else "no")
    return fmt(v, ".2f" if metric == "fps" else ".4f")


def print_table(results: dict[str, dict[str, Any]], checks: list[dict[str, Any]]) -> None:
    cols = (
        "tool",
        "clip",
        "frames",
        "exposed E/N",
        "exposed %",
        "collateral",
        "wall s",
        "fps",
        "x deface",
        "audio",
        "tags kept",
    )
    widths = (18, 6, 7, 14, 10, 11, 8, 7, 9, 6, 0)

    def line(cells: list[str] | tuple[str, ...]) -> str:
        """First two columns left-aligned, the last one free, the rest right-aligned."""
        parts = [f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "".join(parts[:-1]) + f"  {parts[-1]}".rstrip()

    print(line(cols))
    for tool, res in results.items():
        for name, r in [*res["clips"].items(), ("ALL", res["all"])]:
            en = "-" if r.get("face_frames") is None else f"{r['exposed_face_frames']}/{r['face_frames']}"
            pct = None if r.get("exposed") is None else 100 * r["exposed"]
            audio = "-" if r.get("audio") is None else ("yes" if r["audio"] else "no")
            tags = ", ".join(r.get("sensitive_tags_kept", {})) or ("none" if "sensitive_tags_kept" in r else "")
            cells = [
                tool,
                name,
                str(r["frames"]),
                en,
                fmt(pct, ".2f"),
                fmt(r.get("collateral"), ".4f"),
                fmt(r.get("wall_s"), ".1f"),
                fmt(r.get("fps"), ".2f"),
                fmt(r.get("fps_ratio"), ".2f"),
                audio,
                tags,
            ]
            print(line(cells))
        for e in res["errors"]:
            print(f"  ! {e}")
        for n in res["notes"]:
            print(f"  note: {n}")
    if checks:
        print("\nissue targets (on the ALL rows):")
        for c in checks:
            print(f"  {c['tool']:<18} {c['target']:<36} {fmt_value(c['metric'], c['value']):>9}  {c['result']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/video", help="eval folder, relative to the repo root")
    ap.add_argument("--out", default="benchmarks/out/video", help="output folder, relative to the repo root")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    ap.add_argument("--clips", help="comma-separated subset of clip names, e.g. clip1,clip2 (default: all)")
    ap.add_argument(
        "--limit-frames",
        type=int,
        help="only the first N frames of each clip (quick check; the "
        "cut clips and GT live in a temporary folder outside the repo)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="seconds per tool and clip (default 1800); a timeout counts as a crash",
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := sorted(set(tools) - set(TOOLS)):
        ap.error(f"unknown tool(s): {', '.join(unknown)}")
    if args.limit_frames is not None and args.limit_frames < 1:
        ap.error("--limit-frames must be >= 1")
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    if not (data / "score_video.py").is_file():
        ap.error(f"{data} has no score_video.py")
    out.mkdir(parents=True, exist_ok=True)
    names = [c.strip() for c in args.clips.split(",") if c.strip()] if args.clips else None
    if "deface" in tools:
        ensure_deface()

    load_start = os.getloadavg()
    runs: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in tools}
    with tempfile.TemporaryDirectory(prefix="safepost-video-bench-") as tmp:
        clips = find_clips(data, names, args.limit_frames, Path(tmp))
        with contextlib.ExitStack() as stack:
            logs = {t: stack.enter_context(open(out / f"{t}.log", "w")) for t in tools}
            for clip in clips:
                for tool in tools:
                    log(f"{tool}: {clip.name} ({clip.frames} frames) ...")
                    r = run_one(tool, clip, out, args.timeout, logs[tool])
                    runs[tool][clip.name] = r
                    log(f"{tool}: {clip.name}: " + (r["error"] or f"{r['wall_s']:.1f} s, {r['fps']:.2f} fps"))
        load_end = os.getloadavg()
        # Scored after all runs, so the scorer's decoding does not load the machine during a timed run.
        results: dict[str, dict[str, Any]] = {}
        for tool in tools:
            rows: dict[str, dict[str, Any]] = {}
            errors, notes, scores = [], [], {}
            for clip in clips:
                run = runs[tool][clip.name]
                row: dict[str, Any] = {"frames": clip.frames, **run}
                if run["error"]:
                    errors.append(f"{clip.name}: {run['error']}")
                if run["output"]:
                    log(f"scoring {tool}/{clip.name}.mp4 ...")
                    s = scores[clip.name] = score(data, clip, Path(run["output"]))
                    if "error" in s:
                        errors.append(f"{clip.name}: {s['error']}")
                    else:
                        row.update(
                            {
                                k: s[k]
                                for k in (
                                    "face_frames",
                                    "exposed_face_frames",
                                    "exposed_pct",
                                    "collateral",
                                    "audio",
                                    "sensitive_tags_kept",
                                    "frames_output",
                                    "frames_original",
                                )
                            }
                        )
                        row["exposed"] = s["exposed_face_frames"] / s["face_frames"] if s["face_frames"] else 0.0
                        if s["frames_output"] != s["frames_original"]:
                            notes.append(
                                f"{clip.name}: output has {s['frames_output']} frames, original "
                                f"{s['frames_original']} (missing frames count as exposed)"
                            )
                rows[clip.name] = row
            (out / f"{tool}.score.json").write_text(json.dumps(scores, indent=1))
            results[tool] = {"clips": rows, "all": pooled(list(rows.values())), "errors": errors, "notes": notes}

    deface = results.get("deface")
    for res in results.values():
        for name, row in [*res["clips"].items(), ("ALL", res["all"])]:
            ref = None if deface is None else (deface["all"] if name == "ALL" else deface["clips"][name])
            ref_fps = None if ref is None else ref.get("fps")
            row["fps_ratio"] = row["fps"] / ref_fps if ref_fps and row.get("fps") else None
    checks = check_targets(results)

    report = {
        "data": str(data),
        "clips": [c.name for c in clips],
        "limit_frames": args.limit_frames,
        "timeout_s": args.timeout,
        "deface_version": DEFACE_VERSION,
        "deface_backend": deface_backend() if "deface" in tools else None,
        "cpus": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "tools": results,
        "targets": checks,
    }
    (out / "results.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(results, checks)
        lim = f", first {args.limit_frames} frames" if args.limit_frames else ""
        print(
            f"\n{len(clips)} clip(s){lim}; {os.cpu_count()} CPUs, load avg 1 min {load_start[0]:.1f} at start, "
            f"{load_end[0]:.1f} at end; deface {DEFACE_VERSION}"
            + (f" ({report['deface_backend']} backend)" if report["deface_backend"] else "")
        )
        print(f"results: {out / 'results.json'}")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
