"""Tune video recipes on the dev clips from cached detections (research tool).

    python benchmarks/tune_video.py --recipes benchmarks/recipes/video_verify.json [--data DIR]

Step 1 caches, per clip, the camera motion of every frame and the raw boxes of each candidate
detector pass (low threshold) on the keyframes the recipes need (benchmarks/out/tunev).
Step 2 replays every recipe (keyframe stride, thresholds, mirror agreement, verification by a
second detector, track reach, margins) through the real fusion and tracker, and scores all
recipes' masks in one decode of the clip, in memory, with the rules of the clips'
score_video.py (covered: >= 60% of a face box changed or fully filled; collateral: changed
pixels outside GT and ignore boxes grown by 50%). It is approximate (no encoding, black solid
masks only), so published figures come from
benchmarks/video.py, which runs the real CLI end to end.

A recipe is a JSON object: ``passes`` {candidate: threshold, or [threshold, min_size,
max_size] to keep only boxes of that size, sqrt(w*h) in frame pixels}, ``stride``, optional ``large``,
``agree_below``, ``verify`` {candidate: threshold}, ``verify_below``, ``tracking``
(TrackSettings fields) and ``mask`` (MaskSpec fields).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np

from safepost.anonymize.masks import coverage_mask
from safepost.anonymize.spec import MaskSpec
from safepost.detect.faces import Mode, Pass, fuse, iou_matrix, run_pass, verified, within_sizes
from safepost.detect.motion import MotionEstimator
from safepost.detect.tracking import TrackSettings, VideoTracks
from safepost.media.video import iter_frames

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    "rf075": Pass("retinaface", 0.05, scale=0.75),
    "rf1": Pass("retinaface", 0.05),
    "rf15": Pass("retinaface", 0.05, scale=1.5),
    "cf1": Pass("centerface", 0.03),
    "cf125": Pass("centerface", 0.03, scale=1.25),
    "cf15": Pass("centerface", 0.03, scale=1.5),
    "cf2": Pass("centerface", 0.03, scale=2.0),
    "cf05": Pass("centerface", 0.05, scale=0.5),
    "cf075": Pass("centerface", 0.03, scale=0.75),
    "cf075f": Pass("centerface", 0.03, scale=0.75, flip=True),
    "yn1": Pass("yunet", 0.0),
}
SIZES = ((0, 16), (16, 24), (24, 32), (32, 48), (48, 1e9))  # GT face size buckets, sqrt(w*h) pixels


def keyframes(steps: list, stride: int) -> list[int]:
    """The frames analyse() detects on: every ``stride``-th since the last, scene starts, the last."""
    keys, since = [], stride
    for index, step in enumerate(steps):
        if step.cut or since >= stride:
            keys.append(index)
            since = 0
        since += 1
    if keys[-1] != len(steps) - 1:
        keys.append(len(steps) - 1)
    return keys


def load_cache(clip: Path, out: Path, recipes: list[dict]) -> dict:
    """Motion steps and {pass: {frame: boxes}} for every pass and keyframe the recipes use."""
    cache = pickle.loads(out.read_bytes()) if out.exists() else {}
    for name, boxes in list(cache.items()):  # caches of older versions held one list per pass
        if isinstance(boxes, list) and name != "steps":
            cache[name] = dict(enumerate(boxes))
    if "steps" not in cache:
        motion = MotionEstimator()
        cache["steps"] = [motion.step(rgb) for rgb in iter_frames(clip)]
    wanted: dict[str, set[int]] = {}
    for r in recipes:
        keys = keyframes(cache["steps"], r["stride"])
        for name in [*r["passes"], *r.get("verify", {})]:
            wanted.setdefault(name, set()).update(keys)
    missing = {n: sorted(f for f in frames if f not in cache.get(n, {})) for n, frames in wanted.items()}
    missing = {n: f for n, f in missing.items() if f}
    if missing:
        print(f"{clip.name}: caching {', '.join(f'{n} on {len(f)} frames' for n, f in missing.items())}", flush=True)
        for index, rgb in enumerate(iter_frames(clip)):
            for name, frames in missing.items():
                if index in frames:
                    cache.setdefault(name, {})[index] = run_pass(rgb, CANDIDATES[name])
        out.write_bytes(pickle.dumps(cache))
    return cache


def _threshold_and_window(value) -> tuple[float, Pass]:
    """A recipe's pass entry: a threshold, or [threshold, min_size, max_size] (sqrt(w*h), frame pixels)."""
    if isinstance(value, (int, float)):
        return float(value), Pass("any", 0.0)
    threshold, low, high = value
    return float(threshold), Pass("any", 0.0, min_size=float(low), max_size=float(high))


