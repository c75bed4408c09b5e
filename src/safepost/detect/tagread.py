"""A closer read of what may be a NO PHOTO tag (issue #20).

The first OCR pass reads a whole photo once. Hand-lettered, brush or outline letters on a tag are
often misread there, or read upside down. Two things get a closer read:

- **a text line** placed like a tag under a face, or already near a NO PHOTO phrase: its quad is
  cut out upright, scaled to the recogniser's 48 px height and read again as it is, turned 180
  degrees, and with its contrast stretched (CLAHE); each reading is matched with
  :func:`safepost.detect.tags.match_no_photo`;
- **a badge-shaped card** under a face (:func:`safepost.detect.tags.find_cards`): cut out upright at
  :data:`CARD_HEIGHT` px, read by OCR (detection and recognition) in the same variants. A card
  that reads NO PHOTO is a tag. A card is an ordinary tag only when its **first line** is read
  surely as something far from every NO PHOTO phrase (:func:`clearly_not_no_photo`); otherwise
  it is an unreadable tag: its wearer is masked in ``--keep-faces`` mode (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Height a card is read at (its lines then ~25-50 px high, where PP-OCR reads best).
CARD_HEIGHT = 128
#: Height a text line is recognised at (the recogniser's input height).
LINE_HEIGHT = 48
#: A card's first line is "clear" when read at least this sure, with at least CLEAR_LETTERS
#: letters, at a weighted cost of at least CLEAR_COST from every phrase (safepost.detect.tagwords).
CLEAR_SCORE = 0.7
CLEAR_LETTERS = 3
CLEAR_COST = 3.0
#: The first line must start in the card's top share; text lower down means the top went unread.
FIRST_LINE_TOP = 0.45


def ordered(quad) -> np.ndarray:
    """The four corners as top-left, top-right, bottom-right, bottom-left of an upright reading:
    the long side is the width, and the top is the side nearer the top of the photo."""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    centre = q.mean(0)
    angles = np.arctan2(q[:, 1] - centre[1], q[:, 0] - centre[0])
    q = q[np.argsort(angles)]  # clockwise in image coordinates, starting anywhere
    if np.linalg.norm(q[1] - q[0]) < np.linalg.norm(q[2] - q[1]):
        q = np.roll(q, -1, axis=0)  # q[0]->q[1] is now a long side
    if (q[0, 1] + q[1, 1]) > (q[2, 1] + q[3, 1]):
        q = np.roll(q, 2, axis=0)  # that long side on top
    return q


def rectify(rgb: np.ndarray, quad, height: int, pad: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """``quad`` cut out of ``rgb`` upright at ``height`` px (plus ``pad`` of it around); also the
    transform from the cut-out back to the photo."""
    q = ordered(quad)
    w = max(np.linalg.norm(q[1] - q[0]), 1.0)
    h = max(np.linalg.norm(q[3] - q[0]), 1.0)
    scale = height / h
    out_w, out_h = max(8, round(w * scale * (1 + 2 * pad))), max(8, round(height * (1 + 2 * pad)))
    px, py = w * scale * pad, height * pad
    dst = np.float32([[px, py], [px + w * scale, py], [px + w * scale, py + height], [px, py + height]])
    m = cv2.getPerspectiveTransform(np.float32(q), dst)
    crop = cv2.warpPerspective(rgb, m, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return crop, np.linalg.inv(m)


def variants(crop: np.ndarray):
    """The crop as it is, turned 180 degrees, and with its contrast stretched (in that order)."""
    yield "as is", crop
    yield "turned", np.ascontiguousarray(crop[::-1, ::-1])
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(2, 4)).apply(lab[:, :, 0])
    yield "contrast", cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def recognise(crop: np.ndarray) -> tuple[str, float]:
    """The recogniser's reading of one upright line image (no detection)."""
    from safepost.detect.tags import _ocr_engine

    result, _ = _ocr_engine()(np.ascontiguousarray(crop[:, :, ::-1]), use_det=False, use_cls=False, text_score=0.0)
    if not result:
        return "", 0.0
    text, score = result[0]
    return str(text), float(score)


def reread_line(rgb: np.ndarray, quad) -> tuple[str, str] | None:
    """(phrase, reading) when a closer read of the text line at ``quad`` reads NO PHOTO."""
    from safepost.detect.tags import MIN_TEXT_SCORE, match_no_photo

    crop, _ = rectify(rgb, quad, LINE_HEIGHT, pad=0.06)
    for _, image in variants(crop):
        text, score = recognise(image)
        phrase = match_no_photo(text) if score >= MIN_TEXT_SCORE else None
        if phrase:
            return phrase, text
    return None


@dataclass
class CardReading:
    """What a closer read of a card found: ``verdict`` is "nophoto", "clear" (an ordinary tag,
    its first line read surely) or "unread"; ``text`` the lines read, top first."""

    verdict: str
    text: str = ""
    phrase: str | None = None
    score: float = 0.0


def clearly_not_no_photo(text: str, score: float) -> bool:
    """A first line read surely as something far from every NO PHOTO phrase (a name, a role)."""
    from safepost.detect.tags import fold, phrase_distance

    if score < CLEAR_SCORE or sum(c.isalpha() for c in fold(text)) < CLEAR_LETTERS:
        return False
    return phrase_distance(text) >= CLEAR_COST


#: A line whose weighted cost to a phrase is at most this gets a closer read wherever it is.
NEAR_COST = 3.0


def near_phrase(text: str) -> bool:
    """A line read near a NO PHOTO phrase (within :data:`NEAR_COST`): worth a closer read."""
    from safepost.detect.tags import fold, phrase_distance

    if not 4 <= len(fold(text)) <= 20:
        return False
    return phrase_distance(text) <= NEAR_COST


def read_card(rgb: np.ndarray, quad) -> CardReading:
    """Read a badge-shaped card at ``quad`` (in ``rgb``) closely: NO PHOTO, clear, or unread."""
    from safepost.detect.tags import MIN_TEXT_SCORE, _run_ocr, match_no_photo

    crop, _ = rectify(rgb, quad, CARD_HEIGHT, pad=0.04)
    first: tuple[str, float] | None = None  # the surest reading of the first line
    seen: list[str] = []
    for name, image in variants(crop):
        lines = [(q, t, s) for q, t, s in _run_ocr(image, use_cls=False) if s >= 0.3]
        for _, text, score in lines:
            phrase = match_no_photo(text) if score >= MIN_TEXT_SCORE else None
            if phrase:
                return CardReading("nophoto", text, phrase, score)
        if name == "turned" or not lines:
            continue
        lines.sort(key=lambda line: min(p[1] for p in line[0]))
        top_quad, text, score = lines[0]
        seen = [t for _, t, _ in lines]
        starts_high = min(p[1] for p in top_quad) <= FIRST_LINE_TOP * crop.shape[0]
        if starts_high and (first is None or score > first[1]):
            first = (text, score)
        if first is not None and clearly_not_no_photo(*first):
            return CardReading("clear", " / ".join(seen), score=first[1])
    return CardReading("unread", " / ".join(seen))


__all__ = ["CardReading", "clearly_not_no_photo", "ordered", "read_card", "rectify", "reread_line", "variants"]
