"""People, events and consents: add, import a CSV, grant, withdraw (with the takedown list), badges."""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from safepost.consent import events as events_api
from safepost.consent import people as people_api
from safepost.consent import publications as publications_api
from safepost.consent import registry
from safepost.core import RegistryError
from safepost.web.drafts import AUDIENCES
from safepost.web.forms import Form
from safepost.web.i18n import translator
from safepost.web.memory import badges_pdf
from safepost.web.render import lang_of, redirect, render
from safepost.web.state import require_session, session_form

router = APIRouter()
PERSON_ID = re.compile(r"^P-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")
CSV_TYPES = frozenset({"unknown"})  # a CSV is text: anything that sniffs as media is refused


def _person_id(value: str) -> str:
    if not PERSON_ID.match(value):
        raise HTTPException(404, "No such person.")
    return value


def _event_id(value: str) -> str:
    if not events_api.EVENT_ID.match(value):
        raise HTTPException(404, "No such event.")
    return value


def _overview(ws) -> dict:
    return {"people": people_api.list_people(ws), "events": events_api.list_events(ws)}


async def _people_page(request: Request, status: int = 200, **extra) -> Response:
    session = require_session(request)
    data = await session.worker.call(_overview)
    return render(
        request,
        "people.html",
        status,
        nav="people",
        documentation=events_api.DOCUMENTATION,
        **data,
        **extra,
    )


@router.get("/people")
async def people(request: Request) -> Response:
    return await _people_page(request)


@router.post("/people")
async def add_person(request: Request) -> Response:
    session = require_session(request)
    form = await session_form(request, session)
    person = await session.worker.call(
        people_api.add_person,
        form.get("display_name"),
        form.get("event") or None,
        aliases=form.get("aliases"),
        nicknames=form.get("nicknames"),
        handles=form.get("handles"),
        languages=form.get("languages"),
        is_minor=form.flag("is_minor"),
        guardian=form.get("guardian") or None,
        notes=form.get("notes"),
    )
    return redirect(request, f"/people/{person.id}")


@router.post("/events")
async def add_event(request: Request) -> Response:
    session = require_session(request)
    form = await session_form(request, session)
    await session.worker.call(
        events_api.add_event,
        form.get("event_id"),
        form.get("name"),
        starts_on=form.get("starts_on") or None,
        ends_on=form.get("ends_on") or None,
        place=form.get("place") or None,
        chatham_house=form.flag("chatham_house"),
        default_documentation=form.get("default_documentation") or "ask",
    )
    return redirect(request, "/people#events")


@router.post("/people/import")
async def import_csv(request: Request) -> Response:
    """Import a registration CSV (every row or none): it stays in memory, never on disk."""
    from safepost.consent.importer import import_people

    session = require_session(request)
    form = await session_form(request, session, files=True, families=CSV_TYPES)
    if len(form.files) != 1:
        raise RegistryError("Choose one CSV file to import.")
    upload = form.files[0]

    def run(ws):
        return import_people(ws, upload.data, recorded_by=session.actor or "web import")

    result = await session.worker.call(run)
    _ = translator(lang_of(request))
    return await _people_page(
        request,
        notice=_("{count} people imported.", count=len(result.people)),
        warnings=result.warnings,
    )


def _person_data(ws, person_id: str) -> dict:
    person, consents = registry.show(ws, person_id)
    return {
        "person": person,
        "consents": consents,
        "takedown": registry.takedown_list(ws, person_id),
        "events": events_api.list_events(ws),
    }


async def _person_page(request: Request, person_id: str, status: int = 200, **extra) -> Response:
    session = require_session(request)
    data = await session.worker.call(_person_data, _person_id(person_id))
    return render(
        request,
        "person.html",
        status,
        nav="people",
        uses=registry.USES,
        audiences=AUDIENCES,
        methods=registry.METHODS,
        **data,
        **extra,
    )


@router.get("/people/{person_id}")
async def person(request: Request, person_id: str) -> Response:
    return await _person_page(request, person_id)


def _scope(form: Form, name: str, default: list[str]) -> list[str]:
    values = form.getlist(name)
    return [v.strip().lower() for part in values for v in part.split(",") if v.strip()] or default


@router.post("/people/{person_id}/consents")
async def grant(request: Request, person_id: str) -> Response:
    session = require_session(request)
    pid = _person_id(person_id)
    form = await session_form(request, session)
    await session.worker.call(
        registry.grant,
        pid,
        form.get("use"),
        recorded_by=form.get("recorded_by") or session.actor or "web",
        method=form.get("method"),
        explained=form.get("explained"),
        event_id=form.get("event") or None,
        platforms=_scope(form, "platforms", ["*"]),
        audiences=form.getlist("audiences") or list(AUDIENCES),
        purposes=_scope(form, "purposes", ["*"]),
        language=form.get("language") or None,
        given_at=form.get("given_at") or None,
        expires_at=form.get("expires_at") or None,
        guardian_consent=form.flag("guardian_consent"),
    )
    _ = translator(lang_of(request))
    return await _person_page(request, pid, notice=_("Consent recorded."))


@router.post("/people/{person_id}/withdraw")
async def withdraw(request: Request, person_id: str) -> Response:
    """Withdraw consent and show what to take down, once the person at the screen has confirmed it."""
    session = require_session(request)
    pid = _person_id(person_id)
    form = await session_form(request, session)
    use, event = form.get("use") or "all", form.get("event") or None
    if form.get("confirm") != "yes":
        records, takedown = await session.worker.call(registry.withdraw_preview, pid, use, event)
        pending = {"use": use, "event": event or "", "records": records, "takedown": takedown}
        return await _person_page(request, pid, pending_withdrawal=pending)
    result = await session.worker.call(
        registry.withdraw,
        pid,
        use,
        event,
        recorded_by=session.actor or "web",
    )
    _ = translator(lang_of(request))
    return await _person_page(request, pid, notice=_("Consent withdrawn."), withdrawal=result)


#: where a publication form may send the reader back to (never an address from outside)
BACK = re.compile(r"^/(people/P-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}|posts/[A-Za-z0-9_-]{1,64}/report)$")


def _back(form: Form) -> str:
    back = form.get("back") or ""
    return back if BACK.match(back) else "/people"


def _publication_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise HTTPException(404, "No such publication.")
    return int(value)


@router.post("/publications/{publication_id}/url")
async def publication_url(request: Request, publication_id: str) -> Response:
    """Record where a published post is online (kept in the encrypted workspace only)."""
    session = require_session(request)
    pub = _publication_id(publication_id)
    form = await session_form(request, session)
    await session.worker.call(publications_api.record_url, pub, form.get("url") or "", actor=session.actor or "web")
    return redirect(request, _back(form))


@router.post("/publications/{publication_id}/taken-down")
async def publication_taken_down(request: Request, publication_id: str) -> Response:
    """Record that a published post is no longer online: it leaves the takedown lists."""
    session = require_session(request)
    pub = _publication_id(publication_id)
    form = await session_form(request, session)
    await session.worker.call(publications_api.mark_taken_down, pub, actor=session.actor or "web")
    return redirect(request, _back(form))


@router.get("/events/{event_id}/badges.pdf")
async def badges(request: Request, event_id: str) -> Response:
    """Printable name tags (NO PHOTO badges carry the marker), made in memory."""
    session = require_session(request)
    eid = _event_id(event_id)
    pdf, _count = await session.worker.call(badges_pdf, eid)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="badges-{eid}.pdf"'}
    )
