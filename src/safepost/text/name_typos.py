"""Misspelt registry names: one small edit in one word of a name, the other words exact.

Every strong form ("andres azpurua perez") is stored once per word with that word masked
("* azpurua perez", "andres * perez", ...). A window of capitalised words in the post is looked up
the same way, and only the masked word is compared (rapidfuzz OSA distance: substitutions,
deletions, insertions and swaps). This finds "Andrés Azpúrua Péres" in microseconds among
10,000 people, and never compares two unrelated names.

A window word that is itself a word of some registry name ("Andrea") is never a typo: it is
taken for a different person, so a near-duplicate in the registry is not linked to the wrong one.
"""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Shortest name word a typo is looked for in; from this length on, two edits are allowed.
MIN_WORD = 4
LONG_WORD = 10


class TypoIndex:
    """Masked forms of every multi-word name, for one-word-one-edit lookups."""

    def __init__(self) -> None:
        self._masked: dict[str, dict[str, set[int]]] = {}  # masked key -> name word -> people
        self._choices: dict[str, list[str]] = {}

    def add(self, person: int, words: list[str]) -> None:
        """Index the folded ``words`` of one multi-word name of ``person``."""
        for i, word in enumerate(words):
            if len(word) >= MIN_WORD:
                masked = " ".join(words[:i] + ["*"] + words[i + 1 :])
                self._masked.setdefault(masked, {}).setdefault(word, set()).add(person)

    def freeze(self) -> None:
        self._choices = {masked: list(words) for masked, words in self._masked.items()}

    def lookup(self, words: list[str], name_words: set[str]) -> dict[int, float]:
        """People one edit (two for long words) away from ``words``, with a weight 0.7..0.8."""
        best: dict[int, float] = {}
        for i, word in enumerate(words):
            if len(word) < MIN_WORD - 1 or word in name_words:
                continue
            masked = " ".join(words[:i] + ["*"] + words[i + 1 :])
            choices = self._choices.get(masked)
            if not choices:
                continue
            limit = 2 if len(word) >= LONG_WORD else 1
            for target, dist, _ in process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None):
                if dist == 0 or target[0] != word[0]:
                    continue  # people rarely mistype the first letter; a different first letter is a different name
                weight = 0.9 - 0.1 * dist
                for person in self._masked[masked][target]:
                    best[person] = max(best.get(person, 0.0), weight)
        return best
