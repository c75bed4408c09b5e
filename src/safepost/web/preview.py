"""Pictures for the screen, made in memory: upright, downscaled, re-encoded without metadata.

The "before" pictures of the review canvas and the report come from the vault and go only to the
browser of the unlocked session (with ``Cache-Control: no-store``); they are never written to disk.
They are decoded exactly as the post check decodes them, so region boxes line up.
"""

from __future__ import annotations

import io

from PIL import Image

MAX_SIDE = 1600


def preview_jpeg(name: str, data: bytes, max_side: int = MAX_SIDE) -> tuple[bytes, int, int]:
    """A JPEG of the upright picture (first frame), at most ``max_side`` pixels wide or high, and the
    picture's full upright width and height (the coordinates of every region).

    Raises the InputError family of :func:`safepost.media.images.load_image` for anything unreadable.
    """
    from safepost.media.images import load_image

    loaded = load_image(name, data=data)
    picture = Image.fromarray(loaded.frames[0])
    width, height = picture.size
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue(), width, height
