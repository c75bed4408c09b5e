"""The report at the terminal, with rich: the level first, then what to fix."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from safepost.core.report import PostReport
from safepost.report import level_words, severity_word
from safepost.words import Phrase

_STYLE = {"low": "bold green", "medium": "bold yellow", "high": "bold red", "blocked": "bold white on red"}


def print_report(report: PostReport, console: Console | None = None) -> None:
    console = console or Console(stderr=False)
    console.print(f"[{_STYLE[report.level]}] {escape_markup(level_words(report.level))} [/]")
    for factor in report.factors:
        console.print(f"  • {factor}", highlight=False)
    if report.details:
        console.print(
            "  [dim]" + escape_markup(Phrase("Details:")) + " " + escape_markup(" ".join(report.details)) + "[/]",
            highlight=False,
        )
    if report.findings:
        table = Table(show_lines=False, expand=True)
        for column in ("", Phrase("where"), Phrase("what"), Phrase("fix")):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            mark = "[red]" + escape_markup(Phrase("BLOCKS")) + "[/]" if f.blocks else severity_word(f.severity)
            where = (Phrase("text") if f.where == "text" else f.where) + (f" {f.region}" if f.region else "")
            fix = escape_markup(f.fix)
            if f.fixed_by_prepare:
                fix += " [dim]" + escape_markup(Phrase("(prepare does this)")) + "[/]"
            table.add_row(mark, escape_markup(where), escape_markup(f.title), fix)
        console.print(table)
    else:
        console.print(Phrase("Nothing found."))
