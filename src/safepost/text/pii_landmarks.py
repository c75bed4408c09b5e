"""Addresses given by a landmark (ADDRESS), as people write them where streets have no numbers.

"Jigjiga Yar, behind the Hoyo Hotel, Hargeisa"; "Barrio Cristales, frente a la iglesia morava,
Trujillo"; "Block 4, next to Al-Amal pharmacy, Port Sudan". An address here is a named area
(capitalised words), a comma, a direction word (behind, next to, opposite, frente a, detrás de,
junto a...) and a landmark that is a building (hotel, pharmacy, church, mosque, school, market,
iglesia, farmacia, mezquita...), then up to two capitalised place names after commas. A direction
without a building ("next to her mother") is not an address.
"""

from __future__ import annotations

import re

from safepost.text.pii import PiiMatch

_WHY = (
    "A landmark with its neighbourhood leads to a house as surely as a street number. Remove it, or give only the city."
)
_CAPS = r"[A-ZÁÉÍÓÚÑÇ][\w'’\-]*"
_AREA = rf"{_CAPS}(?:[ \t]+(?:al|el|de|del|la|las|los|{_CAPS})){{0,4}}"
_STREET = r"(?:(?:Street|St\.|Road|Calle|Avenida|Av\.|Block|Bloque|Sector|Zone|Zona)[ \t]+\d{1,4}[A-Za-z]?,[ \t]*)?"
_DIRECTION = (
    r"next[ \t]+to|behind|opposite|in[ \t]+front[ \t]+of|across[ \t]+from|near|beside|close[ \t]+to|"
    r"frente[ \t]+a|enfrente[ \t]+de|detr[aá]s[ \t]+de|junto[ \t]+a|al[ \t]+lado[ \t]+de|cerca[ \t]+de|"
    r"a[ \t]+un[ \t]+costado[ \t]+de|atr[aá]s[ \t]+de|diagonal[ \t]+a|en[ \t]+frente[ \t]+de|"
    r"ao[ \t]+lado[ \t]+d[aoe]|atr[aá]s[ \t]+d[aoe]|em[ \t]+frente[ \t]+a[oa]?|pr[oó]ximo[ \t]+a[oa]?"
)
_BUILDING = (
    r"hotel|pharmacy|chemist|church|mosque|school|market|hospital|clinic|station|bank|bakery|shop|store|"
    r"restaurant|cafe|garage|petrol|gas[ \t]+station|police|office|university|stadium|cinema|park|"
    r"hotel|farmacia|iglesia|templo|mezquita|escuela|colegio|mercado|cl[ií]nica|estaci[oó]n|banco|"
    r"panader[ií]a|tienda|pulper[ií]a|gasolinera|bomba|parque|cancha|comisar[ií]a|alcald[ií]a|"
    r"igreja|escola|mercado|posto|padaria|loja|farm[aá]cia|pra[cç]a|mosqu[eé]e|[ée]glise|[ée]cole|march[ée]"
)
_LANDMARK = re.compile(
    rf"(?<![\w'’\-])(?P<area>{_AREA}),[ \t]*{_STREET}(?i:{_DIRECTION})[ \t]+"
    rf"(?P<what>(?:[\w'’\-]+[ \t]+){{0,4}}?(?i:{_BUILDING})\b(?:[ \t]+[\w'’\-]+)?)"
    rf"(?P<city>(?:,[ \t]*{_CAPS}(?:[ \t]+{_CAPS})?){{0,2}})"
)


def find_landmark_addresses(text: str, skip: list[tuple[int, int]] | None = None) -> list[PiiMatch]:
    """Landmark addresses in ``text`` that do not overlap ``skip``."""
    skip = skip or []
    out = []
    for m in _LANDMARK.finditer(text):
        end = m.end("what") + _city_length(m.group("city"))
        start = m.start()
        if any(start < e and s < end for s, e in skip):
            continue
        out.append(PiiMatch("ADDRESS", start, end, text[start:end], _WHY, 0.75))
    return out


def _city_length(cities: str) -> int:
    """Keep ", Trujillo, Colón" only while each part starts with a capital."""
    length = 0
    for part in re.finditer(r",[ \t]*([^,]+)", cities):
        if not part.group(1)[0].isupper():
            break
        length = part.end()
    return length
