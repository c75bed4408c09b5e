"""Guidance (G1-G5): the knowledge base, both languages, the plan, exposure, guides and kits (Python API)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml

from safepost import guidance
from safepost.core import InputError
from safepost.decide.policy import Restrictiveness, Thresholds, load_policy
from safepost.guidance import answers as answers_mod
from safepost.guidance import i18n, kb
from safepost.guidance.doc import Doc, Items, Para, escape
from safepost.guidance.render import to_html, to_markdown

SRC = Path(__file__).resolve().parents[2] / "src" / "safepost"
SERVICES = {
    "facebook-pages",
    "facebook-groups",
    "x",
    "instagram",
    "tiktok",
    "youtube",
    "whatsapp",
    "telegram",
    "signal",
    "email",
    "android",
    "iphone",
    "laptop",
    "browser",
}
TODAY = date(2026, 11, 25)
ALIAS_BOMB = (
    b"a: &a [x, x, x, x, x, x, x, x]\n"
    + b"".join(f"{n}: &{n} [{', '.join(['*' + p] * 8)}]\n".encode() for p, n in zip("abc", "bcd", strict=True))
    + b"protect: *d\n"
)

ORG = {
    "scope": "organisation",
    "organisation": "Colectivo <script>alert(1)</script> **Norte**",
    "protect": ["people_shown", "contacts", "locations", "supporters"],
    "adversaries": [
        {"who": "state_security", "capability": "high", "intent": "medium", "watches": ["facebook", "x"]},
        {"who": "online_harassers", "capability": "medium", "intent": "high"},
    ],
    "likelihood": "medium",
    "impact": "high",
    "context": "repressed",
    "skills": "medium",
    "time": "low",
    "support": "peers",
    "uses": ["facebook-pages", "whatsapp", "android", "x"],
    "posts_people": True,
    "events": True,
    "live_posting": True,
    "third_party_content": True,
    "high_approvers": ["Director", "Security lead"],
    "purposes": ["advocacy", "reporting"],
    "on_site_hours": 12,
}
PERSON_LOW = {
    "protect": ["own_identity"],
    "adversaries": [{"who": "online_harassers", "capability": "low", "intent": "low"}],
    "likelihood": "low",
    "impact": "low",
    "context": "open",
}


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in doc)


def message_ids() -> dict[str, str]:
    """Every interface message of the guidance package and its CLI, as Babel extracts them."""
    from babel.messages.extract import extract_from_dir, extract_from_file

    keywords = {"_": None, "N_": None, "_h": None}
    found = {}
    for name, line, message, *_rest in extract_from_dir(
        str(SRC / "guidance"), method_map=[("**.py", "python")], keywords=keywords
    ):
        found.setdefault(message, f"{name}:{line}")
    for line, message, *_rest in extract_from_file("python", str(SRC / "cli" / "guidance.py"), keywords=keywords):
        found.setdefault(message, f"cli/guidance.py:{line}")
    return found


# -- knowledge base ----------------------------------------------------------------------------


def test_knowledge_base_validates_and_covers_g2_g3_g4():
    base = kb.load_all()  # validates every file against the schema (both languages, sources, levels)
    assert set(base.services) == SERVICES
    assert set(base.audiences) == set(guidance.AUDIENCES)
    for sid, service in base.services.items():
        kinds = {e.kind for e in service.exposes}
        assert kinds == {"traces", "metadata", "contacts", "visibility"}, sid
        assert any(s.level == "low" for s in service.settings), sid
        assert all(s.url.startswith("https://") for s in service.sources), sid
        assert service.tools and service.tips.high, sid
    assert len(base.event.sections) >= 5
    assert len(base.steps) >= 20 and len({s.id for s in base.steps}) == len(base.steps)


def test_knowledge_base_conditions_name_real_answers_and_services():
    base = kb.load_all()
    flags = {
        "posts_people",
        "events",
        "minors",
        "live_posting",
        "anonymous_accounts",
        "third_party_content",
        "low_capacity",
        "no_support",
        "closed_context",
        "capable_adversary",
    }
    conditions = [s.when for s in base.steps] + [r.when for sec in base.guidelines.sections for r in sec.rules]
    assert len(conditions) > 10 and any(when.flags for when in conditions)  # the loop below really checks some
    for when in conditions:
        assert set(when.flags) <= flags
        assert set(when.uses_any) <= SERVICES
        assert set(when.protect_any) <= set(answers_mod.PROTECT_KEYS)


def test_every_kb_text_exists_in_both_languages_and_is_translated():
    english, spanish = kb.load_kb("en"), kb.load_kb("es")
    assert english.services["signal"].settings[0].where.startswith("Settings")
    assert spanish.services["signal"].settings[0].where.startswith("Ajustes")

    def texts(node, out):
        if isinstance(node, dict):
            if set(node) == set(i18n.LANGS):
                out.append(node)
            else:
                for value in node.values():
                    texts(value, out)
        elif isinstance(node, list):
            for value in node:
                texts(value, out)
        return out

    everything = texts(kb.raw_data(), [])
    assert len(everything) > 500
    assert all(t["en"].strip() and t["es"].strip() for t in everything)
    same = [t["en"] for t in everything if t["en"] == t["es"]]
    assert len(same) < 0.05 * len(everything), same  # only product names may be equal


def test_kb_text_missing_a_language_is_refused():
    from pydantic import ValidationError

    from safepost.guidance.schema import Service, Text

    data = yaml.safe_load((SRC / "guidance" / "kb" / "services" / "signal.yaml").read_text(encoding="utf-8"))
    data["summary"] = {"en": "English only"}
    with pytest.raises(ValidationError, match="lacks es"):
        Service[Text].model_validate(data)
    data["summary"] = {"en": "Hi {name}", "es": "Hola"}
    with pytest.raises(ValidationError, match="placeholders differ"):
        Service[Text].model_validate(data)


# -- interface messages ------------------------------------------------------------------------


def test_every_interface_message_has_a_spanish_translation():
    from babel.messages.pofile import read_po

    ids = message_ids()
    assert len(ids) > 150
    spanish = i18n.catalogue("es")
    missing = {m: where for m, where in ids.items() if m not in spanish}
    assert not missing, f"add these to locale/es/LC_MESSAGES/safepost.po: {missing}"
    for message in ids:
        assert set(re.findall(r"\{\w*\}", message)) == set(re.findall(r"\{\w*\}", spanish[message])), message
    po = SRC / "guidance" / "locale" / "es" / "LC_MESSAGES" / "safepost.po"
    with po.open("rb") as stream:
        stale = [m.id for m in read_po(stream) if m.id and m.id not in ids]
    assert not stale, f"no longer used, remove from the catalogue: {stale}"


def test_language_detection_follows_gettext_order():
    assert i18n.detect_lang(environ={}) == "en"
    assert i18n.detect_lang(environ={"LANG": "es_MX.UTF-8"}) == "es"
    assert i18n.detect_lang(environ={"LANG": "es_ES.UTF-8", "LC_ALL": "C"}) == "en"
    assert i18n.detect_lang(environ={"LANGUAGE": "fr:es", "LANG": "en_US.UTF-8"}) == "es"
    assert i18n.detect_lang(environ={"LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.detect_lang("ES", environ={"LANG": "en_US"}) == "es"
    with pytest.raises(InputError, match="en, es"):
        i18n.detect_lang("de")


def test_questions_match_the_answers_schema_and_translate():
    ids = {q.id for q in guidance.QUESTIONS}
    assert ids == set(answers_mod.Answers.model_fields)
    uses = next(q for q in guidance.QUESTIONS if q.id == "uses")
    assert {o.value for o in uses.options} == SERVICES
    from safepost.guidance.questions import questions

    spanish = {q.id: q for q in questions("es")}
    assert spanish["protect"].text == "¿Qué quieres proteger?"
    assert spanish["adversaries"].fields[0].options[0].label.startswith("Servicios de seguridad")


# -- the plan ----------------------------------------------------------------------------------


def test_low_risk_person_gets_a_short_plan_reviewed_in_a_year():
    plan = guidance.assess(PERSON_LOW, "en", today=TODAY)
    assert (plan.level, plan.score, plan.policy) == ("low", 1, None)
    assert plan.review_by == date(2027, 11, 25)
    ids = [s.id for s in plan.steps]
    assert "lock-devices" in ids and "spyware" not in ids and "second-reviewer" not in ids
    assert [s.when for s in plan.steps][:3] == ["now"] * 3  # low capacity: three steps this week


def test_capable_adversary_and_closed_context_raise_the_level():
    answers = dict(PERSON_LOW, adversaries=[{"who": "police", "capability": "high", "intent": "high"}])
    plan = guidance.assess(answers, "en", today=TODAY)
    assert plan.likelihood == "high" and plan.level == "medium"  # 3 x 1: likelihood raised, impact low
    assert any("raised" in r for r in plan.reasons)
    closed = guidance.assess(dict(answers, context="closed"), "en", today=TODAY)
    assert closed.level == "high" and closed.review_by == date(2027, 2, 25)
    assert "assume-watched" in [s.id for s in closed.steps]


def test_review_months_may_only_bring_the_review_closer():
    assert guidance.assess(dict(PERSON_LOW, review_months=2), "en", today=TODAY).review_by == date(2027, 1, 25)
    assert guidance.assess(dict(PERSON_LOW, review_months=12), "en", today=TODAY).review_by == date(2027, 11, 25)


def test_steps_are_ordered_by_impact_then_effort():
    plan = guidance.assess(ORG, "en", today=TODAY)
    keys = [(-s.impact, ["low", "medium", "high"].index(s.effort)) for s in plan.steps]
    assert keys == sorted(keys)
    assert plan.level == "high" and len(plan.services) == 4
    assert {"event-kit", "live-delay", "third-party", "second-reviewer"} <= {s.id for s in plan.steps}


def test_plan_renders_markdown_html_pdf_with_the_review_date(monkeypatch):
    plan = guidance.assess(ORG, "es", today=TODAY)
    md = guidance.render_plan(plan, "md")
    assert "Revisa este plan antes del 2027-02-25" in md and "# Plan de seguridad" in md
    assert "<script>" not in md and r"\*\*Norte\*\*" in md

    html = guidance.render_plan(plan, "html")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="es">' in html
    assert "<script" not in html and "&lt;script&gt;" in html and "**Norte**" in html
    assert not re.search(r"""(src|href)\s*=|<link|@import|url\(""", html)  # self-contained, nothing fetched
    assert "2027-02-25" in html

    pdf = guidance.render_plan(plan, "pdf")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Revisa este plan antes del 2027-02-25" in text and "Intención" in text

    from safepost.guidance import pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "FONT_DIRS", ())  # CI without fonts-dejavu: fpdf2's built-in Helvetica
    core = guidance.render_plan(plan, "pdf")
    assert b"DejaVu" not in core
    core_text = pdf_text(core)
    assert "Revisa este plan antes del 2027-02-25" in core_text and "¿Quién" not in core_text
    assert "Dónde pedir ayuda" in core_text


def test_organisation_plan_gives_a_policy_the_post_check_loads(tmp_path):
    plan = guidance.assess(ORG, "en", today=TODAY)
    path = tmp_path / "policy.yaml"
    path.write_text(plan.policy.to_yaml(), encoding="utf-8")
    policy = load_policy(path)
    assert policy.context == Restrictiveness.REPRESSED
    assert [a.name for a in policy.threat_actors] == [
        "State security or intelligence services",
        "Online harassers, trolls or extremist groups",
    ]
    assert policy.threat_actors[0].watches == ["facebook", "x"]
    default = Thresholds()
    assert (policy.thresholds.medium, policy.thresholds.high) == (default.medium - 2, default.high - 2)
    assert policy.high_approvers == ["Director", "Security lead"] and policy.on_site_hours == 12
    medium = guidance.assess(dict(ORG, context="open", impact="medium", adversaries=[{"who": "police"}]), "en")
    assert medium.level == "medium" and medium.policy.thresholds == default


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"protect: [people_shown\nadversaries: [", "not valid YAML"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"", "must be a mapping"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (yaml.safe_dump(dict(PERSON_LOW, protet=["x"])).encode(), "protet"),
        (yaml.safe_dump(dict(PERSON_LOW, protect=["everything"])).encode(), "unknown value"),
        (yaml.safe_dump(dict(PERSON_LOW, likelihood="certain")).encode(), "likelihood"),
        (yaml.safe_dump(dict(PERSON_LOW, adversaries=[])).encode(), "adversaries"),
        (yaml.safe_dump(dict(PERSON_LOW, uses=["myspace"])).encode(), "unknown service"),
        (yaml.safe_dump(dict(PERSON_LOW, on_site_hours=500)).encode(), "on_site_hours"),
        (b"x: " + b"a" * (300 * 1024), "too large"),
        (b"protect: " + b"[" * 60000 + b"]" * 60000, "nested too deeply"),
        (ALIAS_BOMB, "not valid"),  # refused, never expanded
    ],
)
def test_bad_answers_files_are_clear_input_errors(tmp_path, content, problem):
    path = tmp_path / "answers.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem):
        guidance.load_answers(path)


def test_missing_answers_file_and_bad_api_arguments():
    with pytest.raises(InputError, match="cannot read"):
        guidance.load_answers("/nonexistent/answers.yaml")
    with pytest.raises(InputError, match="impact"):
        guidance.assess({k: v for k, v in PERSON_LOW.items() if k != "impact"}, "en")
    with pytest.raises(InputError, match="unsupported language"):
        guidance.assess(PERSON_LOW, "fr")
    with pytest.raises(InputError, match="format"):
        guidance.render_plan(guidance.assess(PERSON_LOW, "en"), "docx")


# -- exposure ----------------------------------------------------------------------------------


def test_exposure_is_ordered_by_impact_and_filtered_by_level():
    report = guidance.exposure(["signal", "facebook-groups", "whatsapp", "android"], "low", "en")
    impacts = [(a.impact, sum(e.impact**2 for e in a.exposes)) for a in report.services]
    assert impacts == sorted(impacts, reverse=True)
    assert report.services[-1].id == "signal"  # encrypted, little metadata: the least revealing here
    for advice in report.services:
        assert [e.impact for e in advice.exposes] == sorted((e.impact for e in advice.exposes), reverse=True)
        assert all(s.level == "low" for s in advice.settings)
        assert list(advice.tips) == ["low"]
    assert [u.impact for u in report.urgent] == sorted((u.impact for u in report.urgent), reverse=True)
    assert len({u.service for u in report.urgent[:4]}) == 4  # every service's top setting comes first

    high = guidance.exposure("whatsapp", "high", "es")
    assert list(high.services[0].tips) == ["low", "medium", "high"]
    assert any("Proteger la dirección IP" in s.where for s in high.services[0].settings)


def test_exposure_accepts_aliases_and_names_valid_ids_for_unknown_ones():
    report = guidance.exposure("Twitter, gmail,ios,x", "medium", "en")
    assert sorted(a.id for a in report.services) == ["email", "iphone", "x"]
    with pytest.raises(InputError, match="unknown service or device: myspace.*facebook-groups"):
        guidance.exposure(["signal", "myspace"], "medium", "en")
    with pytest.raises(InputError, match="at least one"):
        guidance.exposure(" , ", "medium", "en")
    with pytest.raises(InputError, match="risk level"):
        guidance.exposure(["signal"], "extreme", "en")


def test_exposure_renders_in_every_format():
    report = guidance.exposure(["telegram", "x"], "medium", "es")
    import json

    data = json.loads(guidance.render_exposure(report, "json"))
    assert data["services"][0]["name"] in {"Telegram", "X (Twitter)"} and data["lang"] == "es"
    text = guidance.render_exposure(report, "text")
    assert "Lo que revelan tus servicios y dispositivos" in text and "**" not in text
    assert guidance.render_exposure(report, "pdf").startswith(b"%PDF")


# -- guides and kits ---------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["supporters", "participants", "staff", "anonymous-accounts", "encryption"])
def test_every_guide_exists_in_both_languages(audience):
    english, spanish = guidance.guide(audience, "en"), guidance.guide(audience, "es")
    assert english.startswith("# ") and spanish.startswith("# ") and english != spanish
    assert english.count("\n## ") >= 4 and "## Sources" in english and "## Fuentes" in spanish


def test_unknown_audience_is_an_input_error():
    with pytest.raises(InputError, match="supporters"):
        guidance.guide("donors", "en")


def test_event_kit_is_a_checklist_with_the_key_practices():
    en, es = guidance.kit_event("en"), guidance.kit_event("es")
    for needle in (
        "Chatham House",
        "safepost badges",
        "no-photo zone",
        "registration",
        "Photographer briefing",
        "- [ ]",
    ):
        assert needle in en, needle
    assert "gafetes NO FOTO" in es and "zona sin fotos" in es


def test_guidelines_follow_the_answers():
    full = guidance.kit_guidelines(ORG, "en")
    assert "Colectivo &lt;script>" in full and "<script>" not in full
    assert "## Events" in full and "12 hours" in full and "(Director, Security lead)" in full
    assert "## At high risk" in full and "## Content filmed by others" in full
    quiet = guidance.kit_guidelines(dict(PERSON_LOW, scope="organisation", posts_people=False), "es")
    assert "## Eventos" not in quiet and "## En riesgo alto" not in quiet
    assert "nuestra organización" in quiet and "cualquier otra persona del equipo" in quiet
    assert "## Siempre" in quiet and "menores de 18" in quiet  # unconditional rules stay


# -- rendering ---------------------------------------------------------------------------------


def test_user_text_is_shown_literally_in_every_format():
    doc = Doc(title=f"Plan {escape('**bold** `x` <img src=x>')}", lang="en").add(
        Para("**ours** and `code`"), Items([escape("a\nb")])
    )
    md = to_markdown(doc)
    assert md.splitlines()[0] == r"# Plan \*\*bold\*\* \`x\` &lt;img src=x>"
    assert "- a b" in md
    html = to_html(doc)
    assert "<h1>Plan **bold** `x` &lt;img src=x&gt;</h1>" in html
    assert "<strong>ours</strong> and <code>code</code>" in html
