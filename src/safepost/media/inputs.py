"""Checks shared by every reader before it opens a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from safepost.core import InputError
from safepost.media.memfile import MemoryFile

#: flags for a descriptor of bytes that exist only on some systems (0 elsewhere)
BINARY = getattr(os, "O_BINARY", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def check_input_file(source: Path | MemoryFile, kind: str = "a") -> None:
    """Refuse a missing path, a folder, anything that is not a regular file, an empty file.

    ``kind`` ("an image", "a PDF", "a video") only words the folder message. A file held in memory
    needs only to be non-empty.
    """
    if isinstance(source, MemoryFile):
        if not source.data:
            raise InputError(f"{source} is empty (0 bytes).")
        return
    try:
        info = source.stat()
    except FileNotFoundError:
        raise InputError(f"{source} does not exist.") from None
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from exc
    if source.is_dir():
        raise InputError(f"{source} is a folder, not {kind} file.")
    if not source.is_file():
        raise InputError(f"{source} is not a regular file.")
    if info.st_size == 0:
        raise InputError(f"{source} is empty (0 bytes).")


def open_regular(source: Path) -> BinaryIO:
    """Open ``source`` for reading only if it is a regular file; a FIFO, socket or device is refused.

    The file is opened without blocking (a FIFO with no writer would otherwise hang forever)
    and checked on the open descriptor, so it cannot be swapped for a special file meanwhile.
    """
    try:  # O_BINARY: Windows reads a descriptor as text without it; it has no O_NONBLOCK (and no FIFOs)
        fd = os.open(source, os.O_RDONLY | BINARY | NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(f"{source} does not exist.") from None
    except IsADirectoryError:
        raise InputError(f"{source} is a folder, not a file.") from None
    except OSError as exc:
        raise InputError(f"{source} cannot be read: {exc.strerror or exc}.") from None
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise InputError(f"{source} is a folder, not a file.")
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"{source} is not a regular file (a pipe, socket or device): refused before reading.")
    if NONBLOCK:
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")
