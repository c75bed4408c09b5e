"""The redact flow of one media file, and the clean and inspect of one file: the Python API.

    from safepost.flows.media import redact_file
    result = redact_file("march.jpg", mode="thorough")
    print(result.output, result.faces_found)

The flow is the one in DESIGN.md: analyse (detect faces), decide (drop what the user
ignored, add manual regions), render (mask, re-encode from pixels with no metadata).
Any error raises a SafepostError and leaves no output file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from safepost.anonymize.spec import PHOTO_ONLY_STYLES, MaskSpec
from safepost.core import (
    AUDIO_CHOICES,
    AUDIO_CHOICES_TEXT,
    Finding,
    OutputError,
    Region,
    RegionsFileError,
    Severity,
    UnsupportedFormatError,
)
from safepost.decide.nophoto import REDACT_TEXT, frame_regions
from safepost.decide.regions import ManualEdits
from safepost.detect.budget import check_search
from safepost.media import cleaner, sniff
from safepost.media.memfile import MemoryFile, as_file

if TYPE_CHECKING:  # the detector and masks load OpenCV and onnxruntime: only when redacting
    import numpy as np

    from safepost.detect.faces import FaceDetector
    from safepost.text import NameIndex

REDACTED_TAG = ".redacted"
CLEAN_TAG = ".clean"


@dataclass
class RedactResult:
    """What one redaction did: where it wrote, and every region it found or was given."""

    input: Path
    output: Path
    format: str
    frames: int
    width: int
    height: int
    mode: str
    mask: MaskSpec
    regions: list[Region] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: faces left visible by ``keep_faces`` (everyone consented but the NO PHOTO wearers)
    kept: list[str] = field(default_factory=list)
    #: every text line read in the photo (docs/nophoto.md), as dicts
    texts: list[dict] = field(default_factory=list)
    keep_faces: bool = False
    redact_text: str = "none"

    @property
    def faces_found(self) -> int:
        return sum(1 for r in self.regions if r.kind == "face")

    @property
    def nophoto_tags(self) -> int:
        return sum(1 for r in self.regions if r.kind == "nophoto_tag")

    @property
    def masked(self) -> int:
        return sum(1 for r in self.regions if r.id not in self.ignored and r.id not in self.kept)

    @property
    def unsure(self) -> list[str]:
        """Ids of the masked faces the detector is unsure of: they may not be faces (``--ignore ID``)."""
        return [r.id for r in self.regions if _unsure(r) and r.id not in self.ignored + self.kept]

    def to_dict(self) -> dict:
        return {
            "input": str(self.input),
            "output": str(self.output),
            "format": self.format,
            "frames": self.frames,
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "mask": {"style": self.mask.style, "shape": self.mask.shape, "reversible": self.mask.reversible},
            "faces_found": self.faces_found,
            "nophoto_tags": self.nophoto_tags,
            "keep_faces": self.keep_faces,
            "redact_text": self.redact_text,
            "masked": self.masked,
            "ignored": self.ignored,
            "kept": self.kept,
            "unsure": self.unsure,
            "regions": [
                dict(r.to_dict(), masked=r.id not in self.ignored and r.id not in self.kept, unsure=_unsure(r))
                for r in self.regions
            ],
            "texts": self.texts,
        }


def _unsure(region: Region) -> bool:
    """The detector's own mark (``extra["unsure"]``): a weak detection that may not be a face."""
    return bool(region.extra.get("unsure"))


