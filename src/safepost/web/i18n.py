"""English and Spanish for the web pages.

A message id is the English text (``_("Unlock")``); Spanish lives in the gettext catalogue
``locale/es/LC_MESSAGES/web.po``, read at run time with Babel (no compile step). An untranslated
message shows in English. Add a language: copy the catalogue, translate, add it to :data:`LANGS`.
"""

from __future__ import annotations

from collections.abc import Callable

from safepost.i18n import read_catalogue

LANGS: dict[str, str] = {"en": "English", "es": "Español"}
DOMAIN = "web"

Translator = Callable[..., str]


def catalogue(lang: str) -> dict[str, str]:
    """Translated messages of ``lang`` (empty for English); fuzzy and empty entries left out."""
    if lang not in LANGS or lang == "en":
        return {}
    return read_catalogue("safepost.web", lang, DOMAIN)


def translator(lang: str) -> Translator:
    """``_(message, **values)``: the message in ``lang`` with ``{name}`` placeholders filled in."""
    messages = catalogue(lang)

    def translate(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return translate


def pick_lang(cookie: str | None, accept_language: str | None, default: str = "en") -> str:
    """The cookie's language, else the browser's first supported one, else ``default``."""
    if cookie in LANGS:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGS:
            return code
    return default
