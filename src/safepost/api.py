"""The Python API. The CLI (and later the web app) only call these functions.

    from safepost.api import redact_file
    result = redact_file("march.jpg", mode="thorough")
    print(result.output, result.faces_found)

The flow is the one in DESIGN.md: analyse (detect faces), decide (drop what the user
ignored, add manual regions), render (mask, re-encode from pixels with no metadata).
Any error raises a SafepostError and leaves no output file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from safepost.anonymize.masks import MaskSpec, apply_masks
from safepost.core import OutputError, Region, RegionsFileError, SafepostError
from safepost.detect.faces import FaceDetector
from safepost.media.images import format_for_extension, load_image, output_extension, save_image
from safepost.regions import ManualEdits

OUTPUT_SUFFIX = ".redacted"


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

    @property
    def faces_found(self) -> int:
        return sum(1 for r in self.regions if r.kind == "face")

    @property
    def masked(self) -> int:
        return sum(1 for r in self.regions if r.id not in self.ignored)

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
            "masked": self.masked,
            "ignored": self.ignored,
            "regions": [dict(r.to_dict(), masked=r.id not in self.ignored) for r in self.regions],
        }


def default_output_path(path: Path, fmt: str) -> Path:
    """``photo.jpg`` -> ``photo.redacted.jpg`` beside it (HEIC stays HEIC, MPO becomes JPEG)."""
    return path.with_name(path.stem + OUTPUT_SUFFIX + _extension(path, fmt))


def _extension(path: Path, fmt: str) -> str:
    """The input's own extension when it names the output format, else the format's usual one."""
    try:
        if format_for_extension(path.suffix) == fmt:
            return path.suffix
    except SafepostError:
        pass
    return output_extension(fmt)


def resolve_output(path: Path, fmt: str, output: Path | None, in_place: bool) -> tuple[Path, str]:
    """Where to write and in which format; refuses to overwrite the input unless ``in_place``."""
    if in_place:
        if output is not None:
            raise OutputError("--in-place and an output path cannot be used together")
        target = path
    elif output is None:
        target = default_output_path(path, fmt)
    elif output.is_dir():
        target = output / (path.stem + _extension(path, fmt))
    else:
        target = output
    out_fmt = format_for_extension(target.suffix) if target.suffix else fmt
    if not in_place and target.exists() and os.path.samefile(target, path):
        raise OutputError(f"refusing to overwrite the input {path}; give another output or use --in-place")
    return target, out_fmt


def redact_frames(
    frames: list[np.ndarray],
    detector: FaceDetector,
    mask: MaskSpec,
    edits: ManualEdits | None = None,
    file_name: str = "",
) -> tuple[list[np.ndarray], list[Region], list[str]]:
    """Detect, decide and mask every frame; returns (masked frames, all regions, ignored ids)."""
    edits = edits or ManualEdits()
    regions: list[Region] = []
    per_frame: list[list[Region]] = []
    for index, rgb in enumerate(frames):
        found = detector.detect(rgb, frame=index, first_id=len(regions) + 1)
        regions.extend(found)
        h, w = rgb.shape[:2]
        per_frame.append(found + edits.regions_for(file_name, index, len(frames), w, h))
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
        keep = [r for r in per_frame[index] if r.id not in ignored]
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
) -> RedactResult:
    """Mask every face (and manual region) in an image file and write a clean copy.

    The output is re-encoded from pixels, so no EXIF, XMP, ICC profile or thumbnail of the
    input survives. Animated GIF and WebP are masked frame by frame.
    """
    path = Path(path)
    mask = mask or MaskSpec()
    detector = detector or FaceDetector(mode)
    image = load_image(path)
    target, out_fmt = resolve_output(path, image.format, Path(output) if output else None, in_place)
    masked, regions, ignored = redact_frames(image.frames, detector, mask, edits, path.name)
    save_image(masked, target, out_fmt, durations=image.durations, loop=image.loop)
    h, w = masked[0].shape[:2]
    return RedactResult(
        input=path,
        output=target,
        format=out_fmt,
        frames=len(masked),
        width=w,
        height=h,
        mode=detector.mode.name,
        mask=mask,
        regions=regions,
        ignored=ignored,
    )
