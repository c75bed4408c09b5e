"""Registry names written inside #hashtags and links, and names that are everyday words."""

from __future__ import annotations

import pytest

from safepost.text import NameEntry, NameIndex
from safepost.text.names import REVIEW_SCORE

REGISTRY = [
    NameEntry(
        "p-rafael", "Rafael Torres Medina", handles=("x:@rafa_t",), given_names="Rafael", surnames="Torres Medina"
    ),
    NameEntry("p-nadia", "Nadia Rahman", handles=("@nrahman",), given_names="Nadia", surnames="Rahman"),
    NameEntry("p-maria", "María Flores", given_names="María", surnames="Flores"),
    NameEntry("p-chayo", "Rosario Ixcot", nicknames=("Chayo",), given_names="Rosario", surnames="Ixcot"),
    NameEntry("p-esperanza", "Esperanza Lago", given_names="Esperanza", surnames="Lago"),
    NameEntry("p-ramon", "Ramón de la Fuente", given_names="Ramón", surnames="de la Fuente"),
    NameEntry("p-grace", "Grace Okafor", given_names="Grace", surnames="Okafor"),
    NameEntry("p-mercedes", "Mercedes Paz", given_names="Mercedes", surnames="Paz"),
    NameEntry("p-kyaw", "Kyaw Zin Htet", given_names="Kyaw Zin Htet", surnames=""),
    NameEntry("p-antonio", "Antonio Castillo Ajú", given_names="Antonio", surnames="Castillo Ajú"),
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(REGISTRY)


def claims(index: NameIndex, text: str) -> list[tuple[str, str]]:
    found = index.find(text)
    for m in found:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.person_id) for m in found if m.score >= REVIEW_SCORE]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Our demand today: #RafaelTorres #NadiaRahman", [("RafaelTorres", "p-rafael"), ("NadiaRahman", "p-nadia")]),
        ("#JusticiaParaMaríaFlores #DDHH", [("MaríaFlores", "p-maria")]),
        ("#JusticiaParaMariaFlores", [("MariaFlores", "p-maria")]),  # accents dropped
        ("Libertad ya #JusticiaParaRamónDeLaFuente", [("RamónDeLaFuente", "p-ramon")]),  # particles joined
        ("#freerafaeltorres and #FREENADIARAHMAN now", [("rafaeltorres", "p-rafael"), ("NADIARAHMAN", "p-nadia")]),
        ("#LiberenAChayo", [("Chayo", "p-chayo")]),  # nickname after a one-letter word
        ("Hoy marchamos. #ChayoLibre", [("Chayo", "p-chayo")]),
        ("#Free_Nadia_Rahman", [("Nadia_Rahman", "p-nadia")]),
        ("#FreeKyawZinHtet", [("KyawZinHtet", "p-kyaw")]),
    ],
)
def test_names_inside_hashtags(index, text, expected):
    assert claims(index, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Source: https://x.com/rafa_t/status/1790000000000000001?s=20", [("rafa_t", "p-rafael")]),
        ("Video: twitter.com/NRahman/status/17", [("NRahman", "p-nadia")]),
        ("Lee https://www.instagram.com/@nrahman/ hoy", [("nrahman", "p-nadia")]),
        ("Read https://example.org/news/2024/free-rafael-torres-now", [("rafael-torres", "p-rafael")]),
    ],
)
def test_handles_and_names_inside_links(index, text, expected):
    assert claims(index, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://x.com/rafael_torres_fans/status/1",  # someone else's account that contains the name
        "#Mariana #Rosario2024 #Lagos",  # a name inside a longer word is not a split
        "#Nadiaa",
        "Our statement: example.org/rafa_tours",
    ],
)
def test_no_name_inside_other_words_of_hashtags_and_links(index, text):
    assert claims(index, text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("RAFAEL TORRES'S TRIAL STARTS TODAY", [("RAFAEL TORRES", "p-rafael")]),
        ("solidarity with nadia rahman and maria flores", [("nadia rahman", "p-nadia"), ("maria flores", "p-maria")]),
        ("Grace Okafor’s testimony was heard.", [("Grace Okafor", "p-grace")]),
        ("Hoy declaró Rafael\nTorres Medina ante el juez.", [("Rafael\nTorres Medina", "p-rafael")]),
        ("La audiencia de Ramon de la\nFuente sigue.", [("Ramon de la\nFuente", "p-ramon")]),
    ],
)
def test_case_accents_possessives_and_line_breaks(index, text, expected):
    assert claims(index, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Nunca perdemos la esperanza: paz y justicia para todas.",
        "An extra grace period of two weeks was granted.",
        "We hold on to #Esperanza and #PazYa",
        "Llegamos en Mercedes, Uruguay, a las 9.",
        "Seguimos en Mercedes hasta el viernes.",
        "Traemos rosa, lago y monte en la memoria.",
    ],
)
def test_everyday_words_are_not_names(index, text):
    assert claims(index, text) == []


