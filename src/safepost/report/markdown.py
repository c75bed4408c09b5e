"""The report as Markdown, for a ticket, a wiki page or an email to the second reviewer."""

from __future__ import annotations

from safepost.core.report import PostReport
from safepost.report import LEVEL_NAMES, level_words, severity_word
from safepost.words import Phrase, say


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(report: PostReport) -> str:
    level = say(LEVEL_NAMES[report.level]).upper()
    lines = [f"# {Phrase('Post check: {level}', level=level)}", "", f"**{level_words(report.level)}**", ""]
    lines += [f"- {_cell(factor)}" for factor in report.factors]
    if report.details:
        lines += ["", f"<details><summary>{Phrase('Details')}</summary>", ""] + [
            f"- {_cell(d)}" for d in report.details
        ]
        lines += ["", "</details>"]
    lines += ["", Phrase("Planned publication: {when}", when=report.publish_at or Phrase("not set"))]
    if report.safe_after:
        lines.append(Phrase("Safe to post after: {when}", when=report.safe_after))
    lines += ["", f"## {Phrase('Findings')}", ""]
    if not report.findings:
        lines.append(Phrase("Nothing found."))
    else:
        heads = [Phrase(h) for h in ("severity", "where", "what", "why", "fix")]
        lines += ["| | " + " | ".join(heads) + " |", "| --- | --- | --- | --- | --- | --- |"]
        for f in report.findings:
            mark = Phrase("BLOCKS") if f.blocks else ""
            where = (Phrase("text") if f.where == "text" else f.where) + (f" {f.region}" if f.region else "")
            sev = severity_word(f.severity)
            lines.append(f"| {mark} | {sev} | {_cell(where)} | {_cell(f.title)} | {_cell(f.why)} | {_cell(f.fix)} |")
    heads = [Phrase(h) for h in ("Who", "Shown by", "Likelihood", "Impact", "Score", "Why")]
    lines += ["", f"## {Phrase('People')}", "", "| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    for p in report.people:
        shown = ", ".join(Phrase(i) for i in p.identifiers) or "-"
        who, why = _cell(Phrase(p.who)), _cell("; ".join(p.reasons))
        lines.append(f"| {who} | {shown} | {p.likelihood} | {p.impact} | {p.score} | {why} |")
    for m in report.media:
        masked = sum(1 for r in m.regions if r.decision == "mask")
        kept = [r for r in m.regions if r.decision == "keep"]
        counts = Phrase(
            "{kind}, {width}x{height}: {masked} region(s) masked, {kept} kept.",
            kind=Phrase(m.kind),
            width=m.width,
            height=m.height,
            masked=masked,
            kept=len(kept),
        )
        lines += ["", f"### {m.name}", "", counts]
        for r in kept:
            lines.append(f"- {Phrase('{id} ({kind}) kept: {reason}', id=r.id, kind=Phrase(r.kind), reason=r.reason)}")
    return "\n".join(lines) + "\n"
