"""Hidden staging files and folders beside an output, and the removal of those a killed run left.

Each staging entry is locked (``flock``) by the process that made it for as long as it lives;
the lock goes away with the process, even on ``kill -9``. The next run that stages in the same
folder removes every entry whose lock it can take (its owner is gone), so nothing half-written
stays behind, and never an entry another running safepost holds.

The lock is ``flock`` on Linux and macOS and ``msvcrt.locking`` (one byte) on Windows: both go
away when the descriptor is closed or the process ends (:func:`lock`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:  # Linux, macOS
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

PREFIX = ".safepost-"
PART_SUFFIX = ".part"
STAGE_PREFIX = ".safepost-stage-"
LOCK_NAME = ".lock"


def lock(fd: int, wait: bool = True) -> None:
    """An exclusive lock on the open file ``fd``, held until it is closed or this process ends.

    With ``wait=False`` a lock another process holds raises BlockingIOError at once.
    """
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        if wait:
            raise
        raise BlockingIOError(*exc.args) from exc


def new_part(folder: Path) -> tuple[int, Path]:
    """A new locked hidden ``.safepost-*.part`` file in ``folder`` (after removing stale ones)."""
    sweep(folder)
    fd, name = tempfile.mkstemp(dir=folder, prefix=PREFIX, suffix=PART_SUFFIX)
    lock(fd)
    return fd, Path(name)


@contextlib.contextmanager
def staging_folder(parent: Path) -> Iterator[Path]:
    """A locked hidden folder in ``parent``, removed with everything in it when the block ends."""
    sweep(parent)
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=STAGE_PREFIX))
    fd = os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        lock(fd)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def sweep(folder: Path) -> list[Path]:
    """Remove the staging entries in ``folder`` that no live process holds; returns what was removed."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if name.startswith(STAGE_PREFIX) and entry.is_dir() and not entry.is_symlink():
            if _unheld(entry / LOCK_NAME, missing_is_stale=True):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        elif name.startswith(PREFIX) and name.endswith(PART_SUFFIX) and entry.is_file() and not entry.is_symlink():
            if _unheld(entry, missing_is_stale=False):
                with contextlib.suppress(OSError):
                    entry.unlink()
                removed.append(entry)
    return removed


def _unheld(path: Path, missing_is_stale: bool) -> bool:
    """Whether nobody holds the lock on ``path`` (its writer is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return missing_is_stale
    except OSError:
        return False
    try:
        lock(fd, wait=False)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True
