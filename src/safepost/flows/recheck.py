"""`prepare` checks its own masked output again (docs/post-check.md, "How prepare converges").

A detection lying mostly on a mask that `prepare` drew is the mask itself (its edge, its colour),
not a new face. Anything else the check still finds on the masked copy is a leak: the next render
covers it too, drawn from the original pixels, and the report lists it.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import numpy as np

from safepost.core import Finding, OutputError, Region
from safepost.core.report import AnalysedMedia
from safepost.flows.post_media import MediaAnalyser
from safepost.flows.post_render import watermarks
from safepost.words import Lines, Phrase

#: How many times `prepare` checks its masked output; what the last check finds is covered unchecked.
MAX_RECHECKS = 3
#: A detection with at least this share of its box under a mask is the mask itself.
ON_MASK = 0.5
#: Regions of a re-check that need no new mask: they lie on one already.
COVERED_KINDS = frozenset({"masked_face", "masked_track", "masked_area"})


def mask_share(mask: np.ndarray, box) -> float:
    """The share of ``box`` (x0, y0, x1, y1) that lies under ``mask`` (True where masked)."""
    h, w = mask.shape
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(mask[y0:y1, x0:x1].mean())


def cover(region: Region, why: str) -> None:
    """Mark a re-check region as lying on a mask: nothing left in it to hide."""
    region.kind = {"face": "masked_face", "track": "masked_track"}.get(region.kind, "masked_area")
    region.reason, region.unsure = why, False  # a mask has nothing to drop


def video_mask_shares(original: Path, output: Path, tracks, ids: set[str]) -> dict[str, float]:
    """For each track ``ids`` of ``tracks`` (found in ``output``): the share of its best view that
    differs from ``original`` (masked there), frame against frame."""
    from safepost.flows.video import best_view
    from safepost.media.video import iter_frames

    wanted: dict[int, list[tuple[str, np.ndarray]]] = {}
    for track in tracks.tracks:
        if track.id in ids:
            frame, box = best_view(track)
            wanted.setdefault(frame, []).append((track.id, box))
    shares: dict[str, float] = {}
    for index, (before, after) in enumerate(zip(iter_frames(original), iter_frames(output), strict=False)):
        for tid, box in wanted.get(index, []):
            changed = (np.abs(before.astype(np.int16) - after.astype(np.int16)) > 24).any(axis=2)
            shares[tid] = mask_share(changed, box)
        if len(shares) == sum(len(v) for v in wanted.values()):
            break
    return shares


class MaskAwareAnalyser:
    """Analyses a prepared bundle, knowing where `prepare` drew its masks.

    ``masks`` maps each prepared photo's name to its coverage (True where masked), ``originals``
    each prepared video's name to its original (compared frame by frame). ``reuse`` maps a media
    name to an earlier analysis of it, handed out again instead of running the detectors (with the
    pixels of the new bytes, for the report's pictures).
    """

    def __init__(
        self,
        analyser: MediaAnalyser,
        masks: dict[str, np.ndarray],
        originals: dict[str, Path],
        reuse: dict[str, AnalysedMedia],
    ):
        self.analyser, self.masks, self.originals, self.reuse = analyser, masks, originals, reuse

    def analyse(self, name: str, data: bytes, folder, names=None) -> AnalysedMedia:
        if name in self.reuse:
            item = self._reused(name, data)
        else:
            item = self.analyser.analyse(name, data, folder, names)
            if item.tracks is not None and name in self.originals:
                self._cover_tracks(self.originals[name], item)
        if name in self.masks:
            self._cover_areas(self.masks[name], item)
        return item

    @staticmethod
    def _cover_tracks(original: Path, item: AnalysedMedia) -> None:
        tracks = {r.id: r for r in item.report.regions if r.kind == "track"}
        for tid, share in video_mask_shares(original, item.path, item.tracks, set(tracks)).items():
            if share >= ON_MASK:
                cover(tracks[tid], "lies on a mask prepare drew")

    @staticmethod
    def _cover_areas(mask: np.ndarray, item: AnalysedMedia) -> None:
        if mask.shape != item.rgb.shape[:2]:
            raise OutputError(f"{item.report.name}: the prepared picture changed size; nothing was written")
        for region in item.report.regions:
            if region.kind not in COVERED_KINDS and mask_share(mask, region.box) >= ON_MASK:
                cover(region, "lies on a mask prepare drew")
        for text in item.report.texts:
            if mask_share(mask, text["box"]) >= ON_MASK:
                text["masked"] = True

    def _reused(self, name: str, data: bytes) -> AnalysedMedia:
        earlier = self.reuse[name]
        item = AnalysedMedia(
            copy.deepcopy(earlier.report), earlier.rgb, earlier.format, earlier.path, earlier.faces, earlier.tracks
        )
        for region in item.report.regions:  # decided again, as a fresh analysis would be
            region.decision, region.person = "mask", None
        if earlier.rgb is not None:
            from safepost.media.images import load_image

            item.rgb = load_image(name, data=data).frames[0]
        return item


def leaks(item: AnalysedMedia, third_party: bool) -> list[Region]:
    """What a check of masked output still finds that a mask fixes: faces, NO PHOTO tags and heads,
    readable names, and for third-party material watermarks. Kept faces and regions on masks are not."""
    found = [copy.copy(r) for r in item.report.regions if r.decision == "mask" and r.kind not in COVERED_KINDS]
    if third_party and item.rgb is not None:
        found += [
            Region.of_box(f"w{n}", "text", [int(v) for v in t["box"]], text=t.get("text"))
            for n, t in enumerate(watermarks(item))
            if not t.get("masked")
        ]
    return found


_WHAT = {
    "face": ("1 more face", "{n} more faces"),
    "track": ("1 more face", "{n} more faces"),
    "nophoto_tag": ("1 more NO PHOTO tag", "{n} more NO PHOTO tags"),
    "nophoto_area": ("1 more NO PHOTO tag", "{n} more NO PHOTO tags"),
    "unread_tag": ("1 more tag", "{n} more tags"),
    "nophoto_head": ("1 more NO PHOTO wearer", "{n} more NO PHOTO wearers"),
    "text": ("1 more readable name or username", "{n} more readable names or usernames"),
}
_AREAS = ("1 more area", "{n} more areas")


def covered_finding(media: str, regions: list[Region]) -> Finding:
    """The report's note on what the checks of the masked copy found and covered, in plain words."""
    counts = Counter(_WHAT.get(r.kind, _AREAS) for r in regions)
    parts = [Phrase(one) if n == 1 else Phrase(many, n=n) for (one, many), n in counts.most_common()]
    what = parts[0] if len(parts) == 1 else Phrase("{first} and {last}", first=Lines(parts[:-1], ", "), last=parts[-1])
    return Finding(
        "covered_on_recheck",
        "info",
        Phrase("{what} was found on the masked copy of {media} and covered", what=what, media=media)
        if len(regions) == 1
        else Phrase("{what} were found on the masked copy of {media} and covered", what=what, media=media),
        Phrase("prepare looks again at every picture it masked; what the first look missed is covered too."),
        Phrase("Nothing to do. Look at the prepared picture before posting, as always."),
        where=media,
        fixed_by_prepare=True,
    )
