"""`safepost redact` on a crowd photo summarises its ids instead of printing 144 of them (issue 23),
in English and in Spanish."""

from __future__ import annotations

from types import SimpleNamespace

from safepost.cli.summary import id_list, photo_summary, unsure_summary, video_summary


def _result(n_faces: int, ignored=(), manual=0):
    regions = [SimpleNamespace(id=f"f{i}", kind="face") for i in range(1, n_faces + 1)]
    regions += [SimpleNamespace(id=f"m{i}", kind="manual") for i in range(1, manual + 1)]
    return SimpleNamespace(regions=regions, ignored=list(ignored), kept=[])


def test_a_crowd_is_summarised_with_its_range_and_a_pointer_to_json():
    line = photo_summary(_result(144))
    assert line == "144 faces found: 144 masked (f1 to f144)"
    assert line.say("es") == "144 caras encontradas: 144 enmascaradas (f1 a f144)"
    unsure = unsure_summary([f"f{i}" for i in range(20, 133)])
    assert unsure.startswith("113 of them unsure, may not be faces (still masked): their ids are in --json")
    assert "f20" not in unsure and "--ignore ID" in unsure
    assert unsure.say("es").startswith("113 de ellas dudosas, quizá no sean caras") and "--json" in unsure.say("es")


def test_a_gap_in_the_ids_is_never_written_as_a_range():
    line = photo_summary(_result(144, ignored=["f7"]))
    assert line == "144 faces found: 143 masked (f1, f2, f3 and 140 more), f7 left visible"
    assert line.say("es") == "144 caras encontradas: 143 enmascaradas (f1, f2, f3 y 140 más), f7 a la vista"
    assert id_list(["f1", "f2", "f4", "f5", "f6", "f7", "f8"]) == "f1, f2, f4 and 4 more"


def test_a_few_faces_keep_their_ids():
    line = photo_summary(_result(2, ignored=["f2"], manual=1))
    assert line == "2 faces found: f1 masked, f2 left visible; also masked: 1 region added by hand (m1)"
    assert line.say("es") == (
        "2 caras encontradas: f1 enmascarada(s), f2 a la vista; también enmascarado: 1 zona añadida a mano (m1)"
    )
    assert unsure_summary(["f2", "f3"]).startswith("unsure, may not be faces (still masked): f2, f3;")
    spanish = unsure_summary(["f2", "f3"]).say("es")
    assert spanish.startswith("dudosas, quizá no sean caras (enmascaradas igualmente): f2, f3;")


def test_video_summary_in_both_languages():
    video = SimpleNamespace(faces_found=3, nophoto_tracks=["t2"], masked=2)
    assert video_summary(video) == "3 face tracks found, 1 wearing a NO PHOTO tag, 2 masked"
    spanish = video_summary(video).say("es")
    assert spanish == "3 recorridos de cara encontrados, 1 con una etiqueta NO PHOTO, 2 enmascarados"
