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
CONFUSABLE = ("OQCDUGAE", "HNMWKX", "PRFBDE", "TILJY7F", "SZ2", "EFK", "UVY", "AH")
NEAR = 0.5
THIN = 0.5
THIN_LETTERS = set("ILJ")
#: A letter turned 180 degrees, as OCR reads it (N, O, H, S, Z, I, X look the same).
TURNED = {"P": "D", "D": "P", "T": "L", "L": "T", "A": "V", "V": "A", "M": "W", "W": "M", "U": "N", "C": "O"}

_NEAR_PAIRS = {(a, b) for group in CONFUSABLE for a in group for b in group if a != b}


@lru_cache(maxsize=4096)
def _sub(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return NEAR if (a, b) in _NEAR_PAIRS else 1.0


def _indel(c: str) -> float:
    return THIN if c in THIN_LETTERS else 1.0


@lru_cache(maxsize=16384)
def substring_cost(text: str, phrase: str) -> tuple[float, int]:
    """The least weighted cost of ``phrase`` matching any substring of ``text`` (both folded), and
    where that substring starts (Sellers' algorithm: a free start and end in ``text``)."""
    n = len(phrase)
    indel_p = [_indel(c) for c in phrase]
    prev = [0.0] * (n + 1)
    starts = [0] * (n + 1)
    for j in range(1, n + 1):
        prev[j] = prev[j - 1] + indel_p[j - 1]
    best, best_start = prev[n], 0
    for i, c in enumerate(text, 1):
        ic = _indel(c)
        subs = [_sub(c, b) for b in phrase]
        cur = [0.0] * (n + 1)
        cur_starts = [i] * (n + 1)
        for j in range(1, n + 1):
            v, st = prev[j - 1] + subs[j - 1], starts[j - 1]
            d = prev[j] + ic
            if d < v or (d == v and starts[j] < st):
                v, st = d, starts[j]
            e = cur[j - 1] + indel_p[j - 1]
            if e < v or (e == v and cur_starts[j - 1] < st):
                v, st = e, cur_starts[j - 1]
            cur[j], cur_starts[j] = v, st
        prev, starts = cur, cur_starts
        if prev[n] < best:
            best, best_start = prev[n], starts[n]
    return best, best_start


@lru_cache(maxsize=16384)
def anchored_cost(text: str, phrase: str, starts: tuple[int, ...]) -> float:
    """The least weighted cost of ``phrase`` matching a substring of ``text`` that begins at one of
    ``starts`` (where words begin) and ends anywhere."""
    n = len(phrase)
    inf = float("inf")
    indel_p = [_indel(c) for c in phrase]
    prev = [0.0 if 0 in starts else inf]
    for j in range(n):
        prev.append(prev[j] + indel_p[j])
    best = prev[n]
    for i, c in enumerate(text, 1):
        ic = _indel(c)
        subs = [_sub(c, b) for b in phrase]
        cur = [0.0 if i in starts else inf]
        left = cur[0]
        for j in range(n):
            v = prev[j] + subs[j]
            d = prev[j + 1] + ic
            if d < v:
                v = d
            e = left + indel_p[j]
            if e < v:
                v = e
            cur.append(v)
            left = v
        prev = cur
        if prev[n] < best:
            best = prev[n]
    return best


def turned(text: str) -> str:
    """``text`` (folded) as it reads when the letters were read upside down."""
    return "".join(TURNED.get(c, c) for c in reversed(text))


@lru_cache(maxsize=8192)
def word_cost(text: str, word: str) -> float:
    """The weighted cost of reading ``word`` as the whole of ``text`` (both folded)."""
    prev = [0.0]
    for c in word:
        prev.append(prev[-1] + _indel(c))
    for a in text:
        cur = [prev[0] + _indel(a)]
        for j, b in enumerate(word, 1):
            cur.append(min(prev[j - 1] + _sub(a, b), prev[j] + _indel(a), cur[j - 1] + _indel(b)))
        prev = cur
    return prev[-1]


def _splits(text: str, parts: int):
    """Every way of cutting ``text`` into ``parts`` non-empty pieces."""
    if parts == 1:
        yield (text,)
        return
    for i in range(1, len(text) - parts + 2):
        for rest in _splits(text[i:], parts - 1):
            yield (text[:i], *rest)


def word_limit(word: str, others_exact: bool) -> float:
    """The cost one word of a phrase may be read with: a short word (NO, DE, SIN, PAS) one near
    slip; a longer one (FOTO, PHOTO) more, and half a slip more when the other words were read exactly."""
    if len(word) <= 3:
        return NEAR
    return (1.0 if len(word) == 4 else 1.5) + (0.5 if others_exact else 0.0)


def words_cost(window: str, words: tuple[str, ...]) -> tuple[float, bool] | None:
    """The least total cost of reading ``words`` as ``window`` cut into as many pieces, each
    word within :func:`word_limit`; and whether the first word was read exactly. None if no cut fits."""
    best: tuple[float, bool] | None = None
    for pieces in _splits(window, len(words)):
        costs = [word_cost(p, w) for p, w in zip(pieces, words, strict=True)]
        total = sum(costs)
        if best is not None and total >= best[0]:
            continue
        fits = all(
            c <= word_limit(w, all(o == 0 for k, o in enumerate(costs) if k != i))
            for i, (c, w) in enumerate(zip(costs, words, strict=True))
        )
        if fits:
            best = (total, costs[0] == 0)
    return best


def phrase_cost(folded: str, phrase: str) -> float:
    """The cost of reading ``phrase`` in ``folded``, the right way up or turned 180 degrees."""
    if not folded:
        return float(len(phrase))
    return min(substring_cost(folded, phrase)[0], substring_cost(turned(folded), phrase)[0])


__all__ = [
    "CONFUSABLE",
    "anchored_cost",
    "phrase_cost",
    "substring_cost",
    "turned",
    "word_cost",
    "word_limit",
    "words_cost",
]
