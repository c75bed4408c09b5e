"""Emails and phone numbers (EMAIL, PHONE).

Emails: the usual form and the hidden ones ("prensa [at] example [dot] org", "(arroba)").
Phones: a loose pattern finds digit groups that could be a phone; phonenumbers decides, over
the regions safepost's users post from (Latin America, Spain, France, the UK, the US) and any
"+country" number. A number that phonenumbers calls valid counts when it is written like a
phone (grouped, in brackets, with a trunk 0 or 10+ digits); an unformatted or merely "possible"
one counts only next to a word such as "tel", "call", "WhatsApp", "llamen". Years, dates,
counts (3,879), money and dotted ID numbers are never phones.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from safepost.text.pii import PiiMatch
from safepost.text.pii_ids import CASE_WORDS

_LOCAL = r"[A-Za-z0-9_%+\-]+"  # one dot-free piece of the part before the @
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_AT = r"(?:@|[ \t]@[ \t]|\s?[\[\(\{<]\s?(?:at|arroba|@)\s?[\]\)\}>]\s?)"
_DOT = r"(?:\.|\s?[\[\(\{<]\s?(?:dot|punto|ponto|point|\.)\s?[\]\)\}>]\s?)"  # . or [dot]
#: Spelt out only in lower case or capitals ("DzirhanDefence At some point we" is no address), and
#: "point" only in brackets: "at some point" is English.
_SPOKEN_AT = r"\s(?-i:at|AT|arroba|ARROBA)\s"
_SPOKEN_DOT = r"\s(?-i:dot|DOT|punto|PUNTO|ponto|PONTO)\s"
_EMAIL = re.compile(
    rf"(?<![\w.%+\-]){_LOCAL}(?:{_DOT}{_LOCAL})*(?:{_AT}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[A-Za-z]{{2,24}}"
    rf"|{_SPOKEN_AT}{_LABEL}(?:{_SPOKEN_DOT}{_LABEL})*{_SPOKEN_DOT}(?:com|org|net|edu|gov|info|[a-z]{{2}}))\b",
    re.IGNORECASE,
)

#: Regions tried for numbers written without +country; the post's language puts its own first.
REGIONS = ("VE", "CO", "MX", "AR", "PE", "CL", "EC", "BR", "ES", "FR", "GB", "US")
#: Also tried, but their short 7-8 digit numbers look like many other numbers: a number valid only
#: here counts with a phone word nearby or when written 1234-5678 / (0981) 123 456.
MORE_REGIONS = ("BO", "PY", "UY", "GT", "HN", "SV", "NI", "CR", "PA", "DO", "CU", "PT")
#: Where else the people in posts live and work: tried only for a number written next to a phone word.
WORLD_REGIONS = tuple(
    (
        "NG GH KE UG TZ ZA ZW SD SS SO ET ER CD AO MZ SN CM CI ML MA DZ TN EG LY MR LB JO SY PS IL IQ IR YE SA TR "
        "AF PK IN BD LK NP MM TH KH VN PH ID MY CN HK KR JP PL UA RU BY DE IT NL BE CH AT IE CA AU NZ HT JM"
    ).split()
)
_CLEAR_GROUPING = re.compile(r"^\(?\d{2,4}\)?[\s\-]\d{3,4}[\s\-]?\d{3,4}$|^\d{4}-\d{4}$")
_LANG_REGIONS = {
    "es": ("VE", "CO", "MX", "AR", "PE", "CL", "EC", "ES"),
    "pt": ("BR",),
    "fr": ("FR",),
    "en": ("US", "GB"),
}
_CANDIDATE = re.compile(r"(?<![\w+./,\-])(?:\+\s?)?\(?\d[\d\s().\-]{5,22}\d(?![\w/])")
_PHONE_WORDS = re.compile(
    r"(?:\b(?:tel|tlf|tfno|telf|phone|telephone|tel[eé]fono|telefone|t[eé]l[eé]phone|call|ring|llam\w*|lig\w*|"
    r"appel\w*|whats\s?app|wa\.me|signal|telegram|cel|celular|cell|mobile|m[oó]vil|portable|sms|text|fax|"
    r"hotline|l[ií]nea|contact\w*|consultas|informes|escr[ií]be\w*|m[aá]ndanos|cualquier\s+cosa\s+al|"
    # mobile-money and payment wallets are keyed by a phone number
    r"kbzpay|wavepay|wave|m-?pesa|mpesa|momo|mobile\s+money|orange\s+money|airtel\s+money|ecocash|nequi|"
    r"daviplata|yape|plin|pago\s+m[oó]vil|bizum|tigo\s+money|zelle|pix)\b|☎|📞|📱)[^\n\d]{0,25}$",
    re.IGNORECASE,
)
#: Words before a number that make it a score, a result or a case/file number rather than a phone
#: (unless a phone word is nearer): "Final score 3-2-1 102 103", "Case 2024-001234".
_NOT_PHONE_BEFORE = re.compile(
    r"\b(?:scores?|final|won|beat|lost|defeated|innings?|vs?\.?|versus|marcador|resultado|gan[oóaó]\w*|"
    rf"perdi\w*|venci\w*|partido|game|match|set|sets|{CASE_WORDS})\b[^\n\d]{{0,20}}$",
    re.IGNORECASE,
)
#: A year joined to a long serial (2024-001234, 2019-0345-12): a case or file number.
_YEAR_SERIAL = re.compile(r"^(?:19|20)\d\d[-/]\d{5,}|^(?:19|20)\d\d[-/]\d+[-/]\d+$")
#: Opening hours written as 24-hour times ("horario 0800-1700", "shift 2200-0600 hrs").
_TIME_RANGE = re.compile(r"^(?:[01]\d|2[0-3])[0-5]\d\s?[-–]\s?(?:[01]\d|2[0-3])[0-5]\d$")
_TIME_WORDS = re.compile(
    r"\b(?:horario|horas|hours|hrs|open|opens|abierto|abre|atenci[oó]n|schedule|shift|turno|from|desde|de|y|and)"
    r"\b[^\n\d]{0,12}$",
    re.IGNORECASE,
)
_DOTTED_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_DATE = re.compile(r"^(?:\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}|\d{4}[./\-]\d{1,2}[./\-]\d{1,2})$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DATE_PREFIX = re.compile(r"^(?:\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d\d)(?!\d)")
_YEARS = re.compile(r"^(?:19|20)\d\d\s?[-–/]\s?(?:(?:19|20)?\d\d)$")
_MONEY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:USD|US\$|COP|VES|BRL|MXN|ARS|PEN|CLP|EUR|GBP|Bs\.?|R\$|S/\.?))\s?$", re.I)


_AT_MARK = re.compile(rf"{_AT}|{_SPOKEN_AT}", re.IGNORECASE)


def find_emails(text: str) -> list[PiiMatch]:
    """Email addresses, including "name [at] domain [dot] org" and similar disguises."""
    out: list[PiiMatch] = []
    found = {}
    for mark in _AT_MARK.finditer(text):  # the full pattern only around an @ or a written "at"
        m = _EMAIL.search(text, max(0, mark.start() - 80), mark.end() + 160)
        while m is not None and m.end() <= mark.start():
            m = _EMAIL.search(text, m.end(), mark.end() + 160)
        if m is not None and m.start() <= mark.start():
            found[m.start()] = m
    for m in found.values():
        disguised = "@" not in m.group(0) or " " in m.group(0)
        out.append(
            PiiMatch(
                "EMAIL",
                m.start(),
                m.end(),
                m.group(0),
                "An email address reaches a person directly and often contains their name. Remove it, "
                "or use a shared role address the organisation controls.",
                0.9 if disguised else 0.99,
            )
        )
    return out


def find_phones(text: str, lang: str | None = None, skip: list[tuple[int, int]] | None = None) -> list[PiiMatch]:
    """Phone numbers; ``skip`` are spans already explained (IDs, coordinates, links)."""
    skip = skip or []
    regions = _regions(lang)
    out: list[PiiMatch] = []
    for cand in _CANDIDATE.finditer(text):
        raw = cand.group(0)
        start = cand.start()
        if any(start < e and s < cand.end() for s, e in skip):
            continue
        for offset, length, score in _phones_in(raw, text[max(0, start - 40) : start], regions):
            s = start + offset
            out.append(
                PiiMatch(
                    "PHONE",
                    s,
                    s + length,
                    text[s : s + length],
                    "A phone number reaches a person directly and can identify and locate them (messaging apps "
                    "show their name and photo). Remove it, or use a line the organisation controls.",
                    score,
                )
            )
    return out


def _regions(lang: str | None) -> tuple[str, ...]:
    first = _LANG_REGIONS.get((lang or "")[:2].lower(), ())
    return tuple(dict.fromkeys(first + REGIONS))


def _phones_in(raw: str, before: str, regions: tuple[str, ...]) -> list[tuple[int, int, float]]:
    """(offset, length, score) of the phone numbers in one candidate string."""
    stripped = raw.strip()
    digits = sum(c.isdigit() for c in stripped)
    if digits < 7 or digits > 15 or _not_a_phone(stripped, before):
        return []
    keyword = _PHONE_WORDS.search(before) is not None
    if not keyword and _TIME_RANGE.match(stripped) and _TIME_WORDS.search(before):
        return []
    trunk = stripped.startswith(("0", "(", "+"))  # "El caso del 0414-555-0101" is still a phone
    if not keyword and not trunk and (_NOT_PHONE_BEFORE.search(before) or _YEAR_SERIAL.match(stripped)):
        return []
    if stripped.startswith("+"):
        return _international(raw, keyword)
    best = _longest(raw, regions, Leniency.VALID)
    if best is not None:
        start, length = best
        return [(start, length, 0.9)] if keyword or _looks_like_phone(raw[start : start + length]) else []
    best = _longest(raw, MORE_REGIONS, Leniency.VALID)
    if best is not None:
        start, length = best
        if keyword or _CLEAR_GROUPING.match(raw[start : start + length].strip()):
            return [(start, length, 0.8)]
    if _CLEAR_GROUPING.match(raw.strip()) and raw.strip().startswith(("0", "(0")):
        best = _longest(raw, WORLD_REGIONS, Leniency.VALID)  # "0803 123 4567": grouped, with a trunk 0
        if best is not None:
            return [(best[0], best[1], 0.7)]
    if keyword:
        best = _longest(raw, regions + MORE_REGIONS + WORLD_REGIONS, Leniency.POSSIBLE)
        if best is not None:
            return [(best[0], best[1], 0.6)]
    return []


def _longest(raw: str, regions: tuple[str, ...], leniency) -> tuple[int, int] | None:
    """(start, length) of the longest number phonenumbers finds in ``raw`` over ``regions``."""
    best: tuple[int, int] | None = None
    for region in regions:
        for m in PhoneNumberMatcher(raw, region, leniency=leniency):
            if best is None or len(m.raw_string) > best[1]:
                best = (m.start, len(m.raw_string))
    return best


def _international(raw: str, keyword: bool) -> list[tuple[int, int, float]]:
    start = raw.index("+")
    body = raw[start:].rstrip(" .-(")
    try:
        number = phonenumbers.parse(body, None)
    except phonenumbers.NumberParseException:
        return []
    if phonenumbers.is_valid_number(number):
        return [(start, len(body), 0.95)]
    if phonenumbers.is_possible_number(number):
        return [(start, len(body), 0.8 if keyword else 0.7)]
    return []


def _not_a_phone(candidate: str, before: str) -> bool:
    compact = candidate.replace(" ", "")
    return bool(
        _DOTTED_THOUSANDS.match(compact)
        or _DATE.match(compact)
        or _IP.match(compact)
        or _DATE_PREFIX.match(candidate.strip())
        or _YEARS.match(candidate)
        or _MONEY_BEFORE.search(before)
        or re.search(r"\d[.,]\d{1,2}$", compact)
        and "," in compact  # 45.123,00
    )


def _looks_like_phone(raw: str) -> bool:
    """Written the way people write phones: grouped, bracketed, with a trunk 0, or 10+ digits."""
    raw = raw.strip()
    digits = re.sub(r"\D", "", raw)
    grouped = bool(re.search(r"\d[\s\-]\d", raw)) or "(" in raw
    return grouped or digits.startswith("0") or len(digits) >= 10
