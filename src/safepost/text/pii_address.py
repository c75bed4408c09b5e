"""Street addresses (ADDRESS) in Spanish, Portuguese, English and French forms.

An address starts at a street word (Calle, Carrera, Av., Jr., Rua, Travessa, rue, boulevard...)
or a building word (Urb., Edif., Torre, Sector...) followed by a name or a number, or at a house
number followed by a street ("221B Baker Street", "12 rue de la Paix"). It then takes in what
usually follows: numbers (#12-30, No. 32-16, N° 45, 1234), a crossing street ("con Carrera 5"),
building, floor, flat, house ("Torre Delta, piso 16", "Apt 3B", "quinta \"Mi Refugio\""),
a postcode, and the city after a comma. It must hold a number or a building part, so "Avenida
Bolívar" alone (a landmark, a march route) is not reported.
"""

from __future__ import annotations

import re

from safepost.text.folding import fold_key
from safepost.text.pii import PiiMatch

_WHY = (
    "A street address can lead someone to a home, a shelter or a meeting point. "
    "Remove it, or give only the neighbourhood or city."
)
_H = r"[ \t]"  # an address never runs over a line break
# Street words written before the street name (Spanish, Portuguese, French, and English "Avenue X").
_STREET = (
    r"calle|c/|cll\.?|carrera|cra\.?|kra\.?|cr\.?|kr\.?|avenida|av\.?|avda\.?|avd\.?|diagonal|dg\.?|transversal|"
    r"tv\.?|trans\.?|autopista|carretera|ctra\.?|paseo|pasaje|psje\.?|pje\.?|jir[oó]n|jr\.?|camino|v[ií]a|"
    r"bulevar|boulevard|blvd\.?|bd\.?|callej[oó]n|prolongaci[oó]n|circunvalar|calzada|privada|cerrada|andador|"
    r"rua|r\.|travessa|trav\.?|alameda|al\.|pra[cç]a|p[cç]a\.?|largo|estrada|rodovia|rod\.?|beco|ladeira|"
    r"rue|avenue|all[ée]e|impasse|quai|chemin|route|place|cours|faubourg|passage|square|"
    r"esquina|ul\.?|ulica|os\.|osiedle"
)
_BUILDING = (
    r"urb\.?|urbanizaci[oó]n|sector|barrio|b[º°]|vereda|colonia|col\.|fraccionamiento|conjunto|residencias|"
    r"res\.|edif\.?|edificio|torre|bloque|bloco|condominio|condom[ií]nio|manzana|mz\.?|quadra|qd\.?|"
    rf"centro comercial|c\.{_H}?c\.|parque industrial|villa|unidad"
)
_UNIT = (
    r"piso|planta|floor|fl\.?|apto\.?|apt\.?|apartamento|apartment|depto\.?|dpto\.?|departamento|suite|ste\.?|"
    r"oficina|of\.|ofic\.?|local|casa|quinta|qta\.?|lote|lt\.?|int\.?|interior|andar|sala|unit|flat|"
    r"bloque|bloco|torre|edif\.?|edificio|manzana|mz\.?|km\.?|kil[oó]metro|n[°º]|no\.|nº|n\.|"
    rf"#(?={_H}?\d)|cep|c\.p\.|cp|zip|code postal|puerta|door|escalera|esc\.?|portal|box|apartado|bis|s/n|"
    r"izq\.?|izda\.?|dcha\.?|bajo"
)
# English street types written after the name ("Baker Street", "Elm St").
_EN_TYPE = (
    r"street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|terrace|ter|"
    r"crescent|cres|close|square|sq|highway|hwy|parkway|pkwy|circle|cir|trail|row|mews|gardens|grove|hill|"
    r"walk|plaza|alley"
)
# Street types written as the end of one word (German, Dutch, Nordic): Loorenstrasse, Hammarvägen.
_SUFFIX_TYPE = r"stra(?:ss|ß)e|str|weg|gasse|platz|allee|damm|laan|straat|gracht|vej|gade|vägen|gatan|väg|veien|gata"
_CAP = "A-ZÁÉÍÓÚÑÇÂÊÔÃÕÀÈÜ"
_SMALL_WORDS = r"de|del|la|las|los|da|das|do|dos|du|des|le|les|y|e|of|the|von|van|al|el"
# A word of a street or building name: capitalised or a number (an abbreviation's dot only before , or a digit).
_NAME_WORD = rf"(?:[{_CAP}0-9][\w'’\-]*(?:\.(?={_H}*[,\d]))?|{_SMALL_WORDS}|d['’]\w+)"
_NUMBER = (
    rf"(?:\d{{1,5}}[A-Za-zºª°]?(?:{_H}?(?:bis|ter|sur|norte|este|oeste|[A-D])\b)?(?:{_H}?[-–]{_H}?\d{{1,4}}[A-Za-z]?)?)"
)
_NUMBER_SIGN = rf"(?:n[°º]\.?|no\.?|nº|n\.|#(?={_H}?\d)|num\.?|número|numero)"
_UNIT_PREFIX = rf"(?:(?:flat|apt\.?|apartment|unit|suite|piso|depto\.?|dpto\.?|casa|lote){_H}?\w{{1,4}},?{_H}+)?"
_HOUSE = rf"{_UNIT_PREFIX}\d{{1,5}}[A-Za-z]?"
_EN_NAME = rf"(?:(?:(?-i:[A-Z])[\w'’\-]*|\d+(?:st|nd|rd|th)){_H}+){{1,3}}"  # "15 minutes walk" is no street
_QUOTED = r"\"[^\"\n]{1,30}\"|“[^”\n]{1,30}”|«[^»\n]{1,30}»"

