"""Languages: pick one (``--lang`` or the locale) and translate interface strings with Babel.

English is the source language: a message id *is* the English text. Other languages have a
gettext catalogue, ``locale/<lang>/LC_MESSAGES/safepost.po``, read at run time with Babel's
``read_po`` (no compile step, so a fresh ``pip install -e .`` works). Knowledge-base texts are not
here: they carry every language side by side in the YAML files (see ``schema.Text``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from safepost.core import InputError
from safepost.i18n import LANGS, locale_lang, read_catalogue

DOMAIN = "safepost"

Translator = Callable[[str], str]


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet (it is translated where shown)."""
    return message


def check_lang(lang: str) -> str:
    """``lang`` if supported, else an InputError that names the supported languages."""
    if lang not in LANGS:
        raise InputError(f"unsupported language {lang!r}; choose one of: {', '.join(LANGS)}")
    return lang


def detect_lang(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``explicit`` if given, else the first supported one in the locale.

    The variables are read in gettext's order (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); values such
    as ``es_MX.UTF-8`` or ``es:en`` count as Spanish. Anything else (``C``, ``POSIX``, unset) is English.
    """
    if explicit:
        return check_lang(explicit.lower())
    return locale_lang(environ)


def catalogue(lang: str) -> dict[str, str]:
    """The translated messages of ``lang`` (empty for English). Untranslated or fuzzy entries are left out."""
    check_lang(lang)
    if lang == LANGS[0]:
        return {}
    return read_catalogue("safepost.guidance", lang, DOMAIN)


def translator(lang: str) -> Translator:
    """A function that translates an English message id into ``lang`` (unknown ids stay English)."""
    messages = catalogue(lang)
    if not messages:
        return _identity
    return lambda message: messages.get(message, message)


def _identity(message: str) -> str:
    return message
