"""A file held in memory, as the web app holds its uploads: read and written without touching the disk.

The video readers and writers (``media/video.py``) take a :class:`MemoryFile` wherever they take a
path: they open it as an in-memory buffer, and a writer leaves the finished file in it. It answers
what messages and plans ask of a path (its name, stem, suffix, whether it exists) and nothing more:
it has no ``__fspath__``, so nothing can open it as a file on disk by mistake. It works the same
on every system (no Linux memfd).
"""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePath


class MemoryFile:
    """``name`` (for messages only) and the file's bytes ``data`` (empty until a writer fills it)."""

    __slots__ = ("name", "data")

    def __init__(self, name: str, data: bytes = b"") -> None:
        self.name, self.data = PurePath(name).name, data

    @property
    def stem(self) -> str:
        return PurePath(self.name).stem

    @property
    def suffix(self) -> str:
        return PurePath(self.name).suffix

    def read_bytes(self) -> bytes:
        return self.data

    def write_bytes(self, data: bytes) -> int:
        self.data = bytes(data)
        return len(self.data)

    def exists(self) -> bool:
        return bool(self.data)

    is_file = exists

    def unlink(self, missing_ok: bool = False) -> None:
        if not self.data and not missing_ok:
            raise FileNotFoundError(self.name)
        self.data = b""

    def buffer(self) -> io.BytesIO:
        """A reader over the bytes (it shares them: no copy)."""
        return io.BytesIO(self.data)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"MemoryFile({self.name!r}, {len(self.data)} bytes)"


def as_file(src: str | os.PathLike[str] | MemoryFile) -> Path | MemoryFile:
    """``src`` as a Path, or the MemoryFile it is."""
    return src if isinstance(src, MemoryFile) else Path(src)
