"""The report as Markdown, for a ticket, a wiki page or an email to the second reviewer."""

from __future__ import annotations

from safepost.core.report import PostReport
from safepost.report import LEVEL_WORDS


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(report: PostReport) -> str:
    lines = [f"# Post check: {report.level.upper()}", "", f"**{LEVEL_WORDS[report.level]}**", ""]
    lines += [f"- {_cell(factor)}" for factor in report.factors]
    if report.details:
        lines += ["", "<details><summary>Details</summary>", ""] + [f"- {_cell(d)}" for d in report.details]
        lines += ["", "</details>"]
    lines += ["", f"Planned publication: {report.publish_at or 'not set'}"]
    if report.safe_after:
        lines.append(f"Safe to post after: {report.safe_after}")
    lines += ["", "## Findings", ""]
    if not report.findings:
        lines.append("Nothing found.")
    else:
        lines += ["| | severity | where | what | why | fix |", "| --- | --- | --- | --- | --- | --- |"]
        for f in report.findings:
            mark = "BLOCKS" if f.blocks else ""
            where = f.where + (f" {f.region}" if f.region else "")
            lines.append(
                f"| {mark} | {f.severity} | {_cell(where)} | {_cell(f.title)} | {_cell(f.why)} | {_cell(f.fix)} |"
            )
    lines += [
        "",
        "## People",
        "",
        "| who | shown by | likelihood | impact | score | why |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in report.people:
        shown = ", ".join(p.identifiers) or "-"
        lines.append(
            f"| {_cell(p.who)} | {shown} | {p.likelihood} | {p.impact} | {p.score} | {_cell('; '.join(p.reasons))} |"
        )
    for m in report.media:
        masked = sum(1 for r in m.regions if r.decision == "mask")
        kept = [r for r in m.regions if r.decision == "keep"]
        lines += [
            "",
            f"### {m.name}",
            "",
            f"{m.kind}, {m.width}x{m.height}: {masked} region(s) masked, {len(kept)} kept.",
        ]
        lines += [f"- {r.id} ({r.kind}) kept: {r.reason}" for r in kept]
    return "\n".join(lines) + "\n"