def plan_output(path: Path, extension: str, output: Path | None, in_place: bool, tag: str) -> Path:
    """Where to write: ``-o`` file or folder, else ``NAME<tag>EXT`` beside the input.

    Refuses to write over the input unless ``in_place``, and an in-place write that would
    change the file's type (a MOV cleaned into MP4).
    """
    if in_place:
        if output is not None:
            raise OutputError("--in-place and an output path cannot be used together")
        if extension.lower() != path.suffix.lower():
            raise OutputError(f"cannot replace {path.name} in place: the result is a {extension} file; use -o")
        return path
    if output is None:
        target = path.with_name(fit_name(path.stem, tag + extension))
    elif output.is_dir():
        target = output / fit_name(path.stem, extension)
    else:
        target = output if output.suffix else output.with_name(output.name + extension)
    try:
        same = target.exists() and os.path.samefile(target, path)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    if same:
        raise OutputError(f"refusing to overwrite the input {path}; give another output or use --in-place")
    return target


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def fit_name(stem: str, tail: str) -> str:
    """``stem + tail``, the stem shortened (never cut inside a character) to fit in NAME_MAX bytes."""
    room = NAME_MAX - len(tail.encode("utf-8", "surrogateescape"))
    raw = stem.encode("utf-8", "surrogateescape")
    if len(raw) <= room:
        return stem + tail
    return raw[:room].decode("utf-8", "ignore") + tail


def tag_regions(
    rgb: np.ndarray,
    faces: list[Region],
    frame: int,
    first_id: int,
    redact_text: str,
    search: bool,
    names: NameIndex | None = None,
) -> tuple[list[Region], list[dict]]:
    """NO PHOTO tags, their wearers' faces (marked in place) and text regions of one frame: the tag
    search (``detect.tags.scan``), then the NO PHOTO and text masking rules (``decide.nophoto``).

    With ``names`` (the registry's :class:`safepost.text.NameIndex`), lines naming a registry
    person are masked under ``--redact-text names`` too.
    """
    from safepost.detect import tags as tagdet

    if not search:
        return [], []
    found = tagdet.scan(rgb, ocr=True, faces=faces)
    h, w = rgb.shape[:2]
    return frame_regions(found.tags, found.texts, faces, frame, first_id, w, h, redact_text, names)


def redact_frames(
    frames: list[np.ndarray],
    detector: FaceDetector,
    mask: MaskSpec,
    edits: ManualEdits | None = None,
    file_name: str = "",
    *,
    keep_faces: bool = False,
    redact_text: str = "none",
    find_tags: bool = False,
    texts: list[dict] | None = None,
    kept: list[str] | None = None,
    names: NameIndex | None = None,
) -> tuple[list[np.ndarray], list[Region], list[str]]:
    """Detect, decide and mask every frame; returns (masked frames, all regions, ignored ids).

    NO PHOTO tags are searched when ``find_tags``, ``keep_faces`` or ``redact_text`` asks for it
    (docs/nophoto.md): every face is masked anyway without ``keep_faces``, and OCR costs ~0.35 s;
    with ``keep_faces`` only the faces tied to a NO PHOTO tag are masked (their ids go to ``kept``
    otherwise). Text lines read are appended to ``texts``; ``redact_text`` (none, names, all)
    says which of them are masked; with ``names`` (a registry index), "names" also masks lines
    naming someone in the registry.
    """
    from safepost.anonymize.masks import apply_masks

    if redact_text not in REDACT_TEXT:
        raise RegionsFileError(f"unknown --redact-text choice '{redact_text}'; choose {', '.join(REDACT_TEXT)}")
    edits = edits or ManualEdits()
    regions: list[Region] = []
    per_frame: list[list[Region]] = []
    kept_ids: list[str] = []
    for index, rgb in enumerate(frames):
        found = detector.detect(rgb, frame=index, first_id=len(regions) + 1)
        tagged, frame_texts = tag_regions(
            rgb,
            found,
            index,
            len(regions) + len(found) + 1,
            redact_text,
            find_tags or keep_faces or redact_text != "none",
            names,
        )
        if texts is not None:
            texts.extend(frame_texts)
        if keep_faces:
            kept_ids.extend(r.id for r in found if not r.extra.get("nophoto"))
        found = found + tagged
        regions.extend(found)
        h, w = rgb.shape[:2]
        per_frame.append(found + edits.regions_for(file_name, index, len(frames), w, h))
    if kept is not None:
        kept.extend(kept_ids)
    known = {r.id for r in regions}
    unknown = [i for i in edits.ignore if i not in known]
    if unknown:
        raise RegionsFileError(
            f"cannot ignore {', '.join(unknown)}: no such detection in {file_name or 'this image'} "
            f"(ids are listed by --json)"
        )
    ignored = [i for i in edits.ignore if i in known]
    masked = []
    manual = []
    for index, rgb in enumerate(frames):
        keep = [r for r in per_frame[index] if r.id not in ignored and r.id not in kept_ids]
        manual.extend(r for r in per_frame[index] if r.kind == "manual")
        masked.append(apply_masks(rgb, keep, mask))
    return masked, regions + manual, ignored


