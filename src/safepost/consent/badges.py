"""Printable name tags for an event; NO PHOTO tags carry a large ArUco marker (C4): their drawing.

Who gets which tag, and the PDF, is the flow ``safepost.flows.badges`` (``plan_badges``, ``make_badges``).

Pages are A4 portrait at 300 dpi with 2 x 4 tags of 90 x 55 mm and thin grey cut lines. A
participant gets a NO PHOTO tag unless :func:`~safepost.decide.consent.may_photograph` allows a
photo of them at the event (an active face consent for the event, or a standing one where the
event is not NO PHOTO; a minor's needs the guardian's consent). A NO PHOTO tag has a red frame,
"NO PHOTO" in large red letters and marker :data:`NO_PHOTO_MARKER_ID` of OpenCV's
``DICT_4X4_50``, :data:`MARKER_MM` mm wide, with a white quiet zone of at least one marker cell.
Other tags carry no marker at all: a missing marker never means consent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from safepost.consent.events import Event
from safepost.detect.markers import BADGE_MM, MARKER_DICTIONARY, MARKER_MM, NO_PHOTO_MARKER_ID

if TYPE_CHECKING:
    pass

DPI = 300
PAGE_MM = (210.0, 297.0)
GRID = (2, 4)  # columns, rows
RED = (200, 16, 32)
INK = (20, 20, 20)
GREY = (110, 110, 110)
CUT = (190, 190, 190)
_BOLD_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)


@dataclass
class Badge:
    """One tag: the person's id and display name, and whether it says NO PHOTO (and why)."""

    person_id: str
    display_name: str
    no_photo: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"person": self.person_id, "no_photo": self.no_photo, "reason": self.reason}


@dataclass
class BadgeSheet:
    """What :func:`make_badges` wrote."""

    event_id: str
    output: Path | None
    pages: int
    badges: list[Badge] = field(default_factory=list)

    @property
    def no_photo(self) -> int:
        return sum(b.no_photo for b in self.badges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event_id,
            "output": str(self.output) if self.output else None,
            "pages": self.pages,
            "badges": len(self.badges),
            "no_photo": self.no_photo,
            "people": [b.to_dict() for b in self.badges],
        }


def mm(value: float) -> int:
    """Millimetres as pixels at :data:`DPI`."""
    return round(value * DPI / 25.4)


def marker_image(side_px: int, marker_id: int = NO_PHOTO_MARKER_ID) -> np.ndarray:
    """The ArUco marker as a ``side_px`` square (uint8, 0 black / 255 white) with crisp cell edges."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, MARKER_DICTIONARY))
    cells = dictionary.markerSize + 2
    small = cv2.aruco.generateImageMarker(dictionary, marker_id, cells)
    return cv2.resize(small, (side_px, side_px), interpolation=cv2.INTER_NEAREST)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _BOLD_FONTS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, largest: int, smallest: int):
    """The largest font (down to ``smallest``) at which ``text`` fits ``width``, and the lines to draw."""
    size = largest
    while True:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font, [text]
        if size <= smallest:
            return font, _wrap(draw, text, font, width)
        size = max(smallest, int(size * 0.9))


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > 2:  # keep two lines; the rest is cut with an ellipsis
        lines = [lines[0], lines[1] + "…"]
    return lines


def _one_line(lines: list[str]) -> list[str]:
    return [lines[0] + ("…" if len(lines) > 1 and not lines[0].endswith("…") else "")]


def _lines(draw, xy: tuple[int, int], lines: list[str], font, fill, anchor: str, spacing: int) -> int:
    x, y = xy
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill, anchor=anchor)
        y += spacing
    return y


def render_badge(badge: Badge, event: Event) -> Image.Image:
    """One tag as an RGB picture of :data:`BADGE_MM` at :data:`DPI`."""
    w, h = mm(BADGE_MM[0]), mm(BADGE_MM[1])
    tile = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(tile)
    event_line = event.name + (f" · {event.starts_on}" if event.starts_on else "")
    if not badge.no_photo:
        font, lines = _fit(draw, badge.display_name, w - mm(10), mm(11), mm(5))
        step = int(font.size * 1.15)
        y = h // 2 - step * (len(lines) - 1) // 2 - mm(3)
        _lines(draw, (w // 2, y), lines, font, INK, "mm", step)
        small, event_lines = _fit(draw, event_line, w - mm(10), mm(4), mm(2.5))
        _lines(draw, (w // 2, h - mm(7)), _one_line(event_lines), small, GREY, "mm", 0)
        return tile
    frame = mm(2)
    draw.rectangle((0, 0, w - 1, h - 1), outline=RED, width=frame)
    side = mm(MARKER_MM)
    cell = side // 6
    side = cell * 6
    top = (h - side) // 2  # centred: MARKER_MARGIN_MM, the margin the detector expects (to a pixel)
    left = top  # same white margin left as above and below: well over one cell of quiet zone
    tile.paste(Image.fromarray(marker_image(side)).convert("RGB"), (left, top))
    x0 = left + side + mm(4)
    column = w - x0 - mm(4)
    centre = x0 + column // 2
    big, _ = _fit(draw, "PHOTO", column, mm(13), mm(6))
    draw.text((centre, mm(6)), "NO", font=big, fill=RED, anchor="mt")
    draw.text((centre, mm(6) + int(big.size * 1.05)), "PHOTO", font=big, fill=RED, anchor="mt")
    name_font, lines = _fit(draw, badge.display_name, column, mm(6), mm(3))
    step = int(name_font.size * 1.15)
    _lines(draw, (centre, mm(35)), lines, name_font, INK, "mt", step)
    small, event_lines = _fit(draw, event_line, column, mm(3), mm(2))
    _lines(draw, (centre, h - mm(6)), _one_line(event_lines), small, GREY, "mm", 0)
    return tile


def render_pages(badges: Sequence[Badge], event: Event) -> Iterator[np.ndarray]:
    """A4 pages (HxWx3 uint8 RGB at :data:`DPI`) with :data:`GRID` tags each, one at a time."""
    cols, rows = GRID
    per_page = cols * rows
    page_w, page_h = mm(PAGE_MM[0]), mm(PAGE_MM[1])
    bw, bh = mm(BADGE_MM[0]), mm(BADGE_MM[1])
    left, top = (page_w - cols * bw) // 2, (page_h - rows * bh) // 2
    for start in range(0, len(badges), per_page):
        page = Image.new("RGB", (page_w, page_h), "white")
        draw = ImageDraw.Draw(page)
        for slot, badge in enumerate(badges[start : start + per_page]):
            x, y = left + (slot % cols) * bw, top + (slot // cols) * bh
            page.paste(render_badge(badge, event), (x, y))
            draw.rectangle((x, y, x + bw, y + bh), outline=CUT, width=1)
        yield np.asarray(page)