def detections(recipe: dict, cache: dict) -> dict[int, np.ndarray]:
    """Keyframe boxes of a recipe, fused and verified as FaceDetector.detect does."""
    names = list(recipe["passes"])
    checks = recipe.get("verify", {})
    mode = Mode(
        "tune",
        tuple(CANDIDATES[n] for n in names),
        large_face_threshold=recipe.get("large", 0.2),
        agree_below=recipe.get("agree_below", 0.0),
        verify=CANDIDATES[next(iter(checks))] if checks else None,
        verify_below=recipe.get("verify_below", 0.0),
        verify_iou=recipe.get("verify_iou", 0.3),
    )
    passes = {n: _threshold_and_window(v) for n, v in recipe["passes"].items()}
    out = {}
    for f in keyframes(cache["steps"], recipe["stride"]):
        per = [within_sizes(cache[n][f][cache[n][f][:, 4] >= t], window) for n, (t, window) in passes.items()]
        faces = fuse(per, mode)
        for name, threshold in checks.items():
            faces = verified(faces, cache[name][f][cache[name][f][:, 4] >= threshold], mode)
        out[f] = np.array([box for box, _, _ in faces], np.float32).reshape(-1, 5)
    return out


def _slice(box, w, h, grow=0.0):
    x, y, bw, bh = box
    x0, y0 = int(math.floor(x - grow * bw)), int(math.floor(y - grow * bh))
    x1, y1 = int(math.ceil(x + bw + grow * bw)), int(math.ceil(y + bh + grow * bh))
    x0, x1, y0, y1 = max(0, min(w, x0)), max(0, min(w, x1)), max(0, min(h, y0)), max(0, min(h, y1))
    return (slice(y0, y1), slice(x0, x1)) if x1 > x0 and y1 > y0 else None


def _flat(box: np.ndarray, covered: np.ndarray) -> bool:
    """score_video's flat-fill rule for a black solid mask: the box's output is flat (channel
    std <= 6) and at most half as varied as the original."""
    if covered.mean() < 0.5:
        return False
    pixels = box.reshape(-1, 3).astype(np.float32)
    out_std = float((pixels * ~covered.reshape(-1, 1)).std(axis=0).max())
    return out_std <= 6 and out_std <= 0.5 * float(pixels.std(axis=0).max())


def _stray(regions: list, known: np.ndarray) -> list:
    """Regions overlapping no ground-truth or ignore box (IoU < 0.1): the false alarms."""
    if not regions or not len(known):
        return regions
    boxes = np.array([[r.x0, r.y0, r.x1, r.y1] for r in regions])
    overlap = iou_matrix(boxes, known.reshape(-1, 4)).max(axis=1)
    return [r for r, o in zip(regions, overlap, strict=True) if o < 0.1]


