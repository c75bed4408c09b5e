"""Post check reports (P4): JSON, Markdown, self-contained HTML, and the terminal.

render_report(report, "html", before={name: jpeg}, after={name: jpeg})
"""

from __future__ import annotations

import base64
import json

from safepost.core.report import PostReport
from safepost.words import say

FORMATS = ("json", "md", "html")
#: Each level and severity in words, as ids of the plain-words catalogue (said in the report's language).
LEVEL_NAMES = {"low": "Low", "medium": "Medium", "high": "High", "blocked": "Blocked"}
SEVERITY_NAMES = {"info": "info", "low": "low", "medium": "medium", "high": "high"}
LEVEL_WORDS = {
    "low": "Low: safe to publish as it is",
    "medium": "Medium: publish with care after the fixes below",
    "high": "High: a second reviewer must approve, after the fixes below",
    "blocked": "Blocked: must not be published as it is",
}


def level_words(level: str, lang: str | None = None) -> str:
    """What a level means, in ``lang`` (the environment's language by default)."""
    return say(LEVEL_WORDS[level], lang)


def severity_word(severity: str, lang: str | None = None) -> str:
    return say(SEVERITY_NAMES.get(str(severity), str(severity)), lang)


def render_report(
    report: PostReport, fmt: str, before: dict[str, bytes] | None = None, after: dict[str, bytes] | None = None
) -> str:
    """The report as text in ``fmt`` (json, md or html). Pictures are JPEG bytes by media name."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "md":
        from safepost.report.markdown import markdown_report

        return markdown_report(report)
    if fmt == "html":
        from safepost.report.html import html_report

        return html_report(report, _data_uris(before), _data_uris(after))
    raise ValueError(f"unknown report format {fmt!r}; choose {', '.join(FORMATS)}")


def _data_uris(pictures: dict[str, bytes] | None) -> dict[str, str]:
    return {n: "data:image/jpeg;base64," + base64.b64encode(d).decode() for n, d in (pictures or {}).items()}
