"""Make the text `prepare` writes read naturally after names are replaced.

* Repeated placeholders are merged: "Thanks to a participant, a participant and a participant" ->
  "Thanks to three participants"; "una persona participante y una persona participante" ->
  "dos personas participantes".
* A placeholder that starts a sentence gets a capital ("A participant opened the forum").
* Doubled spaces and a space before a comma or full stop, left by a removed hashtag, are tidied.
"""

from __future__ import annotations

import re

#: placeholder (singular), plural, and the number words 2..10, per language.
PLURALS = {
    "en": ("a participant", "participants", "two three four five six seven eight nine ten"),
    "es": ("una persona participante", "personas participantes", "dos tres cuatro cinco seis siete ocho nueve diez"),
    "fr": ("une personne participante", "personnes participantes", "deux trois quatre cinq six sept huit neuf dix"),
}
_JOIN = r"(?:,\s*(?:and\s+|y\s+|e\s+|et\s+)?|\s+(?:and|y|e|et|&)\s+|\s*/\s*)"
_SENTENCE_START = re.compile(r"(?:^|[.!?¡¿:\n]\s*|[\"“«(]\s*)$")


def merge_placeholders(text: str, lang: str) -> str:
    """``text`` with runs of the same placeholder merged into one plural and sentence starts capitalised."""
    single, plural, numbers = PLURALS.get(lang, PLURALS["en"])
    words = numbers.split()
    one = re.escape(single)
    run = re.compile(rf"(?<!\w){one}(?:{_JOIN}{one})+(?!\w)", re.IGNORECASE)

    def merged(m: re.Match) -> str:
        count = len(re.findall(one, m.group(0), flags=re.IGNORECASE))
        number = words[count - 2] if count - 2 < len(words) else str(count)
        return f"{number} {plural}"

    text = run.sub(merged, text)
    out, pos = [], 0
    starts = re.compile(rf"(?<!\w)(?:{one}|(?:{'|'.join(words)}) {re.escape(plural)})(?!\w)")
    for m in starts.finditer(text):
        if _SENTENCE_START.search(text, 0, m.start()) and text[m.start()].islower():
            out.append(text[pos : m.start()] + text[m.start()].upper())
            pos = m.start() + 1
    out.append(text[pos:])
    return tidy("".join(out))


def tidy(text: str) -> str:
    """Collapse the doubled spaces and space-before-punctuation that removals leave."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.])(?!\d)", r"\1", text)  # not before ; : ! ? (French spacing) or ".5"
    return re.sub(r"[ \t]+\n", "\n", text).strip(" \t")
