"""Guidance: the self-assessment (a security plan), what services expose, the guides (G1-G4).

The questionnaire is rendered from ``safepost.guidance.questions`` and the results from the
guidance document model (``Doc``), so the web app shows exactly what the CLI prints.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from safepost.core import InputError
from safepost.web.forms import Form
from safepost.web.render import lang_of, render
from safepost.web.state import require_session, session_form

router = APIRouter(prefix="/guidance")
#: how many adversaries the form offers
ADVERSARY_SLOTS = 3
LEVELS = ("low", "medium", "high")


def _doc_view(doc) -> dict[str, Any]:
    from safepost.guidance.doc import Heading, Items, Para, Table

    kinds = {Heading: "heading", Para: "para", Items: "items", Table: "table"}
    return {"title": doc.title, "blocks": [(kinds[type(b)], b) for b in doc.blocks]}


def _overview(lang: str) -> dict[str, Any]:
    from safepost.guidance.i18n import translator
    from safepost.guidance.kb import AUDIENCES
    from safepost.guidance.questions import SERVICE_OPTIONS, questions

    _ = translator(lang)
    return {
        "questions": questions(lang),
        "services": [(o.value, _(o.label)) for o in SERVICE_OPTIONS],
        "audiences": AUDIENCES,
        "slots": range(ADVERSARY_SLOTS),
        "levels": LEVELS,
    }


@router.get("")
async def guidance_home(request: Request) -> Response:
    require_session(request)
    return render(request, "guidance.html", nav="guidance", **_overview(lang_of(request)))


def _answer(question, form: Form, name: str) -> Any:
    if question.kind == "multi":
        return form.getlist(name)
    if question.kind == "list":
        return [part.strip() for part in form.get(name).replace("\n", ",").split(",") if part.strip()]
    if question.kind == "bool":
        value = form.get(name)
        return question.default if value == "" else value == "yes"
    if question.kind == "int":
        value = form.get(name)
        if value == "":
            return question.default
        try:
            return int(value)
        except ValueError:
            raise InputError(f"'{value}' is not a whole number ({question.text}).") from None
    return form.get(name) or question.default


def answers_from_form(form: Form, questions) -> dict[str, Any]:
    """The answers dict of ``safepost.guidance`` from the questionnaire form."""
    answers: dict[str, Any] = {}
    for question in questions:
        if question.kind == "actors":
            actors = []
            for slot in range(ADVERSARY_SLOTS):
                prefix = f"{question.id}-{slot}-"
                if not form.get(prefix + "who"):
                    continue
                actors.append({f.id: _answer(f, form, prefix + f.id) for f in question.fields})
            answers[question.id] = actors
        else:
            value = _answer(question, form, question.id)
            if value is not None:
                answers[question.id] = value
    for question in questions:
        if not question.asked_for(answers.get("scope")):
            answers.pop(question.id, None)
    return answers


@router.post("/assess")
async def assess(request: Request) -> Response:
    from safepost.guidance.plan import assess as make_plan
    from safepost.guidance.plan import plan_doc
    from safepost.guidance.questions import QUESTIONS

    session = require_session(request)
    form = await session_form(request, session)
    lang = lang_of(request)
    plan = make_plan(answers_from_form(form, QUESTIONS), lang)
    session.scratch["plan"] = plan
    return render(request, "guidance_doc.html", nav="guidance", doc=_doc_view(plan_doc(plan)), pdf="/guidance/plan.pdf")


@router.get("/plan.pdf")
async def plan_pdf(request: Request) -> Response:
    from safepost.guidance.plan import render_plan

    session = require_session(request)
    plan = session.scratch.get("plan")
    if plan is None:
        raise HTTPException(404, "Answer the questions first.")
    return Response(
        render_plan(plan, "pdf"),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="security-plan.pdf"'},
    )


@router.post("/exposure")
async def exposure(request: Request) -> Response:
    from safepost.guidance.exposure import exposure as trace
    from safepost.guidance.exposure import exposure_doc

    session = require_session(request)
    form = await session_form(request, session)
    level = form.get("level") or "medium"
    report = trace(form.getlist("uses"), level, lang_of(request))
    return render(request, "guidance_doc.html", nav="guidance", doc=_doc_view(exposure_doc(report)))


@router.get("/guides/{audience}")
async def guide(request: Request, audience: str) -> Response:
    from safepost.guidance.guides import guide_doc, kit_event_doc
    from safepost.guidance.kb import AUDIENCES

    require_session(request)
    lang = lang_of(request)
    if audience == "event-checklist":
        doc = kit_event_doc(lang)
    elif audience in AUDIENCES:
        doc = guide_doc(audience, lang)
    else:
        raise HTTPException(404, "No such guide.")
    return render(request, "guidance_doc.html", nav="guidance", doc=_doc_view(doc))
