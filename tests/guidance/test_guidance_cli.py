"""safepost assess / exposure / guide / kit: files written, exit codes, languages, bad input."""

from __future__ import annotations

import json
import os
from datetime import date

import pypdfium2 as pdfium
import pytest
import yaml
from click.testing import CliRunner

from safepost.cli import main
from safepost.decide.policy import load_policy
from safepost.guidance.plan import REVIEW_MONTHS, add_months

ANSWERS = {
    "scope": "organisation",
    "organisation": "Colectivo Norte",
    "protect": ["people_shown", "locations"],
    "adversaries": [{"who": "police", "capability": "high", "intent": "high", "watches": "facebook, x"}],
    "likelihood": "high",
    "impact": "high",
    "context": "obstructed",
    "uses": ["whatsapp", "android"],
    "events": True,
    "high_approvers": ["Coordinator"],
}


def run(*args, env=None, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], env={"LANG": "C", "LC_ALL": "", **(env or {})}, input=input)


@pytest.fixture
def answers_file(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(ANSWERS, allow_unicode=True), encoding="utf-8")
    return path


def test_assess_from_answers_writes_plan_in_three_formats_and_the_policy(tmp_path, answers_file):
    out = tmp_path / "out"
    out.mkdir()
    result = run(
        "assess",
        "--answers",
        answers_file,
        "--lang",
        "es",
        "-o",
        out / "plan.md",
        "-o",
        out / "plan.html",
        "-o",
        out / "plan.pdf",
        "--policy-out",
        out / "policy.yaml",
    )
    assert result.exit_code == 0, result.output
    review = add_months(date.today(), REVIEW_MONTHS["high"]).isoformat()
    assert f"Revisa este plan antes del {review}" in (out / "plan.md").read_text(encoding="utf-8")
    html = (out / "plan.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and review in html
    pdf = (out / "plan.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert review in "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf))
    policy = load_policy(out / "policy.yaml")
    assert policy.organisation == "Colectivo Norte" and policy.threat_actors[0].watches == ["facebook", "x"]
    assert sorted(os.listdir(out)) == ["plan.html", "plan.md", "plan.pdf", "policy.yaml"]  # no temp files left
    assert (out / "plan.pdf").stat().st_mode & 0o077 == 0  # written private (0600)
    assert f"Nivel de riesgo Alto; revisa el plan antes del {review}" in result.stderr


def test_assess_prints_markdown_or_json_on_stdout(answers_file):
    md = run("assess", "--answers", answers_file)
    assert md.exit_code == 0 and md.stdout.startswith("# Security plan: Colectivo Norte")
    as_json = json.loads(run("assess", "--answers", answers_file, "--json").stdout)
    assert as_json["level"] == "high" and as_json["policy"]["thresholds"]["high"] < 12


@pytest.mark.parametrize(
    "content",
    [
        "protect: [people_shown\n",
        "just a string\n",
        "protect: [people_shown]\nadversaries: []\nlikelihood: low\nimpact: low\n",
        "protect: [people_shown]\nadversaries: [{who: x}]\nlikelihood: low\nimpact: low\nfoo: 1\n",
    ],
)
def test_bad_answers_exit_3_and_write_nothing(tmp_path, content):
    path = tmp_path / "answers.yaml"
    path.write_text(content, encoding="utf-8")
    result = run(
        "assess",
        "--answers",
        path,
        "-o",
        tmp_path / "plan.md",
        "--policy-out",
        tmp_path / "policy.yaml",
        "--save-answers",
        tmp_path / "saved.yaml",
    )
    assert result.exit_code == 3, result.output
    assert "error:" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["answers.yaml"]
    assert run("kit", "guidelines", "--answers", path).exit_code == 3


def test_assess_usage_errors_exit_2_and_write_nothing(tmp_path, answers_file):
    person = tmp_path / "person.yaml"
    person.write_text(yaml.safe_dump({**ANSWERS, "scope": "person"}), encoding="utf-8")
    refused = run("assess", "--answers", person, "-o", tmp_path / "plan.md", "--policy-out", tmp_path / "p.yaml")
    assert refused.exit_code == 2 and "organisation" in refused.stderr
    assert run("assess", "--answers", answers_file, "-o", tmp_path / "plan.docx").exit_code == 2
    before = answers_file.read_bytes()
    assert (
        run(
            "assess", "--answers", answers_file, "-o", answers_file.with_suffix(".md"), "--save-answers", answers_file
        ).exit_code
        == 2
    )
    assert answers_file.read_bytes() == before
    assert run("assess", "--answers", answers_file, "--lang", "fr").exit_code == 2
    assert sorted(os.listdir(tmp_path)) == ["answers.yaml", "person.yaml"]


