"""NO PHOTO tags and other text in photos (issue #6).

Two finders run on each photo:

- **markers**: the ArUco marker printed on safepost's own NO PHOTO badges (``DICT_4X4_50``,
  id 7, see docs/consent.md); the badge outline is rebuilt from the marker's corners;
- **OCR**: rapidocr-onnxruntime (PP-OCR models inside the wheel, no download). Every text line
  becomes a :class:`TextFinding`; lines reading "NO PHOTO", "NO FOTO", "NO PHOTOS", "SIN FOTO"
  or "PAS DE PHOTO" (after folding case, accents and spaces, within a small edit distance)
  become NO PHOTO tags.

Each tag is tied to its wearer with :func:`bind_tags`: the face above it within plausible body
geometry. How the results are masked is decided in :mod:`safepost.api`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np

from safepost.core import DetectionError, Region

#: Phrases that mean "do not photograph me", folded (upper case, no accents, no spaces).
NO_PHOTO_PHRASES = ("NOPHOTO", "NOPHOTOS", "NOFOTO", "NOFOTOS", "SINFOTO", "SINFOTOS", "PASDEPHOTO", "PASDEPHOTOS")
#: OCR slips accepted inside a phrase (substitutions, insertions, deletions); two when the
#: window starts with the phrase's first two letters ("NO PHETE" is a small tag misread).
MAX_EDITS = 1
MAX_EDITS_ANCHORED = 2
#: OCR lines read with less confidence than this are not reported.
MIN_TEXT_SCORE = 0.5
#: Images are scaled down (INTER_AREA) to this long side before OCR. rapidocr is 2-4x slower when
#: it gets a large image and scales it itself, and reads no more (docs/benchmarks.md).
OCR_MAX_SIDE = 1280

#: ArUco dictionary and id of safepost's printed NO PHOTO badges (safepost.consent.badges).
MARKER_DICTIONARY = "DICT_4X4_50"
NO_PHOTO_MARKER_ID = 7
#: The badge around its marker, in marker sides: (left, top, right, bottom) from the marker's
#: top-left corner (badge 90 x 55 mm, marker 38 mm, 8.5 mm from the left and top edges).
BADGE_FROM_MARKER = (-8.5 / 38, -8.5 / 38, 81.5 / 38, 46.5 / 38)

# Binding geometry, in face widths / heights (docs/nophoto.md).
MAX_DX_FACE_WIDTHS = 1.0
MIN_GAP_FACE_HEIGHTS = -0.3  # a tilted head or a loose face box may reach a little past the tag top
MAX_GAP_FACE_HEIGHTS = 2.5
# The area masked above a tag that no face can be tied to, in tag widths / heights.
UNBOUND_WIDTH_TAGS = 1.5
UNBOUND_HEIGHT_TAGS = 2.0

_FOLD_DIGITS = str.maketrans({"0": "O", "1": "I", "|": "I", "5": "S", "$": "S"})


def fold(text: str) -> str:
    """Upper case, no accents, only letters and digits; 0/1/5 read as O/I/S (common OCR slips)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9]", "", plain.upper().translate(_FOLD_DIGITS))


def _edit_distance_within(a: str, b: str, limit: int) -> int:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b, score_cutoff=limit)


def match_no_photo(text: str) -> str | None:
    """The NO PHOTO phrase ``text`` contains (folded), or None.

    A phrase must appear as a whole, within :data:`MAX_EDITS` OCR slips (:data:`MAX_EDITS_ANCHORED`
    when the window starts like the phrase), anywhere in the folded
    line ("NOPHOTOMARIA" matches: a name line may be read together with the phrase). Phrases
    shorter than 7 letters ("NOFOTO", 6) must match exactly at the start of the line, so that
    ordinary words ("PHOTOS", "FOTOS") are not taken for a tag.
    """
    folded = fold(text)
    if not folded:
        return None
    best: tuple[int, str] | None = None
    for phrase in sorted(NO_PHOTO_PHRASES, key=len, reverse=True):
        n = len(phrase)
        if phrase in folded:
            return phrase
        if n < 7 or len(folded) < n - MAX_EDITS:
            continue
        for size in (n - 1, n, n + 1):
            for start in range(0, max(1, len(folded) - size + 1)):
                window = folded[start : start + size]
                if not window.startswith(phrase[0]) and not window.endswith(phrase[-1]):
                    continue
                limit = MAX_EDITS_ANCHORED if window.startswith(phrase[:2]) else MAX_EDITS
                d = _edit_distance_within(window, phrase, limit)
                if d <= limit and (best is None or d < best[0]):
                    best = (d, phrase)
    return best[1] if best else None


