"""Analyse one media file of a post: faces, NO PHOTO tags, text in the picture, metadata.

Photos are decoded from the bytes held in memory; nothing un-anonymised is written to disk.
Videos are analysed as face tracks (they must be files in a bundle folder on disk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safepost.check.model import MediaRegion, MediaReport
from safepost.core import Region, UnsupportedFormatError
from safepost.media import sniff


@dataclass
class AnalysedMedia:
    """A media file's report plus what `prepare` needs to render it (the pixels stay in memory)."""

    report: MediaReport
    rgb: np.ndarray | None = None  # photos
    format: str = ""
    path: Path | None = None  # videos: the file in the bundle folder
    faces: list[Region] = field(default_factory=list)


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
    from safepost.api import _tag_regions
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
    tagged, texts = _tag_regions(rgb, faces, 0, len(faces) + 1, "names", True, names)
    report = MediaReport(name=name, kind="image", width=w, height=h)
    report.metadata = [f.to_dict() for f in inspect_image(name, data)]
    for face in faces:
        kind = "masked_face" if already_masked(rgb, _box_of(face)) else "face"
        report.regions.append(
            MediaRegion(face.id, kind, _box_of(face), round(face.score, 3), nophoto=bool(face.extra.get("nophoto")))
        )
    for region in tagged:
        report.regions.append(
            MediaRegion(
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


def analyse_video(name: str, path: Path | None) -> AnalysedMedia:
    """Face tracks (each kept or masked as a whole), audio presence and container metadata."""
    from safepost.api import list_tracks
    from safepost.media.video_meta import video_findings

    if path is None or not path.is_file():
        raise UnsupportedFormatError(f"{name}: videos can be checked only from a bundle folder on disk")
    import av

    report = MediaReport(name=name, kind="video")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        report.width, report.height = stream.codec_context.width, stream.codec_context.height
        report.audio = bool(container.streams.audio)
    report.metadata = [f.to_dict() for f in video_findings(path)]
    for track in list_tracks(path):
        report.regions.append(MediaRegion(track["id"], "track", _int_box(track["box"]), track["best_score"]))
    return AnalysedMedia(report=report, path=path)


def analyse(name: str, data: bytes, folder: Path | None, detector, names=None) -> AnalysedMedia:
    """Pick the analysis by content, never by file name."""
    family = sniff.family_of(data[:64])
    if family == sniff.IMAGE:
        return analyse_photo(name, data, detector, names)
    if family == sniff.VIDEO:
        return analyse_video(name, folder / name if folder else None)
    raise UnsupportedFormatError(f"{name} is not a photo or video safepost can check (it looks like: {family})")
