#!/usr/bin/env python3
"""NO PHOTO tags in photos (issue #6): are the wearers masked, everyone else left visible, with --keep-faces?

Runs `safepost redact --keep-faces --json` over the NO PHOTO eval pack (one process for all images, or
one per image with --per-image), then scores the outputs with the faces scorer
(../shared/eval/faces/score_pixels.py, whose rule is "a face is covered when >= 60% of its GT box
changed"), once over the NO PHOTO wearers and once over every other face (visible: < 10% changed).
Tags are scored from the JSON regions: a NO PHOTO tag is found when a reported `nophoto_tag` region
covers >= 30% of its GT polygon's bbox; a distractor name tag is taken for NO PHOTO when a reported
tag region covers >= 50% of its bbox. Timing: wall clock per process / images, start-up included, on
the pack's images (1024 px wide) and on a copy of the first --timing-images scaled to 1920x1080-ish
in a temporary folder (never inside the repository).

    .venv/bin/python benchmarks/nophoto.py [--data DIR] [--out DIR] [--limit N] [--per-image] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAFEPOST = REPO / ".venv" / "bin" / "safepost"
# (metric, op, limit)
TARGETS = (
    ("wearers_masked", ">=", 0.95),
    ("others_visible", ">=", 0.95),
    ("distractors_taken", "<=", 0.02),
    ("s_per_1080p_image", "<=", 1.5),
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_safepost(files: list[Path], out: Path, per_image: bool) -> tuple[float, list[dict], list[str]]:
    """Redact ``files`` into ``out`` with --keep-faces; return (wall s, JSON results, errors)."""
    out.mkdir(parents=True, exist_ok=True)
    batches = [[f] for f in files] if per_image else [files]
    wall, results, errors = 0.0, [], []
    for batch in batches:
        target = out if len(batch) > 1 else out / batch[0].name
        args = [str(SAFEPOST), "redact", *map(str, batch), "-o", str(target), "--keep-faces", "--json"]
        t0 = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True)
        wall += time.perf_counter() - t0
        if proc.returncode:
            errors.append(f"exit {proc.returncode}: {' | '.join(proc.stderr.strip().splitlines()[-3:])}")
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            errors.append(f"no JSON from {batch[0].name}")
            continue
        results.extend(data if isinstance(data, list) else [data])
    return wall, results, errors


def score_faces(scorer: Path, entries: list[dict], data: Path, outputs: Path, work: Path, cover: float) -> dict:
    ann = work / f"annotations-{cover:g}.json"
    ann.write_text(json.dumps(entries))
    cmd = [sys.executable, str(scorer), "--annotations", str(ann), "--originals", str(data)]
    cmd += ["--outputs", str(outputs), "--json", "--cover-fraction", str(cover), "--min-size", "0"]
    if cover < 0.5:
        cmd += ["--flat-std", "0"]  # "visible" must mean unchanged, not "looks flat"
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"score_pixels.py failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def only(entry: dict, keep: set[int]) -> dict:
    """The entry with every face but ``keep`` marked invalid (not scored)."""
    invalid = entry.get("invalid") or [0] * len(entry["boxes_xywh"])
    return dict(entry, invalid=[0 if (i in keep and not invalid[i]) else 1 for i in range(len(invalid))])


def covered(box: list[float], regions: list[dict]) -> float:
    """Largest share of ``box`` (x0, y0, x1, y1) covered by one region."""
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    best = 0.0
    for r in regions:
        w = min(box[2], r["x1"]) - max(box[0], r["x0"])
        h = min(box[3], r["y1"]) - max(box[1], r["y0"])
        if w > 0 and h > 0:
            best = max(best, w * h / area)
    return best


def timing_1080p(data: Path, entries: list[dict], n: int, per_image: bool) -> tuple[float | None, int]:
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="safepost-nophoto-") as tmp:
        src, dst = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        files = []
        for e in entries[:n]:
            im = Image.open(data / e["file"]).convert("RGB")
            scale = 1920 / im.width
            path = src / Path(e["file"]).name
            im.resize((1920, round(im.height * scale)), Image.Resampling.LANCZOS).save(path, quality=92)
            files.append(path)
        if not files:
            return None, 0
        wall, _, errors = run_safepost(files, dst, per_image)
        return (None if errors else wall / len(files)), len(files)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/nophoto", help="eval pack, relative to the repo root")
    ap.add_argument("--out", default="benchmarks/out/nophoto", help="output folder, relative to the repo root")
    ap.add_argument("--limit", type=int, help="only the first N images")
    ap.add_argument("--per-image", action="store_true", help="one process per image instead of one for all")
    ap.add_argument("--timing-images", type=int, default=12, help="images timed again at 1920 px wide (0: skip)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    scorer = data.parent / "faces" / "score_pixels.py"
    if not SAFEPOST.exists():
        raise SystemExit(f"{SAFEPOST} not found (run scripts/setup.sh)")
    out.mkdir(parents=True, exist_ok=True)
    entries = json.loads((data / "manifest.json").read_text())["images"]
    if args.limit:
        entries = entries[: args.limit]
    files = [data / e["file"] for e in entries]

    log(f"safepost --keep-faces: {len(files)} images ...")
    outputs = out / "images"
    wall, results, errors = run_safepost(files, outputs, args.per_image)
    (out / "safepost.json").write_text(json.dumps(results, indent=1))
    by_name = {Path(r["input"]).name: r for r in results if "regions" in r}

    wearers = [only(e, set(e["nophoto_face_idx"])) for e in entries]
    others = [only(e, set(range(len(e["boxes_xywh"]))) - set(e["nophoto_face_idx"])) for e in entries]
    s_wear = score_faces(scorer, wearers, data, outputs, out, 0.60)
    s_other = score_faces(scorer, others, data, outputs, out, 0.10)
    n_wear = sum(b["total"] for b in s_wear["faces"].values())
    n_wear_cov = sum(b["covered"] for b in s_wear["faces"].values())
    n_other = sum(b["total"] for b in s_other["faces"].values())
    n_other_changed = sum(b["covered"] for b in s_other["faces"].values())

    tags_total = tags_found = dist_total = dist_taken = 0
    found_by_height = {"<6px": [0, 0], ">=6px": [0, 0]}
    misses = []
    for e in entries:
        r = by_name.get(Path(e["file"]).name, {})
        tag_regions = [g for g in r.get("regions", []) if g["kind"] == "nophoto_tag"]
        for t in e["nophoto_tags"]:
            hit = covered(t["bbox_xyxy"], tag_regions) >= 0.3
            tags_total += 1
            tags_found += hit
            bucket = found_by_height["<6px" if t["text_height_px"] < 6 else ">=6px"]
            bucket[0] += 1
            bucket[1] += hit
            if not hit:
                misses.append(f"{e['file']}: '{t['text']}' ({t['text_height_px']} px)")
        for t in e["distractor_tags"]:
            dist_total += 1
            dist_taken += covered(t["bbox_xyxy"], tag_regions) >= 0.5

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    t1080, n1080 = (None, 0)
    if args.timing_images:
        log(f"timing on {args.timing_images} images scaled to 1920 px wide ...")
        t1080, n1080 = timing_1080p(data, entries, args.timing_images, args.per_image)
    figures = {
        "images": len(entries),
        "wearers": n_wear,
        "wearers_masked": ratio(n_wear_cov, n_wear),
        "other_faces": n_other,
        "others_visible": ratio(n_other - n_other_changed, n_other),
        "nophoto_tags": tags_total,
        "tags_found": ratio(tags_found, tags_total),
        "tags_found_by_text_height": {k: ratio(v[1], v[0]) for k, v in found_by_height.items()},
        "distractor_tags": dist_total,
        "distractors_taken": ratio(dist_taken, dist_total),
        "ms_per_image": 1000 * wall / max(len(files), 1),
        "s_per_1080p_image": t1080,
        "timing_1080p_images": n1080,
        "per_image": args.per_image,
        "missed_tags": misses,
        "errors": errors,
    }
    checks = []
    for metric, op, limit in TARGETS:
        v = figures[metric]
        verdict = "n/a" if v is None or errors else ("PASS" if (v >= limit if op == ">=" else v <= limit) else "FAIL")
        checks.append({"target": f"{metric} {op} {limit:g}", "value": v, "result": verdict})
    report = {"data": str(data), "figures": figures, "targets": checks}
    (out / "results.json").write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        f = figures
        print(f"images {f['images']}, ms/image {f['ms_per_image']:.0f} (1024 px wide, start-up included)")
        print(f"NO PHOTO wearers masked   {f['wearers_masked']:.3f}  ({n_wear_cov}/{n_wear})")
        print(f"other faces visible       {f['others_visible']:.3f}  ({n_other - n_other_changed}/{n_other})")
        print(f"NO PHOTO tags found       {f['tags_found']:.3f}  ({tags_found}/{tags_total}); by text height: ")
        print(
            "                          " + ", ".join(f"{k} {fmt(v)}" for k, v in f["tags_found_by_text_height"].items())
        )
        print(f"distractors taken         {f['distractors_taken']:.3f}  ({dist_taken}/{dist_total})")
        print(f"s per 1920 px image       {fmt(t1080)}  ({n1080} images)")
        for m in misses:
            print(f"  missed: {m}")
        for e in errors:
            print(f"  ! {e}")
        print("\nissue targets:")
        for c in checks:
            print(f"  {c['target']:<28} {fmt(c['value']):>8}  {c['result']}")
        print(f"\nresults: {out / 'results.json'}")
    return 1 if errors else 0


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


if __name__ == "__main__":
    sys.exit(main())