def redact_file(
    path: str | Path,
    output: str | Path | None = None,
    *,
    mode: str = "thorough",
    mask: MaskSpec | None = None,
    edits: ManualEdits | None = None,
    in_place: bool = False,
    detector: FaceDetector | None = None,
    keep_tracks: Iterable[str] = (),
    audio: str = "keep",
    progress: Callable[[str, int], None] | None = None,
    keep_faces: bool = False,
    redact_text: str = "none",
    find_tags: bool = False,
    names: NameIndex | None = None,
) -> RedactResult | VideoRedactResult:
    """Mask every face (and manual region) in a photo or video and write a clean copy.

    Photos are re-encoded from pixels, so no EXIF, XMP, ICC profile or thumbnail of the input
    survives; animated GIF and WebP are masked frame by frame. Photos are also searched for
    NO PHOTO tags and text (``keep_faces``, ``redact_text``, ``find_tags``, ``names``: docs/nophoto.md).
    Videos go to :func:`redact_video` (``keep_tracks``, ``audio`` and ``progress`` apply to them
    only; NO PHOTO tags are searched on a schedule and tied to face tracks there).
    """
    path = Path(path)
    mask = mask or MaskSpec()
    kind = cleaner.family(path)
    if kind == sniff.VIDEO:
        return redact_video(
            path,
            output,
            mode=mode,
            mask=mask,
            edits=edits,
            in_place=in_place,
            keep_tracks=keep_tracks,
            audio=audio,
            progress=progress,
            keep_faces=keep_faces,
            redact_text=redact_text,
            find_tags=find_tags,
            names=names,
        )
    if kind == sniff.PDF:
        if edits is not None and (edits.regions or edits.ignore):
            raise RegionsFileError("regions files and --ignore apply to photos and videos, not to PDFs")
        return redact_pdf(
            path,
            output,
            mode=mode,
            mask=mask,
            in_place=in_place,
            detector=detector,
            redact_text=redact_text,
            find_tags=find_tags,
            names=names,
        )
    if kind not in (sniff.IMAGE, sniff.UNKNOWN):
        raise UnsupportedFormatError(f"{path.name} is a {kind} file; safepost redact handles photos, videos and PDFs")
    if keep_tracks:
        raise RegionsFileError("--keep-track applies to videos; for photos use --ignore with a face id")
    if detector is None:
        from safepost.detect.faces import face_detector

        detector = face_detector(mode)
    image = cleaner.ImageCleaner(path)
    check_search(path.name, [frame.shape[1::-1] for frame in image.image.frames])
    target = plan_output(path, image.extension, Path(output) if output else None, in_place, REDACTED_TAG)
    texts: list[dict] = []
    kept: list[str] = []
    masked, regions, ignored = redact_frames(
        image.image.frames,
        detector,
        mask,
        edits,
        path.name,
        keep_faces=keep_faces,
        redact_text=redact_text,
        find_tags=find_tags,
        texts=texts,
        kept=kept,
        names=names,
    )
    image.frames = masked
    written = image.write(target)
    h, w = masked[0].shape[:2]
    return RedactResult(
        input=path,
        output=target,
        format=written.format,
        frames=len(masked),
        width=w,
        height=h,
        mode=detector.mode.name,
        mask=mask,
        regions=regions,
        ignored=ignored,
        kept=kept,
        texts=texts,
        keep_faces=keep_faces,
        redact_text=redact_text,
    )