_START = re.compile(
    rf"(?:(?:{_STREET}){_H}+(?:{_NUMBER}|{_NAME_WORD})"  # Calle 45 / Av. Francisco
    rf"|(?:{_BUILDING}){_H}+{_NAME_WORD}"  # Urb. La Floresta
    rf"|{_HOUSE}(?:{_H}?(?:bis|ter))?,?{_H}+(?:{_STREET}){_H}+{_NAME_WORD}"  # 12 rue de la Paix
    rf"|{_HOUSE}{_H}+{_EN_NAME}(?:{_EN_TYPE})\b\.?"  # 221B Baker Street
    rf"|[A-ZÄÖÜÅÆØ][\wäöüßåæø\-]*(?:{_SUFFIX_TYPE})\.?{_H}+\d{{1,5}}[a-zA-Z]?\b"  # Loorenstrasse 149
    rf"|(?:P\.?{_H}?O\.?{_H}?Box|Apartado(?:{_H}postal)?|Caixa{_H}postal){_H}+\d{{1,6}})",  # P.O. Box 242
    re.IGNORECASE,
)
_CROSSING = rf"(?:con|y|e|esq\.?|esquina|entre|at|and|&|corner{_H}+of|x){_H}+(?:{_STREET}|{_BUILDING})"
_PART = re.compile(
    rf"(?:{_H}?,{_H}?|{_H}[-–]{_H}|{_H})(?:"
    rf"{_CROSSING}{_H}+(?:{_NUMBER}|{_NAME_WORD})"  # con Carrera 5
    rf"|(?:{_UNIT}|{_BUILDING}){_H}?:?{_H}?(?:{_NUMBER_SIGN}{_H}?)?(?:{_NUMBER}|{_QUOTED}|{_NAME_WORD})"  # piso 16
    rf"|{_NUMBER_SIGN}{_H}?{_NUMBER}"  # No. 32-16
    rf"|{_NUMBER}"
    rf"|{_NAME_WORD}"
    rf")",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    rf"(?:{_H}?,{_H}?|{_H})(?:\d{{5}}(?:-\d{{3,4}})?|\d{{2}}-\d{{3}}|[A-Z]{{1,2}}\d[A-Z\d]?{_H}?\d[A-Z]{{2}}|[A-Z]{{2}}{_H}\d{{5}})\b"
)
_CITY = re.compile(
    rf"{_H}?,{_H}?([{_CAP}][\w'’\-]*(?:{_H}(?:de|del|la|los|las|da|do|dos|das|[{_CAP}][\w'’\-]*)){{0,4}})"
)
_CITY_AFTER_POSTCODE = re.compile(rf"{_H}[{_CAP}][\w'’\-]*(?:{_H}[{_CAP}][\w'’\-]*)?")
_CITY_END = re.compile(rf"{_H}*(?:$|[.;:!?)\]\n]|,{_H}|{_H}[a-záéíóúñ(])")
_STOP_WORDS = re.compile(
    r"^(?:tel|tlf|phone|call|email|correo|whats\w*|cel|contact\w*|pin|gps|ubicaci\w*|location|coordinates|"
    r"coordenadas|on|at|el|the|desde|from|hasta|to|para|for|in|en|a)$",
    re.IGNORECASE,
)
_KEEPS_GOING_LOWER = re.compile(
    rf"^(?:{_UNIT}|{_BUILDING}|{_STREET}|con|y|e|esq|entre|de|del|la|las|los|da|do|dos|das)\b", re.IGNORECASE
)
_KEEPS_GOING_AFTER_COMMA = re.compile(rf"^(?:{_UNIT}|{_BUILDING}|{_STREET}|{_NUMBER_SIGN}|\d)", re.IGNORECASE)
_NOT_AFTER_COMMA = re.compile(r"^(?:place|square|villa|sector)\b", re.IGNORECASE)
_TAIL_WORD = re.compile(r"(?:[ \t]|,)+(\S+)$")
_TRAILING_SMALL = re.compile(r"(?:de|del|la|las|los|da|do|dos|das|y|e|of|the|con|and|&|x)", re.IGNORECASE)
_HAS_UNIT = re.compile(rf"(?:,{_H}?|{_H})(?:{_UNIT}){_H}", re.IGNORECASE)