def evaluate(recipes: list[dict], clip: Path, gt: dict, cache: dict) -> list[dict]:
    """Exposed face-frames (overall and by face size) and collateral of each recipe, one decode."""
    tracks = [
        VideoTracks(cache["steps"], detections(r, cache), TrackSettings(**r.get("tracking", {}))) for r in recipes
    ]
    specs = [MaskSpec(**r.get("mask", {})) for r in recipes]
    stats = [{"exposed": 0, "changed": 0, "stray": 0, "by_size": np.zeros((len(SIZES), 2), int)} for _ in recipes]
    total = eligible = 0
    for f, rgb in enumerate(iter_frames(clip)):
        h, w = rgb.shape[:2]
        far = (rgb > 24).any(axis=2)
        protected = np.zeros((h, w), bool)
        faces = gt["frames_gt"].get(str(f), [])
        for box in faces + gt["frames_ignore"].get(str(f), []):
            sl = _slice(box, w, h, 0.5)
            if sl:
                protected[sl] = True
        free = far & ~protected
        eligible += int((~protected).sum())
        total += len(faces)
        slices = [_slice(box, w, h) for box in faces]
        buckets = [next(i for i, (lo, hi) in enumerate(SIZES) if lo <= math.sqrt(b[2] * b[3]) < hi) for b in faces]
        known = np.array([[x, y, x + bw, y + bh] for x, y, bw, bh in faces + gt["frames_ignore"].get(str(f), [])])
        for tr, spec, st in zip(tracks, specs, stats, strict=True):
            regions = tr.regions(f)
            cov = coverage_mask((h, w), regions, spec)
            st["changed"] += int((cov & free).sum())
            st["stray"] += int((coverage_mask((h, w), _stray(regions, known), spec) & free).sum())
            for sl, bucket in zip(slices, buckets, strict=True):
                hidden = sl is not None and ((cov[sl] & far[sl]).mean() >= 0.6 or _flat(rgb[sl], cov[sl]))
                st["by_size"][bucket] += (0 if hidden else 1, 1)
                st["exposed"] += 0 if hidden else 1
    return [
        {
            "exposed": st["exposed"] / max(total, 1),
            "collateral": st["changed"] / max(eligible, 1),
            "stray": st["stray"] / max(eligible, 1),
            "tracks": len(tr.tracks),
            "by_size": st["by_size"],
        }
        for tr, st in zip(tracks, stats, strict=True)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "video")
    ap.add_argument("--recipes", type=Path, required=True, help="JSON list of recipes")
    ap.add_argument("--clips", default="clip1,clip2,clip3")
    ap.add_argument("--sizes", action="store_true", help="also print exposure by face size")
    ap.add_argument(
        "--stray", action="store_true", help="also print the collateral of masks that overlap no GT or ignore box"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tunev")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    recipes = json.loads(args.recipes.read_text())
    results: list[list[str]] = [[] for _ in recipes]
    pooled = [[0.0, 0, 0.0, 0] for _ in recipes]  # exposed faces, faces, collateral x frames, frames
    for clip_name in args.clips.split(","):
        clip = args.data / f"{clip_name}.mp4"
        gt = json.loads((args.data / f"{clip_name}.json").read_text())
        cache = load_cache(clip, args.out / f"{clip_name}.pkl", recipes)
        n_faces = sum(len(v) for v in gt["frames_gt"].values())
        for i, res in enumerate(evaluate(recipes, clip, gt, cache)):
            text = f"{clip_name}: exp {res['exposed']:.2%} coll {res['collateral']:.3f}"
            if args.stray:
                text += f" (false alarms {res['stray']:.3f})"
            if args.sizes:
                text += " [" + " ".join(f"{e}/{n}" for e, n in res["by_size"]) + "]"
            results[i].append(text)
            pooled[i][0] += res["exposed"] * n_faces
            pooled[i][1] += n_faces
            pooled[i][2] += res["collateral"] * len(cache["steps"])
            pooled[i][3] += len(cache["steps"])
    for recipe, rows, (e, n, c, frames) in zip(recipes, results, pooled, strict=True):
        print(json.dumps(recipe), flush=True)
        print(f"   ALL exp {e / max(n, 1):.2%} coll {c / max(frames, 1):.3f} | " + " | ".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
