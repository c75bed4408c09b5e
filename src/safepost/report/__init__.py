"""Post check reports (P4): JSON, Markdown, self-contained HTML, and the terminal.

render_report(report, "html", before={name: jpeg}, after={name: jpeg})
"""

from __future__ import annotations

import base64
import json

from safepost.core.report import PostReport

FORMATS = ("json", "md", "html")
LEVEL_WORDS = {
    "low": "Low: safe to publish as it is",
    "medium": "Medium: publish with care after the fixes below",
    "high": "High: a second reviewer must approve, after the fixes below",
    "blocked": "Blocked: must not be published as it is",
}


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
