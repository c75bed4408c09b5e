"""How far a text line read by OCR is from a NO PHOTO phrase, knowing how OCR misreads letters (issue #20).

Hand-lettered, brush or outline letters are misread in typical ways: round letters for each
other (O, 0, Q, C, D, U, G), strokes (H, N, M, W, K), bowls (P, R, F, B), sticks (T, I, L, J, 1,
Y, 7)... and a line can be read upside down ("NO PHOTO" turned 180 degrees reads "OLOHd ON",
"CLOH ON"). :func:`phrase_cost` is a weighted edit distance: a substitution within one of
:data:`CONFUSABLE` groups costs :data:`NEAR`, a thin stroke added or lost (I, L, J, 1, ', .)
costs :data:`THIN`, anything else 1. The line is also compared read backwards with each letter
turned 180 degrees (:data:`TURNED`).
"""

from __future__ import annotations

from functools import lru_cache

#: Letters OCR takes for each other in hand lettering (folded: upper case, 0/1/5 already O/I/S).
CONFUSABLE = ("OQCDUGA", "HNMWKX", "PRFBDE", "TILJY7F", "SZ2", "EFK", "UVY", "AH")
NEAR = 0.5
THIN = 0.5
THIN_LETTERS = set("ILJ")
#: A letter turned 180 degrees, as OCR reads it (N, O, H, S, Z, I, X look the same).
TURNED = {"P": "D", "D": "P", "T": "L", "L": "T", "A": "V", "V": "A", "M": "W", "W": "M", "U": "N", "C": "O"}

_NEAR_PAIRS = {(a, b) for group in CONFUSABLE for a in group for b in group if a != b}


def _sub(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return NEAR if (a, b) in _NEAR_PAIRS else 1.0


def _indel(c: str) -> float:
    return THIN if c in THIN_LETTERS else 1.0


@lru_cache(maxsize=4096)
def substring_cost(text: str, phrase: str) -> tuple[float, int]:
    """The least weighted cost of ``phrase`` matching any substring of ``text`` (both folded), and
    where that substring starts (Sellers' algorithm: a free start and end in ``text``)."""
    n = len(phrase)
    prev = [0.0] * (n + 1)
    starts = [0] * (n + 1)
    for j in range(1, n + 1):
        prev[j] = prev[j - 1] + _indel(phrase[j - 1])
    best, best_start = prev[n], 0
    for i, c in enumerate(text, 1):
        cur = [0.0] * (n + 1)
        cur_starts = [i] + [0] * n
        for j in range(1, n + 1):
            options = (
                (prev[j - 1] + _sub(c, phrase[j - 1]), starts[j - 1]),
                (prev[j] + _indel(c), starts[j]),
                (cur[j - 1] + _indel(phrase[j - 1]), cur_starts[j - 1]),
            )
            cur[j], cur_starts[j] = min(options)
        prev, starts = cur, cur_starts
        if prev[n] < best:
            best, best_start = prev[n], starts[n]
    return best, best_start


def turned(text: str) -> str:
    """``text`` (folded) as it reads when the letters were read upside down."""
    return "".join(TURNED.get(c, c) for c in reversed(text))


def phrase_cost(folded: str, phrase: str) -> float:
    """The cost of reading ``phrase`` in ``folded``, the right way up or turned 180 degrees."""
    if not folded:
        return float(len(phrase))
    return min(substring_cost(folded, phrase)[0], substring_cost(turned(folded), phrase)[0])


__all__ = ["CONFUSABLE", "phrase_cost", "substring_cost", "turned"]
