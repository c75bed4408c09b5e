"""Remove the user-data boxes that FFmpeg's MP4 writer always adds.

Even with no tags, FFmpeg writes ``moov/udta/meta`` with an iTunes handler whose vendor is
"Apple", which metadata checkers report as a device tag. safepost writes its MP4s with the
index (``moov``) after the media data, so dropping boxes from the index moves no sample and
no chunk offset needs to change.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from safepost.core import OutputError

_CONTAINERS = {b"moov", b"trak"}  # boxes whose children we rebuild
_DROP = {b"udta", b"meta"}


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, size, header length) of each box between ``start`` and ``end``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise OutputError("the MP4 just written is malformed; nothing was kept")
        yield kind, pos, size, header
        pos += size


def _rebuilt(data: bytes, kind: bytes, pos: int, size: int, header: int) -> bytes:
    if kind not in _CONTAINERS:
        return data[pos : pos + size]
    body = b"".join(
        _rebuilt(data, k, p, s, h) for k, p, s, h in _boxes(data, pos + header, pos + size) if k not in _DROP
    )
    return struct.pack(">I4s", len(body) + 8, kind) + body


def strip_user_data(path: Path) -> None:
    """Rewrite the MP4 at ``path`` (index last) without any udta/meta box."""
    path.write_bytes(stripped(path.read_bytes()))


def stripped(data: bytes | memoryview) -> bytes:
    """The MP4 ``data`` (index last) without any udta/meta box; one copy of it is made."""
    data = memoryview(data)
    top = list(_boxes(data, 0, len(data)))
    moov = [b for b in top if b[0] == b"moov"]
    if len(moov) != 1:
        raise OutputError("the MP4 just written has no single index box; nothing was kept")
    kind, pos, size, header = moov[0]
    if any(k == b"mdat" and p > pos for k, p, _, _ in top):
        raise OutputError("the MP4 index must come after the media data to be cleaned; nothing was kept")
    new = _rebuilt(data, kind, pos, size, header)
    return b"".join((data[:pos], new, data[pos + size :]))
