"""National ID, passport and tax numbers (ID_NUMBER), never counts, money or dates.

Recognised by shape: Venezuelan cédulas with their letter (V-12.345.678, E-81.234.567, V12345678),
dotted cédulas and DNIs (1.020.304.050, 23.456.789), Brazilian CPF (123.456.789-09) and RG,
Chilean RUT (12.345.678-5), Spanish DNI/NIE (12345678Z, X1234567L), Mexican CURP, Argentine
CUIL, US SSN, UK National Insurance numbers. Recognised by a keyword written just before
(cédula, C.I., DNI, CPF, pasaporte, passport, ID...): any number of 5+ digits, with or without
letters (DNI 45678912, pasaporte AB123456).

A dotted number is not an ID when it is money (Bs. 1.234.567, 3.500.000 COP), a round quantity
(1.200.000) or a quantity with its unit (2.345.678 personas, votos, km).
"""

from __future__ import annotations

import re

from safepost.text.pii import PiiMatch

_WHY = (
    "An identity document number identifies one person for certain and is used to track, "
    "impersonate or arrest them. Remove it."
)
_LETTER_CEDULA = re.compile(r"(?<![\w.\-])[VEJGP]\s?[-.]?\s?(?:\d{1,3}(?:\.\d{3}){1,2}|\d{6,9})(?![\w]|[.,]\d)")
_SHAPES: list[tuple[re.Pattern, float]] = [
    (re.compile(r"(?<![\w.\-])\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?![\w])"), 0.9),  # CNPJ
    (re.compile(r"(?<![\w.\-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w])"), 0.95),  # CPF
    (re.compile(r"(?<![\w.\-])\d{1,2}\.\d{3}\.\d{3}-[\dkKxX](?![\w])"), 0.9),  # RUT, RG
    (re.compile(r"(?<![\w.\-])[XYZ]-?\d{7}-?[A-Z](?![\w])"), 0.9),  # NIE
    (re.compile(r"(?<![\w.\-])\d{8}-?[A-HJ-NP-TV-Z](?![\w])"), 0.85),  # DNI (Spain)
    (re.compile(r"(?<![\w])[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d(?![\w])"), 0.95),  # CURP
    (re.compile(r"(?<![\w.\-])(?:20|23|24|27|30|33|34)-\d{8}-\d(?![\w])"), 0.9),  # CUIL / CUIT
    (re.compile(r"(?<![\w.\-])\d{3}-\d{2}-\d{4}(?![\w\-])"), 0.8),  # SSN
    (re.compile(r"(?<![\w])[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![\w])"), 0.85),  # NINO
    (re.compile(r"(?<![\w.\-])\d{4}[ \-]\d{5}[ \-]\d{4}(?![\w\-])"), 0.85),  # Guatemala DPI / CUI 4-5-4
    (re.compile(r"(?<![\w.\-])\d{8}-\d(?![\w\-])"), 0.8),  # El Salvador DUI
    (re.compile(r"(?<![\w])A[-#]?\s?\d{3}[- ]?\d{3}[- ]?\d{3}(?![\w\-])"), 0.8),  # US A-Number (alien number)
    (re.compile(r"(?<![\w.\-])\d{9}[VX](?![\w])"), 0.85),  # Sri Lanka NIC (old)
    (re.compile(r"(?<![\w])\d{1,2}/[A-Za-z]{3,9}\((?:N|E|P|T|Naing|Ps)\)\s?\d{5,6}(?![\w])"), 0.9),  # Myanmar NRC
    (re.compile(r"(?<![\w.\-])\d{9}[A-Z]{2}\d{3}(?![\w])"), 0.9),  # Angola BI
]
#: Words that introduce a case, file or law number: a number right after one is not a person's ID
#: or phone ("expediente 12.345.678", "Case 2024-001234"). Shared with the phone detector.
CASE_WORDS = (
    r"case|caso|causa|expediente|exp|file|docket|ref|referencia|radicado|proceso|processo|sentencia|"
    r"resoluci[oó]n|decreto|ley|law|act|rol|ruling|invoice|factura|order|pedido|ticket|tracking"
)
_CASE_BEFORE = re.compile(rf"\b(?:{CASE_WORDS})\b\.?(?:\s+(?:n[°ºo]\.?|no\.?|number|n[uú]mero|#))?\s*[:#.]?\s*$", re.I)
_CHINA_ID = re.compile(r"(?<![\w.\-])\d{17}[\dXx](?![\w])")
_SRI_LANKA_NIC = re.compile(r"(?<![\w.\-])(?:19|20)\d\d(\d{3})\d{5}(?![\w\-])")
_DOTTED = re.compile(r"(?<![\w.,\-])\d{1,3}(?:\.\d{3}){2,3}(?![\w]|[.,]\d)")
#: Tried in this order at each anchor; the first that matches wins.
_ANCHORED = [*_SHAPES, (_LETTER_CEDULA, 0.9), (_DOTTED, 0.75)]
_KEYWORD_BEFORE = re.compile(
    r"\b(?:c[ée]dula(?:\s+de\s+(?:identidad|ciudadan[ií]a|extranjer[ií]a))?|C\.\s?I\.?|CI|C\.\s?C\.?|CC|"
    r"D\.?N\.?I\.?|NIE|NIF|CPF|RG|RUT|RUN|CURP|RFC|CUIL|CUIT|INE|DUI|DPI|CUI|CIP|NIT|RTN|RNC|CIC|TI|NIC|NRC|"
    r"PESEL|BI|A-?number|alien\s+number|"
    r"pasaporte|passport|passaporte|passeport|"
    r"ID|identity\s+card|id\s+card|documento(?:\s+de\s+identidad)?|document|SSN|NIN|NINO|carn[eé]t?)"
    r"(?:\s+(?:n[°ºo]\.?|no\.?|number|n[uú]mero|nr\.?|#))?\s*[:#.]?\s*\(?(?:e\.?\s?g\.?,?\s*|ej\.?\s*)?$",
    re.IGNORECASE,
)
_KEYWORD_VALUE = re.compile(r"(?:[A-Z]{0,3}[-\s]?\d[\d.\- ]{3,16}[\dA-Z]|[A-Z]{1,3}\d{5,9})(?![\w])", re.IGNORECASE)
#: Where an ID may start: a token with a digit within its first few characters.
_ANCHOR = re.compile(r"(?<![\w.\-])(?=[A-Z]{0,4}[\s\-.]?\d)")
_MONEY = re.compile(r"(?:[$€£¥]|\b(?:USD|US\$|COP|VES|VEF|BRL|MXN|ARS|PEN|CLP|EUR|GBP|Bs\.?S?|R\$|S/\.?))\s?$", re.I)
_UNIT_AFTER = re.compile(
    r"^\s?(?:[$€£%]|COP|USD|VES|BRL|MXN|ARS|PEN|CLP|EUR|pesos|bol[ií]vares|reais|soles|d[oó]lares|dollars|euros|"
    r"personas|people|habitantes|inhabitants|votos|votes|v[ií]ctimas|victims|casos|cases|firmas|signatures|"
    r"seguidores|followers|views|vistas|visitas|visits|km|kil[oó]metros|kg|toneladas|tons|hect[aá]reas|ha\b|"
    r"desplazad\w*|displaced|muertos|dead|familias|families|ni[nñ]\w*|children|mujeres|women|hombres|men|"
    r"millones|million|mil\b)",
    re.IGNORECASE,
)


