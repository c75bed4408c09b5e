"""GPS coordinates (GPS): decimal pairs, degrees-minutes-seconds, labelled and inside map links.

Recognised: "4.6097, -74.0817", "4.6097 N, 74.0817 W", "lat 4.6097 lon -74.0817",
"4°36′35″N 74°04′33″W", "4° 36' 35\" N, 74° 4' 33\" O" (O = oeste), "N 4°36.58' W 74°4.55'",
and the coordinates in "maps.google.com/?q=4.6,-74.0", "@4.6,-74.0,15z", "#map=15/4.6/-74.0".
A decimal pair needs 4+ decimals, or 3 with a sign, a hemisphere letter, a degree sign or a word
such as "GPS", "lat", "coordenadas" nearby; so "3.879, 4.500 personas" is not a place.
"""

from __future__ import annotations

import re

from safepost.text.pii import PiiMatch

_NUM = r"[-+−–]?\d{1,3}[.,]\d{3,9}"
_HEMI = r"[NSEWO]"
_DEC_COORD = rf"(?:{_HEMI}\s?)?{_NUM}(?:\s?°)?(?:\s?{_HEMI}\b)?"
_DECIMAL_PAIR = re.compile(rf"(?<![\w.,])({_DEC_COORD})(\s?[,;/]\s?|[ \t]+|,\s*\+?(?=-))({_DEC_COORD})(?!\w|\.\d)")
_LABEL_NUM = r"[-+−–]?\d{1,3}[.,]\d{2,9}"
_LABELLED = re.compile(
    rf"\b(?:lat(?:itude|itud)?|mlat)\s*[:=]?\s*({_LABEL_NUM}).{{0,12}}?\b(?:lo?ng?(?:itude|itud)?|lng|mlon)\s*[:=]?\s*"
    rf"({_LABEL_NUM})",
    re.IGNORECASE,
)
#: Open Location Code ("plus code", 67P7+XQ) and what3words (///index.home.raft): exact places too.
_PLUS_CODE = re.compile(r"(?<![\w+])[23456789CFGHJMPQRVWX]{4,8}\+[23456789CFGHJMPQRVWX]{2,3}(?![\w+])")
_W3W = re.compile(r"///[a-zà-ÿ]+\.[a-zà-ÿ]+\.[a-zà-ÿ]+", re.IGNORECASE)
_DMS_COORD = (
    rf"(?:{_HEMI}\s?)?\d{{1,3}}\s?[°º˚]\s?(?:\d{{1,2}}(?:[.,]\d+)?\s?['′’]\s?)?"
    rf"(?:\d{{1,2}}(?:[.,]\d+)?\s?(?:\"|″|''|”|′′)\s?)?(?:{_HEMI}\b)?"
)
_DMS_PAIR = re.compile(rf"(?<![\w°])({_DMS_COORD})(?:\s?[,;/]?\s?)({_DMS_COORD})")
_DMS_ONE = re.compile(rf"(?<![\w°])({_DMS_COORD})")
_CONTEXT = re.compile(
    r"(?:gps|coord\w*|lat\w*|lon\w*|ubicaci[oó]n|localiza\w*|location|loc|pin|ponto|position|posici[oó]n|"
    r"map\w*|geo|[?&]q=|[?&]ll=|@)",
    re.IGNORECASE,
)
_WHY = (
    "GPS coordinates point to an exact place (a home, a shelter, a meeting point) to within metres. "
    "Remove them, or name only the city or region."
)


def _value(text: str) -> float:
    sign = -1.0 if text.strip()[0] in "-−–" else 1.0
    digits = re.sub(r"[^\d.,]", "", text).replace(",", ".")
    return sign * float(digits)


def _decimals(text: str) -> int:
    m = re.search(r"[.,](\d+)", text)
    return len(m.group(1)) if m else 0


def _hemisphere(text: str) -> str | None:
    m = re.search(_HEMI, text)
    return m.group(0) if m else None


def _decimal_ok(lat: str, lon: str, sep: str, before: str) -> bool:
    try:
        a, b = _value(lat), _value(lon)
    except ValueError:
        return False
    if abs(a) > 90 or abs(b) > 180:
        return False
    if _hemisphere(lat) in ("E", "W", "O") or _hemisphere(lon) in ("N", "S"):
        return False
    if "," in lat and "." not in lat and sep.strip() == ",":
        return False  # "4,6097,-74,0817" is unreadable; commas as decimals need another separator
    marked = any(c in lat + lon for c in "-+−–°") or _hemisphere(lat) or _hemisphere(lon)
    context = _CONTEXT.search(before[-40:]) is not None
    if not sep.strip() and not (marked or context):
        return False
    shortest = min(_decimals(lat), _decimals(lon))
    return shortest >= 4 or (shortest >= 3 and bool(marked or context))


def find_gps(text: str) -> list[PiiMatch]:
    """GPS coordinates in ``text``; a pair is one match, a lone DMS coordinate is one too."""
    out: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, score: float) -> None:
        if not any(start < e and s < end for s, e in taken):
            taken.append((start, end))
            out.append(PiiMatch("GPS", start, end, text[start:end], _WHY, score))

    lowered = text.lower()
    has_degrees = any(c in text for c in "°º˚")
    for m in _LABELLED.finditer(text) if "lat" in lowered else ():
        in_link = m.start() > 0 and text[m.start() - 1] in "?&#;"
        add(m.start(1) if in_link else m.start(), m.end(2), 0.95)
    for m in _DMS_PAIR.finditer(text) if has_degrees else ():
        if _is_dms(m.group(1)) and _is_dms(m.group(2)):
            add(m.start(1), m.start(1) + len(m.group(0).rstrip()), 0.95)
    for m in _DMS_ONE.finditer(text) if has_degrees else ():
        if _is_dms(m.group(1)):
            add(m.start(1), m.start(1) + len(m.group(1).rstrip()), 0.8)
    for pattern, marker in ((_PLUS_CODE, "+"), (_W3W, "///")):
        for m in pattern.finditer(text) if marker in text else ():
            add(m.start(), m.end(), 0.85)
    for m in _DECIMAL_PAIR.finditer(text):
        if _decimal_ok(m.group(1), m.group(3), m.group(2), text[: m.start()]):
            add(m.start(), m.end(), 0.9)
    return sorted(out, key=lambda m: m.start)


def _is_dms(text: str) -> bool:
    """Degrees with minutes (and maybe seconds) or with a hemisphere letter: not "30° C"."""
    has_minutes = re.search(r"['′’]", text) is not None
    return (has_minutes or _hemisphere(text) is not None) and re.search(r"[°º˚]", text) is not None
