"""One handler per file family, chosen from the file's content (like mat2's parser table).

Every handler has the same contract: ``findings(path)`` says what the file reveals (mat2's
``get_meta``), ``write(target)`` writes the clean copy (``remove_all``). ``CLEANERS`` is the table.

Every cleaner writes a brand-new file from decoded content (pixels, frames, audio samples,
rendered pages), so no container metadata can survive, and writes it atomically.

| family | cleaner | output |
| --- | --- | --- |
| image  | re-encode pixels (``images.py``) | same format (MPO -> JPEG) |
| video  | re-encode video and audio, nothing else (``video.py``) | MP4 |
| pdf    | render pages to images, new PDF (``pdf.py``) | PDF (text becomes pixels) |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safepost.core import Finding, UnsupportedFormatError
from safepost.media import sniff

SUPPORTED_TEXT = (
    "images (JPEG, MPO, PNG, WebP, HEIC/HEIF, AVIF, TIFF/DNG, GIF, BMP), "
    "videos (MP4, MOV, M4V, AVI, WMV, MKV, WebM) and PDF"
)


@dataclass
class Cleaned:
    """What a cleaner wrote."""

    family: str
    format: str
    notes: list[str] = field(default_factory=list)


def family(path: Path) -> str:
    """The file's family; office documents and unknown kinds are refused here."""
    kind = sniff.sniff(path)
    if kind == sniff.OFFICE:
        raise UnsupportedFormatError(
            f"{path.name} is an office document or zip archive, which safepost cannot clean yet. "
            f"Export it to PDF and clean that. Supported: {SUPPORTED_TEXT}."
        )
    return kind


class ImageCleaner:
    """Decodes on creation (so a bad file fails before any output is planned)."""

    @staticmethod
    def findings(path: Path) -> list[Finding]:
        from safepost.media.image_meta import inspect_image

        return inspect_image(path)

    def __init__(self, path: Path):
        from safepost.media.images import load_image

        self.path = path
        self.image = load_image(path)
        self.format = "JPEG" if self.image.format == "MPO" else self.image.format
        #: what gets written: the decoded pictures, or arrays that replaced them (masked)
        self.frames: list = self.image.pictures

    @property
    def extension(self) -> str:
        from safepost.media.images import format_for_extension, output_extension

        try:
            if format_for_extension(self.path.suffix) == self.format:
                return self.path.suffix
        except UnsupportedFormatError:
            pass
        return output_extension(self.format)

    def write(self, target: Path) -> Cleaned:
        from safepost.media.images import format_for_extension, save_image

        fmt = format_for_extension(target.suffix) if target.suffix else self.format
        fmt = "JPEG" if fmt == "MPO" else fmt
        save_image(self.frames, target, fmt, durations=self.image.durations, loop=self.image.loop)
        notes = ["only the main picture of the MPO file was kept"] if self.image.format == "MPO" else []
        return Cleaned(sniff.IMAGE, fmt, notes)


class VideoCleaner:
    """Re-encodes the first video and audio streams into a new MP4; drops every other stream."""

    extension = ".mp4"
    format = "MP4"

    @staticmethod
    def findings(path: Path) -> list[Finding]:
        from safepost.media.video_meta import video_findings

        return video_findings(path)

    def __init__(self, path: Path):
        self.path = path

    def write(self, target: Path) -> Cleaned:
        from safepost.media.video import clean_video

        result = clean_video(self.path, target)
        notes = [f"removed {', '.join(result.dropped_streams)}"] if result.dropped_streams else []
        return Cleaned(sniff.VIDEO, self.format, notes)


class PdfCleaner:
    """Renders every page to pixels and builds a new PDF from them."""

    extension = ".pdf"
    format = "PDF"

    @staticmethod
    def findings(path: Path) -> list[Finding]:
        from safepost.media.pdf_meta import pdf_findings

        return pdf_findings(path)

    def __init__(self, path: Path):
        self.path = path

    def write(self, target: Path) -> Cleaned:
        from safepost.media.pdf import clean_pdf

        result = clean_pdf(self.path, target)
        note = (
            f"{result.pages} page(s) rendered as images at {result.dpi} dpi: the text can no longer be "
            "selected or searched"
        )
        return Cleaned(sniff.PDF, self.format, [note])


#: family -> cleaner class; unknown content goes to the image reader, whose error names it.
CLEANERS = {
    sniff.IMAGE: ImageCleaner,
    sniff.VIDEO: VideoCleaner,
    sniff.PDF: PdfCleaner,
    sniff.UNKNOWN: ImageCleaner,
}


def cleaner_for(path: Path):
    """The cleaner instance for ``path``, chosen from its content."""
    return CLEANERS[family(path)](path)


def inspect(path: Path) -> list[Finding]:
    """What the file at ``path`` reveals, most severe first (its handler's ``findings``)."""
    return CLEANERS[family(path)].findings(path)
