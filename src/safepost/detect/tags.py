"""NO PHOTO tags and other text in photos (issue #6).

Two finders run on each photo:

- **markers**: the ArUco marker printed on safepost's own NO PHOTO badges (``DICT_4X4_50``,
  id 7, see docs/consent.md); the badge outline is rebuilt from the marker's corners;
- **OCR**: rapidocr-onnxruntime's reader and PP-OCR models (inside safepost's wheel, no download). Every text line
  becomes a :class:`TextFinding`; lines reading "NO PHOTO", "NO FOTO", "NO PHOTOS", "SIN FOTO"
  or "PAS DE PHOTO" (after folding case, accents and spaces; every word of the phrase read
  nearly right, starting where a word starts: :func:`match_no_photo`) become NO PHOTO tags.

When the faces are known, a **second look** (:class:`SecondLook`) reads the chest area of each
face that is too small for the first pass again, scaled up, and looks there for tag-shaped cards
whose text cannot be read (``unread`` tags: possibly NO PHOTO, so ``--keep-faces`` masks their
wearer). Each tag is tied to its wearer with :func:`bind_box`: the face above it within plausible
body geometry. How the results are masked is decided in :mod:`safepost.flows.media`.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import cv2
import numpy as np

from safepost.core import DetectionError, Region
from safepost.detect.markers import BADGE_FROM_MARKER, MARKER_DICTIONARY, NO_PHOTO_MARKER_ID

#: Phrases that mean "do not photograph me", folded (upper case, no accents, no spaces).
NO_PHOTO_PHRASES = ("NOPHOTO", "NOPHOTOS", "NOFOTO", "NOFOTOS", "SINFOTO", "SINFOTOS", "PASDEPHOTO", "PASDEPHOTOS")
#: OCR lines read with less confidence than this are not reported.
MIN_TEXT_SCORE = 0.5
#: Images are scaled down (INTER_AREA) to this long side before the first OCR pass. rapidocr is
#: 2-4x slower when it gets a large image and scales it itself, and reads no more; small faces'
#: tags, the ones a lower resolution loses, get a second look (docs/benchmarks.md).
OCR_MAX_SIDE = 1024


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


#: Each phrase as the words it is written in: every word must be there, read nearly right.
PHRASE_WORDS = {
    "NOPHOTO": ("NO", "PHOTO"),
    "NOPHOTOS": ("NO", "PHOTOS"),
    "NOFOTO": ("NO", "FOTO"),
    "NOFOTOS": ("NO", "FOTOS"),
    "SINFOTO": ("SIN", "FOTO"),
    "SINFOTOS": ("SIN", "FOTOS"),
    "PASDEPHOTO": ("PAS", "DE", "PHOTO"),
    "PASDEPHOTOS": ("PAS", "DE", "PHOTOS"),
}
#: Weighted cost (safepost.detect.tagwords) a whole phrase may be read with, for phrases of at
#: least 8 letters, of 7 (NOFOTOS, SINFOTO) and of 6 (NOFOTO): ordinary words are nearer short ones;
#: and the extra allowed to phrases of 7 letters or more whose first word was read exactly ("No Phete").
PHRASE_COST = {8: 1.5, 7: 1.0, 6: 0.5}
ANCHORED_EXTRA = 0.5
#: A line longer than a phrase by more than this many letters (a sign, a sentence) must hold it exactly.
FUZZY_MAX_EXTRA = 12


def _tokens(text: str) -> list[str]:
    """The folded words of a line (:func:`fold` of each piece between spaces and punctuation)."""
    return [t for t in (fold(w) for w in re.split(r"[^\w$|]+", text)) if t]


def _word_starts(tokens: list[str]) -> list[int]:
    """Where a phrase may start in the joined tokens: at a word's start, or one thin stroke after it
    (a card's border read as I or L)."""
    from safepost.detect.tagwords import THIN_LETTERS

    starts, at = [], 0
    for t in tokens:
        starts.append(at)
        if len(t) > 2 and t[0] in THIN_LETTERS:
            starts.append(at + 1)
        at += len(t)
    return starts


def match_no_photo(text: str) -> str | None:
    """The NO PHOTO phrase ``text`` reads (folded), or None.

    The phrase must start where a word of the line starts (rapidocr often drops the spaces:
    "NOPHOTO", "NOPHOTOMARIA" match; a name may follow) and be read with every one of its words
    nearly right (:func:`safepost.detect.tagwords.words_cost`: "MO PHQTO", "SIW FOtO" match; "qasim
    fotos", "Luis información", "Bruno Photo", "Karim Photos" do not: the phrase starts inside a
    word, or a word is missing), within :data:`PHRASE_COST` in all. The line is also read upside
    down (:func:`safepost.detect.tagwords.turned`: "CLOH ON" is NO PHOTO turned 180 degrees).
    """
    from rapidfuzz.distance import Levenshtein

    from safepost.detect.tagwords import turned, words_cost

    tokens = _tokens(text)
    if not tokens:
        return None
    best: tuple[float, int, str] | None = None
    for upright, reading in ((True, tokens), (False, [turned(t) for t in reversed(tokens)])):
        joined = "".join(reading)
        starts = _word_starts(reading)
        for phrase, words in PHRASE_WORDS.items():
            n = len(phrase)
            if not upright and len(joined) > n + 2:
                continue  # a line read upside down is the phrase alone (its name line is read apart)
            fuzzy = len(joined) <= n + FUZZY_MAX_EXTRA
            if not fuzzy:
                if any(joined.startswith(phrase, s) for s in starts) and (best is None or (0.0, -n) < best[:2]):
                    best = (0.0, -n, phrase)
                continue
            most = PHRASE_COST[min(n, 8)] + (ANCHORED_EXTRA if n >= 7 else 0.0)
            slips = int(2 * most)  # each slip costs at least 0.5: a quick bound before the cuts
            for s in starts:
                for size in range(max(len(words), n - 2), n + 3):
                    window = joined[s : s + size]
                    if len(window) < size:
                        break
                    if Levenshtein.distance(window, phrase, score_cutoff=slips) > slips:
                        continue
                    found = words_cost(window, words)
                    if found is None:
                        continue
                    cost, first_exact = found
                    allowed = PHRASE_COST[min(n, 8)] + (ANCHORED_EXTRA if first_exact and n >= 7 else 0.0)
                    if cost <= allowed and (best is None or (cost, -n) < best[:2]):
                        best = (cost, -n, phrase)
    return best[2] if best else None


#: What a phrase read inside a word, rather than from a word's start, adds to :func:`phrase_distance`.
INSIDE_WORD_COST = 1.0


@lru_cache(maxsize=4096)
def phrase_distance(text: str) -> float:
    """How far a line is from reading a NO PHOTO phrase: the least weighted cost
    (:mod:`safepost.detect.tagwords`) of a phrase read from where a word starts, the right way up
    or turned 180 degrees, or read anywhere in the line for :data:`INSIDE_WORD_COST` more
    ("HELLO my name is" holds letters near NOFOTO only from inside its words)."""
    from safepost.detect.tagwords import anchored_cost, substring_cost, turned

    tokens = _tokens(text)
    if not tokens:
        return float("inf")
    best = float("inf")
    readings = [tokens]
    if sum(map(len, tokens)) <= max(map(len, NO_PHOTO_PHRASES)) + 2:  # as in match_no_photo
        readings.append([turned(t) for t in reversed(tokens)])
    for reading in readings:
        joined, starts = "".join(reading), tuple(_word_starts(reading))
        best = min(best, *(anchored_cost(joined, phrase, starts) for phrase in NO_PHOTO_PHRASES))
        if best > INSIDE_WORD_COST:
            best = min(best, *(substring_cost(joined, p)[0] + INSIDE_WORD_COST for p in NO_PHOTO_PHRASES))
    return best


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
            from safepost.detect.models import ocr_engine  # verified, self-tested, outputs checked

            _engine = ocr_engine(det_limit_side_len=OCR_MAX_SIDE, det_limit_type="max")
        return _engine


def _run_ocr(rgb: np.ndarray, *, use_cls: bool = True) -> list[tuple[list, str, float]]:
    """rapidocr's (quad, text, score) lines for an RGB image, as it is (no scaling)."""
    engine = _ocr_engine()
    try:
        # every line, however unsure: a line in a script the recogniser cannot read is still text
        result, _ = engine(np.ascontiguousarray(rgb[:, :, ::-1]), use_cls=use_cls, text_score=0.0)
    except DetectionError:  # a model that gave invalid results: its own message
        raise
    except Exception as exc:
        raise DetectionError(f"the text reader failed: {exc}") from exc
    return [(quad, str(text), float(score)) for quad, text, score in result or []]


def read_text(rgb: np.ndarray) -> list[TextFinding]:
    """Every line of text rapidocr finds in an upright RGB image.

    A line read with less than :data:`MIN_TEXT_SCORE` confidence (a script the recogniser does
    not know: Hebrew, Arabic, Cyrillic, Devanagari..., or letters too damaged to read) is kept as
    an **unread** finding: kind ``unread``, no text; ``--redact-text all`` masks it all the same.
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, OCR_MAX_SIDE / max(h, w))
    image = rgb
    if scale < 1.0:
        image = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    found = []
    for quad, text, score in _run_ocr(image):
        points = [(float(x) / scale, float(y) / scale) for x, y in quad]
        if score >= MIN_TEXT_SCORE and text.strip():
            found.append(TextFinding(text, points, score))
        else:
            found.append(TextFinding("", points, score, kind="unread", extra={"unread": True}))
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
    """name_tag, plate_like, sign, other or unread (a NO PHOTO line is classified by the caller)."""
    if finding.extra.get("unread"):
        if bind_box(finding.box, faces) is not None:
            finding.extra["placed_like_tag"] = True  # may be a name: --redact-text names masks it
        return "unread"
    text = finding.text.strip()
    if plate_like(text):
        return "plate_like"
    if _looks_like_name(text) and bind_box(finding.box, faces) is not None:
        return "name_tag"
    x0, y0, x1, y1 = finding.box
    if len(fold(text)) >= 3 and (y1 - y0) >= 12:
        return "sign"
    return "other"


class NameFinder(Protocol):
    """What :func:`registry_people` needs: ``safepost.text.NameIndex`` (its ``find``)."""

    def find(self, text: str) -> list: ...


def registry_people(finding: TextFinding, names: NameFinder | None) -> list[str]:
    """Ids of the registry people a text line names (every candidate of every match), noted in
    ``finding.extra["registry_people"]``; empty without an index."""
    if names is None:
        return []
    people = sorted({pid for m in names.find(finding.text) for pid in [m.person_id, *m.candidates]})
    if people:
        finding.extra["registry_people"] = people
    return people


def text_masked(finding: TextFinding, redact_text: str, registry_name: bool = False) -> bool:
    """Whether a classified text line is masked under ``--redact-text`` (none, names, all).

    NO PHOTO lines always are (through their tag); with ``names``, name tags, lines naming
    someone in the consent registry (``registry_name``) and unread lines placed like a tag under a
    face (a name in a script the recogniser cannot read, fail closed) are. ``all`` masks every
    line found, read or not.
    """
    if redact_text == "all" or finding.kind == "no_photo":
        return True
    unread_tag_line = finding.kind == "unread" and finding.extra.get("placed_like_tag", False)
    return redact_text == "names" and (finding.kind == "name_tag" or registry_name or unread_tag_line)


# -- tying tags to wearers -------------------------------------------------------------------------
def bind_box(box: tuple[float, float, float, float], faces: list[Region]) -> Region | None:
    """The face wearing a tag at ``box``: above it, roughly centred, at body distance; nearest wins.

    Plausible when the face centre is within :data:`MAX_DX_FACE_WIDTHS` face widths of the tag
    centre horizontally, and the tag top is between :data:`MIN_GAP_FACE_HEIGHTS` and
    :data:`MAX_GAP_FACE_HEIGHTS` face heights below the face bottom. Among plausible faces the one
    with the smallest gap and offset (in face sizes) wins.
    """
    best: tuple[float, Region] | None = None
    for face in faces:
        cost = _wear_cost(box, face)
        if cost is not None and (best is None or cost < best[0]):
            best = (cost, face)
    return best[1] if best else None


def _wear_cost(box: tuple[float, ...], face: Region) -> float | None:
    """How far ``face`` is from the usual place of the wearer of a tag at ``box``; None: implausible."""
    x0, y0, x1, y1 = box
    fw, fh = max(face.width, 1.0), max(face.height, 1.0)
    dx = abs((face.x0 + face.x1) / 2 - (x0 + x1) / 2) / fw
    gap = (y0 - face.y1) / fh
    if dx > MAX_DX_FACE_WIDTHS or not MIN_GAP_FACE_HEIGHTS <= gap <= MAX_GAP_FACE_HEIGHTS:
        return None
    if face.y1 > y1:  # the face must be above the tag, not beside it
        return None
    return dx + abs(gap - 0.6)


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


def wearer_head(
    wearer: Region, faces: list[Region], tag: tuple[float, ...] | None = None, min_iou: float = 0.2
) -> tuple[float, float, float, float]:
    """A NO PHOTO wearer's head: :func:`head_box` around the wearer's face box and the other boxes
    on the same head: those overlapping it by ``min_iou``, and, given the ``tag`` box, those that
    could wear that tag too and touch the wearer's box. A detector often puts several boxes on
    one small face and the binding picks one of them: the others may sit where the rest of the
    face is."""
    boxes = [wearer]
    for f in faces:
        if f is wearer:
            continue
        overlap = _iou(f, wearer)
        if overlap >= min_iou or (tag is not None and overlap > 0.05 and _wear_cost(tag, f) is not None):
            boxes.append(f)
    side, top, bottom = HEAD_GROW
    return (
        min(b.x0 for b in boxes) - side * wearer.width,
        min(b.y0 for b in boxes) - top * wearer.height,
        max(b.x1 for b in boxes) + side * wearer.width,
        max(b.y1 for b in boxes) + bottom * wearer.height,
    )


def _iou(a: Region, b: Region) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)


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
    """A NO PHOTO tag found in a photo: its outline, how it was found, what it says.

    ``readable`` is False for a tag-shaped card under a small face whose text could not be read
    (source "card"): it may say NO PHOTO. ``face`` is the face it was found under, if any.
    """

    quad: list[tuple[float, float]]
    source: str  # "aruco", "ocr" or "card"
    text: str = ""
    readable: bool = True
    face: Region | None = None

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
    """What one photo's tag search found.

    ``tags`` holds NO PHOTO tags (read, or ``readable=False`` cards); ``looked``/``skipped`` count
    the faces given a second look, and those left out by its budget.
    """

    tags: list[NoPhotoTag]
    texts: list[TextFinding]
    looked: int = 0
    skipped: int = 0


def _add_no_photo_lines(texts: list[TextFinding], tags: list[NoPhotoTag], face: Region | None = None) -> None:
    """Turn every text line reading NO PHOTO into a tag (once: a badge's own words join its marker)."""
    for t in texts:
        phrase = None if t.extra.get("unread") else match_no_photo(t.text)
        if phrase is None:
            continue
        t.kind = "no_photo"
        t.extra["phrase"] = phrase
        box = t.box
        same = [g for g in tags if _overlap(g.box, box) > 0.3]
        if same:  # the printed badge's own words, or a line read twice: one tag
            same[0].text = same[0].text or t.text
            same[0].face = same[0].face or face
            continue
        tags.append(NoPhotoTag(_grow_text_to_tag(t.quad), "ocr", t.text, face=face))


# -- a second look under small faces ------------------------------------------------------------
@dataclass(frozen=True)
class SecondLook:
    """How the chest area of small faces is looked at again (docs/nophoto.md, "A second look").

    A face gets a second look when it is at least ``min_face`` px wide in the photo, scores at
    least ``min_score``, and is at most ``max_face`` px wide at the first OCR pass's scale (bigger
    faces' tags are read there); most confident faces first, until ``budget`` crop pixels are
    spent. Its chest area is scaled so that the face is ``face_width`` px wide, searched for badge
    markers and tag-shaped cards, and read by OCR again when that is at least ``min_gain`` times
    the first pass's resolution (tag letters then 8-13 px high). A card with no line read at least
    ``clear_score`` sure in it is an unreadable tag.
    """

    min_face: float = 18.0
    max_face: float = 64.0
    min_score: float = 0.3
    face_width: float = 64.0
    min_gain: float = 1.33
    budget: int = 600_000
    clear_score: float = 0.85
    enabled: bool = True
    #: issue #20: look for cards (and read them closely) under faces of every size, not only small
    cards_on_all: bool = True
    #: at most this many first-pass lines placed like a tag get a closer read (tagread.reread_line)
    reread_lines: int = 16
    #: cards are also looked for in the chest area scaled so that the face is this wide (0: not)
    card_face_width: float = 128.0


#: ``SAFEPOST_TAG_SECOND_LOOK=0`` turns the second look off (to measure what it adds: benchmarks/nophoto.py).
SECOND_LOOK_ENV = "SAFEPOST_TAG_SECOND_LOOK"


def default_second_look() -> SecondLook:
    return SecondLook(enabled=os.environ.get(SECOND_LOOK_ENV, "1") != "0")


# Where a tag is worn, in face widths / heights from the face box (the binding geometry, a little
# narrower): centred under the face, from the chin to about two face heights below it.
CHEST_HALF_WIDTH_FACES = 1.3
CHEST_TOP_FACES = -0.1
CHEST_BOTTOM_FACES = 2.2
# Tag-shaped cards: area in face widths squared (a 9 x 6 cm badge is ~0.25, the eval pack's
# tags up to ~2), long side / short side, tilt, rectangularity, and share of ink inside.
CARD_AREA_FACES = (0.15, 2.5)
CARD_ASPECT = (1.1, 3.5)
CARD_MAX_TILT_DEG = 35.0
CARD_MIN_FILL = 0.8
CARD_MIN_INK = 0.02
#: the card's paper is flat: lightness std of its non-ink pixels at most this (shirts, skin, and
#: scenery found as "cards" vary more)
CARD_MAX_PAPER_STD = 35.0
CARD_LEVELS = range(30, 240, 10)


def chest_box(face: Region, width: float, height: float) -> tuple[float, float, float, float]:
    """The area under ``face`` where a tag is worn, inside the image."""
    cx = (face.x0 + face.x1) / 2
    half = CHEST_HALF_WIDTH_FACES * face.width
    box = (cx - half, face.y1 + CHEST_TOP_FACES * face.height, cx + half, face.y1 + CHEST_BOTTOM_FACES * face.height)
    return clip_box(box, width, height)


def find_cards(rgb: np.ndarray, face_width: float) -> list[list[tuple[float, float]]]:
    """Corners of tag-shaped cards in a chest crop where the face is ``face_width`` px wide.

    A card is a connected area brighter (or more colourful) than its surroundings at some level,
    wholly inside the crop, nearly rectangular, landscape, tilted at most :data:`CARD_MAX_TILT_DEG`, of a badge's size,
    flat (its paper's lightness varies little) with some darker marks (text) inside. Found by
    sweeping thresholds over lightness and chroma.
    """
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lightness = cv2.GaussianBlur(lab[:, :, 0], (3, 3), 0)
    ab = lab[:, :, 1:].astype(np.float32) - 128.0
    chroma = cv2.GaussianBlur(np.clip(3.0 * np.hypot(ab[:, :, 0], ab[:, :, 1]), 0, 255).astype(np.uint8), (3, 3), 0)
    lo, hi = (a * face_width * face_width for a in CARD_AREA_FACES)
    found: list[list[tuple[float, float]]] = []
    erode = np.ones((5, 5), np.uint8)
    for channel in (lightness, chroma):
        for level in CARD_LEVELS:
            binary = (channel >= level).astype(np.uint8)
            contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                area = cv2.contourArea(contour)
                if not lo <= area <= hi:
                    continue
                bx, by, bw, bh = cv2.boundingRect(contour)
                if bx <= 1 or by <= 1 or bx + bw >= binary.shape[1] - 1 or by + bh >= binary.shape[0] - 1:
                    continue  # cut by the edge of the picture (or of the chest area): its shape is unknown
                (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
                if w < h:
                    w, h, angle = h, w, angle - 90
                angle = (angle + 90) % 180 - 90
                if not CARD_ASPECT[0] <= w / max(h, 1e-6) <= CARD_ASPECT[1] or abs(angle) > CARD_MAX_TILT_DEG:
                    continue
                if area / max(w * h, 1e-6) < CARD_MIN_FILL:
                    continue
                inside = np.zeros(binary.shape, np.uint8)
                cv2.drawContours(inside, [contour], -1, 1, -1)
                inside = cv2.erode(inside, erode)
                values = channel[inside > 0]
                if values.size < 20 or float((values < level).mean()) < CARD_MIN_INK:
                    continue
                paper = lightness[(inside > 0) & (channel >= level)]
                if paper.size < 20 or float(paper.std()) > CARD_MAX_PAPER_STD:
                    continue
                corners = cv2.boxPoints(((cx, cy), (w, h), angle))
                found.append([(float(x), float(y)) for x, y in corners])
    return _distinct(found)


def _quad_box(quad: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _distinct(quads: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """One quad per card (the same card is found at several levels): the largest wins."""
    quads = sorted(quads, key=lambda q: -cv2.contourArea(np.float32(q)))
    kept: list[list[tuple[float, float]]] = []
    for q in quads:
        if all(_overlap(_quad_box(q), _quad_box(k)) < 0.6 for k in kept):
            kept.append(q)
    return kept


def _in_chest(box: tuple[float, ...], face: Region) -> bool:
    """The centre of ``box`` is where a tag under ``face`` would be."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (
        abs(cx - (face.x0 + face.x1) / 2) <= MAX_DX_FACE_WIDTHS * face.width
        and face.y1 + 0.15 * face.height <= cy <= face.y1 + CHEST_BOTTOM_FACES * face.height
    )


def _merge_line(texts: list[TextFinding], line: TextFinding) -> TextFinding | None:
    """Add ``line`` unless the same text was read already; a surer reading, or one that reads
    NO PHOTO, replaces the old one."""
    for i, t in enumerate(texts):
        if _overlap(t.box, line.box) > 0.5:
            if t.kind != "no_photo" and (line.score > t.score or match_no_photo(line.text)):
                texts[i] = line
                return line
            return None
    texts.append(line)
    return line


def _look_candidates(faces: list[Region], tags: list[NoPhotoTag], ocr_scale: float, look: SecondLook) -> list[Region]:
    """Faces worth a second look, most confident first (faces already wearing a found tag are not)."""
    tied = {id(bind_box(t.box, faces) or t.face) for t in tags}
    wanted = [
        f
        for f in faces
        if f.score >= look.min_score
        and f.width >= look.min_face
        and (look.cards_on_all or f.width * ocr_scale <= look.max_face)
        and id(f) not in tied
    ]
    return sorted(wanted, key=lambda f: -f.score)


@dataclass
class _Chest:
    """A face's chest area, cut out of the photo and scaled by ``scale``; ``origin`` in the photo."""

    face: Region
    crop: np.ndarray
    scale: float
    origin: tuple[int, int]

    def to_image(self, quad) -> list[tuple[float, float]]:
        ox, oy = self.origin
        return [(ox + float(px) / self.scale, oy + float(py) / self.scale) for px, py in quad]


def _chest(rgb: np.ndarray, face: Region, face_width: float) -> _Chest | None:
    """The chest area under ``face`` cut out and scaled so that the face is ``face_width`` px wide."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in chest_box(face, w, h))
    scale = face_width / max(face.width, 1.0)
    cw, ch = round((x1 - x0) * scale), round((y1 - y0) * scale)
    if cw < 8 or ch < 8:
        return None
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return _Chest(face, cv2.resize(rgb[y0:y1, x0:x1], (cw, ch), interpolation=shrink), scale, (x0, y0))


def _read_chests(chests: list[_Chest], texts: list[TextFinding], tags: list[NoPhotoTag]) -> None:
    """OCR of enlarged chest crops: new lines join ``texts``, NO PHOTO lines become tags.

    One OCR call per crop: reading them side by side on one canvas was measured slower (the
    canvas's gaps and ragged rows cost more than the calls it saves)."""
    for chest in chests:
        lines = []
        for quad, text, score in _run_ocr(chest.crop, use_cls=False):
            if score < MIN_TEXT_SCORE or not text.strip():
                continue
            line = _merge_line(texts, TextFinding(text, chest.to_image(quad), score, extra={"read_by": "second look"}))
            if line is not None:
                lines.append(line)
        _add_no_photo_lines(lines, tags, chest.face)


def _unread_cards(
    rgb: np.ndarray, chest: _Chest, faces: list[Region], tags: list[NoPhotoTag], texts, look: SecondLook
) -> None:
    """Tag-shaped cards under a face that are no known tag and no face, read closely
    (:func:`safepost.detect.tagread.read_card`): one that reads NO PHOTO is a tag; one whose first
    line is not read surely as something else is an unreadable tag (fail closed)."""
    from safepost.detect.tagread import read_card

    found = [chest.to_image(q) for q in find_cards(chest.crop, look.face_width)]
    if look.card_face_width and look.card_face_width != look.face_width:
        # a small card's paper may not survive the first scale's smoothing: look again, twice as large
        big = _chest(rgb, chest.face, look.card_face_width)
        if big is not None:
            found += [big.to_image(q) for q in find_cards(big.crop, look.card_face_width)]
    for card in _distinct(found):
        box = _quad_box(card)
        if not _in_chest(box, chest.face) or any(_overlap(t.box, box) > 0.3 for t in tags):
            continue
        if any(_overlap((f.x0, f.y0, f.x1, f.y1), box) > 0.3 for f in faces if f.score >= look.min_score):
            continue  # another person's face, not a tag
        reading = read_card(rgb, card)
        if reading.verdict == "clear":
            continue  # its first line was read surely, and it is not NO PHOTO
        if reading.verdict == "nophoto":
            line = TextFinding(reading.text, card, reading.score, "no_photo", {"phrase": reading.phrase})
            line.extra["read_by"] = "close read"
            texts.append(line)
            tags.append(NoPhotoTag(card, "ocr", reading.text, face=chest.face))
            continue
        inside = [t.text for t in texts if _overlap(t.box, box) > 0.5 and t.text]
        tags.append(NoPhotoTag(card, "card", " / ".join(inside) or reading.text, readable=False, face=chest.face))


def _reread_lines(rgb: np.ndarray, faces: list[Region], tags: list[NoPhotoTag], texts, look: SecondLook) -> None:
    """A closer read (:func:`safepost.detect.tagread.reread_line`) of the first-pass lines placed
    like a tag under a face, or already near a NO PHOTO phrase; those that read NO PHOTO become tags."""
    from safepost.detect.tagread import near_phrase, reread_line

    todo = []
    for t in texts:
        if t.kind == "no_photo" or any(_overlap(g.box, t.box) > 0.3 for g in tags):
            continue
        wearer = bind_box(t.box, faces)
        if wearer is not None or near_phrase(t.text):
            todo.append((t, wearer))
    for t, wearer in todo[: look.reread_lines]:
        found = reread_line(rgb, t.quad)
        if found is None:
            continue
        phrase, text = found
        t.extra.update(read_by="close read", first_reading=t.text, unread=False)
        t.text, t.kind, t.score = text, "no_photo", max(t.score, MIN_TEXT_SCORE)
        t.extra.pop("unread", None)
        _add_no_photo_lines([t], tags, wearer)


#: A text line is the size of a tag's line when it is at most this many face widths wide and face
#: heights high (a banner or a sign below a face is not a tag).
TAG_LINE_MAX_FACES = (2.5, 0.8)


def _unclear_first_lines(faces: list[Region], tags: list[NoPhotoTag], texts, look: SecondLook) -> None:
    """Fail closed on text worn under a face: when the top line of tag-sized text tied to a face is
    unread, or read near a NO PHOTO phrase without matching it (and not surely far from every
    phrase, :func:`safepost.detect.tagread.clearly_not_no_photo`), it is an unreadable tag, even
    if a name line below it was read well (issue #20: a NO PHOTO misread above a name)."""
    from safepost.detect.tagread import clearly_not_no_photo, near_phrase

    tied = {id(bind_box(t.box, faces) or t.face) for t in tags}
    worn: dict[int, list[TextFinding]] = {}
    for t in texts:
        if t.kind == "no_photo":
            continue
        face = bind_box(t.box, faces)
        if face is None or id(face) in tied or face.score < look.min_score:
            continue
        x0, y0, x1, y1 = t.box
        if x1 - x0 > TAG_LINE_MAX_FACES[0] * face.width or y1 - y0 > TAG_LINE_MAX_FACES[1] * face.height:
            continue
        worn.setdefault(id(face), []).append(t)
    by_id = {id(f): f for f in faces}
    for key, lines in worn.items():
        top = min(lines, key=lambda t: t.box[1])
        # unread, or read near a phrase; a header read unsure ("Hi, I'm" at 0.66) is left alone
        if clearly_not_no_photo(top.text, top.score) or not (top.kind == "unread" or near_phrase(top.text)):
            continue
        quad = _grow_text_to_tag(top.quad)
        tags.append(NoPhotoTag(quad, "text", " / ".join(t.text for t in lines if t.text), False, by_id[key]))


def second_look(
    rgb: np.ndarray, faces: list[Region], tags: list[NoPhotoTag], texts: list[TextFinding], look: SecondLook
) -> tuple[int, int]:
    """Look again at the chest of small faces, enlarged: markers, text, unreadable cards; add what
    is found to ``tags`` and ``texts``. Returns (faces looked at, faces left out by the budget)."""
    h, w = rgb.shape[:2]
    ocr_scale = min(1.0, OCR_MAX_SIDE / max(h, w))
    _reread_lines(rgb, faces, tags, texts, look)
    chests: list[_Chest] = []
    spent = skipped = 0
    for face in _look_candidates(faces, tags, ocr_scale, look):
        x0, y0, x1, y1 = chest_box(face, w, h)
        scale = look.face_width / max(face.width, 1.0)
        pixels = round((x1 - x0) * scale) * round((y1 - y0) * scale)
        if spent + pixels > look.budget:
            skipped += 1
            continue
        chest = _chest(rgb, face, look.face_width)
        if chest is None:
            continue
        spent += pixels
        chests.append(chest)
    for chest in chests:
        for quad in find_markers(chest.crop):
            marker = NoPhotoTag(chest.to_image(quad), "aruco", "", face=chest.face)
            if all(_overlap(t.box, marker.box) <= 0.3 for t in tags):
                tags.append(marker)
    # read again only where the crop is enlarged enough to read more than the first pass
    small = [c for c in chests if c.face.width * ocr_scale <= look.max_face]
    _read_chests([c for c in small if c.scale >= look.min_gain * ocr_scale], texts, tags)
    for chest in chests:
        _unread_cards(rgb, chest, faces, tags, texts, look)
    _unclear_first_lines(faces, tags, texts, look)
    return len(chests), skipped


def scan(
    rgb: np.ndarray, ocr: bool = True, faces: list[Region] | None = None, look: SecondLook | None = None
) -> TagScan:
    """Find NO PHOTO tags (markers, and text when ``ocr``) and every text line in an RGB image.

    With ``faces``, small faces get a second look (:class:`SecondLook`; ``look`` defaults to
    :func:`default_second_look`).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise DetectionError("tag search needs an 8-bit RGB image")
    tags = [NoPhotoTag(q, "aruco", "") for q in find_markers(rgb)]
    texts = read_text(rgb) if ocr else []
    _add_no_photo_lines(texts, tags)
    look = look or default_second_look()
    looked = skipped = 0
    if ocr and faces and look.enabled:
        looked, skipped = second_look(rgb, faces, tags, texts, look)
    return TagScan(tags, texts, looked, skipped)


__all__ = [
    "NO_PHOTO_MARKER_ID",
    "NO_PHOTO_PHRASES",
    "NoPhotoTag",
    "SecondLook",
    "TagScan",
    "TextFinding",
    "bind_box",
    "chest_box",
    "classify",
    "clip_box",
    "find_cards",
    "find_markers",
    "fold",
    "head_box",
    "match_no_photo",
    "plate_like",
    "read_text",
    "registry_people",
    "scan",
    "second_look",
    "text_masked",
    "unbound_area",
    "wearer_head",
]