@dataclass
class TextFinding:
    """One line of text read in a photo: the text, its box, and what it looks like."""

    text: str
    quad: list[tuple[float, float]]
    score: float
    kind: str = "other"  # no_photo | name_tag | sign | plate_like | other
    extra: dict = field(default_factory=dict)

    @property
    def box(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs), max(ys)

    def to_dict(self) -> dict:
        x0, y0, x1, y1 = self.box
        d = {"text": self.text, "kind": self.kind, "box": [round(v, 1) for v in (x0, y0, x1, y1)]}
        d["score"] = round(self.score, 3)
        return d | self.extra


_engine = None
_engine_lock = threading.Lock()


def _ocr_engine():
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR

                _engine = RapidOCR(det_limit_side_len=OCR_MAX_SIDE, det_limit_type="max")
            except Exception as exc:  # a missing model must stop the redaction, not skip the search
                raise DetectionError(f"the text reader (rapidocr) could not be loaded: {exc}") from exc
        return _engine


def read_text(rgb: np.ndarray) -> list[TextFinding]:
    """Every line of text rapidocr reads in an upright RGB image."""
    engine = _ocr_engine()
    h, w = rgb.shape[:2]
    scale = min(1.0, OCR_MAX_SIDE / max(h, w))
    image = rgb
    if scale < 1.0:
        image = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    try:
        result, _ = engine(np.ascontiguousarray(image[:, :, ::-1]))
    except Exception as exc:
        raise DetectionError(f"the text reader failed: {exc}") from exc
    found = []
    for quad, text, score in result or []:
        if float(score) < MIN_TEXT_SCORE or not str(text).strip():
            continue
        found.append(TextFinding(str(text), [(float(x) / scale, float(y) / scale) for x, y in quad], float(score)))
    return found


def find_markers(rgb: np.ndarray) -> list[list[tuple[float, float]]]:
    """Outlines (4 corners) of every safepost NO PHOTO badge whose ArUco marker is visible."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, MARKER_DICTIONARY))
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(grey)
    badges = []
    if ids is None:
        return badges
    for quad, marker_id in zip(corners, ids.reshape(-1), strict=True):
        if int(marker_id) != NO_PHOTO_MARKER_ID:
            continue
        c = quad.reshape(4, 2).astype(np.float64)
        u, v = c[1] - c[0], c[3] - c[0]  # marker's right and down edges
        left, top, right, bottom = BADGE_FROM_MARKER
        outline = [c[0] + a * u + b * v for a, b in ((left, top), (right, top), (right, bottom), (left, bottom))]
        badges.append([(float(p[0]), float(p[1])) for p in outline])
    return badges


# -- classifying other text ------------------------------------------------------------------------
_PLATE_PATTERNS = [
    re.compile(p)
    for p in (
        r"^[A-Z]{3}[0-9]{3,4}$",  # ABC123, ABC1234 (many Americas)
        r"^[A-Z]{3}[0-9]{2}[A-Z]$",  # ABC12D (Colombia motorbikes)
        r"^[A-Z]{2}[0-9]{2,3}[A-Z]{2}$",  # AB123CD (France, Italy), AB12CD
        r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$",  # AB12CDE (UK)
        r"^[0-9]{4}[A-Z]{3}$",  # 1234BCD (Spain)
        r"^[A-Z]{1,3}[0-9]{1,4}[A-Z]{1,2}$",  # B1234XY (Indonesia), M123AB (Germany-like)
        r"^[0-9]{1,3}[A-Z]{1,3}[0-9]{2,4}$",  # 12AB345
        r"^[A-Z]{2}[0-9]{1,2}[A-Z]{1,2}[0-9]{4}$",  # MH12AB1234 (India)
    )
]


def plate_like(text: str) -> bool:
    """True when ``text`` reads like a vehicle plate (letters and digits in a usual pattern)."""
    raw = re.sub(r"[\s\-·.]", "", unicodedata.normalize("NFKD", text).upper())
    if not 5 <= len(raw) <= 10 or not re.search(r"[0-9]", raw) or not re.search(r"[A-Z]", raw):
        return False
    return any(p.match(raw) for p in _PLATE_PATTERNS)


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 3 or len(text) > 40:
        return False
    letters = [w for w in words if any(c.isalpha() for c in w)]
    return bool(letters) and all(w[0].isupper() and all(c.isalpha() or c in "-'." for c in w) for w in letters)


def classify(finding: TextFinding, faces: list[Region]) -> str:
    """name_tag, plate_like, sign or other (a NO PHOTO line is classified by the caller)."""
    text = finding.text.strip()
    if plate_like(text):
        return "plate_like"
    if _looks_like_name(text) and bind_box(finding.box, faces) is not None:
        return "name_tag"
    x0, y0, x1, y1 = finding.box
    if len(fold(text)) >= 3 and (y1 - y0) >= 12:
        return "sign"
    return "other"


# -- tying tags to wearers -------------------------------------------------------------------------
def bind_box(box: tuple[float, float, float, float], faces: list[Region]) -> Region | None:
    """The face wearing a tag at ``box``: above it, roughly centred, at body distance; nearest wins.

    Plausible when the face centre is within :data:`MAX_DX_FACE_WIDTHS` face widths of the tag
    centre horizontally, and the tag top is between :data:`MIN_GAP_FACE_HEIGHTS` and
    :data:`MAX_GAP_FACE_HEIGHTS` face heights below the face bottom. Among plausible faces the one
    with the smallest gap and offset (in face sizes) wins.
    """
    x0, y0, x1, y1 = box
    cx = (x0 + x1) / 2
    best: tuple[float, Region] | None = None
    for face in faces:
        fw, fh = max(face.width, 1.0), max(face.height, 1.0)
        dx = abs((face.x0 + face.x1) / 2 - cx) / fw
        gap = (y0 - face.y1) / fh
        if dx > MAX_DX_FACE_WIDTHS or not MIN_GAP_FACE_HEIGHTS <= gap <= MAX_GAP_FACE_HEIGHTS:
            continue
        if face.y1 > y1:  # the face must be above the tag, not beside it
            continue
        cost = dx + abs(gap - 0.6)
        if best is None or cost < best[0]:
            best = (cost, face)
    return best[1] if best else None


#: A NO PHOTO wearer's head is also masked as the face box grown by these shares of its width
#: (each side) and height (top, bottom): hair, ears, and a face box that sits off the face.
HEAD_GROW = (0.3, 0.45, 0.2)


def head_box(face: Region) -> tuple[float, float, float, float]:
    """A NO PHOTO wearer's face box grown generously (:data:`HEAD_GROW`)."""
    side, top, bottom = HEAD_GROW
    return (
        face.x0 - side * face.width,
        face.y0 - top * face.height,
        face.x1 + side * face.width,
        face.y1 + bottom * face.height,
    )


