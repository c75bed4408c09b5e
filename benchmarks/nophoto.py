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

A tag card found under a small face whose text cannot be read is reported as an `unread_tag` region:
its wearer is masked (fail closed), and it is counted apart ("unreadable"), never as found or taken.
By default the run is made twice, first pass only (`SAFEPOST_TAG_SECOND_LOOK=0`) and with the second
look under small faces, and both are printed side by side; `--only-current` runs the latter alone.

    .venv/bin/python benchmarks/nophoto.py [--data DIR] [--out DIR] [--limit N] [--per-image] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


CPU_USED = [0.0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_safepost(
    files: list[Path], out: Path, per_image: bool, second_look: bool = True
) -> tuple[float, list[dict], list[str]]:
    """Redact ``files`` into ``out`` with --keep-faces; return (wall s, JSON results, errors).

    The CPU seconds the processes used (user + system, all threads) are added to ``CPU_USED``:
    on a shared machine they vary much less with the load than the wall clock."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SAFEPOST_TAG_SECOND_LOOK="1" if second_look else "0")
    batches = [[f] for f in files] if per_image else [files]
    wall, results, errors = 0.0, [], []
    for batch in batches:
        target = out if len(batch) > 1 else out / batch[0].name
        args = [str(SAFEPOST), "redact", *map(str, batch), "-o", str(target), "--keep-faces", "--json"]
        t0, c0 = time.perf_counter(), _children_cpu()
        proc = subprocess.run(args, capture_output=True, text=True, env=env)
        wall += time.perf_counter() - t0
        CPU_USED[0] += _children_cpu() - c0
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


def timing_1080p(
    data: Path, entries: list[dict], n: int, per_image: bool, second_look: bool = True
) -> tuple[float | None, float | None, int]:
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
            return None, None, 0
        c0 = CPU_USED[0]
        wall, _, errors = run_safepost(files, dst, per_image, second_look)
        cpu = (CPU_USED[0] - c0) / len(files)
        return (None if errors else wall / len(files)), (None if errors else cpu), len(files)


def evaluate(
    data: Path, entries: list[dict], out: Path, per_image: bool, timing_images: int, second_look: bool
) -> dict:
    """Run safepost over the pack (second look on or off) and score it; the figures as a dict."""
    scorer = data.parent / "faces" / "score_pixels.py"
    if not scorer.exists():  # a pack made by benchmarks/nophoto_synth.py, outside ../shared/eval
        scorer = (REPO / "../shared/eval/faces/score_pixels.py").resolve()
    files = [data / e["file"] for e in entries]
    out.mkdir(parents=True, exist_ok=True)
    log(f"safepost --keep-faces, second look {'on' if second_look else 'off'}: {len(files)} images ...")
    outputs = out / "images"
    c0 = CPU_USED[0]
    wall, results, errors = run_safepost(files, outputs, per_image, second_look)
    cpu = CPU_USED[0] - c0
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

    tags_total = tags_found = tags_unread = dist_total = dist_taken = dist_unread = 0
    found_by_height = {"<6px": [0, 0], ">=6px": [0, 0]}
    wearer_by_height = {k: [0, 0] for k in HEIGHT_BUCKETS}
    misses = []
    for e in entries:
        r = by_name.get(Path(e["file"]).name, {})
        tag_regions = [g for g in r.get("regions", []) if g["kind"] == "nophoto_tag"]
        unread_regions = [g for g in r.get("regions", []) if g["kind"] == "unread_tag"]
        for t in e["nophoto_tags"]:
            hit = covered(t["bbox_xyxy"], tag_regions) >= 0.3
            unread = not hit and covered(t["bbox_xyxy"], unread_regions) >= 0.3
            tags_total += 1
            tags_found += hit
            tags_unread += unread
            masked_wearer = _wearer_masked(data, outputs, e, t["face_idx"])
            wb = wearer_by_height[_height_bucket(t["text_height_px"])]
            wb[0] += 1
            wb[1] += masked_wearer
            bucket = found_by_height["<6px" if t["text_height_px"] < 6 else ">=6px"]
            bucket[0] += 1
            bucket[1] += hit
            if not hit or not masked_wearer:
                how = "read" if hit else "found as an unreadable tag" if unread else "missed"
                how += "" if masked_wearer else ", WEARER VISIBLE"
                misses.append(f"{e['file']}: '{t['text']}' ({t['text_height_px']} px): {how}")
        for t in e["distractor_tags"]:
            dist_total += 1
            dist_taken += covered(t["bbox_xyxy"], tag_regions) >= 0.5
            dist_unread += covered(t["bbox_xyxy"], unread_regions) >= 0.5

    t1080, cpu1080, n1080 = (None, None, 0)
    if timing_images:
        log(f"timing on {timing_images} images scaled to 1920 px wide ...")
        t1080, cpu1080, n1080 = timing_1080p(data, entries, timing_images, per_image, second_look)
    return {
        "second_look": second_look,
        "images": len(entries),
        "wearers": n_wear,
        "wearers_masked_n": n_wear_cov,
        "wearers_masked": ratio(n_wear_cov, n_wear),
        "other_faces": n_other,
        "others_visible_n": n_other - n_other_changed,
        "others_visible": ratio(n_other - n_other_changed, n_other),
        "nophoto_tags": tags_total,
        "tags_found_n": tags_found,
        "tags_found": ratio(tags_found, tags_total),
        "tags_found_by_text_height": {k: ratio(v[1], v[0]) for k, v in found_by_height.items()},
        "wearers_masked_by_text_height": {k: ratio(v[1], v[0]) for k, v in wearer_by_height.items()},
        "wearers_by_text_height_n": {k: v[0] for k, v in wearer_by_height.items()},
        "tags_unreadable_n": tags_unread,
        "tags_unreadable": ratio(tags_unread, tags_total),
        "distractor_tags": dist_total,
        "distractors_taken_n": dist_taken,
        "distractors_taken": ratio(dist_taken, dist_total),
        "distractors_unreadable_n": dist_unread,
        "distractors_unreadable": ratio(dist_unread, dist_total),
        "ms_per_image": 1000 * wall / max(len(files), 1),
        "cpu_ms_per_image": 1000 * cpu / max(len(files), 1),
        "s_per_1080p_image": t1080,
        "cpu_s_per_1080p_image": cpu1080,
        "timing_1080p_images": n1080,
        "per_image": per_image,
        "missed_tags": misses,
        "errors": errors,
    }


HEIGHT_BUCKETS = ("<6px", "6-15px", "15-30px", ">=30px")


def _height_bucket(px: float) -> str:
    return (
        HEIGHT_BUCKETS[0]
        if px < 6
        else HEIGHT_BUCKETS[1]
        if px < 15
        else HEIGHT_BUCKETS[2]
        if px < 30
        else HEIGHT_BUCKETS[3]
    )


def _wearer_masked(data: Path, outputs: Path, entry: dict, face: int) -> bool:
    """The scorer's rule for one wearer: >= 60% of the face box's pixels changed by more than 24."""
    import numpy as np
    from PIL import Image

    out = outputs / Path(entry["file"]).name
    if not out.exists():
        return False
    a = np.asarray(Image.open(data / entry["file"]).convert("RGB"), np.int16)
    b = np.asarray(Image.open(out).convert("RGB"), np.int16)
    if a.shape != b.shape:
        return False
    x, y, w, h = entry["boxes_xywh"][face]
    x0, y0, x1, y1 = int(x), int(y), int(np.ceil(x + w)), int(np.ceil(y + h))
    changed = (np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2)
    return bool(changed.size and changed.mean() >= 0.6)


def ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def checks(figures: dict) -> list[dict]:
    out = []
    for metric, op, limit in TARGETS:
        v = figures[metric]
        bad = v is None or figures["errors"]
        verdict = "n/a" if bad else ("PASS" if (v >= limit if op == ">=" else v <= limit) else "FAIL")
        out.append({"target": f"{metric} {op} {limit:g}", "value": v, "result": verdict})
    return out


ROWS = (
    ("NO PHOTO wearers masked", "wearers_masked", "wearers_masked_n", "wearers"),
    ("other faces visible", "others_visible", "others_visible_n", "other_faces"),
    ("NO PHOTO tags read", "tags_found", "tags_found_n", "nophoto_tags"),
    ("NO PHOTO tags unreadable", "tags_unreadable", "tags_unreadable_n", "nophoto_tags"),
    ("distractors taken", "distractors_taken", "distractors_taken_n", "distractor_tags"),
    ("distractors unreadable", "distractors_unreadable", "distractors_unreadable_n", "distractor_tags"),
)


def table(runs: list[dict]) -> str:
    """The figures of each run side by side."""
    head = ["measure", *("second look" if r["second_look"] else "first pass only" for r in runs)]
    lines = [f"{head[0]:<28}" + "".join(f"{h:>22}" for h in head[1:])]
    for label, key, n, total in ROWS:
        cells = "".join(f"{fmt(r[key]) + f' ({r[n]}/{r[total]})':>22}" for r in runs)
        lines.append(f"{label:<28}{cells}")
    timings = (
        ("ms per 1024 px image", "ms_per_image", 0),
        ("  CPU ms (all threads)", "cpu_ms_per_image", 0),
        ("s per 1920 px image", "s_per_1080p_image", 3),
        ("  CPU s (all threads)", "cpu_s_per_1080p_image", 3),
    )
    for label, key, digits in timings:
        cells = "".join(f"{fmt(r[key], digits):>22}" for r in runs)
        lines.append(f"{label:<28}{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/eval/nophoto", help="eval pack, relative to the repo root")
    ap.add_argument("--out", default="benchmarks/out/nophoto", help="output folder, relative to the repo root")
    ap.add_argument("--limit", type=int, help="only the first N images")
    ap.add_argument("--per-image", action="store_true", help="one process per image instead of one for all")
    ap.add_argument("--timing-images", type=int, default=12, help="images timed again at 1920 px wide (0: skip)")
    ap.add_argument("--only-current", action="store_true", help="skip the first-pass-only run")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    args = ap.parse_args(argv)
    data, out = (REPO / args.data).resolve(), (REPO / args.out).resolve()
    if not SAFEPOST.exists():
        raise SystemExit(f"{SAFEPOST} not found (run scripts/setup.sh)")
    entries = json.loads((data / "manifest.json").read_text())["images"]
    if args.limit:
        entries = entries[: args.limit]
    modes = [True] if args.only_current else [False, True]
    runs = [
        evaluate(data, entries, out / ("second-look" if on else "first-pass"), args.per_image, args.timing_images, on)
        for on in modes
    ]
    current = runs[-1]
    report = {
        "data": str(data),
        "load_average": os.getloadavg(),
        "runs": runs,
        "figures": current,
        "targets": checks(current),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    errors = [e for r in runs for e in r["errors"]]
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
        print(f"images {current['images']} ({data}); --keep-faces; time: wall clock, start-up included")
        print(f"load average at the end: {load} (the machine is shared: timings are pessimistic)")
        print(table(runs))
        f = current
        print(
            "NO PHOTO tags read by text height (second look): "
            + ", ".join(f"{k} {fmt(v)}" for k, v in f["tags_found_by_text_height"].items())
        )
        print(
            "NO PHOTO wearers masked by text height: "
            + ", ".join(
                f"{k} {fmt(v)} (n={f['wearers_by_text_height_n'][k]})"
                for k, v in f["wearers_masked_by_text_height"].items()
            )
        )
        for m in f["missed_tags"]:
            print(f"  {m}")
        for e in errors:
            print(f"  ! {e}")
        print("\nissue targets (second look):")
        for c in report["targets"]:
            print(f"  {c['target']:<28} {fmt(c['value']):>8}  {c['result']}")
        print(f"\nresults: {out / 'results.json'}")
    return 1 if errors else 0


def fmt(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


if __name__ == "__main__":
    sys.exit(main())
