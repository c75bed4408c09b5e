"""Gettext catalogues read at run time with Babel (no compile step), shared by every translated part."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib import resources

from safepost.core import SafepostError

#: Supported languages; the first is the source language and the fallback of locale detection.
LANGS: tuple[str, ...] = ("en", "es")


def locale_lang(environ: Mapping[str, str] | None = None) -> str:
    """The first supported language of the locale variables, in gettext's order (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG; ``es_MX.UTF-8`` and ``es:en`` count as Spanish); English otherwise."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        for entry in value.split(":"):
            code = entry.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            if code in LANGS:
                return code
        if value and name != "LANGUAGE":  # the first locale variable that is set decides
            break
    return LANGS[0]


@cache
def read_catalogue(package: str, lang: str, domain: str) -> dict[str, str]:
    """``package``'s ``locale/LANG/LC_MESSAGES/DOMAIN.po`` as {English id: translation}.

    Fuzzy and untranslated entries are left out, so they show in English.
    """
    from babel.messages.pofile import read_po

    path = resources.files(package).joinpath("locale", lang, "LC_MESSAGES", f"{domain}.po")
    try:
        with path.open("rb") as stream:
            catalog = read_po(stream, locale=lang, domain=domain)
    except (OSError, ValueError) as exc:
        raise SafepostError(f"the {lang} translation of {package} is missing or damaged ({exc}); reinstall") from exc
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}
