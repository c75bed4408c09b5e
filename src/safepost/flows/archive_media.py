"""Photos and videos of an export, analysed from bytes in memory: nothing is written to disk.

For a photo: faces (the shipped detector, ``fast`` mode by default), EXIF/XMP/IPTC findings
(GPS above all) and a small thumbnail whose faces are covered by solid boxes before it is
shrunk. For a video: container tags (GPS, dates, device), and faces on up to three key frames.
A file that cannot be read gets an ``error`` and no thumbnail: the item is then flagged
for a check by hand, never passed as harmless.
"""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from safepost.archive.media import TOO_LARGE, UNREADABLE, UNSUPPORTED, MediaResult
from safepost.core import Finding, InputError, Region, SafepostError, Severity
from safepost.media import image_meta
from safepost.media.images import MAX_PIXELS, ensure_heif_support
from safepost.media.sniff import IMAGE, VIDEO, family_of

DETECT_LONG_SIDE = 1600
THUMB_SIDE = 160
MAX_VIDEO_FRAMES = 3


def _gps_from(findings: list[Finding]) -> tuple[float, float] | None:
    for finding in findings:
        if finding.kind == "location":
            try:
                lat, lon = (float(v) for v in finding.value.split(","))
            except ValueError:
                continue
            return round(lat, 6), round(lon, 6)
    return None


def _summary(findings: list[Finding]) -> list[dict]:
    kept: dict[tuple, dict] = {}
    for f in findings:
        if f.severity.rank >= Severity.MEDIUM.rank:
            entry = {"kind": f.kind, "title": f.title, "value": f.value[:120], "severity": f.severity.value}
            kept.setdefault((f.kind, f.title, entry["value"]), entry)
    return list(kept.values())


class MediaAnalyser:
    """Analyses media bytes; loads the face detector once, on first use."""

    def __init__(self, faces: bool = True, mode: str = "fast", thumbnails: bool = True) -> None:
        self.faces, self.mode, self.thumbnails = faces, mode, thumbnails
        self._detector = None

    def _detect(self, rgb: np.ndarray) -> list[Region]:
        if not self.faces:
            return []
        if self._detector is None:
            from safepost.detect.faces import face_detector

            self._detector = face_detector(self.mode)
        return self._detector.detect(rgb)

    def analyse(self, path: str, data: bytes) -> MediaResult:
        family = family_of(data[:64])
        if family == IMAGE:
            return self._photo(path, data)
        if family == VIDEO:
            return self._video(path, data)
        return MediaResult(path=path, kind="file", error="not a photo or video safepost can read", problem=UNSUPPORTED)

    # -- photos ------------------------------------------------------------------------------------

    def _photo(self, path: str, data: bytes) -> MediaResult:
        result = MediaResult(path=path, kind="photo")
        ensure_heif_support()
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as im:
                    if im.size[0] * im.size[1] > MAX_PIXELS:
                        result.error = f"{im.size[0]} x {im.size[1]} pixels is over the {MAX_PIXELS:,}-pixel limit"
                        result.problem = TOO_LARGE
                        return result
                    findings = image_meta.inspect_image(path, data)
                    upright = ImageOps.exif_transpose(im).convert("RGB")
        except (
            OSError,
            SyntaxError,
            ValueError,
            UnidentifiedImageError,
            Image.DecompressionBombError,
            InputError,
        ) as exc:
            result.error = f"the photo cannot be read ({type(exc).__name__})"
            result.problem = UNREADABLE
            return result
        result.findings = _summary(findings)
        result.gps = _gps_from(findings)
        self._faces_and_thumbnail(upright, result)
        return result

    def _faces_and_thumbnail(self, picture: Image.Image, result: MediaResult) -> None:
        scale = min(1.0, DETECT_LONG_SIDE / max(picture.size))
        if scale < 1.0:
            picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.BILINEAR)
        rgb = np.asarray(picture)
        try:
            regions = self._detect(rgb)
        except SafepostError as exc:
            result.error = f"face detection failed: {exc}"
            result.problem = UNREADABLE
            return
        result.faces = max(result.faces, len(regions))
        if regions:
            result.largest_face = max(result.largest_face, round(max(r.height for r in regions) / scale))
        if self.thumbnails and not result.thumbnail:
            result.thumbnail = masked_thumbnail(rgb, regions) if self.faces else ""

    # -- videos ------------------------------------------------------------------------------------

    def _video(self, path: str, data: bytes) -> MediaResult:
        import av

        from safepost.media.video import open_video_bytes
        from safepost.media.video_meta import video_findings

        result = MediaResult(path=path, kind="video")
        try:
            findings = video_findings(data)  # the same reader, and severities, as `safepost inspect`
            result.findings = _summary(findings)
            result.gps = _iso6709(next((f.value for f in findings if f.kind == "location"), ""))
            with open_video_bytes(data) as container:
                frames = self._key_frames(container)
        except (InputError, av.FFmpegError, ValueError, UnicodeError, OSError) as exc:
            result.error = f"the video cannot be read ({type(exc).__name__})"
            result.problem = UNREADABLE
            return result
        if not frames:
            result.error = "no picture could be decoded from the video"
            result.problem = UNREADABLE
        for frame in frames:
            self._faces_and_thumbnail(frame, result)
        return result

    @staticmethod
    def _key_frames(container) -> list[Image.Image]:
        streams = [s for s in container.streams.video]
        if not streams:
            return []
        stream = streams[0]
        stream.codec_context.skip_frame = "NONKEY"
        frames = []
        for frame in container.decode(stream):
            if frame.width * frame.height > MAX_PIXELS:
                break
            frames.append(frame.to_image().convert("RGB"))
            if len(frames) >= MAX_VIDEO_FRAMES:
                break
        return frames


def _iso6709(text: str) -> tuple[float, float] | None:
    """(lat, lon) from an ISO 6709 string such as ``+04.6097-074.0817+2600.000/``."""
    import re

    match = re.match(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)", text.strip())
    if not match:
        return None
    return round(float(match.group(1)), 6), round(float(match.group(2)), 6)


def masked_thumbnail(rgb: np.ndarray, regions: list[Region]) -> str:
    """A small JPEG data URI of ``rgb`` with every face covered by a solid box (head margin included)."""
    from safepost.anonymize.masks import apply_masks
    from safepost.anonymize.spec import MaskSpec

    covered = apply_masks(rgb, regions, MaskSpec(style="solid", shape="box"))
    picture = Image.fromarray(covered)
    picture.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
