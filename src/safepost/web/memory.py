"""Files the web app makes in memory only (never on disk): the badges PDF."""

from __future__ import annotations

import io


def badges_pdf(ws, event_id: str) -> tuple[bytes, int]:
    """The name tags of ``event_id`` as PDF bytes made in memory, and how many badges."""
    import numpy as np

    from safepost.consent.badges import DPI, GRID, render_pages
    from safepost.core import RegistryError
    from safepost.flows.consent import plan_badges
    from safepost.media.pdf import PdfWriter  # the writer behind write_image_pdf, given a memory stream

    event, badges = plan_badges(ws, event_id)
    if not badges:
        raise RegistryError(f"Event {event_id} has no participants yet: register people for it first.")
    cols, rows = GRID
    count = -(-len(badges) // (cols * rows))
    buffer = io.BytesIO()
    writer = PdfWriter(buffer, count)
    for index, pixels in enumerate(render_pages(badges, event)):
        height, width = pixels.shape[:2]
        writer.add_page(index, width * 72 / DPI, height * 72 / DPI, np.ascontiguousarray(pixels))
    writer.finish()
    return buffer.getvalue(), len(badges)
