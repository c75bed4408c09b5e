#!/usr/bin/env python3
"""Does `safepost tracks` list people a person can choose from? Tracks against the clips' identities.

For every dev clip, the video thorough analysis runs once (its keyframe detections and camera
motion are cached in benchmarks/out/tracks/), tracks are built with the shipped settings, and
each track's box on each frame is matched to the ground-truth faces (IoU >= 0.3), whose
`frames_face_ids` name the person. Printed per clip:

- people: identities seen on at least 10 frames; listed: tracks `safepost tracks` lists
  (``VideoTracks.listed``: long and clear enough to choose; the rest stay masked and are summed up
  in one line); masked_tracks: the tracks redaction masks (confirmed), all_tracks: every track;
- fragments: listed tracks per person (1.0 is ideal);
- through the pan: of the people seen before and after the fast pan (the clip's motion-blur
  frames; ``crossing`` of them, most of them off the picture for a while), the share followed by
  one same listed track on both sides, so that keeping that track keeps the person visible, and
  masking it masks them, through the pan; through_pan_in_view: the same for the ``in_view`` people
  who stay in the picture through the pan (out of the ground truth for under 30 frames);
- mixed: tracks matched to two or more people (a wrong link or join, which keeping would expose),
  among the listed tracks and among all masked tracks (each face-frame matched to its best track
  of that set).

    python benchmarks/tracks.py --set join_gap=0 --clips clip1   # other settings, one clip

    python benchmarks/tracks.py [--data DIR] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from safepost.detect.faces import iou_matrix
from safepost.detect.tracking import VideoTracks
from safepost.flows.video import VIDEO_THOROUGH, analyse

ROOT = Path(__file__).resolve().parent.parent
MIN_FRAMES = 10  # a person counts when the ground truth shows them on this many frames
AWAY = 30  # through_pan_in_view: people out of the ground truth for fewer frames than this across the pan


def cached_analysis(clip: Path, cache_dir: Path, fresh: bool):
    """(camera steps, keyframe detections) of ``clip``, from the cache when it holds them."""
    path = cache_dir / f"{clip.stem}.pkl"
    if path.exists() and not fresh:
        return pickle.loads(path.read_bytes())
    found: dict = {}

    class Capture(VideoTracks):
        def __init__(self, steps, detections, settings, **kwargs):
            found["data"] = (steps, detections)
            super().__init__(steps, detections, settings, **kwargs)

    import safepost.flows.video as video

    original, video.VideoTracks = video.VideoTracks, Capture
    try:
        analyse(clip, VIDEO_THOROUGH)
    finally:
        video.VideoTracks = original
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(found["data"]))
    return found["data"]


def _match(tracks: VideoTracks, gt: dict, ids: set[str]):
    """Each ground-truth face-frame matched to the track of ``ids`` covering it best (IoU >= 0.3)."""
    tracks_of: dict[int, Counter] = defaultdict(Counter)
    people_of: dict[str, Counter] = defaultdict(Counter)
    match: dict[tuple[int, int], str] = {}  # (frame, person) -> the track covering them
    for key, boxes in gt["frames_gt"].items():
        frame = int(key)
        ids_here = gt["frames_face_ids"][key]
        faces = [r for r in tracks.faces_at(frame) if r.id in ids]
        if not faces or not boxes:
            continue
        truth = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes], float)
        found = np.array([[r.x0, r.y0, r.x1, r.y1] for r in faces], float)
        ious = iou_matrix(truth, found)
        for gi, person in enumerate(ids_here):
            fi = int(np.argmax(ious[gi]))
            if ious[gi, fi] >= 0.3:
                tracks_of[person][faces[fi].id] += 1
                match[frame, person] = faces[fi].id
                people_of[faces[fi].id][person] += 1
    return tracks_of, people_of, match


def _mixed(people_of: dict[str, Counter]) -> int:
    """Tracks matched to two or more people (on 3 frames each at least)."""
    return sum(1 for c in people_of.values() if sum(1 for n in c.values() if n >= 3) > 1)


def score_clip(tracks: VideoTracks, gt: dict) -> dict:
    """People, listed tracks, fragments per person, pan continuity and mixed tracks of one clip."""
    listed = {t.id for t in tracks.tracks if tracks.listed(t)}
    masked = {t.id for t in tracks.tracks if tracks.confirmed(t)}
    frames_of: Counter = Counter()
    for ids in gt["frames_face_ids"].values():
        frames_of.update(ids)
    tracks_of, people_of, match = _match(tracks, gt, listed)
    people = [p for p, n in frames_of.items() if n >= MIN_FRAMES]
    blur = gt.get("motion_blur_frames") or []
    before, after = (min(blur), max(blur)) if blur else (None, None)
    crossing = kept = 0
    stayed = stayed_kept = 0  # people in the picture through the pan (away under AWAY frames)
    if blur:
        sides: dict[int, tuple[set, set]] = defaultdict(lambda: (set(), set()))
        for (frame, person), track in match.items():
            if frame < before or frame > after:
                sides[person][frame > after].add(track)
        seen: dict[int, list[int]] = defaultdict(list)
        for key, ids in gt["frames_face_ids"].items():
            for person in ids:
                seen[person].append(int(key))
        for person in people:
            early, late = sides[person]
            if early and late:
                crossing += 1
                kept += bool(early & late)
                last = max(f for f in seen[person] if f < before)
                first = min(f for f in seen[person] if f > after)
                if first - last < AWAY:
                    stayed += 1
                    stayed_kept += bool(early & late)
    fragments = [len(tracks_of[p]) for p in people if tracks_of[p]]
    return {
        "people": len(people),
        "listed": len(listed),
        "masked_tracks": len(masked),
        "all_tracks": len(tracks.tracks),
        "fragments_per_person": round(float(np.mean(fragments)) if fragments else 0.0, 2),
        "through_pan": round(kept / crossing, 3) if crossing else None,
        "crossing": crossing,
        "through_pan_in_view": round(stayed_kept / stayed, 3) if stayed else None,
        "in_view": stayed,
        "mixed_listed": _mixed(people_of),
        "mixed_masked": _mixed(_match(tracks, gt, masked)[1]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "video")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "tracks")
    ap.add_argument("--fresh", action="store_true", help="re-run the analysis instead of using the cache")
    ap.add_argument("--clips", default="", help="comma-separated subset of clip names, e.g. clip1")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a TrackSettings field of the thorough mode, e.g. --set join_gap=0 (repeatable)",
    )
    args = ap.parse_args()
    settings = VIDEO_THOROUGH.tracking
    for item in args.set:
        name, value = item.split("=", 1)
        settings = replace(settings, **{name: type(getattr(settings, name))(value)})
    wanted = set(filter(None, args.clips.split(",")))
    for gt_path in sorted(args.data.glob("clip*.json")):
        if wanted and gt_path.stem not in wanted:
            continue
        gt = json.loads(gt_path.read_text())
        steps, detections = cached_analysis(args.data / gt["video"], args.out, args.fresh)
        tracks = VideoTracks(steps, detections, settings, frame_size=(gt["width"], gt["height"]))
        print(json.dumps({"clip": gt_path.stem, **score_clip(tracks, gt)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