def find_ids(text: str) -> list[PiiMatch]:
    """ID numbers in ``text`` (see the module docstring for the shapes and keywords)."""
    out: list[PiiMatch] = []

    def add(start: int, end: int, score: float) -> None:
        if not any(start < m.end and m.start < end for m in out):
            out.append(PiiMatch("ID_NUMBER", start, end, text[start:end], _WHY, score))

    anchors = [m.start() for m in _ANCHOR.finditer(text)]
    for at in anchors:  # a number right after "cédula", "DNI", "passport", ...
        if _KEYWORD_BEFORE.search(text, max(0, at - 50), at):
            m = _KEYWORD_VALUE.match(text, at)
            if m:
                value = m.group(0).rstrip(" .-")
                end = at + len(value)
                at += len(value) - len(value.lstrip())  # "DPI: 3021 ..." starts at the digits
                if sum(c.isdigit() for c in value) >= 5 and not _is_quantity(text, at, end):
                    add(at, end, 0.95)
    for at in anchors:
        for pattern, score in _ANCHORED:
            m = pattern.match(text, at)
            if m:
                if pattern is _DOTTED and (_is_quantity(text, m.start(), m.end()) or m.group(0).endswith(".000")):
                    continue
                if pattern is _DOTTED and _CASE_BEFORE.search(text, max(0, m.start() - 30), m.start()):
                    continue  # "expediente 12.345.678"
                add(m.start(), m.end(), score)
                break
    for m in _CHINA_ID.finditer(text):
        if _china_checksum_ok(m.group(0)):
            add(m.start(), m.end(), 0.9)
    for m in _SRI_LANKA_NIC.finditer(text):  # year of birth, then day of the year (+500 for women)
        if 1 <= int(m.group(1)) <= 366 or 501 <= int(m.group(1)) <= 866:
            add(m.start(), m.end(), 0.7)
    return sorted(out, key=lambda m: m.start)


def _china_checksum_ok(number: str) -> bool:
    """The ISO 7064 MOD 11-2 check character of an 18-character Chinese resident ID."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _is_quantity(text: str, start: int, end: int) -> bool:
    """Money or a counted quantity: a currency before, or a currency or unit after."""
    return bool(_MONEY.search(text[max(0, start - 8) : start]) or _UNIT_AFTER.match(text[end : end + 20]))