def redact_pdf(
    path: str | Path,
    output: str | Path | None = None,
    *,
    mode: str = "thorough",
    mask: MaskSpec | None = None,
    in_place: bool = False,
    detector: FaceDetector | None = None,
    redact_text: str = "none",
    find_tags: bool = False,
    names: NameIndex | None = None,
) -> RedactResult:
    """Render every page of a PDF, mask the faces (and tags, text) on it, write a PDF of those pictures only.

    Region ids carry their page: ``p2-f1`` is the first face found on page 2. The text of the
    PDF becomes pixels (it can no longer be selected or searched).
    """
    from safepost.media.pdf import clean_pdf

    path, mask = Path(path), mask or MaskSpec()
    if detector is None:
        from safepost.detect.faces import face_detector

        detector = face_detector(mode)
    target = plan_output(path, ".pdf", Path(output) if output else None, in_place, REDACTED_TAG)
    regions: list[Region] = []
    texts: list[dict] = []
    sizes: list[tuple[int, int]] = []

    def mask_page(pixels: np.ndarray, index: int) -> np.ndarray:
        page_texts: list[dict] = []
        masked, found, _ = redact_frames(
            [pixels],
            detector,
            mask,
            None,
            path.name,
            redact_text=redact_text,
            find_tags=find_tags,
            texts=page_texts,
            names=names,
        )
        for region in found:
            region.id, region.frame = f"p{index + 1}-{region.id}", index
        regions.extend(found)
        texts.extend(t | {"frame": index} for t in page_texts)
        sizes.append(pixels.shape[1::-1])
        return masked[0]

    check = partial(check_search, path.name, what="page")
    result = clean_pdf(path, target, frame_filter=mask_page, check_sizes=check)
    width, height = sizes[0] if sizes else (0, 0)
    return RedactResult(
        input=path,
        output=target,
        format="PDF",
        frames=result.pages,
        width=width,
        height=height,
        mode=detector.mode.name,
        mask=mask,
        regions=regions,
        texts=texts,
        redact_text=redact_text,
    )


@dataclass
class CleanResult:
    """Where a cleaned copy went, what kind of file it is, and anything the user should know."""

    input: Path
    output: Path
    family: str
    format: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "input": str(self.input),
            "output": str(self.output),
            "family": self.family,
            "format": self.format,
            "notes": self.notes,
        }


def clean_file(path: str | Path, output: str | Path | None = None, *, in_place: bool = False) -> CleanResult:
    """Write a copy of an image, video or PDF with nothing identifying in its metadata.

    Images keep their format (MPO becomes JPEG), videos become MP4 (video and audio only),
    PDFs are rendered page by page into a new PDF whose text becomes pixels.
    """
    path = Path(path)
    job = cleaner.cleaner_for(path)
    target = plan_output(path, job.extension, Path(output) if output else None, in_place, CLEAN_TAG)
    written = job.write(target)
    return CleanResult(input=path, output=target, family=written.family, format=written.format, notes=written.notes)


@dataclass
class InspectResult:
    """What one file reveals."""

    path: Path
    family: str
    findings: list[Finding]

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def to_dict(self) -> dict:
        return {
            "file": str(self.path),
            "family": self.family,
            "worst": self.worst.value if self.worst else None,
            "findings": [f.to_dict() for f in self.findings],
        }


def inspect_file(path: str | Path) -> InspectResult:
    """Everything identifying inside a file, most severe first; the file is not changed."""
    path = Path(path)
    return InspectResult(path=path, family=cleaner.family(path), findings=cleaner.inspect(path))


