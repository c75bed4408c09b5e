"""Container limits checked before FFmpeg opens an MP4/MOV: edit lists with huge entry counts.

FFmpeg's MOV demuxer rebuilds its sample index for every edit-list entry, so a 2.4 MB file
with a 200,000-entry ``elst`` box kept it busy for minutes before the first frame. Real
camera and phone files hold one to a few entries per track; :func:`check_edit_lists` refuses
more than ``MAX_EDIT_LIST_ENTRIES`` in any track (:class:`~safepost.core.TooLargeError`,
exit 5) reading only box headers and the ``moov`` index itself (at most ``MAX_INDEX_BYTES``).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from safepost.core import TooLargeError
from safepost.media.memfile import MemoryFile

MAX_EDIT_LIST_ENTRIES = 1000
MAX_INDEX_BYTES = 256 << 20
_NESTED = {b"moov", b"trak", b"edts"}


def _top_level_moov(f: BinaryIO, size: int) -> tuple[int, int] | None:
    pos = 0
    while pos + 8 <= size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I4s", header[:8])
        head = 8
        if length == 1 and len(header) == 16:
            (length,) = struct.unpack(">Q", header[8:16])
            head = 16
        elif length == 0:
            length = size - pos
        if length < head:
            return None  # damaged: FFmpeg reports it
        if kind == b"moov":
            return pos + head, min(pos + length, size)
        pos += length
    return None


def _entries(data: bytes, start: int, end: int, found: list[int]) -> None:
    pos = start
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if length == 1 and pos + 16 <= end:
            (length,) = struct.unpack_from(">Q", data, pos + 8)
            head = 16
        elif length == 0:
            length = end - pos
        if length < head:
            return
        stop = min(pos + length, end)
        if kind in _NESTED:
            _entries(data, pos + head, stop, found)
        elif kind == b"elst" and pos + head + 8 <= stop:
            found.append(struct.unpack_from(">I", data, pos + head + 4)[0])
        pos += length


def check_edit_lists(source: Path | MemoryFile) -> None:
    """Refuse an MP4/MOV (a file, or one held in memory) whose tracks declare more than
    ``MAX_EDIT_LIST_ENTRIES`` edits."""
    memory = isinstance(source, MemoryFile)
    try:
        with source.buffer() if memory else source.open("rb") as f:
            if f.read(12)[4:8] not in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
                return  # not ISO-BMFF / QuickTime: other demuxers have no edit lists
            size = len(source.data) if memory else source.stat().st_size
            moov = _top_level_moov(f, size)
            if moov is None:
                return
            start, end = moov
            if end - start > MAX_INDEX_BYTES:
                raise TooLargeError(
                    f"{source} has a {(end - start) >> 20} MB index (moov box); the limit is "
                    f"{MAX_INDEX_BYTES >> 20} MB."
                )
            f.seek(start)
            data = f.read(end - start)
    except OSError:
        return  # the open that follows reports unreadable files
    found: list[int] = []
    _entries(data, 0, len(data), found)
    if found and max(found) > MAX_EDIT_LIST_ENTRIES:
        raise TooLargeError(
            f"{source} has an edit list of {max(found):,} entries; the limit is {MAX_EDIT_LIST_ENTRIES:,} "
            "(camera files hold a few): refused, it would take minutes to read."
        )