#: First words an address can start with (folded): street, building and flat words, for a quick first pass.
_LEAD_WORDS = frozenset(
    "calle c cll carrera cra kra cr kr avenida av avda avd diagonal dg transversal tv trans autopista carretera "
    "ctra paseo pasaje psje pje jiron jr camino via bulevar boulevard blvd bd callejon prolongacion circunvalar "
    "calzada privada cerrada andador rua r travessa trav alameda al praca pca largo estrada rodovia rod beco ladeira "
    "rue avenue allee impasse quai chemin route place cours faubourg passage square esquina urb urbanizacion sector "
    "barrio b vereda colonia col fraccionamiento conjunto residencias res edif edificio torre bloque bloco condominio "
    "manzana mz quadra qd centro parque villa unidad flat apt apartment unit suite piso depto dpto casa lote p po "
    "apartado caixa ul ulica os osiedle".split()
)
_WORD = re.compile(r"[^\W\d_]+|\d+")
#: An address has at most this many parts after its start (street, numbers, building, flat, city...).
_MAX_PARTS = 12
_SUFFIX_WORD = re.compile(rf"(?:{_SUFFIX_TYPE.replace('ß', 'ss')}|vagen|gatan|vag)$")


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _lead_positions(text: str) -> list[int]:
    """Where an address may start: a street/building/flat word, or a number, at a word start."""
    out = []
    for m in _WORD.finditer(text):
        at = m.start()
        if at and (text[at - 1].isalnum() or text[at - 1] in "_.-"):
            continue
        word = m.group(0)
        key = word.lower() if word.isascii() else fold_key(word)
        if word[0].isdigit() or key in _LEAD_WORDS or _SUFFIX_WORD.search(key):
            out.append(at)
    return out


