"""Small pictures for reports: where things were found (before) and what is published (after).

A report file may be forwarded, so by default the "before" picture covers every region that will
be masked with an opaque numbered box: it shows where things are, not who they are. Only
``reveal=True`` (the reviewer's own screen) shows the original pixels under the outlines.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

THUMB = 480
MASK_COLOUR = (200, 30, 30)
KEEP_COLOUR = (20, 150, 60)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def _thumb(rgb: np.ndarray) -> tuple[Image.Image, float]:
    image = Image.fromarray(rgb)
    scale = min(1.0, THUMB / max(image.size))
    if scale < 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    return image, scale


def before_picture(rgb: np.ndarray, regions, reveal: bool = False) -> bytes:
    """The original, shrunk, with masked regions covered (or outlined when ``reveal``) and kept ones outlined."""
    image, scale = _thumb(rgb)
    draw = ImageDraw.Draw(image)
    for region in regions:
        box = [round(v * scale) for v in region.box]
        colour = KEEP_COLOUR if region.decision == "keep" else MASK_COLOUR
        if region.decision == "mask" and not reveal:
            draw.rectangle(box, fill=colour)
        draw.rectangle(box, outline=colour, width=2)
        draw.text((box[0] + 2, box[1] + 1), region.id, fill=(255, 255, 255))
    return _jpeg(image)


def after_picture(data: bytes) -> bytes:
    """A published (already anonymised) image, shrunk."""
    with Image.open(io.BytesIO(data)) as im:
        image, _ = _thumb(np.asarray(im.convert("RGB")))
    return _jpeg(image)
