"""What one app instance holds: settings, sessions, templates, the post checker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from starlette.requests import Request

from safepost.web.backoff import UnlockFailures
from safepost.web.checking import Checker
from safepost.web.config import WebConfig
from safepost.web.forms import MEDIA_FAMILIES, Form, read_form
from safepost.web.limits import CLAIM_KEY, Claim, UploadBudget
from safepost.web.sessions import SESSION_COOKIE, Session, SessionStore


class Locked(Exception):
    """No unlocked session for this request (never unlocked, locked, or idle too long)."""


@dataclass
class AppState:
    config: WebConfig
    sessions: SessionStore
    checker: Checker
    templates: Environment
    unlock_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    unlock_failures: UnlockFailures = field(default_factory=UnlockFailures)
    #: upload bytes held by all requests together (UploadBudgetMiddleware)
    uploads: UploadBudget | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def web_state(request: Request) -> AppState:
    return request.app.state.web


def require_session(request: Request) -> Session:
    """The request's unlocked session; :class:`Locked` when there is none."""
    session = web_state(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise Locked()
    request.state.session = session
    return session


async def session_form(
    request: Request, session: Session, *, files: bool = False, families: frozenset[str] | None = MEDIA_FAMILIES
) -> Form:
    """The request's form, after its CSRF token is checked against the session's."""
    config = web_state(request).config
    if files:
        return await read_form(
            request,
            csrf_ok=session.check_csrf,
            max_bytes=config.max_upload_bytes if families is not None else config.max_csv_bytes,
            max_field_bytes=config.max_form_bytes,
            max_files=config.max_files,
            families=families,
            claim=upload_claim(request),
        )
    return await read_form(
        request,
        csrf_ok=session.check_csrf,
        max_bytes=config.max_form_bytes,
        max_field_bytes=config.max_form_bytes,
        claim=upload_claim(request),
    )


def upload_claim(request: Request) -> Claim | None:
    """This request's share of the server's upload budget (UploadBudgetMiddleware gives it one)."""
    return request.scope.get("state", {}).get(CLAIM_KEY)
