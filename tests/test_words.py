"""The messages a non-technical user sees, in plain English and Spanish (issue 23, item 6)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.cli.batch import _videos_with_sound
from safepost.core import InputError
from safepost.decide.policy import Policy, Restrictiveness, load_policy
from safepost.decide.risk import CIVIC_SPACE_WORDS, Exposure, assess
from safepost.post.bundle import SCAFFOLD, load_post
from safepost.post.schema import PostMeta
from safepost.words import Phrase, _catalogue, said
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[1]


def _bundle(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "march-post"
    folder.mkdir()
    (folder / "post.yaml").write_text(edit(SCAFFOLD.format(folder="march-post")))
    (folder / "post.txt").write_text("We marched today.")
    return folder


def _error(folder: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_post(folder)
    return str(caught.value)


def test_a_misspelt_field_names_the_field_its_line_the_allowed_names_and_the_closest(tmp_path):
    message = _error(_bundle(tmp_path, lambda t: t.replace("audience:", "audiense:")))
    assert "Extra inputs" not in message and "Field required" not in message
    assert "post.yaml, line 5: 'audiense' is not a field here. Did you mean 'audience'?" in message
    assert "The fields are: text, text_file, language, media, platforms, audience, account" in message


def test_a_misspelt_field_inside_source_suggests_from_that_part(tmp_path):
    message = _error(_bundle(tmp_path, lambda t: t.replace("  consent: unknown", "  consnet: unknown")))
    assert "line 17: 'consnet' is not a field here. Did you mean 'consent'?" in message
    assert "kind, url, uploader" in message


def test_a_list_left_open_says_the_line_and_what_to_write(tmp_path):
    message = _error(_bundle(tmp_path, lambda t: t.replace("[instagram]", "[instagram, x")))
    assert "while parsing" not in message and "<unicode string>" not in message
    assert "post.yaml, line 4: the list that starts with '[' is not closed. Put ']' at its end" in message


def test_a_date_with_a_letter_says_which_date_and_the_format_with_an_example(tmp_path):
    message = _error(_bundle(tmp_path, lambda t: t.replace("publish_at: null", "publish_at: 2O26-12-01T18:00:00Z")))
    assert "invalid character" not in message
    assert "line 9: '2O26-12-01T18:00:00Z' in publish_at is not a date" in message
    assert "a letter O for a zero?" in message
    assert "Write it as YYYY-MM-DDTHH:MM:SSZ, for example 2026-12-01T18:00:00Z." in message


def test_a_value_not_allowed_lists_the_allowed_ones_and_the_closest(tmp_path):
    message = _error(_bundle(tmp_path, lambda t: t.replace("audience: public", "audience: publik")))
    assert (
        "line 5: 'publik' is not allowed for audience. Did you mean 'public'? Allowed: public, closed, internal."
        in (message)
    )


def test_the_policy_file_speaks_the_same_words(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("context: obstructed\nthreshold:\n  medium: 6\n")
    with pytest.raises(InputError) as caught:
        load_policy(path)
    assert "line 2: 'threshold' is not a field here. Did you mean 'thresholds'?" in str(caught.value)


def test_the_cli_says_it_in_spanish_under_a_spanish_locale(tmp_path):
    folder = _bundle(tmp_path, lambda t: t.replace("audience:", "audiense:"))
    result = CliRunner().invoke(
        main, ["check", str(folder)], env={"LANG": "es_ES.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LC_MESSAGES": None}
    )
    assert result.exit_code == 11  # a bad post bundle (docs/cli.md)
    assert "línea 5: 'audiense' no es un campo de aquí. ¿Quiso decir 'audience'?" in result.output
    english = CliRunner().invoke(
        main, ["check", str(folder)], env={"LANG": "C.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LC_MESSAGES": None}
    )
    assert "line 5: 'audiense' is not a field here" in english.output


def test_risk_reasons_are_words_and_the_figures_are_only_in_the_details(tmp_path):
    from safepost.flows.post import _details, _factors

    policy = Policy(context=Restrictiveness.OBSTRUCTED)
    meta = PostMeta(platforms=["instagram"], audience="public")
    risk = assess(Exposure("P-1", {"face", "name"}), meta, policy, live=True, location=False)
    factors = _factors([], [risk], live=True, policy=policy)
    top = factors[0]
    assert "likelihood" not in top and "thresholds" not in top and "civic space:" not in top
    assert top.startswith("Most at risk: P-1. ") and "they can be recognised by their face and their name" in top
    assert "the authorities often get in the way of protests, organising and speaking out" in top
    assert (risk.likelihood, risk.impact) == (4, 3) and "The risk to them is high" in top
    details = " ".join(_details([risk], policy))
    assert (
        "likelihood 4 of 5 x impact 3 of 5 = 12 of 25" in details and "6 or more Medium and 12 or more High" in details
    )
    spanish = said(top, "es")
    assert "Su riesgo es alto" in spanish and "su cara y su nombre" in spanish and "ponen trabas" in spanish


def test_every_step_of_the_civic_space_scale_is_explained_in_both_languages():
    for value in Restrictiveness:
        words = CIVIC_SPACE_WORDS[value.value]
        assert words.startswith("where they live") and value.value not in words
        assert Phrase(words).say("es").startswith("donde viven")


def test_every_phrase_in_the_code_has_a_spanish_translation():
    import ast

    spanish = _catalogue("es")
    missing = []
    for path in (ROOT / "src" / "safepost").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Phrase" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in spanish:
                    missing.append(f"{path.name}: {first.value}")
    assert not missing, missing


def _jpeg_with_xmp(path: Path, city: str) -> Path:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'photoshop:City="{city}"/></rdf:RDF></x:xmpmeta>'
    )
    Image.open(SAMPLES / "astronaut.jpg").save(path, xmp=xmp.encode())
    return path


def test_inspect_says_which_city_and_not_a_bare_label(tmp_path):
    photo = _jpeg_with_xmp(tmp_path / "a.jpg", "Caracas")
    result = CliRunner().invoke(main, ["inspect", str(photo)])
    assert "Place names in XMP: Caracas" in result.output
    empty = _jpeg_with_xmp(tmp_path / "b.jpg", "")
    result = CliRunner().invoke(main, ["inspect", str(empty)])
    assert "Place names" not in result.output


def _video(path: Path, sound: bool) -> Path:
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=12)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = out.add_stream("aac", rate=16000) if sound else None
        if audio is not None:
            audio.layout = "mono"
        for _ in range(3):
            out.mux(video.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        out.mux(video.encode(None))
        if audio is not None:
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 16000
            out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
    return path


def test_a_batch_of_silent_videos_says_nothing_about_sound(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _video(folder / "silent.mp4", sound=False)
    shutil.copy(SAMPLES / "astronaut.jpg", folder / "a.jpg")
    assert _videos_with_sound(folder) == 0
    _video(folder / "loud.mp4", sound=True)
    assert _videos_with_sound(folder) == 1


def test_a_phrase_is_a_plain_string_for_json_and_joins():
    import json

    phrase = Phrase("they are a child")
    assert json.loads(json.dumps({"why": phrase})) == {"why": "they are a child"}
    assert "; ".join([phrase, "x"]) == "they are a child; x"
    assert isinstance(io.StringIO(phrase).read(), str)


def test_inspect_speaks_spanish_and_its_json_keeps_english_kinds(tmp_path):
    """`safepost inspect` of a photo with GPS and a video: titles, reasons, fix and labels follow the
    locale; the JSON keys and kinds stay English (issue 23)."""
    import json

    from tests.media.test_clean_inspect import _exif_with_everything, _phone_video

    photo = tmp_path / "gps.jpg"
    Image.new("RGB", (64, 48), "green").save(photo, exif=_exif_with_everything().tobytes(), comment=b"meet at 6")
    video = tmp_path / "clip.mp4"
    _phone_video(video)
    spanish = {"LANG": "es_ES.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LC_MESSAGES": None}
    result = CliRunner().invoke(main, ["inspect", str(photo), str(video)], env=spanish)
    text = result.output
    assert result.exit_code == 0, text
    assert "(foto) revela:" in text and "(vídeo) revela:" in text
    assert "ALTO   Posición GPS donde se tomó la foto: -33.450000, -70.666667" in text
    assert "MEDIO  Marca de la cámara o del teléfono: Acme" in text and "Número de serie de la cámara" in text
    assert "Lugar donde se grabó el vídeo: +48.8584+002.2945/" in text and "Nombre en la etiqueta 'artist'" in text
    assert "Solución: Ejecute `safepost clean`" in text
    for english in ("reveals", "GPS position", "Camera or phone", "Fix:", "HIGH", "Location where", "Name in tag"):
        assert english not in text
    found = json.loads(CliRunner().invoke(main, ["inspect", "--json", str(photo)], env=spanish).stdout)
    (item,) = found if isinstance(found, list) else [found]
    gps = next(f for f in item["findings"] if f["kind"] == "location")
    assert gps["severity"] == "high" and gps["title"] == "Posición GPS donde se tomó la foto"
    assert "Quien reciba el archivo puede ver dónde se tomó" in gps["why"]


def test_every_metadata_title_and_reason_has_a_spanish_translation():
    from safepost.media import image_meta, pdf_meta, video_meta

    spanish = _catalogue("es")
    words = [t for _, _, t in image_meta._TAGS] + [t for _, _, t in image_meta._XMP_PATTERNS]
    words += [t for _, t in pdf_meta._INFO.values()]
    for module in (image_meta, pdf_meta, video_meta):
        words += [*module._WHY.values(), module.FIX]
    assert [w for w in words if w not in spanish] == []


def test_every_name_form_and_the_demo_have_spanish_words(tmp_path, monkeypatch):
    """`safepost demo` under a Spanish locale says every line in Spanish (English: tests/cli/test_cli.py)."""
    from safepost.demo import run_demo
    from safepost.words import NAME_FORM_WORDS, name_form

    spanish = _catalogue("es")
    assert [w for w in NAME_FORM_WORDS.values() if w not in spanish] == []
    assert name_form("full").say("es") == "el nombre completo" and name_form("odd") == "odd"
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    said_lines: list[str] = []
    run_demo(tmp_path / "demo", echo=lambda line: said_lines.append(str(line)))
    text = "\n".join(said_lines)
    assert "astronaut.jpg: 1 cara(s) encontrada(s) y enmascarada(s) -> " in text
    assert "metadatos antes: 4 etiqueta(s) EXIF, posición GPS; después: 0 etiqueta(s) EXIF" in text
    assert "demo-post: BLOQUEADO" in text and "`safepost prepare`: BAJO" in text
    assert "(coincide como el nombre completo)" in text and "Posición GPS donde se tomó la foto" in text
    for english in ("found and masked", "metadata before", "Post check of", "BLOCKED", "matched as", "safe bundle"):
        assert english not in text


def test_a_metadata_finding_of_the_post_check_is_said_again_in_spanish(tmp_path):
    """The web app says a report again in the page's language: the check's metadata findings keep the
    inspect phrases (title, value, reason) instead of freezing them into English text."""
    from safepost.decide.media import _metadata_finding
    from safepost.media.image_meta import inspect_image
    from tests.media.test_clean_inspect import _exif_with_everything

    photo = tmp_path / "gps.jpg"
    Image.new("RGB", (64, 48), "green").save(photo, exif=_exif_with_everything().tobytes())
    found = {f.kind: f.to_dict() for f in inspect_image(photo.name, photo.read_bytes())}
    finding = _metadata_finding("gps.jpg", found["location"])
    assert finding.title == "GPS position where the photo was taken: -33.450000, -70.666667"
    assert said(finding.title, "es") == "Posición GPS donde se tomó la foto: -33.450000, -70.666667"
    assert said(finding.why, "es").startswith("Quien reciba el archivo puede ver dónde se tomó")
