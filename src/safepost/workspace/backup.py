"""One-file encrypted backups of a workspace, and restoring them.

Layout: ``b"SAFEPOST-BACKUP1"`` | header length (4 bytes, big-endian) | header (JSON: KDF parameters
with a fresh salt, STREAM nonce prefix, key check) | STREAM chunks of a tar archive holding
``workspace.json``, ``workspace.db`` (a snapshot made with SQLite's backup API into a database
encrypted with the same key) and ``vault/<id>`` blobs. Everything in the tar is already
ciphertext, and the tar is encrypted again under ``HKDF(argon2id(passphrase, salt), "safepost/v1/backup")``.
The tar is streamed into the encryptor: memory use is constant and no plaintext is written anywhere.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import sqlcipher3

from safepost.core import InputError, OutputError, WorkspaceError, WrongPassphraseError
from safepost.media.atomic import atomic_write
from safepost.media.inputs import BINARY
from safepost.workspace import stream
from safepost.workspace.audit import AuditReport
from safepost.workspace.db import DB_FILE, VAULT_DIR, Workspace
from safepost.workspace.keys import KEY_FILE, KdfParams, derive_master, subkey
from safepost.workspace.vault import VAULT_ID

MAGIC = b"SAFEPOST-BACKUP1"
FORMAT = "safepost-backup"
VERSION = 1
MAX_HEADER = 64 * 1024
INFO_KEY = b"safepost/v1/backup"
INFO_CHECK = b"safepost/v1/backup-check"


@dataclass
class BackupResult:
    """What :func:`backup` wrote."""

    output: str
    size: int
    vault_files: int
    audit_head: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RestoreResult:
    """What :func:`restore` put in place, and the restored audit log's state."""

    workspace: str
    vault_files: int
    audit: AuditReport

    def to_dict(self) -> dict:
        return asdict(self) | {"audit": self.audit.to_dict()}


def _keys(passphrase: str, salt: bytes, params: KdfParams) -> tuple[bytes, bytes]:
    master = derive_master(passphrase, salt, params)
    return subkey(master, INFO_KEY), subkey(master, INFO_CHECK, length=16)


def backup(
    ws: Workspace, out_path: str | os.PathLike[str], passphrase: str, kdf: KdfParams | None = None
) -> BackupResult:
    """Write an encrypted backup of ``ws`` to ``out_path`` (atomically), locked by ``passphrase``.

    ``passphrase`` must be the workspace's current one (checked): the backup then opens with it.
    """
    out = Path(out_path)
    ws.check_passphrase(passphrase)
    params = kdf or KdfParams.from_dict(ws.keyfile.load()["kdf"])[0]
    salt, prefix = os.urandom(16), stream.new_prefix()
    key, check = _keys(passphrase, salt, params)
    header_json = json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "kdf": params.to_dict(salt),
            "prefix": prefix.hex(),
            "check": check.hex(),
        },
        sort_keys=True,
    ).encode("utf-8")
    header = MAGIC + len(header_json).to_bytes(4, "big") + header_json

    # The key file first: its anchor can then only lag the database snapshot, never lead it.
    keyfile_bytes = ws.keyfile.path.read_bytes()
    snapshot = _snapshot(ws)
    try:
        ids, head = _snapshot_contents(snapshot, ws)
        blobs = [ws.vault.blob_path(i) for i in ids]
        missing = [p.name for p in blobs if not p.is_file()]
        if missing:
            raise WorkspaceError(f"vault file {missing[0]} is missing; the backup was not written")

        def write(sink: BinaryIO) -> None:
            sink.write(header)
            enc = stream.Encryptor(key, prefix, header, sink.write)
            with tarfile.open(fileobj=enc, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[arg-type]
                _add_bytes(tar, KEY_FILE, keyfile_bytes)
                _add_file(tar, DB_FILE, snapshot)
                for blob in blobs:
                    _add_file(tar, f"{VAULT_DIR}/{blob.name}", blob)
            enc.close()

        if not out.parent.is_dir():
            raise OutputError(f"Cannot write {out}: the folder {out.parent} does not exist.")
        atomic_write(out, write)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{snapshot}{suffix}").unlink(missing_ok=True)
    with ws.transaction() as conn:
        ws.audit(conn, "workspace.backup", {"vault_files": len(ids), "audit_head": head})
    return BackupResult(str(out), out.stat().st_size, len(ids), head)


def _snapshot(ws: Workspace) -> Path:
    """A consistent copy of the database, encrypted with the same key, in the workspace folder."""
    fd, name = tempfile.mkstemp(dir=ws.path, prefix=".backup-", suffix=".db")
    os.close(fd)
    path = Path(name)
    try:
        target = sqlcipher3.connect(name, isolation_level=None)
        try:
            target.execute(f"PRAGMA key = \"x'{ws._keys.db.hex()}'\"")
            with ws._lock:
                ws._require_open().backup(target)
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
    except sqlcipher3.dbapi2.DatabaseError as exc:
        path.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot take a snapshot of the workspace database: {exc}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _snapshot_contents(snapshot: Path, ws: Workspace) -> tuple[list[str], int]:
    conn = sqlcipher3.connect(str(snapshot))
    try:
        conn.execute(f"PRAGMA key = \"x'{ws._keys.db.hex()}'\"")
        ids = [row[0] for row in conn.execute("SELECT id FROM vault_files ORDER BY id")]
        head = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]
    finally:
        conn.close()
    return ids, head


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        tar.addfile(_tarinfo(name, size), handle)


