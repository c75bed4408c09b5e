"""Audit an account archive export: ``safepost audit-archive EXPORT [-o REPORT]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from safepost.cli import _fail, _progress, echo_json, main, say, warn
from safepost.core import SafepostError


def _maybe_workspace(skip: bool):
    """The unlocked workspace, or None (with a warning) when there is none or it is skipped."""
    from safepost.cli.workspace import _workspace_path, open_workspace
    from safepost.workspace.keys import KEY_FILE

    if skip:
        warn("--no-workspace: registry names are not checked and the audit cannot resume if interrupted")
        return None
    folder = _workspace_path()
    if not (folder / KEY_FILE).is_file():
        warn(
            f"no workspace at {folder}: registry names are not checked and the audit cannot resume if interrupted "
            "(create one with `safepost init`)"
        )
        return None
    return open_workspace()


class _Bar:
    """A progress callback drawing one bar per phase at a terminal (nothing otherwise)."""

    def __init__(self, bar) -> None:
        self.bar, self.tasks = bar, {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.bar is None or total < 50:
            return
        if phase not in self.tasks:
            label = "text items" if phase == "text" else "photos and videos"
            self.tasks[phase] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[phase], completed=done)


def _print_summary(report, top: int) -> None:
    s = report.summary
    export = report.export
    from safepost.archive.coverage import line

    say(f"{export['name']}: {export['format_title']}, {s['items']} items")
    if report.coverage:
        say(f"  coverage: {line(report.coverage)}")
    if report.platform_data:
        say(
            f"  the platform holds {len(report.platform_data)} record(s) about you that no post shows "
            "(upload IPs, devices): see the report"
        )
    say(
        f"  high {s['levels']['high']}, medium {s['levels']['medium']}, low {s['levels']['low']}; "
        f"{s['with_faces']} with faces, {s['with_gps']} with an exact position"
    )
    for note in report.notes:
        say(f"  note: {note}")
    for rank, item in enumerate(report.items[:top], start=1):
        why = max(item.reasons + item.media_reasons, key=lambda r: r.points)
        todo = item.actions[0]["action"] if item.actions else ""
        say(f"  {rank:>3}. [{item.level} {item.score}] {(item.date or '')[:10]} {item.where}: {why.why} -> {todo}")


@main.command("audit-archive")
@click.argument("export", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here (.html, .json or .csv).")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv"]), help="Report format (default: from -o).")
@click.option("--force", is_flag=True, help="Replace the report file if it exists.")
@click.option(
    "--affiliations",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file of keywords, hashtags, accounts and groups that reveal an affiliation in your context.",
)
@click.option("--purpose", default="advocacy", show_default=True, help="Purpose consents are checked for.")
@click.option("--no-media", is_flag=True, help="Skip photos and videos (faster; faces and GPS in files stay unknown).")
@click.option("--no-thumbnails", is_flag=True, help="Leave pictures out of the HTML report.")
@click.option("--no-workspace", is_flag=True, help="Do not open the workspace (no registry names, no resume).")
@click.option("--restart", is_flag=True, help="Forget the saved progress of an interrupted audit of this export.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="Items listed on the terminal.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON on standard output.")
def audit_archive_command(
    export: Path,
    output: Path | None,
    fmt: str | None,
    force: bool,
    affiliations: Path | None,
    purpose: str,
    no_media: bool,
    no_thumbnails: bool,
    no_workspace: bool,
    restart: bool,
    top: int,
    as_json: bool,
) -> None:
    """Rank what EXPORT (an X, Facebook, Instagram, WhatsApp or Telegram export, zip or folder) reveals.

    Nothing leaves this computer and no media is unpacked to disk. Interrupted audits resume
    when a workspace is open.
    """
    from safepost.archive import load_affiliations, write_report
    from safepost.archive.render import format_for
    from safepost.flows.archive import AuditOptions, audit_archive, forget_progress

    ws = None
    try:
        if output is not None:
            format_for(output, fmt)
            if output.exists() and not force:
                _fail(f"{output} already exists; use --force to replace it", 7)
        options = AuditOptions(
            affiliations=load_affiliations(affiliations),
            media=not no_media,
            thumbnails=not no_thumbnails,
            purpose=purpose,
        )
        ws = _maybe_workspace(no_workspace)
        with _progress(100) as bar:
            report = audit_archive(export, workspace=ws, options=options, progress=_Bar(bar), keep_state=True)
        if output is not None:
            written = write_report(report, output, fmt, force=force)
            warn(f"{written} lists sensitive findings (names, places, numbers): keep it encrypted, delete it after use")
        if ws is not None and report.resume_key:
            forget_progress(ws, report.resume_key)
    except SafepostError as exc:
        if as_json:
            echo_json({"error": str(exc), "exit_code": exc.exit_code})
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        resume = "run the same command again to resume" if ws is not None else "no workspace, so it cannot resume"
        _fail(f"audit interrupted; {resume}", 130)
    finally:
        if ws is not None:
            ws.close()
    if as_json:
        echo_json(report.to_dict())
    else:
        _print_summary(report, top)
    sys.stdout.flush()