def test_assess_into_a_missing_folder_exits_7(tmp_path, answers_file):
    result = run("assess", "--answers", answers_file, "-o", tmp_path / "nowhere" / "plan.md")
    assert result.exit_code == 7 and "does not exist" in result.stderr


def test_interactive_assess_asks_every_question_and_saves_the_answers(tmp_path):
    # scope: me; protect 1,3; adversary: state security, capability high, intent medium, watches (default: all);
    # no other adversary; likelihood medium, impact high; context, skills, time, support: defaults;
    # uses: signal, android; posts people (default yes), events yes, then four defaults; review months: by level.
    typed = "1\n1,3\n1\n3\n2\n\nn\n2\n3\n\n\n\n\n9,11\n\ny\n\n\n\n\n\n"
    saved = tmp_path / "saved.yaml"
    result = run("assess", "--save-answers", saved, input=typed)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Security plan: personal")
    assert "What do you want to protect?" in result.stderr  # questions go to stderr, the plan to stdout
    answers = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert answers["protect"] == ["people_shown", "contacts"] and answers["uses"] == ["signal", "android"]
    assert answers["adversaries"] == [
        {"who": "state_security", "capability": "high", "intent": "medium", "watches": ["*"]}
    ]
    assert answers["events"] is True and answers["context"] == "obstructed" and "organisation" not in answers
    again = run("assess", "--answers", saved)
    assert again.exit_code == 0 and again.stdout == result.stdout


def test_interactive_assess_in_spanish_from_the_locale(tmp_path):
    result = run("assess", env={"LANG": "es_MX.UTF-8"}, input="1\n1\n1\n\n\n\nn\n1\n1\n\n\n\n\n\n\n\n\n\n\n\n\n")
    assert result.exit_code == 0, result.output
    assert "¿Qué quieres proteger?" in result.stderr and result.stdout.startswith("# Plan de seguridad: personal")


def test_exposure_orders_by_impact_and_rejects_unknown_names():
    result = run("exposure", "--uses", "signal,facebook-groups,whatsapp", "--format", "json")
    assert result.exit_code == 0
    services = json.loads(result.stdout)["services"]
    assert [s["id"] for s in services][-1] == "signal"
    assert [(s["impact"]) for s in services] == sorted((s["impact"] for s in services), reverse=True)
    bad = run("exposure", "--uses", "whatsapp,myspace")
    assert bad.exit_code == 2 and "myspace" in bad.stderr and "facebook-groups" in bad.stderr
    assert run("exposure", "--uses", "signal", "--level", "extreme").exit_code == 2
    assert run("exposure").exit_code == 2
    assert run("exposure", "--uses", "signal", "--format", "pdf").exit_code == 2  # PDF needs --output
    spanish = run("exposure", "--uses", "telegram", "--level", "high", "--lang", "es")
    assert "Consejos para riesgo alto" in spanish.stdout and "Chat secreto" in spanish.stdout


def test_guide_and_kit_commands(tmp_path, answers_file):
    guide = run("guide", "anonymous-accounts", "--lang", "es")
    assert guide.exit_code == 0 and guide.stdout.startswith("# Para quienes llevan cuentas con otro nombre")
    assert run("guide", "donors").exit_code == 2
    pdf = tmp_path / "encryption.pdf"
    assert run("guide", "encryption", "--format", "pdf", "-o", pdf).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    event = run("kit", "event", "--format", "html")
    assert event.exit_code == 0 and "Chatham House" in event.stdout and 'class="checklist"' in event.stdout
    rules = run("kit", "guidelines", "--answers", answers_file, "--lang", "en")
    assert rules.exit_code == 0 and "# Social-media guidelines: Colectivo Norte" in rules.stdout
    assert "## Events" in rules.stdout and "(Coordinator)" in rules.stdout
    assert run("kit", "guidelines").exit_code == 2
    assert run("kit", "guidelines", "--answers", tmp_path / "missing.yaml").exit_code == 3
