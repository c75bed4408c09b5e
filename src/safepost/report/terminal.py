"""The report at the terminal, with rich: the level first, then what to fix."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from safepost.core.report import PostReport
from safepost.report import LEVEL_WORDS
from safepost.words import Phrase

_STYLE = {"low": "bold green", "medium": "bold yellow", "high": "bold red", "blocked": "bold white on red"}


def print_report(report: PostReport, console: Console | None = None) -> None:
    console = console or Console(stderr=False)
    console.print(f"[{_STYLE[report.level]}] {LEVEL_WORDS[report.level]} [/]")
    for factor in report.factors:
        console.print(f"  • {factor}", highlight=False)
    if report.details:
        console.print(
            "  [dim]" + escape_markup(Phrase("Details:")) + " " + escape_markup(" ".join(report.details)) + "[/]",
            highlight=False,
        )
    if report.findings:
        table = Table(show_lines=False, expand=True)
        for column in ("", "where", "what", "fix"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            mark = "[red]BLOCKS[/]" if f.blocks else f.severity
            where = f.where + (f" {f.region}" if f.region else "")
            fix = f.fix + (" [dim](prepare does this)[/]" if f.fixed_by_prepare else "")
            table.add_row(mark, where, f.title, fix)
        console.print(table)
    else:
        console.print("Nothing found.")
