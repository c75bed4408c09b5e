"""Tune video recipes on the dev clips from cached per-frame detections (research tool).

    python benchmarks/tune_video.py [--data DIR]

Step 1 caches, for every frame of every clip, the camera motion and the raw boxes of each
candidate detector pass (low threshold). Step 2 replays recipes (keyframe stride, thresholds,
track reach, margins) through the real tracker and scores the masks in memory with the same
rules as the clips' score_video.py (covered: >= 60% of a face box changed or fully filled;
collateral outside dilated GT and ignore boxes). Published figures come from
benchmarks/video.py, which runs the real CLI end to end.
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
from safepost.detect.faces import Mode, Pass, fuse, run_pass
from safepost.detect.motion import MotionEstimator
from safepost.detect.tracking import TrackSettings, VideoTracks
from safepost.media.video import iter_frames

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    "rf075": Pass("retinaface", 0.05, scale=0.75),
    "rf1": Pass("retinaface", 0.05),
    "cf1": Pass("centerface", 0.03),
    "cf05": Pass("centerface", 0.05, scale=0.5),
    "cf075": Pass("centerface", 0.03, scale=0.75),
    "cf075f": Pass("centerface", 0.03, scale=0.75, flip=True),
}


def build_cache(clip: Path, out: Path, names: list[str]) -> dict:
    cache = pickle.loads(out.read_bytes()) if out.exists() else {}
    missing = [n for n in names if n not in cache]
    if not missing and "steps" in cache:
        return cache
    motion = MotionEstimator()
    steps, boxes = [], {n: [] for n in missing}
    for rgb in iter_frames(clip):
        steps.append(motion.step(rgb))
        for n in missing:
            boxes[n].append(run_pass(rgb, CANDIDATES[n]))
    cache["steps"] = steps
    cache.update(boxes)
    out.write_bytes(pickle.dumps(cache))
    return cache


def _slice(box, w, h, grow=0.0):
    x, y, bw, bh = box
    x0, y0 = int(math.floor(x - grow * bw)), int(math.floor(y - grow * bh))
    x1, y1 = int(math.ceil(x + bw + grow * bw)), int(math.ceil(y + bh + grow * bh))
    x0, x1, y0, y1 = max(0, min(w, x0)), max(0, min(w, x1)), max(0, min(h, y0)), max(0, min(h, y1))
    return (slice(y0, y1), slice(x0, x1)) if x1 > x0 and y1 > y0 else None


def evaluate(recipe: dict, clip: Path, gt: dict, cache: dict) -> dict:
    names = list(recipe["passes"])
    mode = Mode("t", tuple(CANDIDATES[n] for n in names), large_face_threshold=recipe.get("large", 0.2))
    stride = recipe["stride"]
    steps = cache["steps"]
    detections = {}
    for f in range(len(steps)):
        if f % stride == 0 or steps[f].cut or f == len(steps) - 1:
            per = [cache[n][f][cache[n][f][:, 4] >= recipe["passes"][n]] for n in names]
            fused = fuse(per, mode)
            agree_below = recipe.get("agree_below", 0.0)
            kept = [b for b, support, _ in fused if support >= 2 or b[4] >= agree_below]
            detections[f] = np.array(kept, np.float32).reshape(-1, 5)
    settings = TrackSettings(**recipe.get("tracking", {}))
    tracks = VideoTracks(steps, detections, settings)
    spec = MaskSpec(**recipe.get("mask", {}))
    exposed = total = changed_out = eligible = 0
    for f, rgb in enumerate(iter_frames(clip)):
        h, w = rgb.shape[:2]
        cov = coverage_mask((h, w), tracks.regions(f), spec)
        far = (rgb > 24).any(axis=2)
        changed = cov & far
        protected = np.zeros((h, w), bool)
        for box in gt["frames_gt"].get(str(f), []) + gt["frames_ignore"].get(str(f), []):
            sl = _slice(box, w, h, 0.5)
            if sl:
                protected[sl] = True
        for box in gt["frames_gt"].get(str(f), []):
            sl = _slice(box, w, h)
            total += 1
            if sl is None or not (changed[sl].mean() >= 0.6 or cov[sl].all()):
                exposed += 1
        changed_out += int((changed & ~protected).sum())
        eligible += int((~protected).sum())
    return {
        "exposed": exposed / max(total, 1),
        "collateral": changed_out / max(eligible, 1),
        "tracks": len(tracks.tracks),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "video")
    ap.add_argument("--recipes", type=Path, required=True, help="JSON list of recipes")
    ap.add_argument("--clips", default="clip1,clip2,clip3")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tunev")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    recipes = json.loads(args.recipes.read_text())
    names = sorted({n for r in recipes for n in r["passes"]})
    for r in recipes:
        rows = []
        for clip_name in args.clips.split(","):
            clip = args.data / f"{clip_name}.mp4"
            gt = json.loads((args.data / f"{clip_name}.json").read_text())
            cache = build_cache(clip, args.out / f"{clip_name}.pkl", names)
            res = evaluate(r, clip, gt, cache)
            rows.append(f"{clip_name}: exp {res['exposed']:.3%} coll {res['collateral']:.3f} tracks {res['tracks']}")
        print(json.dumps(r), "|", " | ".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
