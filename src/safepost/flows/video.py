"""The analysis pass of a video redaction: the first of two passes over the file.

1. Analyse (here): decode every frame, measure the camera motion, detect faces on keyframes, and
   link them into tracks (``detect/tracking.py``). Only boxes are kept in memory.
2. Render (``safepost.anonymize.video.render``): decode again, mask every track's box on every
   frame it covers, and encode a new MP4.

Two passes let a mask start before the first detection of a face and blend its box from
the detections on both sides, which a single forward pass cannot do. The video recipes
(``VIDEO_MODES``) say which detectors run and how far a track reaches.

With a :class:`TagSearch`, the first pass also looks for NO PHOTO tags and text on a schedule
(docs/video.md); each tag is tied to its wearer's track, which is then masked from its first
frame to its last, even with ``--keep-faces``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from safepost.anonymize.spec import MaskSpec
from safepost.core import DetectionError, Region
from safepost.detect import tags as tagdet
from safepost.detect.faces import face_detector
from safepost.detect.motion import MotionEstimator
from safepost.detect.recipes import Mode, Pass
from safepost.detect.tracking import Sighting, TrackSettings, VideoTracks
from safepost.media import heap
from safepost.media import video as video_io

Progress = Callable[[str, int], None]  # (phase, frames done)


@dataclass(frozen=True)
class VideoMode:
    """A video recipe: detector passes on keyframes, keyframe spacing, track reach."""

    name: str
    detection: Mode
    stride: int
    tracking: TrackSettings = field(default_factory=TrackSettings)
    #: libx264 speed preset for the output
    preset: str = "veryfast"
    #: faces scoring under ``weak_score`` get ``weak_factor`` of the usual mask margins, whatever
    #: their size: most are false alarms in crowd texture (None: the mask's own rule for photos)
    weak_score: float | None = None
    weak_factor: float = 0.5

    def masks(self, spec: MaskSpec) -> MaskSpec:
        """``spec`` with this mode's margins for weak faces."""
        if self.weak_score is None:
            return spec
        return replace(spec, tight_score=self.weak_score, tight_size=float("inf"), tight_factor=self.weak_factor)


# Tuned on the dev clips with benchmarks/video.py; figures in docs/benchmarks.md.
VIDEO_THOROUGH = VideoMode(
    name="thorough",
    detection=Mode(
        name="video-thorough",
        # each scale answers for the faces it sees best: 1.5x for faces under 30 px (upscaled,
        # small faces score higher and crowd texture lower), 3/4 size from 26 px (the overlap:
        # two scales may measure one face a little differently); boxes under 0.15 must also be
        # found by RetinaFace
        passes=(
            Pass("centerface", 0.08, scale=1.5, max_size=30.0),
            Pass("centerface", 0.15, scale=0.75, min_size=26.0),
        ),
        large_face_threshold=0.2,
        verify=Pass("retinaface", 0.05, scale=0.75),
        verify_below=0.15,
    ),
    stride=5,
    tracking=TrackSettings(
        pad=6,
        max_gap=15,
        drop_unconfirmed=True,
        growth_per_frame=0.02,
        max_growth=0.15,
        blur_growth=0.1,
        join_gap=30,
        list_min_detections=4,
        list_min_score=0.5,
    ),
    preset="veryfast",
    weak_score=0.2,
)
VIDEO_REALTIME = VideoMode(
    name="realtime",
    detection=Mode(name="video-realtime", passes=(Pass("retinaface", 0.16, scale=0.75),), large_face_threshold=0.3),
    stride=3,
    tracking=TrackSettings(
        pad=4,
        max_gap=9,
        drop_unconfirmed=True,
        growth_per_frame=0.02,
        max_growth=0.15,
        join_gap=30,
        list_min_detections=6,
        list_min_score=0.5,
    ),
    preset="ultrafast",
    weak_score=0.35,
)
VIDEO_MODES = {"thorough": VIDEO_THOROUGH, "realtime": VIDEO_REALTIME, "fast": VIDEO_REALTIME}


