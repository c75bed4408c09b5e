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
        "Tickets 1500-2000 pesos; on 12/05/2024 at 10:30",
        "The camp is 15 minutes walk from the market.",
        "We travelled via 20 villages to get there.",
        "Sudan covers 1,861,484 000 square kilometres of land? No: 1 861 484 square kilometres.",
        "Marchamos por la Avenida Bolívar hasta la plaza.",
        "#Rosario2024 #DDHH12345678",
    ],
)
def test_not_personal_data(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Escriban a prensa AT example DOT org", ("EMAIL", "prensa AT example DOT org")),
        ("El caso del 0414-555-0101 sigue sin respuesta", ("PHONE", "0414-555-0101")),
        ("Cédula V-12.345.678 de la detenida", ("ID_NUMBER", "V-12.345.678")),
        ("Nos vemos en Calle 45 Sur #12-30, Bogotá", ("ADDRESS", "Calle 45 Sur #12-30, Bogotá")),
        ("Meet at 14 Church Road today", ("ADDRESS", "14 Church Road")),
        ("Vive en Vía 40 #12-30, Barranquilla", ("ADDRESS", "Vía 40 #12-30, Barranquilla")),
    ],
)
def test_still_personal_data(text, expected):
    assert expected in kinds(text)
