"""Registry names in post text: every written form, offsets, word boundaries, near-duplicates, context."""

from __future__ import annotations

import pytest

from safepost.consent.people import make_person
from safepost.core import InputError, TooLargeError
from safepost.text import NameEntry, NameIndex, find_other_names, fold, ner_available
from safepost.text._input import MAX_TEXT_CHARS
from safepost.text.names import REVIEW_SCORE

REGISTRY = [
    NameEntry(
        "p-andres",
        "Andrés Azpúrua Pérez",
        nicknames=("Andy",),
        handles=("@aazpurua",),
        given_names="Andrés",
        surnames="Azpúrua Pérez",
    ),
    NameEntry("p-andrea", "Andrea Azpúrua", given_names="Andrea", surnames="Azpúrua"),
    NameEntry("p-ana", "Ana Ruiz", handles=("x:@ana_r",), given_names="Ana", surnames="Ruiz"),
    NameEntry("p-anna", "Anna Ruiz", given_names="Anna", surnames="Ruiz"),
    NameEntry("p-ramon", "Ramón de la Fuente", nicknames=("Moncho",), given_names="Ramón", surnames="de la Fuente"),
    NameEntry("p-ines", "Inês dos Santos Ferreira", given_names="Inês", surnames="dos Santos Ferreira"),
    NameEntry(
        "p-mohammed",
        "Mohammed Al-Khatib",
        aliases=("Muhammad Al-Khatib", "Mohamed Al-Khatib"),
        given_names="Mohammed",
        surnames="Al-Khatib",
    ),
    NameEntry("p-sean", "Seán D'Arcy", given_names="Seán", surnames="D'Arcy"),
    NameEntry(
        "p-mj", "María José Lloyd-Davies", nicknames=("Majo",), given_names="María José", surnames="Lloyd-Davies"
    ),
    NameEntry(
        "p-will",
        "William Trujillo",
        nicknames=("Will",),
        handles=("@will_tru88",),
        given_names="William",
        surnames="Trujillo",
    ),
    NameEntry("p-lucia", "Lucía Benítez", given_names="Lucía", surnames="Benítez"),
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(REGISTRY)


def only(index: NameIndex, text: str):
    matches = index.find(text)
    assert len(matches) == 1, [m.to_dict() for m in matches]
    m = matches[0]
    assert text[m.start : m.end] == m.text
    return m


@pytest.mark.parametrize(
    "text, written, person, how",
    [
        ("Hoy habló Andrés Azpúrua Pérez en la plaza.", "Andrés Azpúrua Pérez", "p-andres", "full"),
        ("Hoy habló Andres Azpurua Perez en la plaza.", "Andres Azpurua Perez", "p-andres", "full"),
        ("HOY HABLÓ ANDRÉS AZPÚRUA PÉREZ.", "ANDRÉS AZPÚRUA PÉREZ", "p-andres", "full"),
        ("thanks to andres azpurua perez today", "andres azpurua perez", "p-andres", "full"),
        ("Thanks to Andrés Azpúrua for the photos.", "Andrés Azpúrua", "p-andres", "given+surname"),
        ("The session with Moncho de la Fuente ended late.", "Moncho de la Fuente", "p-ramon", "nickname+surname"),
        (
            'Gracias a Ramón "Moncho" de la Fuente por todo.',
            'Ramón "Moncho" de la Fuente',
            "p-ramon",
            "nickname+surname",
        ),
        ("Saludos a Moncho, que vino de lejos.", "Moncho", "p-ramon", "nickname"),
        ("Photos by Muhammad Al-Khatib.", "Muhammad Al-Khatib", "p-mohammed", "alias"),
        ("Photos by Mohammed Al Khatib.", "Mohammed Al Khatib", "p-mohammed", "full"),
        ("Photos by Mohammed AlKhatib.", "Mohammed AlKhatib", "p-mohammed", "full"),
        ("Con Inês dos Santos en Lisboa.", "Inês dos Santos", "p-ines", "given+surname"),
        ("Un abrazo a Seán D’Arcy y familia.", "Seán D’Arcy", "p-sean", "full"),
        ("Un abrazo a Sean DArcy y familia.", "Sean DArcy", "p-sean", "full"),
        ("With María José Lloyd Davies in London.", "María José Lloyd Davies", "p-mj", "full"),
        ("With M. J. Lloyd-Davies in London.", "M. J. Lloyd-Davies", "p-mj", "initials"),
        ("With MJ Lloyd-Davies in London.", "MJ Lloyd-Davies", "p-mj", "initials"),
        ("Shout-out to @will_tru88 for the logistics!", "@will_tru88", "p-will", "handle"),
        ("Shout-out to will_tru88 for the logistics!", "will_tru88", "p-will", "handle"),
        ("Follow @ANA_R for updates.", "@ANA_R", "p-ana", "handle"),
        ("Moderated by Andrés Azpúrua Péres yesterday.", "Andrés Azpúrua Péres", "p-andres", "typo"),
        ("Moderated by Andrés Azpuura Pérez yesterday.", "Andrés Azpuura Pérez", "p-andres", "typo"),
    ],
)
def test_each_written_form(index, text, written, person, how):
    m = only(index, text)
    assert (m.text, m.person_id, m.how) == (written, person, how)
    assert m.score >= REVIEW_SCORE


def test_initial_and_surname_is_ambiguous_between_same_initial_people(index):
    for text in ("Foto de A. Azpúrua.", "Foto de A Azpurua."):
        m = only(index, text)
        assert m.how == "initial+surname"
        assert m.ambiguous and set(m.candidates) == {"p-andres", "p-andrea"}


def test_near_duplicates_exact_name_wins(index):
    assert only(index, "Entrevista a Anna Ruiz.").person_id == "p-anna"
    m = only(index, "Entrevista a Ana Ruiz.")
    assert m.person_id == "p-ana" and not m.ambiguous
    assert only(index, "Entrevista a Andrea Azpúrua.").person_id == "p-andrea"


def test_a_registry_name_is_not_taken_for_a_typo_of_another(index):
    """ "Andrea Azpúrua Pérez" is one edit from Andrés's full name, but Andrea is a registry name."""
    matches = index.find("Llegó Andrea Azpúrua Pérez.")
    assert all(m.person_id != "p-andres" or m.ambiguous for m in matches)
    assert all(m.how != "typo" for m in matches)


def test_possessive_and_offsets_in_original_text(index):
    text = "We share Anna Ruiz’s statement and Andrés Azpúrua's notes."
    found = index.find(text)
    assert [(m.text, m.person_id) for m in found] == [("Anna Ruiz", "p-anna"), ("Andrés Azpúrua", "p-andres")]
    for m in found:
        assert text[m.start : m.end] == m.text
        assert fold(m.text).text in fold(text).text


def test_no_match_inside_longer_words_emails_or_other_handles(index):
    text = (
        "Anabel Ruizdíaz and Lucíana went to #Lucíanas, wrote to lucia.benitez@example.org, read "
        "https://example.org/ana_ruiz_fans and followed @lucia_benitez_fan."
    )
    assert index.find(text) == []


def test_lower_case_common_word_is_not_a_nickname(index):
    assert index.find("We will meet and we will win.") == []
    assert only(index, "Will came early.").person_id == "p-will"


def test_first_name_and_surname_alone_are_linked_by_a_fuller_mention(index):
    text = "Lucía Benítez opened the forum. Later Lucía thanked everyone, and Benítez closed."
    found = index.find(text)
    assert [(m.text, m.person_id, m.how) for m in found] == [
        ("Lucía Benítez", "p-lucia", "full"),
        ("Lucía", "p-lucia", "first_name_only"),
        ("Benítez", "p-lucia", "surname_only"),
    ]
    assert all(not m.ambiguous and m.score >= REVIEW_SCORE for m in found)


def test_lone_first_name_links_to_the_person_a_shared_initial_could_mean(index):
    found = index.find("Foto de A. Azpúrua. Andrea habló primero.")
    assert [(m.text, m.person_id, m.ambiguous) for m in found] == [
        ("A. Azpúrua", "p-andrea", False),
        ("Andrea", "p-andrea", False),
    ]


def test_lone_first_name_without_context_is_a_possible_mention_with_all_candidates(index):
    m = only(index, "Thanks to Ana and the whole team.")
    assert m.how == "first_name_only" and m.score < REVIEW_SCORE
    m = only(index, "Ruiz sent greetings.")  # a surname two people share
    assert m.how == "surname_only" and m.ambiguous and set(m.candidates) == {"p-ana", "p-anna"}


def test_place_names_that_are_registry_names_are_not_people(index):
    assert index.find("We met in Trujillo and then in Santa Lucía.") == []
    assert index.find("Taller en el estado Trujillo.") == []
    # a surname right after a different given name belongs to someone else ("Pedro Ruiz")
    assert index.find("Then Pedro Ruiz spoke.") == []


def test_from_people_uses_registry_person_objects():
    people = [
        make_person("Ana Lucía Pérez Gómez", nicknames="Analu", handles="x:@analu_pg;instagram:@analu.pg"),
        make_person("Jean-Luc Moreau"),
    ]
    people[0].id, people[1].id = "P-AAAAAA", "P-BBBBBB"
    index = NameIndex.from_people(people)
    text = "Con Ana Lucía Pérez, Jean Luc Moreau, @analu_pg y analu.pg en la foto. J. Moreau también."
    assert [(m.text, m.person_id) for m in index.find(text)] == [
        ("Ana Lucía Pérez", "P-AAAAAA"),
        ("Jean Luc Moreau", "P-BBBBBB"),
        ("@analu_pg", "P-AAAAAA"),
        ("analu.pg", "P-AAAAAA"),
        ("J. Moreau", "P-BBBBBB"),
    ]


def test_to_dict_and_cache(index):
    m = only(index, "Con Ana Ruiz.")
    assert m.to_dict() == {
        "start": 4,
        "end": 12,
        "text": "Ana Ruiz",
        "person_id": "p-ana",
        "candidates": ["p-ana"],
        "how": "full",
        "score": 1.0,
        "ambiguous": False,
    }
    assert NameIndex.cached(REGISTRY) is NameIndex.cached(list(REGISTRY))


def test_bad_input_gives_clear_errors(index):
    with pytest.raises(InputError, match="must be text"):
        index.find(None)
    with pytest.raises(TooLargeError):
        index.find("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(InputError, match="no person id"):
        NameIndex([NameEntry("", "Ana")])
    with pytest.raises(InputError, match="display name"):
        NameIndex([NameEntry("p1", "  ")])
    with pytest.raises(InputError, match="NameEntry"):
        NameIndex(["Ana Ruiz"])
    assert NameIndex([]).find("Ana Ruiz") == []
    assert index.find("") == []
    assert index.find("\ud800 Ana Ruiz \x00") != []  # odd characters do not break folding


def test_fold_maps_back_to_the_original():
    text = "  ANDRÉS  Azpúrua’s, O'Connor; Straße\u0301 "
    folded = fold(text)
    assert folded.text == "andres azpurua o connor strasse"
    start = folded.text.index("azpurua")
    assert folded.original_span(start, start + len("azpurua")) == (10, 17)
    assert text[slice(*folded.original_span(0, 6))] == "ANDRÉS"


def test_ner_hook_is_off_without_spacy(monkeypatch):
    monkeypatch.setenv("SAFEPOST_NER_MODELS", "en=not_an_installed_pipeline")
    assert not ner_available("en")
    assert find_other_names("Maria Gonzalez met John Smith.", "en") == []


def test_odd_registry_names_and_pickling():
    import pickle

    index = NameIndex([NameEntry("p1", "X"), NameEntry("p2", "🙂"), NameEntry("p3", "Ana Ruiz", nicknames=("J",))])
    assert index.find("X marks the spot, J and 🙂 too.") == []  # a lone letter or symbol is no name
    copy = pickle.loads(pickle.dumps(index))  # an index travels to batch workers (in memory)
    assert [m.person_id for m in copy.find("Con Ana Ruiz.")] == ["p3"]