def unbound_area(box: tuple[float, float, float, float], width: float, height: float) -> tuple[float, ...]:
    """The generous area above a tag with no face tied to it: where its wearer's head must be."""
    x0, y0, x1, y1 = box
    tw, th = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    up = max(UNBOUND_HEIGHT_TAGS * th, 1.2 * tw)  # tags are wide: two heights alone may miss the head
    return (
        max(0.0, cx - UNBOUND_WIDTH_TAGS * tw / 2),
        max(0.0, y0 - up),
        min(width, cx + UNBOUND_WIDTH_TAGS * tw / 2),
        y0,
    )


def clip_box(box: tuple[float, ...], width: float, height: float) -> tuple[float, float, float, float]:
    """``box`` inside the image."""
    x0, y0, x1, y1 = box
    return max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)


@dataclass
class NoPhotoTag:
    """A NO PHOTO tag found in a photo: its outline, how it was found, what it says."""

    quad: list[tuple[float, float]]
    source: str  # "aruco" or "ocr"
    text: str = ""

    @property
    def box(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1e-9)


def _grow_text_to_tag(quad: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A text line's quad grown to the card around it (a name line often sits under the phrase)."""
    q = np.asarray(quad, np.float64)
    centre = q.mean(0)
    right = (q[1] - q[0] + q[2] - q[3]) / 2
    down = (q[3] - q[0] + q[2] - q[1]) / 2
    grown = [centre + a * right + b * down for a, b in ((-0.65, -0.9), (0.65, -0.9), (0.65, 2.2), (-0.65, 2.2))]
    return [(float(p[0]), float(p[1])) for p in grown]


@dataclass
class TagScan:
    """What one photo's tag search found."""

    tags: list[NoPhotoTag]
    texts: list[TextFinding]


def scan(rgb: np.ndarray, ocr: bool = True) -> TagScan:
    """Find NO PHOTO tags (markers, and text when ``ocr``) and every text line in an RGB image."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise DetectionError("tag search needs an 8-bit RGB image")
    tags = [NoPhotoTag(q, "aruco", "") for q in find_markers(rgb)]
    texts = read_text(rgb) if ocr else []
    for t in texts:
        phrase = match_no_photo(t.text)
        if phrase is None:
            continue
        t.kind = "no_photo"
        t.extra["phrase"] = phrase
        box = t.box
        same = [g for g in tags if _overlap(g.box, box) > 0.3]
        if same:  # the printed badge's own words: one tag, keep the marker outline
            same[0].text = same[0].text or t.text
            continue
        tags.append(NoPhotoTag(_grow_text_to_tag(t.quad), "ocr", t.text))
    return TagScan(tags, texts)


__all__ = [
    "NO_PHOTO_MARKER_ID",
    "NO_PHOTO_PHRASES",
    "NoPhotoTag",
    "TagScan",
    "TextFinding",
    "bind_box",
    "classify",
    "clip_box",
    "find_markers",
    "fold",
    "head_box",
    "match_no_photo",
    "plate_like",
    "read_text",
    "scan",
    "unbound_area",
]