def find_addresses(text: str, skip: list[tuple[int, int]] | None = None) -> list[PiiMatch]:
    """Street addresses in ``text``; an address never runs into a span of ``skip`` (phones, emails...)."""
    skip = skip or []
    out: list[PiiMatch] = []
    pos = 0
    for lead in _lead_positions(text):
        if lead < pos:
            continue
        m = _START.match(text, lead)
        if m is None or not _lead_ok(m.group(0), text[max(0, lead - 3) : lead]) or _overlaps(m.start(), m.end(), skip):
            continue
        start = m.start()
        end = _trim(text, start, _extend(text, m.end(), skip))
        if _is_address(text[start:end]) and (not text[start].isdigit() or _has_capital(text[start:end])):
            out.append(PiiMatch("ADDRESS", start, end, text[start:end], _WHY, 0.85))
            pos = end
    return out


#: Street words that are also everyday words ("via 20", "route 66 times", "camino 3 horas"): only with a capital.
_EVERYDAY_STREET = frozenset("via route place square passage cours largo camino paseo estrada".split())
_NUMBER_BEFORE = re.compile(r"\d[ \t.,]?$")


def _lead_ok(lead: str, before: str = "") -> bool:
    """Could this start an address? A capitalised street word, or one followed by a number ("la calle 45"),
    but not an everyday word in lower case ("via 20"); a house number must not continue a number
    ("2,381,741 000 square kilometres")."""
    if lead[0].isdigit():
        return not _NUMBER_BEFORE.search(before)
    first = lead.split()[0]
    if first.rstrip(".") in _EVERYDAY_STREET and lead[0].islower():
        return False
    if first in ("ul.", "os.", "al."):  # Polish street words are written in lower case
        return True
    return lead[0].isupper() or bool(re.search(r"[ \t]\d", lead))


def _extend(text: str, end: int, skip: list[tuple[int, int]]) -> int:
    """Take in the parts that follow an address start; stop before a sentence, a stop word or a skip span."""
    for _ in range(_MAX_PARTS):
        m = _PART.match(text, end)
        if m is None or _overlaps(m.start(), m.end(), skip):
            break
        piece = m.group(0).strip(" ,\t")
        if _STOP_WORDS.match(piece.split()[0]):
            break
        if "," in text[m.start() : m.start() + 3] and not _continues_after_comma(piece):
            city = _CITY.match(text, end)
            if city and _CITY_END.match(text, city.end()) and not _overlaps(city.start(), city.end(), skip):
                end = city.end()  # "..., Caracas." : the city closes the address
            break
        if piece[0].islower() and not _KEEPS_GOING_LOWER.match(piece):
            break
        end = m.end()
    post = _POSTCODE.match(text, end)
    if post and not _overlaps(post.start(), post.end(), skip):
        end = post.end()
        city = _CITY_AFTER_POSTCODE.match(text, end)
        if city:
            end = city.end()
    return end


def _continues_after_comma(piece: str) -> bool:
    """After a comma: a building, unit, number or crossing street keeps the address going; a name does not."""
    return bool(_KEEPS_GOING_AFTER_COMMA.match(piece) and not _NOT_AFTER_COMMA.match(piece))


def _trim(text: str, start: int, end: int) -> int:
    """Drop trailing particles and connectors that the greedy parts took in, then commas and dots."""
    while end > start:
        tail = _TAIL_WORD.search(text, start, end)
        if tail is None or not _TRAILING_SMALL.fullmatch(tail.group(1)):
            break
        end = tail.start()
    return start + len(text[start:end].rstrip(" ,.-–\t"))


def _has_capital(span: str) -> bool:
    """An address that starts with a house number names its street with a capital ("12 rue de la Paix")."""
    return any(c.isupper() for c in span)


def _is_address(span: str) -> bool:
    """A number, or a building/house part: "Urb. La Floresta, calle 3" yes; "Avenida Bolívar" no."""
    if len(span.split()) < 2:
        return False
    return bool(re.search(r"\d", span)) or _HAS_UNIT.search(span) is not None
