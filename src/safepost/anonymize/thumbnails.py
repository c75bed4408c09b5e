"""Track thumbnails that show no face: the face box covered by a solid fill before they leave memory."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

# A track thumbnail is the face box padded by 30% of its size on each side, so the face is the
# middle 0.1875..0.8125 of each side; the mask covers a little more (hair, chin, a wider box).
FACE_FROM, FACE_TO = 0.12, 0.88
FILL = (128, 128, 128)


def masked_thumbnail(jpeg_base64: str) -> str:
    """``jpeg_base64`` (a track thumbnail) re-encoded with its face area filled: base64 JPEG."""
    with Image.open(io.BytesIO(base64.b64decode(jpeg_base64))) as im:
        rgb = np.array(im.convert("RGB"))
    h, w = rgb.shape[:2]
    rgb[round(h * FACE_FROM) : round(h * FACE_TO), round(w * FACE_FROM) : round(w * FACE_TO)] = FILL
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=85)
    return base64.b64encode(out.getvalue()).decode("ascii")
