"""Checks shared by every reader before it opens a file."""

from __future__ import annotations

from pathlib import Path

from safepost.core import InputError


def check_input_file(source: Path, kind: str = "a") -> None:
    """Refuse a missing path, a folder, anything that is not a regular file, an empty file.

    ``kind`` ("an image", "a PDF", "a video") only words the folder message.
    """
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
