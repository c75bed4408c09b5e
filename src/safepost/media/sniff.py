"""Tell which family a file belongs to from its first bytes, never from its name.

A file called ``holiday.jpg`` may be a video or a Word document; each family has its own
cleaner, so the choice is made on content. Families: ``image``, ``video``, ``pdf``,
``office`` (refused for now), ``unknown``.
"""

from __future__ import annotations

from pathlib import Path

from safepost.core import InputError

IMAGE, VIDEO, PDF, OFFICE, UNKNOWN = "image", "video", "pdf", "office", "unknown"

#: ISO-BMFF major/compatible brands of still-image files (HEIF, HEIC, AVIF).
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def sniff(path: str | Path) -> str:
    """The family of the file at ``path``; InputError if it cannot be read at all."""
    from safepost.media.inputs import open_regular

    path = Path(path)
    try:
        with open_regular(path) as f:
            head = f.read(64)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not head:
        raise InputError(f"{path} is empty (0 bytes)")
    return family_of(head)


def family_of(head: bytes) -> str:
    """The family for a file starting with ``head`` (at least its first 32 bytes)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return OFFICE  # OOXML/ODF documents are zip files; other zips are not media either
    if head.startswith(_ASF_GUID) or head.startswith(b"\x1a\x45\xdf\xa3"):
        return VIDEO  # WMV/ASF, Matroska/WebM
    if head[:4] == b"RIFF":
        return IMAGE if head[8:12] == b"WEBP" else VIDEO if head[8:12] == b"AVI " else UNKNOWN
    if head[4:8] == b"ftyp":
        return IMAGE if head[8:12] in _IMAGE_BRANDS else VIDEO
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return VIDEO  # old QuickTime files without an ftyp box
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")):
        return IMAGE
    return UNKNOWN
