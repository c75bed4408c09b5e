"""Gettext catalogues read at run time with Babel (no compile step), shared by every translated part."""

from __future__ import annotations

from functools import cache
from importlib import resources

from safepost.core import SafepostError


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
