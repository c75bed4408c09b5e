"""Unlock, lock and language: the only routes that work without an unlocked session."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepost.core import WorkspaceError, WrongPassphraseError
from safepost.web import backoff
from safepost.web.forms import read_form
from safepost.web.i18n import LANGS, translator
from safepost.web.render import lang_of, redirect, render
from safepost.web.sessions import LANG_COOKIE, PRE_CSRF_COOKIE, SESSION_COOKIE, new_token
from safepost.web.state import Locked, require_session, web_state
from safepost.web.worker import WorkspaceWorker

router = APIRouter()
MAX_PASSPHRASE = 1024
COOKIE = {"httponly": True, "samesite": "strict", "path": "/"}


def _unlock_page(request: Request, status: int = 200, error: str = "", locked: bool = False) -> Response:
    token = request.cookies.get(PRE_CSRF_COOKIE) or new_token()
    response = render(
        request,
        "unlock.html",
        status,
        pre_csrf=token,
        error=error,
        locked=locked,
        workspace=str(web_state(request).config.workspace),
    )
    response.set_cookie(PRE_CSRF_COOKIE, token, **COOKIE)
    return response


@router.get("/")
async def home(request: Request) -> Response:
    try:
        require_session(request)
    except Locked:
        return _unlock_page(request, locked=request.query_params.get("locked") == "1")
    return RedirectResponse("/posts/new", status_code=303)


@router.post("/unlock")
async def unlock(request: Request) -> Response:
    state = web_state(request)
    expected = request.cookies.get(PRE_CSRF_COOKIE) or ""
    form = await read_form(
        request,
        csrf_ok=lambda token: bool(expected) and bool(token) and secrets.compare_digest(token, expected),
        max_bytes=state.config.max_form_bytes,
        max_field_bytes=MAX_PASSPHRASE,
    )
    passphrase = form.fields.get("passphrase", [""])[-1]
    actor = " ".join(form.get("actor").split())[:100] or None
    _ = translator(lang_of(request))
    if not passphrase:
        return _unlock_page(request, 400, _("Type the workspace passphrase."))
    async with state.unlock_lock:  # one attempt at a time: guessing in parallel gains nothing
        try:
            worker = await WorkspaceWorker.open(state.config.workspace, passphrase, actor=actor)
        except WrongPassphraseError:
            # Each wrong guess in a row doubles the wait (still one attempt at a time).
            state.unlock_failures.failed()
            await backoff.wait(state.unlock_failures.delay(state.config.unlock_delay_s))
            return _unlock_page(request, 401, _("Wrong passphrase. Nothing was opened; try again."))
        except WorkspaceError as exc:
            return _unlock_page(request, 503, _("The workspace cannot be opened: {reason}", reason=str(exc)))
        if state.unlock_failures.count:
            try:
                await worker.call(backoff.record, state.unlock_failures)
            except BaseException:
                worker.close()  # failures that cannot be audited keep the workspace locked
                raise
            state.unlock_failures.reset()
    session = state.sessions.create(worker, actor or "")
    request.state.session = session
    response = redirect(request, "/posts/new")
    response.set_cookie(SESSION_COOKIE, session.id, **COOKIE)
    response.delete_cookie(PRE_CSRF_COOKIE, **COOKIE)
    return response


@router.post("/lock")
async def lock(request: Request) -> Response:
    state = web_state(request)
    try:
        session = require_session(request)
    except Locked:
        return redirect(request, "/")
    await read_form(request, csrf_ok=session.check_csrf, max_bytes=state.config.max_form_bytes, max_field_bytes=1024)
    state.sessions.lock(session.id)
    request.state.session = None
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE, **COOKIE)
    return response


def _local_path(value: str | None) -> str:
    """``value`` if it is a path on this app (never another site), else ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


@router.get("/lang/{code}")
async def set_lang(request: Request, code: str) -> Response:
    response = RedirectResponse(_local_path(request.query_params.get("next")), status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, **COOKIE)
    return response
