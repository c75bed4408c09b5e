"""Fold text for matching (ASCII, lower case, one space between words) and map back to the original.

    >>> f = fold("Dijo ANDRÉS Azpúrua’s hermana")
    >>> str(f)
    'dijo andres azpurua hermana'
    >>> f.original_span(5, 19)      # "andres azpurua" -> offsets in the original text
    (5, 19)

Transliteration is anyascii (accents, other scripts, curly apostrophes). Everything that is not a
letter or digit becomes a single space, apostrophes included (O'Connor -> "o connor", l’Ana ->
"l ana"), and a possessive 's / ’s is dropped, so "Ana’s" folds to "ana".
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache

import numpy as np
from anyascii import anyascii

from safepost.text._input import checked_text

APOSTROPHES = frozenset("'’‘ʼ´`′")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """The folded form of one letter or digit: lower-case ASCII letters and digits only."""
    return "".join(c for c in anyascii(char).lower() if c.isascii() and c.isalnum())


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


class Folded(str):
    """A folded string that remembers, for each of its characters, where it came from in ``source``.

    ``starts[i]`` is the source offset of folded character ``i``; ``ends[i]`` the source offset just
    after it (more than ``starts[i] + 1`` only for a letter followed by combining accents).
    """

    source: str
    starts: list[int]

    def __new__(cls, folded: str, source: str, starts: list[int], ends: list[int] | None = None) -> Folded:
        obj = super().__new__(cls, folded)
        obj.source = source
        obj.starts = starts
        obj._ends = ends
        return obj

    @property
    def text(self) -> str:
        """The folded text as a plain ``str``."""
        return str.__str__(self)

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._ends = [s + 1 for s in self.starts]
        return self._ends

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in ``source`` of the folded characters ``[start, end)`` (``end > start``)."""
        last = self.starts[end - 1] + 1 if self._ends is None else self._ends[end - 1]
        return self.starts[start], last

    def folded_offset(self, source_offset: int) -> int:
        """Index of the first folded character that comes from ``source_offset`` or later."""
        return bisect_left(self.starts, source_offset)


#: A run of letters/digits, a run of plain separators, or any other single character.
_RUN = re.compile(r"[^\W_]+|[\s,.;:!?()\[\]{}\"“”«»/\\|<>#@&*+=~^_–—-]+|.", re.DOTALL)
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])['’‘ʼ´`′][sS](?![^\W\d_])")


#: Below this length the plain loop is faster than the vectorised path.
_SHORT = 256


@lru_cache(maxsize=8192)
def _one_to_one(char: str) -> str | None:
    """The single folded character for ``char`` (" " for a separator), or None when it is not 1:1."""
    if char.isalnum():
        folded = _fold_char(char)
        return folded if len(folded) == 1 else None
    if unicodedata.category(char).startswith("M"):
        return None
    return " "


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; the result is a ``str`` that also maps back to ``text`` offsets."""
    checked_text(text, "Text to fold")
    if len(text) < _SHORT:
        return _fold_general(text)
    table = {}
    for char in set(text):
        folded = _one_to_one(char)
        if folded is None:
            return _fold_general(text)
        table[ord(char)] = folded
    mapped = text.translate(table)
    if _POSSESSIVE.search(text):
        chars = list(mapped)
        for m in _POSSESSIVE.finditer(text):
            chars[m.start() + 1] = " "  # Ana's -> "ana"
        mapped = "".join(chars)
    codes = np.frombuffer(mapped.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space = codes == 32
    keep = ~space
    keep[1:] |= space[1:] & ~space[:-1]  # one space for a run of separators
    index = np.flatnonzero(keep)
    if index.size and space[index[-1]]:
        index = index[:-1]
    return Folded(codes[index].tobytes().decode("utf-32-le", "surrogatepass"), text, index.tolist())


def _fold_general(text: str) -> Folded:
    """:func:`fold` for text with characters that fold to several letters (ß, æ, 中) or combining marks."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    skip_to = 0
    for m in _RUN.finditer(text):
        i = m.start()
        if i < skip_to:
            continue
        run = m.group(0)
        first = run[0]
        if first.isalnum() or (not first.isascii() and _is_word_char(first)):
            _fold_run(run, i, out, starts, ends)
            continue
        if first in APOSTROPHES and i > 0 and text[i - 1].isalpha():
            nxt = text[i + 1] if i + 1 < n else ""
            after = text[i + 2] if i + 2 < n else ""
            if nxt in "sS" and not after.isalpha():
                skip_to = i + 2  # possessive: Ana's -> "ana"
        if out and out[-1] != " ":
            out.append(" ")
            starts.append(i)
            ends.append(i + 1)
    if out and out[-1] == " ":
        out.pop()
        starts.pop()
        ends.pop()
    return Folded("".join(out), text, starts, ends)


def _fold_run(run: str, at: int, out: list[str], starts: list[int], ends: list[int]) -> None:
    """Fold a run of letters, digits and combining marks that starts at ``at`` in the source."""
    if run.isascii():
        out.append(run.lower())
        starts.extend(range(at, at + len(run)))
        ends.extend(range(at + 1, at + len(run) + 1))
        return
    for k, char in enumerate(run):
        piece = _fold_char(char) if char.isalnum() else ""
        if piece:
            out.append(piece)
            starts.extend([at + k] * len(piece))
            ends.extend([at + k + 1] * len(piece))
        elif starts and ends[-1] == at + k:
            ends[-1] = at + k + 1  # a combining mark or an unmapped sign extends the previous character


def fold_key(text: str) -> str:
    """The folded form of a name or phrase as a plain ``str`` (for dictionary keys and comparisons)."""
    return _fold_word(text) if len(text) <= 40 else fold(text).text


@lru_cache(maxsize=16384)
def _fold_word(text: str) -> str:
    return _fold_general(text).text