@dataclass
class VideoRedactResult:
    """What a video redaction did: output, tracks found, tracks kept, audio."""

    input: Path
    output: Path
    mode: str
    frames: int
    width: int
    height: int
    audio: str
    tracks: list[dict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped_streams: list[str] = field(default_factory=list)
    keep_faces: bool = False
    redact_text: str = "none"
    #: tracks tied to a NO PHOTO tag (always masked), every text line read, frames searched
    nophoto_tracks: list[str] = field(default_factory=list)
    texts: list[dict] = field(default_factory=list)
    searched_frames: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def faces_found(self) -> int:
        return len(self.tracks)

    @property
    def masked(self) -> int:
        return len(self.tracks) - len(self.kept)

    def to_dict(self) -> dict:
        return {
            "input": str(self.input),
            "output": str(self.output),
            "format": "MP4",
            "mode": self.mode,
            "frames": self.frames,
            "width": self.width,
            "height": self.height,
            "audio": self.audio,
            "tracks_found": len(self.tracks),
            "kept": self.kept,
            "removed_streams": self.dropped_streams,
            "tracks": self.tracks,
            "keep_faces": self.keep_faces,
            "redact_text": self.redact_text,
            "nophoto_tracks": self.nophoto_tracks,
            "searched_frames": self.searched_frames,
            "texts": self.texts,
            "notes": self.notes,
        }


def _video_mode(mode: str):
    from safepost.flows.video import VIDEO_MODES

    if mode not in VIDEO_MODES:
        raise UnsupportedFormatError(f"unknown video mode '{mode}'; choose one of {', '.join(VIDEO_MODES)}")
    return VIDEO_MODES[mode]


def redact_video(
    path: str | Path | MemoryFile,
    output: str | Path | MemoryFile | None = None,
    *,
    mode: str = "thorough",
    mask: MaskSpec | None = None,
    edits: ManualEdits | None = None,
    in_place: bool = False,
    keep_tracks: Iterable[str] = (),
    audio: str = "keep",
    progress: Callable[[str, int], None] | None = None,
    keep_faces: bool = False,
    redact_text: str = "none",
    find_tags: bool = False,
    names: NameIndex | None = None,
) -> VideoRedactResult:
    """Mask every face track (but the consented ``keep_tracks``) in a video; write a clean MP4.

    ``audio``: keep (voices still identify people), drop, or disguise. Manual regions apply to
    every frame (or the frame they name); ``edits.ignore`` may name track ids too.
    With ``keep_faces``, ``find_tags`` or ``redact_text``, NO PHOTO tags and text are searched on a
    schedule (docs/video.md): a NO PHOTO wearer's track is masked from its first frame to its last
    and can never be kept; ``keep_faces`` keeps every other track. A video held in memory
    (a MemoryFile) is written to a MemoryFile ``output``.
    """
    from safepost.anonymize.video import render
    from safepost.flows import video as video_flow

    if redact_text not in REDACT_TEXT:
        raise RegionsFileError(f"unknown --redact-text choice '{redact_text}'; choose {', '.join(REDACT_TEXT)}")

    path = as_file(path)
    mask = mask or MaskSpec()
    edits = edits or ManualEdits()
    if mask.style in PHOTO_ONLY_STYLES:
        raise UnsupportedFormatError(f"the '{mask.style}' style applies to photos; for videos use avatar or a mask")
    if audio not in AUDIO_CHOICES:
        raise UnsupportedFormatError(f"unknown audio choice '{audio}'; choose {AUDIO_CHOICES_TEXT}")
    video_mode = _video_mode(mode)
    if isinstance(output, MemoryFile) or isinstance(path, MemoryFile):
        if not isinstance(output, MemoryFile) or in_place:
            raise OutputError("a video held in memory is written to memory only")
        target = output
    else:
        target = plan_output(path, ".mp4", Path(output) if output else None, in_place, REDACTED_TAG)
    wanted = keep_faces or find_tags or redact_text != "none"
    search = video_flow.TagSearch(redact_text=redact_text, names=names) if wanted else None
    tracks = video_flow.analyse(path, video_mode, progress=progress, search=search)
    kept = list(dict.fromkeys([*keep_tracks, *edits.ignore]))
    known = {t.id for t in tracks.tracks}
    unknown = [t for t in kept if t not in known]
    if unknown:
        raise RegionsFileError(
            f"cannot keep {', '.join(unknown)}: no such track in {path.name} (list them with safepost tracks)"
        )
    short = [t.id for t in tracks.tracks if t.id in kept and not tracks.listed(t)]
    if short:
        raise RegionsFileError(
            f"cannot keep {', '.join(short)}: too short or faint a track in {path.name} to tell who it is, so "
            "it is always masked (safepost tracks lists the ones you can keep)"
        )
    refused = [t for t in kept if t in tracks.nophoto]
    if refused:
        raise RegionsFileError(f"cannot keep {', '.join(refused)}: wears a NO PHOTO tag in {path.name}")
    if keep_faces:
        kept += [t.id for t in tracks.tracks if t.id not in tracks.nophoto and t.id not in kept]

    def manual(frame: int, width: int, height: int) -> list[Region]:
        return edits.regions_for(path.name, frame, tracks.n_frames, width, height)

    result = render(
        path,
        target,
        tracks,
        video_mode.masks(mask),
        keep_tracks=set(kept),
        extra=manual,
        audio=audio,
        progress=progress,
        preset=video_mode.preset,
    )
    summaries = [
        {
            "id": t.id,
            "first_frame": a,
            "last_frame": b,
            "detections": len(t.keyframes),
            "best_score": round(t.best_score, 3),
            "kept": t.id in kept,
            **({"nophoto": True, "tag_text": tracks.nophoto[t.id][0].text} if t.id in tracks.nophoto else {}),
        }
        for t in tracks.tracks
        for a, b in [tracks.reach(t)]
    ]
    loose = sum(1 for s in tracks.sightings if s.is_tag and s.track is None)
    notes = [f"{loose} NO PHOTO tag sighting(s) tied to no face: the area above each is masked"] if loose else []
    return VideoRedactResult(
        input=path,
        output=target,
        mode=mode,
        frames=result.frames,
        width=result.width,
        height=result.height,
        audio=audio,
        tracks=summaries,
        kept=kept,
        dropped_streams=result.dropped_streams,
        keep_faces=keep_faces,
        redact_text=redact_text,
        nophoto_tracks=sorted(tracks.nophoto),
        texts=tracks.texts,
        searched_frames=len(tracks.searched),
        notes=notes,
    )


def list_tracks(path: str | Path, *, mode: str = "thorough", masked_thumbnails: bool = False) -> list[dict]:
    """The face tracks of a video, each with a small JPEG thumbnail (base64, in memory only).

    Every track is returned; ``listed`` marks those a person can choose to keep (``safepost tracks``
    shows only these), ``masked`` those redaction masks unless kept, ``joined`` the pieces of the
    same face joined into it. With ``masked_thumbnails``, each also gets the thumbnail with its face
    covered (``thumbnail_masked_jpeg_base64``), the one a file or a terminal may show."""
    found = video_tracks(path, mode=mode)[1]
    if masked_thumbnails:
        from safepost.anonymize.thumbnails import masked_thumbnail

        for track in found:
            if track.get("thumbnail_jpeg_base64"):
                track["thumbnail_masked_jpeg_base64"] = masked_thumbnail(track["thumbnail_jpeg_base64"])
    return found


def registry_names(ws) -> NameIndex:
    """The consent registry's names as the redact flow matches them (``redact_text="names"``), in memory only."""
    from safepost.consent.people import list_people
    from safepost.text import NameIndex

    return NameIndex.from_people(list_people(ws))


def video_tracks(path: str | Path | MemoryFile, *, mode: str = "thorough"):
    """The face tracks of a video (a file, or one in memory) as redact_video finds them (``VideoTracks``),
    and their summaries."""
    from safepost.flows import video as video_flow

    path = as_file(path)
    family = sniff.family_of(path.data[:64]) if isinstance(path, MemoryFile) else cleaner.family(path)
    if family != sniff.VIDEO:
        raise UnsupportedFormatError(f"{path.name} is not a video")
    tracks = video_flow.analyse(path, _video_mode(mode))
    return tracks, video_flow.track_summaries(path, tracks)


def mask_tracks(
    src: str | Path | MemoryFile,
    dst: str | Path | MemoryFile,
    tracks,
    track_ids: Iterable[str],
    *,
    mode: str = "thorough",
) -> None:
    """Mask the tracks ``track_ids`` of ``tracks`` (found in ``src`` by :func:`video_tracks`) on ``src``
    itself and write ``dst``; nothing else is masked and the sound is copied as it is."""
    from safepost.anonymize.video import render

    video_mode = _video_mode(mode)
    keep = {t.id for t in tracks.tracks} - set(track_ids)
    render(as_file(src), as_file(dst), tracks, video_mode.masks(MaskSpec()), keep_tracks=keep, preset=video_mode.preset)
