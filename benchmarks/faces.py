#!/usr/bin/env python3
"""Face-anonymisation recall of safepost against the anchor tool deface, side by side on the same images.

Each tool runs on the eval images (one process per event folder, all its images as arguments; or one process
per image with --per-image), outputs are mirrored under OUT/<tool>/<event>/, and each output tree is scored
by the eval set's own score_pixels.py --json (recall, collateral) and score_false_masks.py --json (false masks per
photo with at most 5 faces and per crowd photo; needs scipy). Prints a table and the issue's targets (PASS/FAIL).

    .venv/bin/python benchmarks/faces.py [--tools safepost-thorough,safepost-fast,deface] [--limit N]
        [--per-image] [--data DIR] [--out DIR] [--json]

deface==1.5.0 is installed on first use in benchmarks/.venvs/deface (it needs the GUI build of OpenCV,
which conflicts with our headless one).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _anchors import DEFACE_VERSION, ensure_deface, log  # benchmarks/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
SAFEPOST = REPO / ".venv" / "bin" / "safepost"
TOOLS = ("safepost-thorough", "safepost-fast", "deface")
# (tool, metric, op, limit, reference): with a reference tool the limit is a factor on its metric.
# "ratio" is the tool's ms/img divided by deface's.
TARGETS = (
    ("safepost-thorough", "recall_ge10", ">=", 0.97, None),
    ("safepost-thorough", "medium", ">=", 0.98, None),
    ("safepost-thorough", "large", ">=", 0.95, None),
    ("safepost-thorough", "collateral", "<=", 0.025, None),
    ("safepost-thorough", "few_false", "<=", 1.0, None),
    ("safepost-thorough", "crowd_false", "<=", 3.0, None),
    ("safepost-thorough", "ratio", "<=", 3.0, None),
    ("safepost-fast", "small", ">=", 1.0, "deface"),
    ("safepost-fast", "medium", ">=", 1.0, "deface"),
    ("safepost-fast", "large", ">=", 1.0, "deface"),
    ("safepost-fast", "ratio", "<=", 0.5, None),
)  # a tool that crashed gets n/a, never PASS


def mirror(rel: str) -> Path:
    """'images/<event>/<name>.jpg' -> '<event>/<name>.jpg' (a layout the scorer finds)."""
    parts = Path(rel).parts
    return Path(*parts[1:]) if len(parts) > 1 else Path(rel)


def run_tool(tool: str, rels: list[str], data: Path, out: Path, per_image: bool) -> dict:
    """Run one tool over all images; return timing, output count and errors."""
    dest, stage = out / tool, out / "_stage" / tool
    for d in (dest, stage):
        shutil.rmtree(d, ignore_errors=True)
    if per_image:
        batches = [[r] for r in rels]
    else:
        groups: dict[Path, list[str]] = {}
        for r in rels:
            groups.setdefault(mirror(r).parent, []).append(r)
        batches = list(groups.values())
    if tool == "deface":
        exe = ensure_deface()
    elif not SAFEPOST.exists():
        return {"processes": 0, "wall_s": 0.0, "outputs": 0, "errors": [f"{SAFEPOST} not found"]}
    wall, errors = 0.0, []
    with open(out / f"{tool}.log", "w") as logf:
        for batch in batches:
            event = mirror(batch[0]).parent
            (dest / event).mkdir(parents=True, exist_ok=True)
            if tool == "deface":
                # Without -o, deface writes <stem>_anonymized<ext> next to each input (with -o and several
                # inputs every output would go to the same file), so it gets symlinks in a staging dir.
                inputs = []
                for r in batch:
                    link = stage / mirror(r)
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(data / r)
                    inputs.append(link)
                cmd = [exe, "--replacewith", "solid", "--execution-provider", "CPUExecutionProvider", *inputs]
            else:
                # With several inputs -o is a folder; with one it is the output file.
                target = dest / event if len(batch) > 1 else dest / mirror(batch[0])
                mode = tool.split("-")[1]
                cmd = [SAFEPOST, "redact", *[data / r for r in batch], "-o", target, "--mode", mode]
            args = [str(c) for c in cmd]
            t0 = time.perf_counter()
            proc = subprocess.run(args, capture_output=True, text=True)
            wall += time.perf_counter() - t0
            logf.write(f"$ {' '.join(args)}\n{proc.stdout}{proc.stderr}\n[exit {proc.returncode}]\n")
            if proc.returncode:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                errors.append(f"{event}: exit {proc.returncode}: {' | '.join(tail)}")
            if tool == "deface":
                for r in batch:
                    made = (stage / mirror(r)).with_name(f"{Path(r).stem}_anonymized{Path(r).suffix}")
                    if made.exists():
                        made.replace(dest / mirror(r))
    shutil.rmtree(out / "_stage", ignore_errors=True)
    outputs = sum(1 for p in dest.rglob("*") if p.is_file())
    return {"processes": len(batches), "wall_s": wall, "outputs": outputs, "errors": errors}


def score(data: Path, annotations: Path, outputs: Path, scorer: str = "score_pixels.py") -> dict:
    """The eval set's own ``scorer`` (score_pixels.py or score_false_masks.py) on one output tree."""
    cmd = [
        sys.executable,
        str(data / scorer),
        "--annotations",
        str(annotations),
        "--originals",
        str(data),
        "--outputs",
        str(outputs),
        "--json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        hint = " (score_false_masks.py needs scipy: .venv/bin/pip install scipy)" if "scipy" in proc.stderr else ""
        raise SystemExit(f"{scorer} failed on {outputs}{hint}:\n{proc.stderr.strip()}")
    return json.JSONDecoder().raw_decode(proc.stdout)[0]  # score_false_masks.py adds a summary line


def check_targets(results: dict[str, dict]) -> list[dict]:
    checks = []
    for tool, metric, op, limit, ref in TARGETS:
        if tool not in results:
            continue
        value = results[tool].get(metric)
        if ref:
            ref_value = results.get(ref, {}).get(metric)
            bound = None if ref_value is None else limit * ref_value
            label = f"{metric} {op} {ref}" + ("" if bound is None else f" ({bound:.3f})")
        else:
            bound = limit
            label = f"time {op} {limit:g}x deface" if metric == "ratio" else f"{metric} {op} {limit:g}"
        if results[tool]["errors"] or value is None or bound is None or math.isnan(value):
            verdict = "n/a"
        else:
            verdict = "PASS" if (value >= bound if op == ">=" else value <= bound) else "FAIL"
        checks.append({"tool": tool, "target": label, "value": value, "result": verdict})
    return checks


def fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def print_table(results: dict[str, dict], checks: list[dict]) -> None:
    cols = ("tool", "images", "recall_ge10", "small", "medium", "large", "collateral", "false/few", "false/crowd")
    cols += ("missing", "ms/img", "x deface")
    print(f"{cols[0]:<18}" + "".join(f"{c:>12}" for c in cols[1:]))
    for tool, r in results.items():
        cells = [
            str(r["images"]),
            fmt(r.get("recall_ge10")),
            fmt(r.get("small")),
            fmt(r.get("medium")),
            fmt(r.get("large")),
            fmt(r.get("collateral"), ".4f"),
            fmt(r.get("few_false"), ".2f"),
            fmt(r.get("crowd_false"), ".2f"),
            str(r.get("missing_outputs", "-")),
            fmt(r["ms_per_image"], ".0f"),
            fmt(r.get("ratio"), ".2f"),
        ]
        print(f"{tool:<18}" + "".join(f"{c:>12}" for c in cells))
        for e in r["errors"]:
            print(f"  ! {e}")
    if checks:
        print("\nissue targets:")
        for c in checks:
            print(f"  {c['tool']:<18} {c['target']:<30} {fmt(c['value']):>8}  {c['result']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/faces", help="eval folder, relative to the repo root")
    ap.add_argument("--out", default="benchmarks/out/faces", help="output folder, relative to the repo root")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    ap.add_argument("--limit", type=int, help="only the first N annotation entries")
    ap.add_argument("--per-image", action="store_true", help="one process per image instead of per folder")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := sorted(set(tools) - set(TOOLS)):
        ap.error(f"unknown tool(s): {', '.join(unknown)}")
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    annotations = data / "annotations.json"
    entries = json.loads(annotations.read_text())
    if isinstance(entries, dict):
        entries = entries["images"]
    if args.limit:
        entries = entries[: args.limit]
        annotations = out / "annotations.json"
        annotations.write_text(json.dumps(entries))
    else:
        (out / "annotations.json").unlink(missing_ok=True)  # a stale --limit subset
    rels = [e["file"] for e in entries]

    results: dict[str, dict] = {}
    for tool in tools:
        log(f"{tool}: {len(rels)} images ...")
        run = run_tool(tool, rels, data, out, args.per_image)
        r = {"images": len(rels), **run, "ms_per_image": 1000 * run["wall_s"] / len(rels)}
        if run["outputs"] == 0:
            r["errors"].append("no outputs")
            r["ms_per_image"] = None
        else:
            s = score(data, annotations, out / tool)
            (out / f"{tool}.score.json").write_text(json.dumps(s, indent=1))
            r.update(
                {
                    "recall_ge10": s["recall_ge10"],
                    "collateral": s["collateral"],
                    "missing_outputs": s["missing_or_bad_outputs"],
                }
            )
            r.update({b: f["recall"] for b, f in s["faces"].items()})
            fm = score(data, annotations, out / tool, "score_false_masks.py")
            r.update({"few_false": fm["few"]["false_per_img"], "crowd_false": fm["crowd"]["false_per_img"]})
        results[tool] = r
        log(f"{tool}: {run['wall_s']:.1f} s, {run['outputs']} outputs, {len(r['errors'])} error(s)")
    deface_ms = results.get("deface", {}).get("ms_per_image")
    for r in results.values():
        r["ratio"] = r["ms_per_image"] / deface_ms if deface_ms and r["ms_per_image"] else None
    checks = check_targets(results)

    report = {
        "data": str(data),
        "images": len(rels),
        "per_image": args.per_image,
        "deface_version": DEFACE_VERSION,
        "tools": results,
        "targets": checks,
    }
    (out / "results.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(results, checks)
        print(f"\nresults: {out / 'results.json'}")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
