"""The risk level and every finding's title, why and fix follow the language, in each report (issue 23, item 3):
the terminal, Markdown and HTML reports of `safepost check` under a Spanish locale, and the web app's report."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.core import Finding
from safepost.core.report import PostReport
from safepost.post import new_post
from safepost.report import render_report
from safepost.words import Phrase, said
from safepost.workspace import KdfParams, Workspace
from tests.conftest import SAMPLES

PASS = "correct horse battery staple"
SPANISH = {"LANG": "es_ES.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LC_MESSAGES": None}
ENGLISH = {"LANG": "C.UTF-8", "LC_ALL": None, "LANGUAGE": None, "LC_MESSAGES": None}


@pytest.fixture(scope="module")
def post(tmp_path_factory):
    """A workspace and a post: a face nobody consented to show, and a phone number in the text."""
    root = tmp_path_factory.mktemp("spanish")
    Workspace.create(root / "ws", PASS, kdf=KdfParams.insecure_fast()).close()
    bundle = root / "bundle"
    new_post(bundle)
    Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((320, 320)).save(bundle / "march.jpg")
    (bundle / "post.txt").write_text("Call us on +1 202 555 0143.\n")
    meta = yaml.safe_load((bundle / "post.yaml").read_text())
    meta.update(media=["march.jpg"], platforms=["instagram"], audience="public", publish_at="2026-12-20T10:00:00Z")
    (bundle / "post.yaml").write_text(yaml.safe_dump(meta))
    return {"bundle": bundle, "env": {"SAFEPOST_WORKSPACE": str(root / "ws"), "SAFEPOST_PASSPHRASE": PASS}}


def _check(post, language, *args):
    env = {**post["env"], **language, "COLUMNS": "400"}  # one table row per finding
    result = CliRunner().invoke(main, ["check", str(post["bundle"]), *args], env=env)
    assert result.exit_code == 3, result.output  # Blocked: the stranger's face
    return result.stdout


def test_terminal_report_in_spanish(post):
    text = " ".join(_check(post, SPANISH).split())  # the table folds long cells over lines
    assert "Bloqueado: no debe publicarse tal como está" in text
    assert "La cara f1 es reconocible y no está vinculada al consentimiento de nadie" in text
    assert "prepare la enmascara." in text and "Número de teléfono: +1 202 555 0143" in text
    assert "(prepare lo hace)" in text and "No debe publicarse tal como está por: una cara sin consentimiento." in text
    for english in ("is recognisable", "Phone number", "must not be published", "prepare masks it", "without consent"):
        assert english not in text


def test_markdown_and_html_reports_in_spanish(post):
    md = _check(post, SPANISH, "--format", "md")
    assert md.startswith("# Revisión de la publicación: BLOQUEADO\n")
    assert "**Bloqueado: no debe publicarse tal como está**" in md and "## Hallazgos" in md
    assert "| La cara f1 es reconocible y no está vinculada al consentimiento de nadie |" in md
    assert "Una cara reconocible sin consentimiento puede hacer que una persona sea identificada" in md
    assert "| alto |" in md and "Publicación prevista: 2026-12-20" in md
    assert "Un número de teléfono llega directamente a una persona" in md  # the text reader's reason, too
    html = _check(post, SPANISH, "--format", "html")
    assert '<html lang="es">' in html and "<h2>Hallazgos</h2>" in html and "Por qué importa" in html
    assert "Bloqueado: no debe publicarse tal como está" in html
    assert "La cara f1 es reconocible y no está vinculada al consentimiento de nadie" in html
    # the people and media parts too
    assert "## Personas" in md and "| Quién | Se le reconoce por | Probabilidad |" in md
    assert "foto, 320x320: 1 zona(s) cubierta(s), 0 visible(s)." in md
    assert "<h2>Personas</h2>" in html and "<h2>Fotos y vídeos</h2>" in html
    assert "foto, 320x320: 1 zona(s) cubierta(s)" in " ".join(html.split()) and "Hecho por safepost el" in html
    for english in ("is recognisable", "Why it matters", "Findings", "Post check", "People", "region(s)", "Made by"):
        assert english not in md and english not in html


def test_the_same_report_stays_english_under_an_english_locale(post):
    md = _check(post, ENGLISH, "--format", "md")
    assert md.startswith("# Post check: BLOCKED\n") and "**Blocked: must not be published as it is**" in md
    assert "| Face f1 is recognisable and nobody's consent is linked to it |" in md and "| high |" in md
    assert "Hallazgos" not in md


def test_every_word_said_from_a_table_has_its_spanish():
    """Words picked from a table at run time escape the scan of Phrase("...") in test_words: listed here."""
    from safepost.flows.post import BLOCK_WORDS
    from safepost.flows.recheck import _AREAS, _WHAT
    from safepost.report import LEVEL_NAMES, LEVEL_WORDS, SEVERITY_NAMES

    words = [*BLOCK_WORDS.values(), *LEVEL_NAMES.values(), *LEVEL_WORDS.values(), *SEVERITY_NAMES.values()]
    words += [w for pair in [*_WHAT.values(), _AREAS] for w in pair]
    untranslated = [w for w in words if Phrase(w).say("es") == w]
    assert untranslated == [], untranslated


def test_a_finding_is_said_again_in_the_language_of_the_reader():
    """The web app says each finding in the reader's language, whatever the server's (said at render time)."""
    finding = Finding(
        "face_without_consent",
        "high",
        Phrase("Face {region} is recognisable and nobody's consent is linked to it", region="f2"),
        Phrase("A recognisable face without consent can get a person identified, followed or arrested."),
        Phrase("prepare masks this face and the tag."),
    )
    assert said(finding.title, "es") == "La cara f2 es reconocible y no está vinculada al consentimiento de nadie"
    assert said(finding.fix, "es") == "prepare enmascara esta cara y el distintivo."
    assert said(finding.title, "en") == "Face f2 is recognisable and nobody's consent is linked to it"
    report = PostReport("high", 12, [], [finding], [], [])
    assert render_report(report, "json").count("Face f2 is recognisable") == 1  # the JSON keeps the words said


def test_web_report_page_in_spanish(tmp_path, crowd):
    pytest.importorskip("fastapi.testclient")
    from fastapi.testclient import TestClient

    from safepost.core.report import AnalysedMedia
    from safepost.decide.media import media_findings
    from tests.web.test_web_screens import new_post as web_post
    from tests.web.test_web_support import FakeChecker, csrf_of, make_app, make_workspace, unlock

    class WithFindings(FakeChecker):
        """The fake check, plus the product's own findings on what its media show."""

        def _analyse(self, ws, draft):
            report, pixels = super()._analyse(ws, draft)
            report.findings += media_findings([AnalysedMedia(m, pixels[m.name]) for m in report.media], False)
            return report, pixels

    folder = tmp_path / "ws"
    make_workspace(folder)
    with TestClient(make_app(folder, checker=WithFindings([list(b) for b in crowd[1]]))) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        client.cookies.set("safepost_lang", "es")
        draft = web_post(client, csrf, crowd)
        page = client.get(f"/posts/{draft}/report").text
        review = client.get(f"/posts/{draft}/review").text
    assert "La cara f1 es reconocible y no está vinculada al consentimiento de nadie" in page
    assert "Una cara reconocible sin consentimiento puede hacer que una persona sea identificada" in page
    assert "prepare la enmascara." in page and "prepare la enmascara." in review
    assert "is recognisable" not in page and "is recognisable" not in review


def test_the_people_rows_name_groups_and_identifiers_in_spanish(post):
    """Who a risk is about ("people not linked to a consent") and what shows them ("face") are words too."""
    md = _check(post, SPANISH, "--format", "md")
    assert "| personas sin vínculo con un consentimiento | cara |" in md
    assert "Quién corre más riesgo: personas sin vínculo con un consentimiento." in md
    html = " ".join(_check(post, SPANISH, "--format", "html").split())
    assert "<td>personas sin vínculo con un consentimiento</td><td>cara</td>" in html
    assert "people not linked" not in md and "people not linked" not in html
