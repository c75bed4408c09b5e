"""The report as one self-contained HTML file: no external files, pictures inlined."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from safepost.core.report import PostReport
from safepost.i18n import locale_lang
from safepost.report import LEVEL_NAMES, level_words, severity_word
from safepost.words import say

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


def html_report(report: PostReport, before: dict[str, str], after: dict[str, str]) -> str:
    template = _ENV.get_template("report.html")
    lang = locale_lang()
    return template.render(
        report=report,
        lang=lang,
        level=say(LEVEL_NAMES[report.level], lang).upper(),
        level_words=level_words(report.level, lang),
        severity=lambda s: severity_word(s, lang),
        t=lambda message, **values: say(message, lang, **values),
        before=before,
        after=after,
    )
