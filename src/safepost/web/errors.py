"""Every failure becomes a clear page (or, for the page's script, a message) with a fitting status."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from safepost import core
from safepost.web.forms import CsrfError
from safepost.web.i18n import translator
from safepost.web.jobs import JobFailedError
from safepost.web.limits import RETRY_AFTER_S, BusyError
from safepost.web.render import is_hx, lang_of, render
from safepost.web.state import Locked

#: HTTP status per error class, most specific first.
STATUS: list[tuple[type[core.SafepostError], int]] = [
    (BusyError, 503),
    (JobFailedError, 422),
    (core.WrongPassphraseError, 401),
    (core.TooLargeError, 413),
    (core.UnsupportedFormatError, 415),
    (core.InputError, 400),
    (core.RegistryError, 400),
    (core.RegionsFileError, 400),
    (core.WorkspaceError, 503),
]


def status_for(exc: core.SafepostError) -> int:
    blocked = getattr(core, "PostBlockedError", None)
    if blocked is not None and isinstance(exc, blocked):
        return 409
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


def error_response(request: Request, status: int, message: str, problems: list[str] | None = None) -> Response:
    template = "_message.html" if is_hx(request) else "error.html"
    return render(request, template, status, error=message, problems=problems or [], code=status)


async def on_safepost_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, core.SafepostError)
    response = error_response(request, status_for(exc), str(exc), getattr(exc, "problems", None))
    if isinstance(exc, BusyError):
        response.headers["retry-after"] = str(RETRY_AFTER_S)
    return response


async def on_csrf_error(request: Request, exc: Exception) -> Response:
    _ = translator(lang_of(request))
    return error_response(
        request, 403, _("This form has expired or did not come from safepost. Reload the page and try again.")
    )


async def on_locked(request: Request, exc: Exception) -> Response:
    if is_hx(request):
        return Response(status_code=401, headers={"HX-Redirect": "/?locked=1"})
    return RedirectResponse("/?locked=1", status_code=303)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    _ = translator(lang_of(request))
    message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else _("This page does not exist.")
    if exc.status_code == 405:
        message = _("This address does not take that kind of request.")
    return error_response(request, exc.status_code, str(message))


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """A bug: a 500 page without details (the server log has them); nothing was produced."""
    _ = translator(lang_of(request))
    return error_response(
        request, 500, _("Internal error: {kind}. Nothing was produced. Please report this.", kind=type(exc).__name__)
    )


HANDLERS = {
    core.SafepostError: on_safepost_error,
    CsrfError: on_csrf_error,
    Locked: on_locked,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
