"""Numbers and words in real posts that look like personal data but are not (and the ones that still are)."""

from __future__ import annotations

import pytest

from safepost.text import find_pii


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in find_pii(text)]


@pytest.mark.parametrize(
    "text",
    [
        "RT @V12345678: our statement on the hearing",  # the account's own handle, not a cédula
        "Gracias @E81234567 y @J1234567 por difundir",
        "Thanks @DzirhanDefence At some point we will all be free.",  # not "name at domain point tld"
        "Yankees 7 Red Sox 3. Final score 3-2-1 102 103",
        "Resultado del partido: 2 1 3 4 5 6 7",
        "Case 2024-001234 was heard on Monday.",
        "Expediente 2019-0345-12 sigue abierto.",
        "El expediente 12.345.678 fue archivado; Exp. N° 23.456.789 también.",
        "Tickets 1500-2000 pesos; on 12/05/2024 at 10:30",
        "The camp is 15 minutes walk from the market.",
        "We travelled via 20 villages to get there.",
        "Sudan covers 1,861,484 000 square kilometres of land? No: 1 861 484 square kilometres.",
        "Marchamos por la Avenida Bolívar hasta la plaza.",
        "#Rosario2024 #DDHH12345678",
        "Horario de atención 0800-1700 y 1800-2000.",
        "Clinic open 0900-1700 hrs on weekdays",
        "Score: Lakers 102 Celtics 99 (OT 110-108)",
    ],
)
def test_not_personal_data(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Escriban a prensa AT example DOT org", ("EMAIL", "prensa AT example DOT org")),
        ("El caso del 0414-555-0101 sigue sin respuesta", ("PHONE", "0414-555-0101")),
        ("Llamen al 2215-1830 si ven algo", ("PHONE", "2215-1830")),  # looks like hours, but a phone word
        ("Cédula V-12.345.678 de la detenida", ("ID_NUMBER", "V-12.345.678")),
        ("Nos vemos en Calle 45 Sur #12-30, Bogotá", ("ADDRESS", "Calle 45 Sur #12-30, Bogotá")),
        ("Meet at 14 Church Road today", ("ADDRESS", "14 Church Road")),
        ("Vive en Vía 40 #12-30, Barranquilla", ("ADDRESS", "Vía 40 #12-30, Barranquilla")),
    ],
)
def test_still_personal_data(text, expected):
    assert expected in kinds(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Su DPI: 3021 45678 0101, por si acaso.", ("ID_NUMBER", "3021 45678 0101")),  # Guatemala, 4-5-4
        ("DUI 04567891-2", ("ID_NUMBER", "04567891-2")),  # El Salvador
        ("His A-Number is A201-338-466.", ("ID_NUMBER", "A201-338-466")),  # US alien number
        ("Her NIC 197534512345 was taken.", ("ID_NUMBER", "197534512345")),  # Sri Lanka, 12 digits
        ("old card 853400937V", ("ID_NUMBER", "853400937V")),  # Sri Lanka, old
        ("NRC 12/ThaGaKa(N)123456", ("ID_NUMBER", "12/ThaGaKa(N)123456")),  # Myanmar
        ("BI 004512378LA041 apreendido", ("ID_NUMBER", "004512378LA041")),  # Angola
        ("身份证 440304199003072814 was posted", ("ID_NUMBER", "440304199003072814")),  # China, valid check digit
        ("Consultas: 2 2785512, de 9 a 13.", ("PHONE", "2 2785512")),  # Bolivia landline
        ("cualquier cosa al 76543219", ("PHONE", "76543219")),
        ("KBZPay 09 451 782 306 (Ko Aung)", ("PHONE", "09 451 782 306")),  # a wallet is a phone number
        ("Lagos office: 0803 123 4567", ("PHONE", "0803 123 4567")),
        ("Adres: ul. Piękna 22, 00-549 Warszawa.", ("ADDRESS", "ul. Piękna 22, 00-549 Warszawa")),
        (
            "They live in Kaah Yar, behind the Maansoor Hotel, Hargeisa. Call us.",
            ("ADDRESS", "Kaah Yar, behind the Maansoor Hotel, Hargeisa"),
        ),
        (
            "Vive en Barrio La Joya, frente a la iglesia católica, Tela, Atlántida.",
            ("ADDRESS", "Barrio La Joya, frente a la iglesia católica, Tela, Atlántida"),
        ),
    ],
)
def test_local_formats(text, expected):
    assert expected in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "身份证 440304199003072815 is not valid",  # wrong check digit
        "Population 201945123456 (estimate)",  # not a day of the year
        "Maria Lopez, next to her mother, smiled.",  # a direction, no building
        "Nos vemos en Lima, cerca de la plaza.",
    ],
)
def test_local_format_look_alikes(text):
    assert [k for k, _ in kinds(text) if k in ("ID_NUMBER", "ADDRESS")] == []
