"""Personal data in post text: positives in many formats, and the numbers that must NOT be flagged."""

from __future__ import annotations

import time

import pytest

from safepost.core import InputError, TooLargeError
from safepost.text import PII_KINDS, find_pii, find_quotes
from safepost.text._input import MAX_TEXT_CHARS


def kinds(text: str, lang: str | None = None) -> list[tuple[str, str]]:
    found = find_pii(text, lang)
    for m in found:
        assert text[m.start : m.end] == m.text
        assert m.kind in PII_KINDS and m.why and 0 < m.score <= 1
    return [(m.kind, m.text) for m in found]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Escriban a prensa@voceslibres.org.", "prensa@voceslibres.org"),
        ("Write to m.quintero@obsandino.org.ve today", "m.quintero@obsandino.org.ve"),
        ("escriban a prensa [at] voceslibres [dot] org", "prensa [at] voceslibres [dot] org"),
        ("o a ana.ruiz (at) riseup.net", "ana.ruiz (at) riseup.net"),
        ("info arroba raices punto org", "info arroba raices punto org"),
    ],
)
def test_emails(text, expected):
    assert ("EMAIL", expected) in kinds(text)


@pytest.mark.parametrize(
    "text, expected, lang",
    [
        ("Llamen al +58 414-123-4567.", "+58 414-123-4567", "es"),
        ("WhatsApp: 0412 123 4567", "0412 123 4567", "es"),
        ("Tel. (0212) 123-4567", "(0212) 123-4567", "es"),
        ("contacto 0424-1234567", "0424-1234567", "es"),
        ("call +57 310 123 4567 now", "+57 310 123 4567", "en"),
        ("Móvil +34 612 34 56 78", "+34 612 34 56 78", "es"),
        ("Ligue (11) 91234-5678", "(11) 91234-5678", "pt"),
        ("Call (202) 555-0123 today", "(202) 555-0123", "en"),
        ("Appelez le 06.12.34.56.78", "06.12.34.56.78", "fr"),
        ("+584161234567 por Signal", "+584161234567", None),
        ("Call +44 7700 900123 (a drama number)", "+44 7700 900123", "en"),
        ("Perú: +51 987 654 321", "+51 987 654 321", None),
        ("CDMX +52 55 1234 5678", "+52 55 1234 5678", None),
        ("Celular 3101234567", "3101234567", "es"),
    ],
)
def test_phones(text, expected, lang):
    assert ("PHONE", expected) in kinds(text, lang)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Coordenadas: 4.6097, -74.0817.", "4.6097, -74.0817"),
        ("pin: 10.4806,-66.9036", "10.4806,-66.9036"),
        ("en 4.6097 N, 74.0817 W", "4.6097 N, 74.0817 W"),
        ("refugio (4°36′35″N 74°04′33″W)", "4°36′35″N 74°04′33″W"),
        ("shelter at 4° 36' 35\" N, 74° 4' 33\" O", "4° 36' 35\" N, 74° 4' 33\" O"),
        ("lat: -12.0464, long: -77.0428", "lat: -12.0464, long: -77.0428"),
        ("https://maps.google.com/?q=4.60971,-74.08175", "4.60971,-74.08175"),
        ("https://www.google.com/maps/@-33.4489,-70.6693,15z", "-33.4489,-70.6693"),
        ("posición S 33°26.93′ W 70°39.02′", "S 33°26.93′ W 70°39.02′"),
    ],
)
def test_gps(text, expected):
    assert ("GPS", expected) in kinds(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("su cédula (V-12.345.678)", "V-12.345.678"),
        ("C.I. E-81.234.567 registrada", "E-81.234.567"),
        ("cédula V12345678", "V12345678"),
        ("CC 1.020.304.050 de Bogotá", "1.020.304.050"),
        ("su número 1.020.304.050 quedó", "1.020.304.050"),
        ("CPF 123.456.789-09", "123.456.789-09"),
        ("RUT 12.345.678-5", "12.345.678-5"),
        ("DNI 45678912", "45678912"),
        ("DNI 12345678Z", "12345678Z"),
        ("NIE X1234567L", "X1234567L"),
        ("CURP GOMA850101HDFRRN09", "GOMA850101HDFRRN09"),
        ("pasaporte AB1234567", "AB1234567"),
        ("send your ID number (1553485402) to", "1553485402"),
        ("SSN 123-45-6789", "123-45-6789"),
    ],
)
def test_id_numbers(text, expected):
    assert ("ID_NUMBER", expected) in kinds(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Punto de encuentro: Calle 45 Sur #12-30, Bogotá (pin)", "Calle 45 Sur #12-30, Bogotá"),
        ("Sede: Carrera 7 No. 32-16, piso 3.", "Carrera 7 No. 32-16, piso 3"),
        ("en la Av. Libertador 1234, Caracas.", "Av. Libertador 1234, Caracas"),
        (
            "Av. Francisco de Miranda, Torre Delta, piso 16, Caracas (ubicación)",
            "Av. Francisco de Miranda, Torre Delta, piso 16, Caracas",
        ),
        (
            "Calle Bolívar con Carrera 5, casa N° 12, San Cristóbal.",
            "Calle Bolívar con Carrera 5, casa N° 12, San Cristóbal",
        ),
        ('Urb. La Floresta, calle 3, quinta "Mi Refugio"', 'Urb. La Floresta, calle 3, quinta "Mi Refugio"'),
        ("Rua das Flores 123, São Paulo.", "Rua das Flores 123, São Paulo"),
        ("Rua da Consolação, 2300 - apto 54", "Rua da Consolação, 2300 - apto 54"),
        ("We met at 221B Baker Street, London.", "221B Baker Street, London"),
        ("Office: 1234 Elm St, Apt 12B", "1234 Elm St, Apt 12B"),
        ("Flat 2, 14 Church Road", "Flat 2, 14 Church Road"),
        ("Rendez-vous au 12 rue de la Paix, 75002 Paris.", "12 rue de la Paix, 75002 Paris"),
        ("Jr. Lampa 545, Cercado de Lima", "Jr. Lampa 545, Cercado de Lima"),
        ("Loorenstrasse 149", "Loorenstrasse 149"),
    ],
)
def test_addresses(text, expected):
    assert ("ADDRESS", expected) in kinds(text)


