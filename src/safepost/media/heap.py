"""Give freed memory back to the system between the big steps of a long job (glibc only).

glibc's allocator raises its mmap threshold each time a large block is freed, so after the first
4K frame every frame and detector buffer (tens of MB each) is carved from the heap instead of
mapped on its own, and the heap of each thread grows by fragments it never returns: a 4K video's
analysis left 1.85 GB resident after its last frame. :func:`bound` fixes the threshold (blocks
over 1 MiB are mapped and unmapped on their own, as before the first free); :func:`trim` returns
the free heap pages. Elsewhere (macOS, Windows, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20


@functools.cache
def _glibc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def bound() -> None:
    """Map every block over MMAP_THRESHOLD on its own, so that freeing it returns it at once."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def trim() -> None:
    """Collect garbage and hand the heap's free pages back to the system."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
