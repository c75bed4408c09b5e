"""The workspace: a folder holding an SQLCipher 4 database, ``workspace.json`` and the vault.

Opening derives the passphrase key (argon2id), unwraps the root key, opens the database with
its raw sub-key, proves it with a real read and checks every page's HMAC (damage is exit 9,
"the workspace is damaged: restore a backup"). Nothing on disk changes before that succeeds.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlcipher3

from safepost.core import WorkspaceError
from safepost.workspace import audit as audit_chain
from safepost.workspace.integrity import damaged, is_damage
from safepost.workspace.keys import (
    FORMAT,
    VERSION,
    KdfParams,
    KeyFile,
    WorkspaceKeys,
    check_new_passphrase,
    unwrap_root,
    wrap_root,
)
from safepost.workspace.schema import MIGRATIONS

DB_FILE = "workspace.db"
VAULT_DIR = "vault"
WORKSPACE_ENV = "SAFEPOST_WORKSPACE"
ACTOR_ENV = "SAFEPOST_ACTOR"
BUSY_TIMEOUT_S = 10.0

Connection = sqlcipher3.dbapi2.Connection
Row = sqlcipher3.dbapi2.Row
DatabaseError = sqlcipher3.dbapi2.DatabaseError


def default_workspace_path() -> Path:
    """``$SAFEPOST_WORKSPACE``, else ``$XDG_DATA_HOME/safepost/workspace`` (``~/.local/share/...``)."""
    explicit = os.environ.get(WORKSPACE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "safepost" / "workspace"


def default_actor() -> str:
    """Who the audit log names: ``$SAFEPOST_ACTOR``, else the login name."""
    name = os.environ.get(ACTOR_ENV)
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _split_sql(script: str) -> list[str]:
    """Complete statements of ``script`` (triggers and string literals kept whole)."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:80]}")
    return statements


def _has_code(sql: str) -> bool:
    """Whether ``sql`` holds more than ``--`` comments, blanks and semicolons."""
    return any(line.split("--", 1)[0].strip(" \t\r;") for line in sql.splitlines())


def _params(data: dict) -> dict:
    """The KDF parameters of a key file, without the salt, for the audit log."""
    return {k: v for k, v in data["kdf"].items() if k != "salt"}


def _db_error(path: Path, exc: Exception) -> WorkspaceError:
    if is_damage(exc):
        return damaged(path, exc)
    text = str(exc)
    if "locked" in text or "busy" in text:
        return WorkspaceError(f"the workspace at {path} is busy (another safepost is writing); try again")
    return WorkspaceError(f"the workspace database at {path} failed: {text}")


