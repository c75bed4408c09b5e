"""The post check's Markdown, terminal, JSON and HTML reports say what the report holds (core types in,
text out): the level in words, every finding with where, why and fix, the people, the media."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from safepost.core import Finding, Region
from safepost.core.report import MediaReport, PersonRisk, PostReport
from safepost.report import LEVEL_WORDS, render_report
from safepost.report.terminal import print_report


@pytest.fixture
def report() -> PostReport:
    findings = [
        Finding(
            "face_without_consent",
            "high",
            "Face f2 of Bruno | no consent",
            "A face identifies a person.",
            "prepare masks it.",
            where="march.jpg",
            region="f2",
            fixed_by_prepare=True,
        ),
        Finding(
            "chatham_house_name",
            "high",
            "A speaker is named",
            "The forum is under Chatham House.",
            "Remove the name.",
            blocks=True,
        ),  # fmt: skip
    ]
    region = Region.of_box("f1", "face", [1, 2, 30, 40], decision="keep", person="P-1", reason="consent covers")
    region.thumbnail = "SECRET-FACE-PIXELS"
    media = [MediaReport("march.jpg", "image", 640, 480, [region, Region.of_box("f2", "face", [50, 50, 90, 90])])]
    people = [PersonRisk("P-2", ["face"], 4, 3, ["shown without consent"])]
    return PostReport("blocked", 12, ["a speaker is named"], findings, media, people, publish_at="2026-12-01T15:00:00Z")


def test_markdown_report_content(report):
    text = render_report(report, "md")
    assert text.startswith("# Post check: BLOCKED\n") and f"**{LEVEL_WORDS['blocked']}**" in text
    assert (
        "| BLOCKS | high | text | A speaker is named | The forum is under Chatham House. | Remove the name. |" in text
    )
    assert "|  | high | march.jpg f2 | Face f2 of Bruno \\| no consent |" in text  # a | in a cell is escaped
    assert "| P-2 | face | 4 | 3 | 12 | shown without consent |" in text
    assert "image, 640x480: 1 region(s) masked, 1 kept." in text and "- f1 (face) kept: consent covers" in text
    assert "Planned publication: 2026-12-01T15:00:00Z" in text
    assert "SECRET-FACE-PIXELS" not in text


def test_terminal_report_content(report):
    out = io.StringIO()
    print_report(report, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert text.splitlines()[0].strip() == LEVEL_WORDS["blocked"]
    assert "• a speaker is named" in text
    assert "BLOCKS" in text and "Remove the name." in text
    assert "prepare masks it. (prepare does this)" in text and "march.jpg f2" in text
    assert "SECRET-FACE-PIXELS" not in text


def test_json_and_html_reports_hold_the_findings_but_no_face_pixels(report):
    data = json.loads(render_report(report, "json"))
    assert data["level"] == "blocked" and [f["kind"] for f in data["findings"]] == [
        "face_without_consent",
        "chatham_house_name",
    ]
    assert data["people"][0]["score"] == 12
    html = render_report(report, "html")
    assert "A speaker is named" in html and "Remove the name." in html
    assert "SECRET-FACE-PIXELS" not in json.dumps(data) + html
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(report, "pdf")
