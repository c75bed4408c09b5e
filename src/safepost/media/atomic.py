"""Write a file all at once or not at all.

The bytes go to a hidden, locked temporary file in the destination folder (``.safepost-*.part``,
see :mod:`safepost.media.staging`), which is flushed to disk and then renamed over the
destination; one left by a killed run is removed by the next write to that folder. A reader
(or a crash) sees either the old file or the complete new one, never a partial output.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from safepost.core import OutputError
from safepost.media import staging


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Create or replace ``path`` with what ``write`` writes to the stream it is given.

    On any exception the temporary file is removed and the exception re-raised; an
    ``OSError`` is re-raised as :class:`~safepost.core.OutputError`. The new file is created
    with mode 0600 (``tempfile.mkstemp``) and keeps it after the rename.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, tmp = staging.new_part(folder)  # also removes the .part files of killed runs here
    except OSError as exc:
        raise OutputError(f"Cannot write {target}: {_reason(exc)}.") from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"Cannot write {target}: {_reason(exc)}.") from exc
        raise
    _fsync_folder(folder)


def _reason(exc: OSError) -> str:
    """A short plain-language reason for an operating-system error."""
    return exc.strerror or str(exc) or type(exc).__name__


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of the renamed file to disk; best effort (not possible everywhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """:func:`atomic_write` for bytes already in memory."""
    atomic_write(path, lambda stream: stream.write(data))