def _prefetched(frames: Iterator[np.ndarray], depth: int = 6) -> Iterator[np.ndarray]:
    """Decode ahead on a second thread while this one measures motion and detects faces.

    Decoding (FFmpeg) and detection (onnxruntime) release the GIL, so the two overlap on two
    cores. Errors from the decoder are raised here, in order; stopping early stops the thread.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        items.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            items.put(exc)

    worker = threading.Thread(target=produce, name="safepost-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                items.get_nowait()
        worker.join(timeout=5)


@dataclass(frozen=True)
class TagSearch:
    """NO PHOTO tags and text in a video: searched on one frame every ``every_s`` seconds and on
    the first frame of each scene (each such frame is also a face keyframe, and gets the photos'
    second look under small faces). ``redact_text`` (none, names, all) says which text lines are
    masked; a line is masked within ``text_reach_s`` seconds of the frame it was read on."""

    every_s: float = 0.5
    redact_text: str = "none"
    text_reach_s: float = 0.5
    #: the registry's ``safepost.text.NameIndex``: with "names", lines naming a registry person are masked
    names: tagdet.NameFinder | None = None


def _detections(faces: list[Region]) -> np.ndarray:
    return np.array([[r.x0, r.y0, r.x1, r.y1, r.score] for r in faces], np.float32).reshape(-1, 5)


def _search_frame(rgb: np.ndarray, faces: list[Region], index: int, search: TagSearch) -> tuple[list, list[dict]]:
    """Tags and text on one frame: sightings to mask, and every line read (as findings)."""
    found = tagdet.scan(rgb, ocr=True, faces=faces)
    sightings = []
    for tag in found.tags:
        hint = (tag.face.x0, tag.face.y0, tag.face.x1, tag.face.y1) if tag.face is not None else None
        kind = "nophoto_tag" if tag.readable else "unread_tag"
        sightings.append(Sighting(index, kind, tag.box, tag.text, tag.source, face_hint=hint))
    from safepost.decide.nophoto import read_lines

    texts = []
    for line, masked in read_lines(found.texts, faces, search.redact_text, search.names):
        if masked and line.kind != "no_photo":  # NO PHOTO lines are masked through their tag
            sightings.append(Sighting(index, "text", line.box, line.text, "ocr"))
        texts.append(line.to_dict() | {"frame": index, "masked": masked})
    return sightings, texts


def analyse(
    src: video_io.Source, mode: VideoMode, progress: Progress | None = None, search: TagSearch | None = None
) -> VideoTracks:
    """First pass: camera motion on every frame, faces on keyframes, tracks; with ``search``,
    NO PHOTO tags and text on a schedule, tied to the tracks (``tracks.nophoto``, ``tracks.texts``)."""
    heap.bound()  # 4K frames and detector buffers: each returned to the system when freed
    detector = face_detector(mode.detection)
    motion = MotionEstimator()
    steps, detections = [], {}
    sightings: list[Sighting] = []
    texts: list[dict] = []
    searched: list[int] = []
    every = max(1, round(video_io.frame_rate(src) * search.every_s)) if search else 0
    since_key = mode.stride
    since_search = every
    rgb = None
    for index, rgb in enumerate(_prefetched(video_io.iter_frames(src))):
        step = motion.step(rgb)
        steps.append(step)
        look_for_tags = search is not None and (step.cut or since_search >= every)
        if step.cut or since_key >= mode.stride or look_for_tags:
            faces = detector.detect(rgb, frame=index)
            detections[index] = _detections(faces)
            heap.trim()  # what the detector's tiles left in the heap
            since_key = 0
            if look_for_tags:
                found, read = _search_frame(rgb, faces, index, search)
                sightings.extend(found)
                texts.extend(read)
                searched.append(index)
                since_search = 0
        since_key += 1
        since_search += 1
        if progress:
            progress("analysing", index + 1)
    if not steps:
        raise DetectionError(f"{src.name} has no video frames")
    last = len(steps) - 1
    if last not in detections:  # the tail of the video is always looked at
        faces = detector.detect(rgb, frame=last)
        detections[last] = _detections(faces)
        if search is not None:
            found, read = _search_frame(rgb, faces, last, search)
            sightings.extend(found)
            texts.extend(read)
            searched.append(last)
    tracks = VideoTracks(steps, detections, mode.tracking, frame_size=(rgb.shape[1], rgb.shape[0]))
    del rgb
    heap.trim()
    if search is not None:
        tracks.bind(sightings)
        tracks.texts = texts
        tracks.searched = searched
        tracks.sighting_reach = max(every, round(video_io.frame_rate(src) * search.text_reach_s))
    return tracks


def best_view(track) -> tuple[int, np.ndarray]:
    """The keyframe and box where a track's face is seen best (score x area)."""
    i = int(np.argmax([b[4] * (b[2] - b[0]) * (b[3] - b[1]) for b in track.boxes]))
    return track.keyframes[i], track.boxes[i]


def track_summaries(src: video_io.Source, tracks: VideoTracks, thumb_size: int = 96) -> list[dict]:
    """One entry per track: id, frames covered, detections, best score, whether ``safepost tracks``
    lists it (``listed``: long and clear enough to choose), whether redaction masks it unless it is
    kept (``masked``: all but lone faint sightings, taken for false alarms), the fragments joined into it, and a JPEG
    thumbnail.

    The thumbnail shows the face: it is returned in memory (base64) and never written to disk.
    """
    best = {track.id: best_view(track) for track in tracks.tracks}
    wanted: dict[int, list[str]] = {}
    for tid, (frame, _) in best.items():
        wanted.setdefault(frame, []).append(tid)
    thumbs: dict[str, str] = {}
    for index, rgb in enumerate(video_io.iter_frames(src)):
        for tid in wanted.get(index, []):
            thumbs[tid] = _thumbnail(rgb, best[tid][1], thumb_size)
        if len(thumbs) == len(best):
            break
    s = tracks.settings
    return [
        {
            "id": t.id,
            "scene": t.scene,
            "first_frame": max(0, t.first - s.pad),
            "last_frame": min(tracks.n_frames - 1, t.last + s.pad),
            "detections": len(t.keyframes),
            "best_score": round(t.best_score, 3),
            "box": [round(float(v), 1) for v in best[t.id][1][:4]],
            "listed": tracks.listed(t),
            "masked": tracks.masked(t),
            "joined": list(t.joined),
            "thumbnail_jpeg_base64": thumbs.get(t.id, ""),
        }
        for t in tracks.tracks
    ]


def _thumbnail(rgb: np.ndarray, box: np.ndarray, size: int) -> str:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box[:4]
    pad_x, pad_y = 0.3 * (x1 - x0), 0.3 * (y1 - y0)
    crop = rgb[max(0, int(y0 - pad_y)) : min(h, int(y1 + pad_y)), max(0, int(x0 - pad_x)) : min(w, int(x1 + pad_x))]
    if crop.size == 0:
        return ""
    image = Image.fromarray(np.ascontiguousarray(crop))
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
