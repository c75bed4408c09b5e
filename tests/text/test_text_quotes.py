"""Quoted speech and its speaker, for Chatham House events (no attribution allowed)."""

from __future__ import annotations

import pytest

from safepost.text import find_quotes


@pytest.mark.parametrize(
    "text, quote, speaker",
    [
        (
            'As Mercier put it, "nobody should have to choose between safety and the truth".',
            "nobody should have to choose between safety and the truth",
            "Mercier",
        ),
        (
            'Como dijo Ana de la Fuente: "nadie debería elegir entre su seguridad y la verdad".',
            "nadie debería elegir entre su seguridad y la verdad",
            "Ana de la Fuente",
        ),
        ("“We will not stop,” said Ana Ruiz after the hearing.", "We will not stop", "Ana Ruiz"),
        ("«No nos vamos a callar», afirmó Rocío.", "No nos vamos a callar", "Rocío"),
        ("Ana: «vamos a seguir documentando todo»", "vamos a seguir documentando todo", "Ana"),
        ("—Nadie debería elegir —dijo Rocío Azpúrua—. Es la verdad.", "Nadie debería elegir", "Rocío Azpúrua"),
        ('She said: "we want justice now".', "we want justice now", None),
        ('"Three words here" opened the report.', "Three words here", None),
        ("„Wir bleiben hier“, sagte sie.", "Wir bleiben hier", None),
    ],
)
def test_quotes_and_speakers(text, quote, speaker):
    found = find_quotes(text)
    assert [(q.text, q.speaker) for q in found] == [(quote, speaker)]
    q = found[0]
    assert text[q.start : q.end] == q.text
    assert q.to_dict()["speaker"] == speaker


def test_nicknames_house_names_and_apostrophes_are_not_quotes():
    text = 'Francisco "Paco" Pérez lives in quinta "Mi Refugio"; it\'s Ana’s and O’Connor’s day.'
    assert find_quotes(text) == []


def test_unbalanced_and_several_quotes():
    text = 'First "one two three" then «four five six» and an open " that never closes'
    assert [q.text for q in find_quotes(text)] == ["one two three", "four five six"]
    assert find_quotes("") == []