def test_everyday_word_in_hashtag_is_only_a_possible_mention_even_with_the_person_named(index):
    found = index.find("Esperanza Lago habló hoy. #EsperanzaViva")
    assert [(m.text, m.score >= REVIEW_SCORE) for m in found] == [("Esperanza Lago", True), ("Esperanza", False)]


def test_first_name_in_hashtag_is_linked_to_the_person_named_in_the_post(index):
    found = index.find("Nadia Rahman sigue detenida. #NadiaLibre")
    assert [(m.text, m.person_id, m.score >= REVIEW_SCORE) for m in found] == [
        ("Nadia Rahman", "p-nadia", True),
        ("Nadia", "p-nadia", True),
    ]


def test_a_huge_camelcase_word_is_read_in_linear_time(index):
    import time

    started = time.perf_counter()
    found = index.find("#" + "NadiaRahman" * 2000 + " Ruiz")
    assert len(found) == 2000 and time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "text, claimed",
    [
        ("El juez Antonio Castillo Ruiz rechazó el recurso.", []),  # someone else: another surname follows
        ("Thanks to Rafael Torres Mendoza for the photos", []),
        ("El juez Antonio Castillo Ajú rechazó el recurso.", [("Antonio Castillo Ajú", "p-antonio")]),
        ("Free Rafael Torres Now!", [("Rafael Torres", "p-rafael")]),  # Title Case: still a claim
        ("Rafael Torres Released After Trial", [("Rafael Torres", "p-rafael")]),
        ("gracias a Rafael Torres. Mañana seguimos", [("Rafael Torres", "p-rafael")]),
    ],
)
def test_partial_name_followed_by_another_surname_is_only_a_possible_mention(index, text, claimed):
    assert claims(index, text) == claimed
    assert index.find(text)  # still reported, for a human to look at


@pytest.mark.parametrize(
    "text, claimed",
    [
        ("gracias a nadia rahmn por todo", [("nadia rahmn", "p-nadia")]),  # a typo in lower case
        ("solidarity with rafael torrez medina", [("rafael torrez medina", "p-rafael")]),
        ("we will kind of go there, con rosa vegas", []),  # everyday words are no anchor for a typo
    ],
)
def test_lower_case_typos(index, text, claimed):
    assert claims(index, text) == claimed


def test_a_verb_of_going_makes_the_next_word_a_place(index):
    text = "Viajamos a Mercedes con Mercedes Paz. Saludos a Mercedes, que nos recibió."
    found = index.find(text)
    assert [(m.text, m.start) for m in found] == [("Mercedes Paz", text.index("Mercedes Paz")), ("Mercedes", 48)]


def test_everyday_word_starting_a_sentence_is_not_a_lone_name(index):
    assert index.find("Grace period for comments ends Friday. Esperanza es lo último que se pierde.") == []
    found = index.find("Thanks to Grace for the photos.")  # mid-sentence, the capital means a name
    assert [(m.text, m.person_id, m.score < REVIEW_SCORE) for m in found] == [("Grace", "p-grace", True)]
