"""Bytes that a path-only API must read, handed over without touching the disk.

Some registry functions read a path (``import_people``). A CSV of people is registry data and must
not be written to disk in plaintext, so it goes into an anonymous in-memory file (Linux
``memfd_create``) and the API reads ``/proc/self/fd/N``. Elsewhere the import is refused.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

from safepost.core import WorkspaceError


@contextlib.contextmanager
def memory_path(data: bytes, name: str = "upload") -> Iterator[Path]:
    """A readable path whose content is ``data``, held in memory only, gone when the block ends."""
    if not hasattr(os, "memfd_create") or not Path("/proc/self/fd").is_dir():
        raise WorkspaceError("Importing from the web app needs Linux; use `safepost people import` instead.")
    fd = os.memfd_create(f"safepost-{name}", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        yield Path(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


def badges_pdf(ws, event_id: str) -> tuple[bytes, int]:
    """The name tags of ``event_id`` as PDF bytes made in memory, and how many badges."""
    import numpy as np

    from safepost.consent.badges import DPI, GRID, plan_badges, render_pages
    from safepost.core import RegistryError
    from safepost.media.pdf import _PdfWriter  # the writer behind write_image_pdf, given a memory stream

    event, badges = plan_badges(ws, event_id)
    if not badges:
        raise RegistryError(f"Event {event_id} has no participants yet: register people for it first.")
    cols, rows = GRID
    count = -(-len(badges) // (cols * rows))
    buffer = io.BytesIO()
    writer = _PdfWriter(buffer, count)
    for index, pixels in enumerate(render_pages(badges, event)):
        height, width = pixels.shape[:2]
        writer.add_page(index, width * 72 / DPI, height * 72 / DPI, np.ascontiguousarray(pixels))
    writer.finish()
    return buffer.getvalue(), len(badges)
