"""Video rendering: the second pass of a video redaction (docs/video.md).

Decode the video again, mask every face track's box on every frame it covers (but the kept ones),
the NO PHOTO tags, their wearers' heads and the text sighted by the analysis pass
(``safepost.flows.video.analyse``), and encode a new MP4 through the metadata cleaner's writer
(``media/video.py``): no tags, no data tracks, rotation applied, nothing written until the whole
video is done. The writer takes the sound filter from here (the voice disguiser, docs/voice.md).
This module renders only: it finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from safepost.anonymize.masks import apply_masks
from safepost.anonymize.spec import MaskSpec
from safepost.anonymize.voice import VoiceDisguiser
from safepost.core import DetectionError, Region
from safepost.media import heap
from safepost.media import video as video_io

Progress = Callable[[str, int], None]  # (phase, frames done)


def render(
    src: video_io.Source,
    dst: video_io.Source,
    tracks,  # safepost.detect.tracking.VideoTracks, from the analysis pass
    mask: MaskSpec,
    keep_tracks: set[str] = frozenset(),
    extra: Callable[[int, int, int], list[Region]] | None = None,
    audio: str = "keep",
    progress: Progress | None = None,
    preset: str = "veryfast",
) -> video_io.VideoResult:
    """Second pass: mask every tracked face (but ``keep_tracks``), the NO PHOTO tags, their wearers'
    heads and the text sighted in the first pass, and write a clean MP4 (a file, or a MemoryFile)."""
    rng = np.random.default_rng()
    heap.bound()
    heap.trim()

    def mask_frame(rgb: np.ndarray, index: int) -> np.ndarray:
        if index >= tracks.n_frames:  # more frames than the first pass saw: fail closed
            raise DetectionError("the video changed between the two passes; nothing was written")
        regions = tracks.regions(index, skip=keep_tracks)
        if tracks.sightings:
            regions += tracks.sighting_regions(index, tracks.sighting_reach, rgb.shape[1], rgb.shape[0])
        if extra:
            regions += extra(index, rgb.shape[1], rgb.shape[0])
        if progress:
            progress("rendering", index + 1)
        return apply_masks(rgb, regions, mask, rng=rng) if regions else rgb

    with video_io.encoder_preset(preset):
        voice = VoiceDisguiser if audio == "disguise" else None
        result = video_io.transcode(src, dst, frame_filter=mask_frame, audio=audio, audio_filter=voice)
    if result.frames != tracks.n_frames:
        dst.unlink(missing_ok=True)
        raise DetectionError(f"{src.name}: {result.frames} frames written but {tracks.n_frames} analysed; no output")
    return result
