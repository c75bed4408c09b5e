#!/usr/bin/env python3
"""Metadata cleaning of safepost against mat2 and exiftool, side by side on the same files.

Each tool runs once per file (one process per file, wall clock timed), its outputs are collected under
OUT/<tool>/, and each output folder is scored by the eval set's own residual_check.py --json. Prints a table,
the files that still leak, and the issue's targets for safepost (PASS/FAIL).

    .venv/bin/python benchmarks/metadata.py [--tools safepost,mat2,exiftool] [--limit N]
        [--data DIR] [--out DIR] [--timeout S] [--top N] [--json]

mat2 (Debian mat2), exiftool (Debian libimage-exiftool-perl) and ffmpeg (for mat2's video support and the
checker's ffprobe decode check) are installed with apt-get on first use
when they are missing and we are root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAFEPOST = REPO / ".venv" / "bin" / "safepost"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"  # has Pillow + pillow-heif for the checker's decode checks
TOOLS = ("safepost", "mat2", "exiftool")
APT_PACKAGES = {"mat2": "mat2", "exiftool": "libimage-exiftool-perl", "ffprobe": "ffmpeg"}
# Formats safepost refuses by design (issue): office documents and JPEG XL. Missing outputs for anything
# else count against the "decodable output for every supported file" target.
EXEMPT_EXT = {
    ".docx",
    ".docm",
    ".doc",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".pptx",
    ".pptm",
    ".ppt",
    ".odt",
    ".ods",
    ".odp",
    ".odg",
    ".jxl",
}
SUMMARY = (
    "files",
    "cleaned",
    "missing",
    "identifying_tags",
    "with_gps",
    "with_thumbnails",
    "undecodable",
    "decode_unchecked",
)
IDENT_CATS = ("thumbnail", "gps", "serial_owner", "person", "device", "datetime", "makernotes")
# (metric, limit): safepost's value must be <= limit. "ratio" is safepost's median s/file over mat2's.
TARGETS = (
    ("identifying_tags", 0),
    ("with_thumbnails", 0),
    ("with_gps", 0),
    ("undecodable", 0),
    ("unsupported_gaps", 0),
    ("ratio", 1.0),
)
TARGET_LABELS = {
    "unsupported_gaps": "decodable output for every supported image/video/PDF",
    "ratio": "median s/file <= mat2's",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_apt(exe: str) -> str | None:
    """Return an error message, or None when `exe` is on PATH (installing its Debian package if needed)."""
    if shutil.which(exe):
        return None
    pkg = APT_PACKAGES[exe]
    if os.geteuid() != 0:
        return f"{exe} not on PATH (install the Debian package {pkg})"
    log(f"installing {pkg} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", pkg]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode:
            return f"{' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}"
    return None if shutil.which(exe) else f"{exe} still not on PATH after installing {pkg}"


def capture(cmd: list[str]) -> tuple[int, str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def prepare(tool: str) -> tuple[str | None, dict]:
    """Check (or install) a tool; return (error, facts such as its version)."""
    if tool == "safepost":
        if not SAFEPOST.exists():
            return f"{SAFEPOST} not found", {}
        rc, text = capture([str(SAFEPOST), "clean", "--help"])
        if rc:
            return f"'safepost clean' is not available: {text.splitlines()[-1] if text else rc}", {}
        return None, {"version": capture([str(SAFEPOST), "--version"])[1]}
    if error := ensure_apt(tool):
        return error, {}
    if tool == "mat2":
        facts = {"version": capture(["mat2", "--version"])[1]}
        deps = capture(["mat2", "--check-dependencies"])[1].splitlines()
        facts["dependencies"] = [ln.lstrip("- ").strip() for ln in deps[1:] if ln.strip()]
        return None, facts
    return None, {"version": capture(["exiftool", "-ver"])[1]}


def command(tool: str, src: Path, stage: Path) -> list[str]:
    if tool == "safepost":
        return [str(SAFEPOST), "clean", str(src), "-o", str(stage)]
    if tool == "mat2":
        return ["mat2", str(stage / src.name)]  # writes <stem>.cleaned.<ext> beside its input
    return ["exiftool", "-all=", "-o", str(stage / src.name), str(src)]


def run_tool(tool: str, names: list[str], files: Path, out: Path, tmp: Path, timeout: float) -> list[dict]:
    """Run one tool on every file, one process each, outputs moved into OUT/<tool>/; one record per file.

    status: "cleaned" (exit 0 and an output), "refused" (non-zero exit, no output, no traceback: a clean
    refusal), "crashed" (anything else: timeout, signal, traceback, internal error, exit 0 without output,
    or a non-zero exit that still left an output).
    """
    dest = out / tool
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    records = []
    with open(out / f"{tool}.log", "w") as logf:
        for i, name in enumerate(names):
            src = files / name
            stage = tmp / tool / f"{i:04d}"  # fresh and empty, outside the repo (mat2 gets a copy here)
            stage.mkdir(parents=True)
            if tool == "mat2":
                shutil.copyfile(src, stage / name)
            cmd = command(tool, src, stage)
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
                rc, text = proc.returncode, (proc.stdout + proc.stderr).strip()
            except subprocess.TimeoutExpired:
                rc, text = None, f"timed out after {timeout:g} s"
            wall = time.perf_counter() - t0
            logf.write(f"$ {' '.join(cmd)}\n{text}\n[exit {rc}, {wall:.2f} s]\n")
            made = sorted(
                p
                for p in stage.iterdir()
                if p.is_file() and p.stat().st_size > 0 and not (tool == "mat2" and p.name == name)
            )
            for p in made:
                p.replace(dest / p.name)
            shutil.rmtree(stage, ignore_errors=True)
            broken = rc is None or rc < 0 or "Traceback" in text or "internal error" in text
            if tool == "safepost" and rc == 1:  # documented as "unexpected internal error"
                broken = True
            if rc == 0 and made and not broken:
                status = "cleaned"
            elif rc and not made and not broken:
                status = "refused"
            else:
                status = "crashed"
            rec = {
                "file": name,
                "status": status,
                "exit": rc,
                "wall_s": round(wall, 4),
                "outputs": [p.name for p in made],
            }
            if status != "cleaned":
                rec["message"] = " | ".join(text.splitlines()[-2:])[:300]
            records.append(rec)
    return records


def check(checker: Path, originals: Path, outputs: Path) -> tuple[dict | None, str]:
    """Run the eval set's checker; return (its JSON or None, its final line or the error)."""
    python = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
    cmd = [python, str(checker), str(originals), str(outputs), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    if proc.returncode:
        return None, f"residual_check.py exit {proc.returncode}: {proc.stderr.strip()[-500:]}"
    try:
        return json.loads(proc.stdout), line
    except json.JSONDecodeError as exc:
        return None, f"residual_check.py printed no JSON ({exc})"


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def leaks(report: dict) -> list[dict]:
    """Outputs that still carry identifying tags, GPS or thumbnails, or do not decode; worst first."""
    rows = []
    for f in report["files"]:
        if f["missing"]:
            continue
        if not (f["identifying_tags"] or f["has_gps"] or f["has_thumbnails"] or f["undecodable"]):
            continue
        cats = {c: n for c, n in f["cats"].items() if c in IDENT_CATS and n}
        rows.append(
            {
                "file": f["original"],
                "output": f["cleaned"],
                "identifying_tags": f["identifying_tags"],
                "gps": f["has_gps"],
                "thumbnails": f["has_thumbnails"],
                "undecodable": f["undecodable"],
                "cats": cats,
                "examples": f["examples"],
            }
        )
    rows.sort(key=lambda r: (-r["identifying_tags"], -r["gps"], -r["thumbnails"], r["file"]))
    return rows


def coverage_gaps(records: list[dict], report: dict | None) -> tuple[list[str], list[str]]:
    """(gaps, excused). Gaps: supported files (not office/JXL) without a decodable output, and every crash.

    Excused: missing outputs for originals that the checker finds undecodable themselves (exiftool test stubs),
    which it does not blame a cleaner for either.
    """
    gaps, excused = [], []
    by_name = {f["original"]: f for f in report["files"]} if report else {}
    for r in records:
        f = by_name.get(r["file"], {})
        why = f"{r['status']} (exit {r['exit']}): {r.get('message', '')}"
        if r["status"] == "crashed":
            gaps.append(f"{r['file']}: {why}")
        elif not f.get("missing", True) and f.get("undecodable"):
            gaps.append(f"{r['file']}: output does not decode")
        elif f.get("missing") and Path(r["file"]).suffix.lower() not in EXEMPT_EXT:
            (excused if f.get("original_decodes") is False else gaps).append(f"{r['file']}: {why}")
    return gaps, excused


def check_targets(results: dict[str, dict]) -> list[dict]:
    sp = results.get("safepost")
    if not sp:
        return []
    checks = []
    for metric, limit in TARGETS:
        value = sp.get(metric) if metric in TARGET_LABELS else sp.get("summary", {}).get(metric)
        label = TARGET_LABELS.get(metric, f"{metric} == {limit}")
        if sp.get("error") or value is None:
            verdict = "n/a"
        else:
            verdict = "PASS" if value <= limit else "FAIL"
        checks.append({"tool": "safepost", "target": label, "value": value, "result": verdict})
    return checks


def fmt(v: float | int | None, spec: str = "d") -> str:
    return "-" if v is None else format(v, spec)


def print_report(results: dict[str, dict], checks: list[dict], common: dict | None, top: int) -> None:
    cols = (
        "tool",
        "files",
        "cleaned",
        "missing",
        "refused",
        "crashed",
        "ident_tags",
        "with_gps",
        "thumbs",
        "undecodable",
        "med s/file",
        "x mat2",
        "total s",
    )
    print(f"{cols[0]:<10}" + "".join(f"{c:>12}" for c in cols[1:]))
    for tool, r in results.items():
        s = r.get("summary", {})
        cells = [
            fmt(r.get("files")),
            fmt(s.get("cleaned")),
            fmt(s.get("missing")),
            fmt(r.get("refused")),
            fmt(r.get("crashed")),
            fmt(s.get("identifying_tags")),
            fmt(s.get("with_gps")),
            fmt(s.get("with_thumbnails")),
            fmt(s.get("undecodable")),
            fmt(r.get("median_s"), ".3f"),
            fmt(r.get("ratio"), ".2f"),
            fmt(r.get("wall_s"), ".1f"),
        ]
        print(f"{tool:<10}" + "".join(f"{c:>12}" for c in cells))
        if r.get("error"):
            print(f"  ! {r['error']}")
    if common:
        print(
            f"\non the {common['files']} files both safepost and mat2 cleaned: median s/file safepost "
            f"{fmt(common['safepost_median_s'], '.3f')}, mat2 {fmt(common['mat2_median_s'], '.3f')}, "
            f"ratio {fmt(common['ratio'], '.2f')}"
        )
    for tool, r in results.items():
        if "summary" not in r:
            continue
        by_cat = " ".join(f"{c}={n}" for c, n in r["identifying_by_category"].items() if n) or "none"
        print(f"\n{tool}: identifying tags by category: {by_cat}")
        if r["refused_files"]:
            print(f"  refused: {', '.join(r['refused_files'])}")
        for x in r["crashed_files"]:
            print(f"  CRASHED: {x}")
        rows = r["leaks"] if top <= 0 else r["leaks"][:top]
        if rows:
            print(f"  leaking outputs ({len(r['leaks'])} files, worst {len(rows)}):")
        for row in rows:
            flags = [k for k in ("gps", "thumbnails", "undecodable") if row[k]]
            cats = " ".join(f"{c}={n}" for c, n in row["cats"].items())
            print(f"    {row['file']:<40} {row['identifying_tags']:>5} {cats} {' '.join(flags).upper()}")
            for ex in row["examples"][:4]:
                print(f"        {ex}")
    if checks:
        print("\nissue targets (safepost):")
        for c in checks:
            spec = ".2f" if isinstance(c["value"], float) else "d"
            print(f"  {c['target']:<55} {fmt(c['value'], spec):>8}  {c['result']}")
        for gap in results["safepost"].get("gap_list", []):
            print(f"    - {gap}")
        for gap in results["safepost"].get("excused_missing", []):
            print(f"    (not counted, the original does not decode either) {gap}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/metadata", help="eval folder (relative to repo root)")
    ap.add_argument("--out", default="benchmarks/out/metadata", help="output folder (relative to repo root)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    ap.add_argument("--limit", type=int, help="only the first N files, sorted by name")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per file, then: crashed")
    ap.add_argument("--top", type=int, default=5, help="leaking files to list per tool (0: all)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if unknown := sorted(set(tools) - set(TOOLS)):
        ap.error(f"unknown tool(s): {', '.join(unknown)}")
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    files, checker = data / "files", data / "residual_check.py"
    if not files.is_dir() or not checker.is_file():
        ap.error(f"{data} needs files/ and residual_check.py")
    if err := ensure_apt("exiftool"):  # the checker needs it whatever tools run
        ap.error(err)
    # ffmpeg: mat2 needs it to clean videos at all, and the checker uses ffprobe to tell whether a
    # video (original or cleaned) really decodes instead of trusting exiftool's track list.
    if err := ensure_apt("ffprobe"):
        ap.error(err)
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(
        n
        for n in os.listdir(files)
        if (files / n).is_file() and not n.startswith(".") and not n.lower().endswith(".md")
    )  # the checker's own rule for originals
    if args.limit:
        names = names[: args.limit]

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="safepost-bench-metadata-") as tmpdir:
        tmp = Path(tmpdir)
        originals = files
        if args.limit:  # the checker scores every original in its folder: give it links to the subset
            originals = tmp / "originals"
            originals.mkdir()
            for n in names:
                (originals / n).symlink_to(files / n)
        for tool in tools:
            r: dict = {"files": len(names)}
            results[tool] = r
            error, facts = prepare(tool)
            r.update(facts)
            if error:
                r["error"] = error
                log(f"{tool}: {error}")
                continue
            log(f"{tool}: {len(names)} files, one process each ...")
            records = run_tool(tool, names, files, out, tmp, args.timeout)
            times = [x["wall_s"] for x in records]
            r.update(
                {
                    "wall_s": round(sum(times), 3),
                    "median_s": median(times),
                    "cleaned_median_s": median([x["wall_s"] for x in records if x["status"] == "cleaned"]),
                }
            )
            for status in ("cleaned", "refused", "crashed"):
                r[status] = sum(x["status"] == status for x in records)
            r["refused_files"] = [x["file"] for x in records if x["status"] == "refused"]
            r["crashed_files"] = [
                f"{x['file']}: exit {x['exit']}: {x.get('message', '')}" for x in records if x["status"] == "crashed"
            ]
            log(
                f"{tool}: {r['wall_s']:.1f} s, {r['cleaned']} cleaned, {r['refused']} refused, "
                f"{r['crashed']} crashed; checking ..."
            )
            report, line = check(checker, originals, out / tool)
            r["per_file"] = records
            if report is None:
                r["error"] = line
                log(f"{tool}: {line}")
                continue
            (out / f"{tool}.check.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
            log(f"{tool}: {line}")
            r["summary"] = {k: report["summary"][k] for k in SUMMARY}
            r["checker_line"] = line
            done = [f for f in report["files"] if not f["missing"]]
            r["identifying_by_category"] = {c: sum(f["cats"][c] for f in done) for c in IDENT_CATS}
            r["files_with_category"] = report["files_with_category"]
            r["leaks"] = leaks(report)
            if tool == "safepost":
                r["gap_list"], r["excused_missing"] = coverage_gaps(records, report)
                r["unsupported_gaps"] = len(r["gap_list"])

    mat2_median = results.get("mat2", {}).get("median_s")
    for r in results.values():
        r["ratio"] = r["median_s"] / mat2_median if mat2_median and r.get("median_s") is not None else None
    common = None
    if "per_file" in results.get("safepost", {}) and "per_file" in results.get("mat2", {}):
        sp = {x["file"]: x for x in results["safepost"]["per_file"] if x["status"] == "cleaned"}
        m2 = {x["file"]: x for x in results["mat2"]["per_file"] if x["status"] == "cleaned"}
        both = sorted(set(sp) & set(m2))
        a, b = median([sp[f]["wall_s"] for f in both]), median([m2[f]["wall_s"] for f in both])
        common = {
            "files": len(both),
            "safepost_median_s": a,
            "mat2_median_s": b,
            "ratio": a / b if a is not None and b else None,
        }
    checks = check_targets(results)

    report_out = {
        "data": str(data),
        "files": len(names),
        "limit": args.limit,
        "timeout_s": args.timeout,
        "ffprobe": shutil.which("ffprobe") is not None,
        "tools": results,
        "common_cleaned_timing": common,
        "targets": checks,
    }
    (out / "results.json").write_text(json.dumps(report_out, indent=1, ensure_ascii=False))
    if args.json:
        print(json.dumps(report_out, indent=1, ensure_ascii=False))
    else:
        print_report(results, checks, common, args.top)
        print(f"\nresults: {out / 'results.json'}")
    failed = any(r.get("error") or r.get("crashed") for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