def read_header(handle: BinaryIO, where: Path) -> tuple[dict, bytes]:
    """The parsed header of a backup file and its raw bytes (the associated data of every chunk)."""
    not_backup = WorkspaceError(f"{where} is not a safepost backup (or its start is damaged)")
    magic = handle.read(len(MAGIC))
    if magic != MAGIC:
        raise not_backup
    size_bytes = handle.read(4)
    size = int.from_bytes(size_bytes, "big") if len(size_bytes) == 4 else 0
    if not 0 < size <= MAX_HEADER:
        raise not_backup
    raw = handle.read(size)
    try:
        header = json.loads(raw)
        if header["format"] != FORMAT:
            raise ValueError("format")
        if header["version"] != VERSION:
            raise WorkspaceError(f"{where} was written by another safepost version (backup format {header['version']})")
        bytes.fromhex(header["prefix"])
        bytes.fromhex(header["check"])
    except (ValueError, KeyError, TypeError):
        raise not_backup from None
    return header, magic + size_bytes + raw


def restore(
    in_path: str | os.PathLike[str], target_path: str | os.PathLike[str], passphrase: str, force: bool = False
) -> RestoreResult:
    """Restore the backup ``in_path`` into the folder ``target_path``.

    Refuses a non-empty target unless ``force``. Everything is unpacked into a hidden folder next
    to the target, decrypted to the last chunk, opened with ``passphrase`` and checked; only then
    does it replace the target (the old contents are deleted). A damaged or altered backup, or a
    wrong passphrase, leaves the target untouched.
    """
    source, target = Path(in_path), Path(target_path).expanduser()
    _refuse_non_empty(target, force)
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    with handle:
        header, aad = read_header(handle, source)
        try:
            params, salt = KdfParams.from_dict(header["kdf"])
        except ValueError as exc:
            raise WorkspaceError(f"{source} is damaged ({exc})") from None
        key, check = _keys(passphrase, salt, params)
        if not hmac.compare_digest(check, bytes.fromhex(header["check"])):
            raise WrongPassphraseError(f"wrong passphrase for backup {source}")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".safepost-restore-"))
        try:
            reader = stream.DecryptingReader(
                stream.decrypt_chunks(key, bytes.fromhex(header["prefix"]), aad, handle.read)
            )
            try:
                _unpack(reader, staging, source)
            except stream.StreamDamaged:
                raise WorkspaceError(f"backup {source} is damaged or was altered; nothing was restored") from None
            result = _check_staged(staging, passphrase, source)
            _refuse_non_empty(target, force)
            _swap_in(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return RestoreResult(str(target), result[0], result[1])


def _refuse_non_empty(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} exists and is not a folder; nothing was restored")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise WorkspaceError(f"{target} is not empty; use --force to replace it (its contents will be deleted)")


def _unpack(reader: stream.DecryptingReader, staging: Path, source: Path) -> None:
    damaged = WorkspaceError(f"backup {source} is damaged or was altered; nothing was restored")
    (staging / VAULT_DIR).mkdir(mode=0o700)
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[arg-type]
            for member in tar:
                name = member.name
                folder, _, leaf = name.rpartition("/")
                allowed = name in (KEY_FILE, DB_FILE) or (folder == VAULT_DIR and VAULT_ID.match(leaf))
                if not member.isfile() or not allowed or name in seen:
                    raise damaged
                seen.add(name)
                data = tar.extractfile(member)
                if data is None:
                    raise damaged
                fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY, 0o600)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(data, out, stream.CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
        reader.drain()
    except tarfile.TarError:
        raise damaged from None
    if not reader.finished or KEY_FILE not in seen or DB_FILE not in seen:
        raise damaged


def _check_staged(staging: Path, passphrase: str, source: Path) -> tuple[int, AuditReport]:
    """Open the unpacked workspace with ``passphrase`` and check its audit log and vault blobs."""
    try:
        ws = Workspace.open(staging, passphrase)
    except WrongPassphraseError:
        raise WrongPassphraseError(f"wrong passphrase for backup {source}") from None
    try:
        report = ws.verify_audit()
        files = ws.vault.list()
        for record in files:
            if not ws.vault.blob_path(record.id).is_file():
                raise WorkspaceError(f"backup {source} lacks vault file {record.id}; nothing was restored")
        with ws.transaction() as conn:
            ws.audit(conn, "workspace.restore", {"backup": source.name, "audit_ok": report.ok})
    finally:
        ws.close()
    return len(files), report


def _swap_in(staging: Path, target: Path) -> None:
    """Move the checked folder into place; a non-empty old target is moved aside, then deleted."""
    old: Path | None = None
    try:
        if target.is_dir():
            if any(target.iterdir()):
                old = Path(tempfile.mkdtemp(dir=target.parent, prefix=".safepost-replaced-"))
                os.rename(target, old / "workspace")
            else:
                target.rmdir()
        os.rename(staging, target)
    except OSError as exc:
        if old is not None and not target.exists():
            with contextlib.suppress(OSError):
                os.rename(old / "workspace", target)
        raise WorkspaceError(f"cannot put the restored workspace at {target}: {exc.strerror or exc}") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    target.chmod(0o700)