class Workspace:
    """An open, unlocked workspace. Use :meth:`create` or :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, data: dict, root: bytes, conn: Connection, actor: str) -> None:
        from safepost.workspace.vault import Vault

        self.path = path
        self.id: str = data["id"]
        self.actor = actor
        self.conn = conn
        self._keyfile = KeyFile(path)
        self._root = root
        self._keys = WorkspaceKeys.from_root(root)
        self._lock = threading.RLock()
        self._depth = 0
        self._audited = 0
        self._changes_at_begin = 0
        self.vault = Vault(self, path / VAULT_DIR, self._keys.vault)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str] | None,
        passphrase: str,
        kdf: KdfParams | None = None,
        actor: str | None = None,
    ) -> Workspace:
        """Make a new workspace in ``path`` (absent or an empty folder) locked by ``passphrase``."""
        folder = Path(path).expanduser() if path is not None else default_workspace_path()
        cls.check_new_location(folder)
        check_new_passphrase(passphrase)
        kdf = kdf or KdfParams.default()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder.chmod(0o700)
            (folder / VAULT_DIR).mkdir(mode=0o700)
            # Created 0600 before SQLite touches it; SQLite gives -wal and -shm the same mode.
            os.close(os.open(folder / DB_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            raise WorkspaceError(f"cannot create a workspace at {folder}: {exc.strerror or exc}") from exc
        root = secrets.token_bytes(32)
        data = wrap_root({"format": FORMAT, "version": VERSION, "id": secrets.token_hex(16)}, root, passphrase, kdf)
        keyfile = KeyFile(folder)
        with keyfile.locked():
            keyfile.save(data)
        ws = cls(folder, data, root, cls._connect(folder, WorkspaceKeys.from_root(root).db), actor or default_actor())
        try:
            ws._migrate()
            with ws.transaction() as conn:
                ws.audit(conn, "workspace.create", {"kdf": _params(data)})
        except BaseException:
            ws.close()
            raise
        return ws

    @staticmethod
    def check_new_location(folder: Path) -> None:
        """Refuse to create a workspace where something already is."""
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise WorkspaceError(f"{folder} already exists and is not empty; choose another place")

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None, passphrase: str, actor: str | None = None) -> Workspace:
        """Unlock the workspace in ``path`` (default: :func:`default_workspace_path`).

        Raises :class:`~safepost.core.WrongPassphraseError` (nothing on disk is touched) or
        :class:`~safepost.core.WorkspaceError` (missing, damaged or newer than this safepost).
        """
        folder = Path(path).expanduser() if path is not None else default_workspace_path()
        keyfile = KeyFile(folder)
        data = keyfile.load()
        root = unwrap_root(data, passphrase, folder)
        if not (folder / DB_FILE).is_file():
            raise WorkspaceError(f"the workspace at {folder} has lost its database file {DB_FILE}")
        ws = cls(folder, data, root, cls._connect(folder, WorkspaceKeys.from_root(root).db), actor or default_actor())
        try:
            ws._migrate()
        except DatabaseError as exc:
            ws.close()
            raise _db_error(folder, exc) from None
        except BaseException:
            ws.close()
            raise
        return ws

    @staticmethod
    def _connect(folder: Path, db_key: bytes) -> Connection:
        """Open the database with its raw key and prove the key with a read before changing anything."""
        conn = sqlcipher3.connect(
            str(folder / DB_FILE), isolation_level=None, timeout=BUSY_TIMEOUT_S, check_same_thread=True
        )
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")  # damage is reported once, as exit 9
            conn.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DatabaseError as exc:
            conn.close()
            raise damaged(folder, f"its database cannot be read with its key or was replaced: {exc}") from None
        try:
            # Every page's HMAC, on every open: damage anywhere is found before any command trusts a row.
            bad = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        except DatabaseError as exc:
            bad = [str(exc)]
        if bad:
            conn.close()
            raise damaged(folder, "; ".join(str(b) for b in bad[:3]))
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            # FULL: a commit is on disk before the audit anchor names it (no false "truncated" alarm).
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA temp_store = MEMORY")
        except DatabaseError as exc:
            conn.close()
            raise _db_error(folder, exc) from None
        conn.row_factory = Row
        return conn

    def _migrate(self) -> None:
        """Bring the schema to ``len(MIGRATIONS)``, one transaction and one audit entry per step."""
        target = len(MIGRATIONS)
        while (version := self._schema_version(self._require_open())) != target:
            if version > target:
                raise WorkspaceError(
                    f"the workspace at {self.path} was made by a newer safepost (schema {version}); update safepost"
                )
            with self.transaction() as conn:
                if self._schema_version(conn) != version:
                    continue  # another process migrated meanwhile
                for statement in _split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version + 1),)
                )
                self.audit(conn, "schema.migrate", {"version": version + 1})

    @staticmethod
    def _schema_version(conn: Connection) -> int:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    @property
    def schema_version(self) -> int:
        return self._schema_version(self.conn)

    def close(self) -> None:
        """Close the database (SQLite checkpoints the WAL into the encrypted file)."""
        with self._lock:
            if self.conn is not None:
                self.conn.close()
                self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and audit ----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; ``ROLLBACK`` on any exception. Nested calls use savepoints.

        Every transaction that changes rows must add an audit entry (:meth:`audit`); one that
        does not is rolled back with a :class:`WorkspaceError`. After the commit the audit
        anchor in ``workspace.json`` is moved to the new head.
        """
        with self._lock:
            conn = self._require_open()
            if self._depth:
                name = f"sp{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield conn
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    raise
                else:
                    conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except DatabaseError as exc:
                raise _db_error(self.path, exc) from None
            self._depth, self._audited, self._changes_at_begin = 1, 0, conn.total_changes
            try:
                yield conn
                if conn.total_changes != self._changes_at_begin and not self._audited:
                    raise WorkspaceError("internal error: a change to the workspace was not recorded in the audit log")
            except BaseException as exc:
                self._depth = 0
                if conn.in_transaction:
                    with contextlib.suppress(DatabaseError):
                        conn.execute("ROLLBACK")
                if is_damage(exc):
                    raise damaged(self.path, exc) from None
                raise
            self._depth = 0
            try:
                conn.execute("COMMIT")
            except DatabaseError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise _db_error(self.path, exc) from None
            if self._audited:
                self._update_anchor()

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads seeing one consistent snapshot (inside a transaction: that one)."""
        with self._lock:
            conn = self._require_open()
            if self._depth:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            except DatabaseError as exc:
                if is_damage(exc):
                    raise damaged(self.path, exc) from None
                raise
            finally:
                if conn.in_transaction:
                    with contextlib.suppress(DatabaseError):
                        conn.execute("ROLLBACK")

    def audit(
        self, conn: Connection, action: str, details: dict[str, Any] | None = None, actor: str | None = None
    ) -> int:
        """Append an audit entry inside the current transaction; returns its seq."""
        if not self._depth or conn is not self.conn:
            raise WorkspaceError("internal error: audit() must be called inside ws.transaction()")
        seq = audit_chain.append(conn, action, details, actor or self.actor)
        self._audited += 1
        return seq

    def _update_anchor(self) -> None:
        """Store the (seq, hash) of the log head, MAC'd, in workspace.json (never moving it backwards)."""
        seq, digest = audit_chain.head(self.conn)
        with self._keyfile.locked():
            data = self._keyfile.load()
            current = data.get("audit_anchor") or {}
            if int(current.get("seq", 0)) > seq:
                return  # another process already anchored a later head
            data["audit_anchor"] = audit_chain.make_anchor(self._keys.anchor, self.id, seq, digest)
            self._keyfile.save(data)

    def verify_audit(self) -> audit_chain.AuditReport:
        """Check the whole audit chain against the anchor in ``workspace.json``."""
        data = self._keyfile.load()
        with self.read() as conn:
            return audit_chain.verify(conn, data.get("audit_anchor"), self._keys.anchor, self.id)

    def check_integrity(self) -> list[str]:
        """Problems in any database page, the database structure or any vault file (empty: intact)."""
        from safepost.workspace import integrity

        return integrity.check(self)

    def audit_log(self, limit: int | None = None) -> list[dict]:
        """The latest ``limit`` audit entries, oldest first."""
        with self.read() as conn:
            return audit_chain.entries(conn, limit)

    # -- passphrase ------------------------------------------------------------------------------

    def check_passphrase(self, passphrase: str) -> None:
        """Raise :class:`WrongPassphraseError` unless ``passphrase`` unlocks this workspace now."""
        if not secrets.compare_digest(unwrap_root(self._keyfile.load(), passphrase, self.path), self._root):
            raise WorkspaceError(f"{self._keyfile.path} belongs to another workspace")

    def change_passphrase(self, old: str, new: str, kdf: KdfParams | None = None) -> None:
        """Re-wrap the root key under ``new`` (fresh salt). Crash-safe: one atomic file replacement.

        Order: check ``old``; commit the ``passphrase.change`` audit entry; atomically replace
        ``workspace.json`` with the new wrapping (and the anchor of that entry). Before the
        replacement only ``old`` works, after it only ``new``. The database and vault keys do
        not change, so nothing else is rewritten.
        """
        check_new_passphrase(new)
        with self._keyfile.locked():
            data = self._keyfile.load()
            root = unwrap_root(data, old, self.path)
            if not secrets.compare_digest(root, self._root):
                raise WorkspaceError(f"{self._keyfile.path} belongs to another workspace")
            params = kdf or KdfParams.from_dict(data["kdf"])[0]
            new_data = wrap_root(data, root, new, params)
        with self.transaction() as conn:
            self.audit(conn, "passphrase.change", {"kdf": _params(new_data)})
        with self._keyfile.locked():
            current = self._keyfile.load()
            new_data["audit_anchor"] = current.get("audit_anchor")
            if current.get("kdf") != data["kdf"]:
                raise WorkspaceError("the passphrase was changed by another safepost at the same time; try again")
            self._keyfile.save(new_data)

    # -- helpers ---------------------------------------------------------------------------------

    def _require_open(self) -> Connection:
        if self.conn is None:
            raise WorkspaceError("internal error: the workspace is closed")
        return self.conn

    @property
    def keyfile(self) -> KeyFile:
        return self._keyfile
