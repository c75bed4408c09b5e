"""English and Spanish for the web pages.

A message id is the English text (``_("Unlock")``); Spanish lives in the gettext catalogue
``locale/es/LC_MESSAGES/web.po``, read at run time with Babel (no compile step). An untranslated
message shows in English. Add a language: copy the catalogue, translate, add it to :data:`LANGS`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from safepost.core import SafepostError

LANGS: dict[str, str] = {"en": "English", "es": "Español"}
DOMAIN = "web"

Translator = Callable[..., str]


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Translated messages of ``lang`` (empty for English); fuzzy and empty entries left out."""
    if lang not in LANGS or lang == "en":
        return {}
    from babel.messages.pofile import read_po

    path = resources.files("safepost.web").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.po")
    try:
        with path.open("rb") as stream:
            catalog = read_po(stream, locale=lang, domain=DOMAIN)
    except (OSError, ValueError) as exc:
        raise SafepostError(f"the {lang} translation of the web app is missing or damaged ({exc}); reinstall") from exc
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


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