def test_tracking_links_and_their_fix():
    text = "Mira https://www.instagram.com/p/abc/?igshid=XYZ123&utm_source=ig y youtu.be/v?si=AbC&t=42."
    found = [m for m in find_pii(text) if m.kind == "TRACKING_URL"]
    assert [m.text for m in found] == [
        "https://www.instagram.com/p/abc/?igshid=XYZ123&utm_source=ig",
        "youtu.be/v?si=AbC&t=42",
    ]
    assert found[0].fix == "https://www.instagram.com/p/abc/"
    assert found[1].fix == "youtu.be/v?t=42"
    assert "igshid" in found[0].why and "Remove the parameters" in found[0].why
    assert kinds("https://example.org/report?id=7&page=2") == []
    assert kinds("https://x.com/ong/status/123?s=20") == [("TRACKING_URL", "https://x.com/ong/status/123?s=20")]


@pytest.mark.parametrize(
    "text",
    [
        "Más de 3,879 personas siguieron la transmisión en 2019.",
        "More than 3.879 followed the livestream; 1,377 signed.",
        "The fund raised Bs. 45.123,00 and 3.500.000 COP, USD 1,250 and R$ 4.520,50.",
        "El acta del 25.11.2024 y la reunión del 2024-11-25 a las 10:30.",
        "In 2019-2024 we documented 12.345 cases; 2.345.678 votos y 1.200.000 personas.",
        "Ley 1448 de 2011, expediente 2024-00123, versión v2.1.0.",
        "The march covered 4.5 km; 3.879, 4.500 and 6.000 people joined in three cities.",
        "It was 30°C at noon, 45% humidity, page 123 of 456.",
        "Avenida Bolívar was closed; the calle was empty.",
        "Our IP 192.168.10.254 and build 20240517.",
    ],
)
def test_no_pii_in_years_counts_money_dates_and_plain_numbers(text):
    assert kinds(text) == []


def test_id_is_not_also_a_phone_and_matches_do_not_overlap():
    text = "cédula 1.020.304.050, tel 0412 123 4567, V-12.345.678, email a@b.co"
    found = find_pii(text, "es")
    assert [(m.kind, m.text) for m in found] == [
        ("ID_NUMBER", "1.020.304.050"),
        ("PHONE", "0412 123 4567"),
        ("ID_NUMBER", "V-12.345.678"),
        ("EMAIL", "a@b.co"),
    ]
    spans = sorted((m.start, m.end) for m in found)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert found[0].to_dict()["kind"] == "ID_NUMBER"


def test_bad_input():
    with pytest.raises(InputError):
        find_pii(b"bytes are not text")
    with pytest.raises(TooLargeError):
        find_pii("1" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(InputError):
        find_quotes(42)
    assert find_pii("") == []
    hostile = "((((" * 5000 + "@" * 3000 + "4." * 4000 + "Calle " * 2000 + "\ud800"
    started = time.monotonic()
    assert find_pii(hostile) == []  # no e-mail, phone or address in it, and no runaway pattern
    assert time.monotonic() - started < 30


def test_the_tracking_link_reason_is_said_in_spanish_with_its_parameter_names():
    """The check words the reason from its catalogue id and values (issue 23): Spanish, names kept."""
    from safepost.decide.text import TextCheck, _check_pii

    text = "Mira https://www.instagram.com/p/abc/?igshid=XYZ123&utm_source=ig"
    (link,) = [m for m in find_pii(text) if m.kind == "TRACKING_URL"]
    out = TextCheck()
    _check_pii(out, text, link)
    (finding,) = out.findings
    assert finding.why == link.why and "igshid, utm_source" in finding.why
    spanish = finding.why.say("es")
    assert spanish.startswith("Este enlace lleva parámetros de seguimiento (igshid, utm_source).")
    assert "Quite los parámetros" in spanish and "tracking" not in spanish
