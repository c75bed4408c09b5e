"""Command-line interface: a thin layer over the flows (safepost.flows).

Exit codes (also in docs/cli.md):
0 success; 1 unexpected internal error; 2 wrong usage; 3 unreadable input; 4 unsupported
format; 5 input too large; 6 face or text model failure; 7 output cannot be written;
8 malformed regions file (or unknown --ignore / --keep-track id); 9 workspace problem (missing,
damaged, altered, busy; audit log failed verification); 10 wrong passphrase; 12 invalid registry
request; 13 CSV import refused; 14 `prepare` refused (still Blocked, or High without approval);
15 `batch`: some files failed; 16 Dask cluster unreachable; 20 `consent check`: not allowed; 130
`audit-archive` interrupted. `check` exits with the post's level (0-3) and its errors with 11
(unreadable input), 64 (usage), 70 (internal). With several inputs, the code is that of the
first failure.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from safepost import __version__
from safepost.core import AUDIO_CHOICES, SafepostError
from safepost.termtext import escape, escape_lines, json_text

# Every printer below escapes what it prints (safepost.termtext): names of files, folders and
# registry entries never reach the terminal raw. Styles are added after escaping.


def say(message: str, label: str = "") -> None:
    """One line for the person at the terminal (standard error, so --json stays clean)."""
    click.echo(label + escape(message), err=True)


def warn(message: str) -> None:
    say(message, click.style("warning: ", fg="yellow", bold=True))


def error(message: str) -> None:
    say(message, click.style("error: ", fg="red", bold=True))


def echo(text: object = "", styled: str = "", nl: bool = True) -> None:
    """Text for standard output, escaped line by line (``styled``: an already-styled prefix)."""
    click.echo(styled + escape_lines(text), nl=nl)


def echo_json(data: object, indent: int | None = 2) -> None:
    """``data`` as JSON on standard output, with no raw control or bidi character."""
    click.echo(json_text(data, indent=indent))


STYLE_HELP = (
    "How faces are covered. solid (default), noise and mosaic never use the original pixels. "
    "blur and pixelate are REVERSIBLE: published attacks recover faces from them; use only when "
    "the person consented to being shown."
)


#: ``--audio`` of ``redact`` and ``batch``: one option, one help text.
audio_option = click.option(
    "--audio",
    type=click.Choice(AUDIO_CHOICES),
    default="keep",
    show_default=True,
    help="Video: keep the sound (voices identify people), drop it, or disguise voices (docs/voice.md).",
)


def output_option(raw: str | None, count: int) -> Path | None:
    """``-o`` as typed: a folder is made when it ends with a slash or there are several inputs."""
    if raw is None:
        return None
    path = Path(raw)
    if count > 1 or raw.endswith(("/", "\\")):
        if path.exists() and not path.is_dir():
            _fail(f"-o {raw} is a file; with several inputs, give a folder (it is made if it does not exist)", 2)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _fail(f"cannot make the folder {raw}: {exc.strerror or exc}", 7)
    return path


def working(message: str, quiet: bool = False):
    """A spinner with ``message`` and the time spent, on standard error at a terminal; silent otherwise."""
    if quiet or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message, spinner="dots")


def _fail(message: str, code: int) -> None:
    error(message)
    sys.exit(code)


def _progress(total: int):
    """A progress bar with time left on standard error, for several files at a terminal."""

    if total < 2 or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safepost")
@click.option(
    "--workspace",
    "workspace_path",
    type=click.Path(path_type=Path),
    help="Workspace folder (default: $SAFEPOST_WORKSPACE, else ~/.local/share/safepost/workspace).",
)
def main(workspace_path: Path | None) -> None:
    """safepost: check and anonymise media before it is posted. Everything runs offline."""


def _run_each(files, as_json: bool, work, describe) -> None:
    """Run ``work(file)`` on each file, print results, exit with the first failure's code.

    Every file is tried: an error in one (even an unexpected one, exit 1) does not stop the others.
    """
    results, first_error = [], 0
    with _progress(len(files)) as bar:
        task = bar.add_task("working", total=len(files)) if bar else None
        for file in files:
            try:
                result = work(file)
            except SafepostError as exc:
                error(str(exc))
                first_error = first_error or exc.exit_code
                results.append({"input": str(file), "error": str(exc), "exit_code": exc.exit_code})
            except Exception as exc:  # noqa: BLE001 - one file's crash must not stop the others
                message = f"{file}: internal error {type(exc).__name__}: {exc} (please report this)"
                error(message)
                first_error = first_error or 1
                results.append({"input": str(file), "error": message, "exit_code": 1})
            else:
                results.append(result.to_dict())
                if not as_json:
                    describe(file, result)
            if bar:
                bar.advance(task)
    if as_json:
        echo_json(results if len(results) > 1 else results[0])
    if first_error:
        sys.exit(first_error)


def run() -> None:
    """Entry point: an unexpected crash becomes one error line and exit code 1, never exit 0."""
    try:
        main(standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - last line of defence, reported to the user
        from safepost.workspace.integrity import DAMAGED, is_damage

        if is_damage(exc):
            error(f"{DAMAGED} ({exc})")
            sys.exit(9)
        say(f"{type(exc).__name__}: {exc} (please report this)", click.style("internal error: ", fg="red", bold=True))
        sys.exit(1)


# The commands live in one module per area; importing them registers them on ``main``.
from safepost.cli import archive, batch, guidance, media, post, registry, serve, workspace  # noqa: E402,F401
from safepost.cli.registry import CHECK_DENIED_EXIT  # noqa: E402,F401
from safepost.cli.workspace import open_workspace  # noqa: E402,F401
