"""Whole-workspace integrity: every database page (SQLCipher HMAC + SQLite structure) and the vault.

Damage found here, or a SQLite "corrupt" / "not a database" error met by any command, becomes a
:class:`~safepost.core.WorkspaceError` (exit 9) whose message starts with :data:`DAMAGED`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlcipher3

from safepost.core import WorkspaceError

if TYPE_CHECKING:
    from safepost.workspace.db import Workspace

DAMAGED = "the workspace is damaged: restore a backup"
# SQLITE_CORRUPT, SQLITE_NOTADB (and their extended codes, whose low byte is the primary code).
DAMAGE_CODES = {11, 26}
DAMAGE_WORDS = ("malformed", "not a database", "hmac", "corrupt")


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error that means the file itself is damaged."""
    if not isinstance(exc, sqlcipher3.dbapi2.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in DAMAGE_CODES:
        return True
    text = str(exc).lower()
    return any(word in text for word in DAMAGE_WORDS)


def damaged(where: object, detail: object = "") -> WorkspaceError:
    """The exit-9 error for a damaged workspace at ``where``."""
    suffix = f"; {detail}" if detail else ""
    return WorkspaceError(f"{DAMAGED} ({where}{suffix})")


def check(ws: Workspace) -> list[str]:
    """Every problem found in the database pages, its structure and the vault (empty: intact)."""
    problems = _database_problems(ws)
    if problems:
        return problems  # the vault records themselves cannot be trusted
    return _vault_problems(ws)


def _database_problems(ws: Workspace) -> list[str]:
    problems: list[str] = []
    with ws._lock:
        conn = ws._require_open()
        for pragma in ("cipher_integrity_check", "integrity_check", "foreign_key_check"):
            try:
                rows = [tuple(row) for row in conn.execute(f"PRAGMA {pragma}").fetchall()]
            except sqlcipher3.dbapi2.DatabaseError as exc:
                problems.append(f"database: {pragma} failed: {exc}")
                continue
            if pragma == "integrity_check":
                rows = [row for row in rows if row != ("ok",)]
            for row in rows[:20]:
                text = " ".join(str(cell) for cell in row).replace("\n", " ")
                problems.append(f"database: {pragma}: {text}")
    return problems


def _vault_problems(ws: Workspace) -> list[str]:
    problems = []
    try:
        records = ws.vault.list()
    except WorkspaceError as exc:
        return [f"vault: {exc}"]
    for record in records:
        try:
            for _ in ws.vault.open(record.id):
                pass
        except WorkspaceError as exc:
            problems.append(f"vault: {exc}")
    return problems
