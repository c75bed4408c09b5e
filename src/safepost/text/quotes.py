"""Quoted speech in post text, with its speaker when the text says who spoke.

Quotes: "…", “…”, «…», „…“, ‘…’ and Spanish dialogue lines that open with a dash
(—Nadie debería elegir —dijo Ana—.). A quote of one or two words ("Paco", quinta "Mi Refugio")
is a nickname or a name, not speech, unless the text names a speaker for it.

Speakers are read from the words around the quote: 'As Ana put it, "…"', 'Ana said: "…"',
'Como dijo Ana: "…"', 'Ana: "…"', '"…", said Ana', '"…" —dijo Ana'. A pronoun (she, ella) gives
no speaker. The speaker is returned as written; the post check links it to the registry.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from safepost.text._input import checked_text

_PAIRS = [('"', '"'), ("“", "”"), ("«", "»"), ("„", "“"), ("‘", "’"), ("”", "”")]
_VERBS = (
    r"said|says|say|told|tells|added|adds|explained|explains|put\s+it|puts\s+it|asked|asks|stated|states|recalled|"
    r"recalls|noted|notes|wrote|writes|insisted|insists|warned|warns|declared|declares|remarked|shared|testified|"
    r"dijo|dice|afirm[oó]|afirma|explic[oó]|explica|señal[oó]|señala|cont[oó]|cuenta|relat[oó]|relata|agreg[oó]|"
    r"agrega|añadi[oó]|añade|expres[oó]|expresa|coment[oó]|comenta|record[oó]|recuerda|asegur[oó]|asegura|"
    r"declar[oó]|declara|sostuvo|sostiene|indic[oó]|indica|denunci[oó]|denuncia|escribi[oó]|pregunt[oó]|"
    r"testific[oó]|respondi[oó]|contest[oó]|replied|answered|responded|disse|diz|afirmou|contou|explicou|lembrou|"
    r"escreveu|respondeu|a\s+dit|dit|explique|déclare|raconte|rappelle|répond\w*"
)
_CAP = "A-ZÁÉÍÓÚÑÇÂÊÔÃÕÀÈÜ"
_PARTICLES = "de|del|la|las|los|da|das|do|dos|van|von|le|al|el"
_NAME = rf"(@[\w.]+|[{_CAP}][\w'’.\-]*(?:\s+(?:{_PARTICLES}|[{_CAP}][\w'’.\-]*)){{0,4}})"
_PRONOUNS = frozenset("he she they it i we you him her them él ella ellos ellas yo nosotros ele ela il elle on".split())
_V = rf"(?i:{_VERBS})"
_BEFORE = [
    re.compile(rf"\b(?i:as|como|comme|segundo|según)\s+{_NAME}\s+{_V}\s*[,:]?\s*$"),
    re.compile(rf"{_NAME}\s*(?:\([^)]*\)\s*)?{_V}(?:\s+\w+){{0,3}}?\s*[,:]?\s*$"),
    re.compile(rf"{_NAME}\s*:\s*$"),
]
_AFTER = [
    re.compile(rf"^\s*[,.]?\s*[—–-]?\s*{_V}\s+{_NAME}"),
    re.compile(rf"^\s*[,.]?\s*[—–-]?\s*{_NAME}\s+{_V}\b"),
]
_DASH_LINE = re.compile(r"(?m)^[ \t]*(?:—|–|--)\s*(?=\S)")


@dataclass
class Quote:
    """Quoted speech: offsets into the original text (quotation marks excluded), its text, its speaker."""

    start: int
    end: int
    text: str
    speaker: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def find_quotes(text: str) -> list[Quote]:
    """Quoted speech in ``text``, sorted by start (see the module docstring)."""
    checked_text(text)
    quotes = _marked_quotes(text) + _dialogue_quotes(text)
    quotes.sort(key=lambda q: q.start)
    out: list[Quote] = []
    for q in quotes:
        if out and q.start < out[-1].end:
            continue
        out.append(q)
    return out


def _marked_quotes(text: str) -> list[Quote]:
    out = []
    pattern = re.compile("|".join(f"{re.escape(a)}([^{re.escape(b)}\\n]{{1,2000}}?){re.escape(b)}" for a, b in _PAIRS))
    for m in pattern.finditer(text):
        group = next(i for i in range(1, len(_PAIRS) + 1) if m.group(i) is not None)
        body_start, body_end = m.start(group), m.end(group)
        if m.group(0)[0] == "‘" and (m.start() > 0 and text[m.start() - 1].isalpha()):
            continue  # an apostrophe, not a quote
        body = text[body_start:body_end].strip().rstrip(",;")
        if not body:
            continue
        speaker = _speaker(text[max(0, m.start() - 120) : m.start()], text[m.end() : m.end() + 120])
        if len(body.split()) < 3 and speaker is None:
            continue
        start = body_start + (len(text[body_start:body_end]) - len(text[body_start:body_end].lstrip()))
        out.append(Quote(start, start + len(body), body, speaker))
    return out


def _dialogue_quotes(text: str) -> list[Quote]:
    """Lines that open with a dash; narration between dashes ("—dijo Ana—") names the speaker."""
    out = []
    for m in _DASH_LINE.finditer(text):
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        line = text[m.end() : line_end]
        parts = re.split(r"\s[—–]|[—–](?=[\s.,;:])", line)
        speech, narration = parts[0], " ".join(parts[1:2])
        speaker = None
        if narration:
            after = _AFTER[0].match(narration.strip())
            speaker = _clean(after.group(1)) if after else None
        body = speech.strip()
        if len(body.split()) < 2 and speaker is None:
            continue
        start = m.end() + (len(speech) - len(speech.lstrip()))
        out.append(Quote(start, start + len(body), body, speaker))
    return out


def _speaker(before: str, after: str) -> str | None:
    before = before.split("\n")[-1]
    for pattern in _BEFORE:
        m = pattern.search(before)
        if m:
            name = _clean(m.group(1))
            if name:
                return name
    after = after.split("\n")[0]
    for pattern in _AFTER:
        m = pattern.match(after)
        if m:
            name = _clean(m.group(1))
            if name:
                return name
    return None


def _clean(name: str) -> str | None:
    name = name.strip().rstrip(".,")
    words = name.split()
    while words and words[0].lower() in ("as", "como", "comme", "según", "segundo", "and", "y"):
        words = words[1:]
    if not words or words[0].lower() in _PRONOUNS:
        return None
    return " ".join(words)
