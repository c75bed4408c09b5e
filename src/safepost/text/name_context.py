"""The words around a name: is it capitalised, part of a longer name, or a place?

These rules decide whether a lone first name, surname or nickname is a mention at all:
"Lucía" alone may be a person, but not in "Santa Lucía", "Lucía Benítez" (someone else's full
name), "estado Lucía" or "in Trujillo". They only read a few words on each side of the match.
"""

from __future__ import annotations

import re

from safepost.text.folding import Folded, fold_key
from safepost.text.name_forms import PARTICLES

#: How many characters around a match the checks read.
LOOK = 80
_PARTICLE = "|".join(sorted(PARTICLES))
_NEXT_WORD = re.compile(rf"[ \u00a0]+(?:(?:{_PARTICLE})[ \u00a0]+)*([^\W\d_])", re.IGNORECASE)
_PREV_WORD = re.compile(rf"([^\W\d_][\w'’.-]*)[ \u00a0]+(?:(?:{_PARTICLE})[ \u00a0]+)*$")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[ \u00a0]+$")
_WORD_AFTER = re.compile(r"[ \u00a0]+([^\W\d_]+)")
_SENTENCE_START = re.compile(r"(?:^|[.!?¡¿:;\n\"“«(\[]\s*)$")
_WORD = re.compile(r"[^\W\d_]+")
#: Words that make a lone capitalised name a place: "estado Miranda", "Santa Lucía", "Trujillo state".
PLACE_BEFORE = frozenset(
    "estado state city ciudad municipio municipality departamento department provincia province barrio "
    "san santa santo sao villa puerto valle rio river lago lake monte mount cerro avenida calle rua rue "
    "plaza praca place parque park colegio escuela hospital universidad university".split()
)
PLACE_AFTER = frozenset("state city province department river street avenue square park".split())
#: Words before a lone name that make it a place: "in Trujillo", "en Mérida", "desde Cúcuta".
LOCATIVE = frozenset("in en at from desde em no na dans hacia near cerca".split())
#: ... and before a lone surname: "de Trujillo", "of Miranda", "the Trujillo workshop".
LOCATIVE_SURNAME = LOCATIVE | frozenset("de del of the da do des du".split())
#: Before a lone name that no fuller mention explains, these make a place likely: "viaja a Valencia".
UNLINKED_PLACE_CUES = frozenset("to a para hacia via de del of the da do y and e et".split())


#: Names that are also everyday words (Spanish, Portuguese, English, French): inside a hashtag
#: (#Esperanza, #PazYa, #GraceAndJustice) one of them alone is only a possible mention.
COMMON_WORDS = frozenset(
    "esperanza esperanca paz rosa luz sol mar cielo alegria libertad liberdade pilar consuelo milagros dolores "
    "victoria vitoria amparo soledad rocio gloria estrella paloma flor flores fe cruz angel aurora blanca "
    "clemencia remedios socorro caridad piedad trinidad asuncion concepcion marina celeste dulce rey leon "
    "lobo torres vega lago monte castillo prado salinas justicia verdad fortuna primavera iris ruby joy "
    "summer will grace frank patience faith hope mercy charity precious blessing peace king young hill church "
    "rich neto sunny gift may april june rain river sky star liberte esperance paix".split()
)


#: A verb of going before "a" / "to" makes the next capitalised word a place: "viajamos a Mercedes",
#: "moved to Florida", "rumbo a Esperanza".
_MOTION_TO = re.compile(
    r"\b(?:viaj\w*|lleg\w*|fu[ei]\w*|vamos|van|va|vino|vinieron|volv\w*|regres\w*|rumbo|camino|"
    r"traslad\w*|mud[oóaé]\w*|marcham\w*|salimos|salieron|sali[oó]|huy\w*|desplaz\w*|travel\w*|went|"
    r"moved?|moving|drove|flew|arriv\w*|return\w*|headed|fled|relocat\w*|deported)"
    r"[ \u00a0]+(?:a|al|to|hacia|para|towards?)[ \u00a0]+$",
    re.IGNORECASE,
)


def everyday_at_sentence_start(text: str, start: int, end: int) -> bool:
    """An everyday word ("Grace period ends", "Esperanza es lo último") starting a sentence, where its
    capital says nothing about it being a name."""
    return fold_key(text[start:end]) in COMMON_WORDS and bool(_SENTENCE_START.search(text, max(0, start - LOOK), start))


def word_before(text: str, start: int) -> str:
    """The folded word just before ``start`` ("" at the start or after punctuation)."""
    m = _WORD_BEFORE.search(text, max(0, start - LOOK), start)
    return fold_key(m.group(1)) if m else ""


def capitalised(text: str, start: int, end: int) -> bool:
    """Is the first word that is not a particle capitalised ("de León", "Will" but not "will")?"""
    if text[start].isupper():
        return True
    for word in _WORD.finditer(text, start, end):
        if word.group(0).lower() not in PARTICLES:
            return word.group(0)[0].isupper()
    return False


