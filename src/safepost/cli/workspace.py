"""CLI commands for the encrypted workspace: init, passphrase, backup, restore, audit."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import click

from safepost.cli import _fail, echo, echo_json, escape, main, say, warn
from safepost.core import SafepostError
from safepost.words import audit_action


def _workspace_path() -> Path:
    """The workspace folder: --workspace, else $SAFEPOST_WORKSPACE, else the XDG default."""
    from safepost.workspace import default_workspace_path

    chosen = click.get_current_context().find_root().params.get("workspace_path")
    return Path(chosen).expanduser() if chosen else default_workspace_path()


def _ask_passphrase(text: str, confirm: bool) -> str:
    """A hidden prompt on a terminal; from a pipe, its next line(s), read without a prompt or a warning."""
    from safepost.core import WorkspaceError

    none_given = WorkspaceError(
        "no passphrase was given: run the command in a terminal and type it when asked, "
        "or set SAFEPOST_PASSPHRASE for scripts"
    )
    stdin = click.get_text_stream("stdin")
    if not stdin.isatty():  # getpass would warn that the input "may be echoed": there is no echo to hide
        answers = [stdin.readline().rstrip("\r\n") for _ in range(2 if confirm else 1)]
        if not answers[0]:
            raise none_given
        if confirm and answers[1] != answers[0]:
            raise WorkspaceError("the two passphrases differ")
        return answers[0]
    try:
        return click.prompt(text, hide_input=True, confirmation_prompt=confirm, err=True)
    except click.Abort:  # Ctrl-C at the prompt
        raise none_given from None


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
            echo_json({"error": str(exc), "exit_code": exc.exit_code})
        _fail(str(exc), exc.exit_code)


def _emit(as_json: bool, payload: dict, line: str) -> None:
    if as_json:
        echo_json(payload)
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
    """Check every database page, every vault file, and every audit entry's hash and link and its anchor."""
    from safepost.workspace.integrity import DAMAGED

    with _workspace_errors(as_json):
        ws = open_workspace()
        try:
            damage = ws.check_integrity()
            report = ws.verify_audit() if not damage else None
        finally:
            ws.close()
    if damage:
        if as_json:
            echo_json({"ok": False, "damage": damage, "exit_code": 9})
        for problem in damage:
            say(f"  {escape(problem)}")
        _fail(f"{DAMAGED} ({len(damage)} problem(s) in {ws.path})", 9)
    if as_json:
        echo_json(report.to_dict() | {"damage": []})
    if report.ok:
        if not as_json:
            say(
                f"workspace intact (every database page and vault file checked); audit log intact: "
                f"{report.entries} entries, head #{report.head_seq} {report.head_hash[:16]}"
            )
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
        echo_json(rows)
        return
    for row in rows:
        details = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        what = f"{audit_action(row['action'])} ({row['action']})"
        echo(f"{row['seq']:>6}  {row['at']}  {row['actor']}  {what}  {details}")


# -- people, events, consent, badges (issue #4) ----------------------------------------------------
