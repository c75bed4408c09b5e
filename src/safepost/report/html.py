"""The report as one self-contained HTML file: no external files, pictures inlined."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from safepost.core.report import PostReport
from safepost.report import LEVEL_WORDS

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


def html_report(report: PostReport, before: dict[str, str], after: dict[str, str]) -> str:
    template = _ENV.get_template("report.html")
    return template.render(report=report, level_words=LEVEL_WORDS[report.level], before=before, after=after)
