"""Batch runs over folders, local or on Dask: ``safepost batch IN_DIR -o OUT_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from safepost.anonymize.spec import REVERSIBLE_STYLES, SHAPES, STYLES
from safepost.cli import STYLE_HELP, _fail, _progress, audio_option, echo_json, main, say, warn
from safepost.core import SafepostError
from safepost.detect.recipes import MODES


class _Bar:
    """The rich progress bar (with time left) fed by the batch run, at a terminal only."""

    def __init__(self) -> None:
        self._context = None
        self._bar = None
        self._task = None

    def start(self, total: int) -> None:
        self._context = _progress(total)
        self._bar = self._context.__enter__()
        if self._bar is not None:
            self._task = self._bar.add_task("anonymising", total=total)

    def item(self, entry, reused: bool) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = self._bar = None


@main.command("batch")
@click.argument("in_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (new, empty, or one an earlier run of the same batch wrote: the run resumes).",
)
@click.option("--mode", type=click.Choice(list(MODES)), default="thorough", show_default=True)
@click.option("--style", type=click.Choice(STYLES), default="solid", show_default=True, help=STYLE_HELP)
@click.option("--shape", type=click.Choice(SHAPES), default="ellipse", show_default=True)
@audio_option
@click.option("--workers", type=click.IntRange(1, 512), default=1, show_default=True, help="Local worker processes.")
@click.option(
    "--dask",
    "dask_address",
    metavar="local|ADDRESS",
    help="Run on Dask: 'local' starts a cluster on 127.0.0.1 (--workers processes); an address such as "
    "tcp://10.0.0.5:8786 uses an existing scheduler whose workers see IN_DIR and OUT_DIR at the same paths.",
)
@click.option(
    "--retries", type=click.IntRange(0, 10), default=2, show_default=True, help="Tries again after a lost worker."
)
@click.option(
    "--vault",
    is_flag=True,
    help="Store each original in the workspace's encrypted vault first, with its SHA-256 and where it came from.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def batch(in_dir, out_dir, mode, style, shape, audio, workers, dask_address, retries, vault, as_json) -> None:
    """Anonymise every photo, video and PDF in IN_DIR into a mirrored tree in OUT_DIR.

    Writes OUT_DIR/manifest.jsonl (one line per file). Run the same command again after a
    crash or Ctrl-C: finished files are checked by SHA-256 and skipped. Exit status 15 when
    some files failed (listed at the end and in the manifest). See docs/batch.md.
    """
    from safepost.batch import Options, run_batch
    from safepost.cli.workspace import open_workspace

    options = Options(mode=mode, style=style, shape=shape, audio=audio)
    if style in REVERSIBLE_STYLES:
        warn(f"'{style}' masks can be reversed; faces may be recovered.")
    if audio == "keep":
        voiced = _videos_with_sound(in_dir)
        if voiced:
            warn(
                f"{voiced} video(s) have sound, kept as it is: voices can identify people "
                "(use --audio disguise or --audio drop)."
            )
    bar = _Bar()
    workspace = None
    try:
        workspace = open_workspace() if vault else None
        summary = run_batch(
            in_dir,
            out_dir,
            options=options,
            workers=workers,
            dask=dask_address,
            retries=retries,
            workspace=workspace,
            reporter=bar,
        )
    except SafepostError as exc:
        bar.close()
        if workspace is not None:
            workspace.close()
            workspace = None
        if as_json:
            echo_json({"error": str(exc), "exit_code": exc.exit_code})
        _fail(str(exc), exc.exit_code)
    finally:
        bar.close()
        if workspace is not None:
            workspace.close()
    _report(summary, as_json)
    sys.exit(summary.exit_code)


def _report(summary, as_json: bool) -> None:
    if as_json:
        echo_json(summary.to_dict())
    if summary.removed_partials:
        say(f"removed {summary.removed_partials} unfinished file(s) left by an interrupted run")
    for skip in summary.skips[:20]:
        say(f"skipped: {skip['input']}: {skip['reason']}")
    for failure in summary.failures[:20]:
        say(f"{failure['input']}: {failure['error']}", click.style("failed: ", fg="red", bold=True))
    hidden = max(len(summary.failures) - 20, 0) + max(len(summary.skips) - 20, 0)
    if hidden:
        say(f"... and {hidden} more in the manifest")
    say(
        f"{summary.done} anonymised, {summary.reused} already done, {summary.failed} failed, "
        f"{summary.skipped} skipped, in {summary.seconds:.1f} s ({summary.files_per_second:.2f} files/s, "
        f"{summary.runner}, {summary.workers} worker(s)); manifest: {summary.out_dir / 'manifest.jsonl'}"
    )


def _videos_with_sound(in_dir: Path) -> int:
    """How many videos under ``in_dir`` have a sound track (a video that cannot be read counts: fail closed)."""
    from safepost.batch.discovery import discover
    from safepost.cli.media import _has_sound

    try:
        items = discover(Path(in_dir))
    except (OSError, SafepostError):
        return 0  # the run itself reports the folder's problem
    return sum(1 for item in items if item.family == "video" and item.status is None and _has_sound(item.path))