def stands_alone(text: str, start: int, end: int, surname: bool, given_names: set[str]) -> bool:
    """A lone first name, surname or nickname at [start, end): not part of a longer name or a place.

    ``given_names`` are the registry's first names: a capitalised one just before ("Omar Haddad")
    makes this word part of another person's name even at the start of a sentence.
    """
    after = text[end : end + LOOK]
    nxt = _NEXT_WORD.match(after)
    if nxt and nxt.group(1).isupper():
        return False  # "Lucía Benítez": the next word continues a name
    nxt_word = _WORD_AFTER.match(after)
    if nxt_word and fold_key(nxt_word.group(1)) in PLACE_AFTER:
        return False
    if word_before(text, start) in (LOCATIVE_SURNAME if surname else LOCATIVE) | PLACE_BEFORE:
        return False
    if _MOTION_TO.search(text, max(0, start - LOOK), start):
        return False  # "viajamos a Mercedes"
    before = text[max(0, start - LOOK) : start]
    prev = _PREV_WORD.search(before)
    if prev:
        word = prev.group(1)
        if word[0].isupper() and not word.endswith("."):
            sentence_start = _SENTENCE_START.search(before[: prev.start()]) is not None
            if not sentence_start or fold_key(word) in given_names:
                return False  # "Pedro Ruiz", "Santa Lucía"
    return True


_OTHER_SURNAME = re.compile(r"[ \u00a0]([A-ZÁÉÍÓÚÑÇ][a-záéíóúñçüàèìòùâêôãõ'’\-]+)")
_TITLE_WORD_NEXT = re.compile(r"[ \u00a0]+[A-ZÁÉÍÓÚÑÇ0-9]")


def continues_as_other_name(text: str, start: int, end: int) -> bool:
    """A partial name in running text followed by another surname: "el juez Antonio Castillo Ruiz
    rechazó" names someone else than Antonio Castillo Ajú. Never in Title Case ("Free Rafael Torres
    Now", "Rafael Torres Released After Trial"), where the word before or after is capitalised too."""
    m = _OTHER_SURNAME.match(text, end)
    if m is None or fold_key(m.group(1)) in PARTICLES or _TITLE_WORD_NEXT.match(text, m.end(1)):
        return False
    prev = _PREV_WORD.search(text[max(0, start - LOOK) : start])
    return prev is None or not prev.group(1)[0].isupper()


_CAPITALISED_RUN = re.compile(
    rf"(?<![\w'’])[^\W\d_a-zà-ÿ][\w'’]*(?:(?:[ \u00a0]+|[ \u00a0]*[-'’][ \u00a0]*)(?:(?:{_PARTICLE})[ \u00a0]+)*"
    rf"[^\W\d_a-zà-ÿ][\w'’]*)+"
)


def capitalised_runs(text: str, folded: Folded) -> list[list[tuple[int, int]]]:
    """Runs of 2+ capitalised words (lower-case particles inside) joined only by spaces, hyphens or
    apostrophes, as lists of folded (start, end) word spans: where a misspelt name can be."""
    out = []
    for m in _CAPITALISED_RUN.finditer(text):
        fs, fe = folded.folded_offset(m.start()), folded.folded_offset(m.end())
        words = [(w.start() + fs, w.end() + fs) for w in re.finditer(r"[a-z0-9]+", folded[fs:fe])]
        if len(words) >= 2:
            out.append(words)
    return out


_FOLDED_WORD = re.compile(r"[a-z0-9]+")


def lowercase_runs(text: str, folded: Folded, vocab: set[str]) -> list[list[tuple[int, int]]]:
    """Runs of lower-case words around registry name words ("gracias a nadia rahmn"), as folded word
    spans: where a misspelt name written in lower case can be. A run needs a name word of 3+ letters
    that is not an everyday word ("will kind of", "rosa vegas" are not looked at)."""
    words = [(m.start(), m.end()) for m in _FOLDED_WORD.finditer(folded)]
    anchors = [
        i
        for i, (s, e) in enumerate(words)
        if e - s >= 3 and folded[s:e] in vocab and folded[s:e] not in COMMON_WORDS and folded[s:e] not in PARTICLES
    ]
    runs, start, last = [], None, None
    for i in anchors:
        if start is not None and i - last <= 2:
            last = i
            continue
        if start is not None:
            runs.append((start, last))
        start = last = i
    if start is not None:
        runs.append((start, last))
    out = []
    for a, b in runs:
        run = words[max(0, a - 1) : b + 2]
        lower = [w for w in run if text[folded.starts[w[0]]].islower()]
        if len(lower) == len(run) and len(run) >= 2:
            out.append(run)
    return out
