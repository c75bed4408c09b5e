"""Jinja2 pages and fragments, in the reader's language, with the session's CSRF token."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from safepost.web.i18n import LANGS, pick_lang, translator
from safepost.web.sessions import LANG_COOKIE
from safepost.words import said


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("safepost.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline"] = inline_markup
    return env


def inline_markup(text: str) -> Markup:
    """Guidance texts' ``**bold**`` and ```code``` as HTML; everything else escaped."""
    from safepost.guidance.doc import spans

    out = []
    for span in spans(str(text)):
        piece = escape(span.text)
        if span.code:
            piece = Markup("<code>") + piece + Markup("</code>")
        if span.bold:
            piece = Markup("<strong>") + piece + Markup("</strong>")
        out.append(piece)
    return Markup("").join(out)


def lang_of(request: Request) -> str:
    state = request.app.state.web
    return pick_lang(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), state.config.default_lang
    )


def is_hx(request: Request) -> bool:
    """Whether the page's own script sent this request (it swaps the answer into the page)."""
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for this request (language, CSRF token, whether a session is unlocked)."""
    state = request.app.state.web
    session = context.pop("session", None) or getattr(request.state, "session", None)
    lang = lang_of(request)
    values = {
        "_": translator(lang),
        "lang": lang,
        "langs": LANGS,
        "said": said,
        "path": request.url.path,
        "csrf": session.csrf if session is not None else context.pop("pre_csrf", ""),
        "unlocked": session is not None,
        "idle_minutes": max(1, round(state.config.idle_lock_s / 60)),
        "messages": [],
        **context,
    }
    html = state.templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def redirect(request: Request, url: str) -> Response:
    """Go to ``url``: an ``HX-Redirect`` for the page's script, a 303 for a plain form."""
    if is_hx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
