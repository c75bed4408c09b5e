"""The post check's analysis of one media file: faces, NO PHOTO tags, text in the picture, metadata.

Photos are decoded from the bytes held in memory; nothing un-anonymised is written to disk.
Videos are analysed as face tracks, from the file in a post folder or, for the web app's uploads,
from the bytes in memory (``safepost.media.memfile``, on every system).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from safepost.core import InputError, Region, UnsupportedFormatError
from safepost.core.report import AnalysedMedia, MediaReport
from safepost.media import sniff
from safepost.media.memfile import MemoryFile


class MediaAnalyser:
    """Runs the detectors once per distinct file and hands out fresh copies of the result.

    A re-check after a review step (keep this face, drop that one) changes only the decisions, so
    the web app keeps one analyser per post. The cache holds decoded pixels in memory only: drop
    the analyser with the post.
    """

    def __init__(self, detector=None, size: int = 8) -> None:
        self.detector = detector
        self._cache: OrderedDict[tuple, AnalysedMedia] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def analyse(self, name: str, data: bytes, folder: Path | None, names=None) -> AnalysedMedia:
        with self._lock:
            key = (name, folder, hashlib.sha256(data).hexdigest(), id(names))
            item = self._cache.get(key)
            if item is None:
                item = self.compute(name, data, folder, names)
                self._cache[key] = item
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
        # decisions are written into the regions: every caller gets its own report
        return AnalysedMedia(
            copy.deepcopy(item.report), item.rgb, item.format, item.path, item.faces, item.tracks, source=item
        )

    def compute(self, name: str, data: bytes, folder: Path | None, names) -> AnalysedMedia:
        """The detectors on one file (the web app runs this in a child process: safepost.web.jobs)."""
        if self.detector is None:
            from safepost.detect.faces import face_detector

            self.detector = face_detector("thorough")
        return analyse(name, data, folder, self.detector, names)

    def render_video(
        self, source: Path | MemoryFile, target: MemoryFile, kept: list[str], manual: list[dict], audio: str
    ) -> None:
        """Write the prepared copy of a video into ``target``, in memory (``safepost.flows.prepare.mask_video``)."""
        from safepost.flows.prepare import mask_video

        mask_video(source, target, kept, manual, audio)

    def fresh(self) -> MediaAnalyser:
        """A new analyser of the same kind and detector, with an empty cache (the re-checks of prepare)."""
        return type(self)(self.detector)


def _int_box(box) -> list[int]:
    return [int(round(v)) for v in box]


def _box_of(region: Region) -> list[int]:
    return _int_box((region.x0, region.y0, region.x1, region.y1))


def already_masked(rgb: np.ndarray, box: list[int], share: float = 0.8) -> bool:
    """True when the middle of a face box (eyes, nose, mouth) is one flat colour: a mask, not a face.

    Detectors sometimes fire on the outline of a solid mask; such a "face" has nothing left to hide.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    core = rgb[max(0, y0 + h // 4) : max(0, y1 - h // 4), max(0, x0 + w // 4) : max(0, x1 - w // 4)]
    if core.size == 0:
        return False
    pixels = core.reshape(-1, 3).astype(np.int16)
    flat = (np.abs(pixels - np.median(pixels, axis=0)) <= 6).all(axis=1)
    return float(flat.mean()) >= share


def analyse_photo(name: str, data: bytes, detector, names=None) -> AnalysedMedia:
    """Faces, NO PHOTO tags and their wearers, text lines (name tags, registry names), metadata."""
    from safepost.flows.media import tag_regions
    from safepost.media.image_meta import inspect_image
    from safepost.media.images import load_image

    loaded = load_image(name, data=data)
    if len(loaded.pictures) > 1:
        raise UnsupportedFormatError(
            f"{name} has {len(loaded.pictures)} frames; animations and multi-page images are not supported in "
            "posts yet (anonymise it with `safepost redact` and attach the result)"
        )
    rgb = loaded.frames[0]
    h, w = rgb.shape[:2]
    faces = detector.detect(rgb, frame=0, first_id=1)
    tagged, texts = tag_regions(rgb, faces, 0, len(faces) + 1, "names", True, names)
    report = MediaReport(name=name, kind="image", width=w, height=h)
    report.metadata = [f.to_dict() for f in inspect_image(name, data)]
    for face in faces:
        kind = "masked_face" if already_masked(rgb, _box_of(face)) else "face"
        report.regions.append(
            Region.of_box(
                face.id,
                kind,
                _box_of(face),
                round(face.score, 3),
                nophoto=bool(face.extra.get("nophoto")),
                unsure=kind == "face" and bool(face.extra.get("unsure")),  # a mask has nothing to drop
            )
        )
    for region in tagged:
        report.regions.append(
            Region.of_box(
                region.id,
                region.kind,
                _box_of(region),
                nophoto=bool(region.extra.get("nophoto")),
                text=region.extra.get("text") or region.extra.get("tag_text"),
                reason=region.extra.get("note", ""),
            )
        )
    report.texts = texts
    return AnalysedMedia(report=report, rgb=rgb, format=loaded.format, faces=faces)


def in_memory(item: AnalysedMedia, data: bytes) -> AnalysedMedia:
    """``item`` reading its video from ``data`` in memory (a MemoryFile: never a file on disk)."""
    item.path = MemoryFile(item.report.name, data)
    return item


def from_memory(item: AnalysedMedia) -> bool:
    """True when ``item`` reads its video from memory (no file of its own)."""
    return isinstance(item.path, MemoryFile)


def analyse_video(name: str, path: Path | MemoryFile | None, data: bytes | None = None) -> AnalysedMedia:
    """Face tracks (each kept or masked as a whole), audio presence and container metadata.

    Only the tracks that redaction masks are listed (a lone weak detection is a false alarm there).
    A video that is not a file in a bundle folder (the web app's uploads) is read from memory.
    """
    from safepost.flows.media import video_tracks
    from safepost.media.video_meta import video_findings

    if (path is None or not path.is_file()) and data:
        path = MemoryFile(name, data)
    if path is None or not path.is_file():
        raise UnsupportedFormatError(f"{name}: the video is missing")
    from safepost.media.video import video_shape

    report = MediaReport(name=name, kind="video")
    try:  # a damaged or fake video: InputError (exit 3, HTTP 400)
        report.width, report.height, report.audio = video_shape(path)
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), name)) from None  # the name, not the folder
    report.metadata = [f.to_dict() for f in video_findings(path)]
    tracks, summaries = video_tracks(path)
    rendered = {t.id for t in tracks.tracks if not tracks.settings.drop_unconfirmed or tracks.confirmed(t)}
    for track in summaries:
        if track["id"] not in rendered:
            continue
        thumbnail = track.get("thumbnail_jpeg_base64") or None
        kind = "masked_track" if thumbnail and _thumbnail_masked(thumbnail) else "track"
        region = Region.of_box(track["id"], kind, _int_box(track["box"]), track["best_score"])
        region.thumbnail = thumbnail
        report.regions.append(region)
    return AnalysedMedia(report=report, path=path, tracks=tracks)


def _thumbnail_masked(thumbnail: str) -> bool:
    """A track whose best view is already a flat mask (a re-check of anonymised video)."""
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(thumbnail))) as im:
        rgb = np.asarray(im.convert("RGB"))
    h, w = rgb.shape[:2]
    # the thumbnail is the face box padded by 30% of its size on each side
    return already_masked(rgb, [round(w * 0.1875), round(h * 0.1875), round(w * 0.8125), round(h * 0.8125)])


def analyse(name: str, data: bytes, folder: Path | None, detector, names=None) -> AnalysedMedia:
    """Pick the analysis by content, never by file name."""
    family = sniff.family_of(data[:64])
    if family == sniff.IMAGE:
        return analyse_photo(name, data, detector, names)
    if family == sniff.VIDEO:
        return analyse_video(name, folder / name if folder else None, data)
    raise UnsupportedFormatError(f"{name} is not a photo or video safepost can check (it looks like: {family})")
