"""The vault: originals and consent forms, each an encrypted blob ``vault/<id>``.

Blob layout: ``b"SPVAULT1"`` | salt (16 bytes) | nonce prefix (7 bytes) | STREAM chunks
(:mod:`safepost.workspace.stream`). The file key is ``HKDF(vault key, salt, "safepost/v1/vault-file:" + id)``,
so a blob renamed to another id does not decrypt; the header is the associated data of every chunk.
The plaintext's sha256 and size are kept in ``vault_files`` and checked on every read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import sqlcipher3

from safepost.core import InputError, OutputError, WorkspaceError
from safepost.media.atomic import atomic_write
from safepost.workspace import stream
from safepost.workspace.audit import now_utc
from safepost.workspace.keys import subkey

if TYPE_CHECKING:
    from safepost.workspace.db import Workspace

MAGIC = b"SPVAULT1"
SALT = 16
HEADER = len(MAGIC) + SALT + stream.PREFIX
VAULT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class VaultFile:
    """What the database knows about one vault file."""

    id: str
    kind: str
    name: str
    sha256: str
    size: int
    provenance: dict
    created_at: str

    def to_dict(self) -> dict:
        return asdict(self)


class Vault:
    """Encrypted file store of one workspace (``ws.vault``)."""

    def __init__(self, ws: Workspace, folder: Path, key: bytes) -> None:
        self._ws = ws
        self.folder = folder
        self._key = key

    def _file_key(self, file_id: str, salt: bytes) -> bytes:
        return subkey(self._key, b"safepost/v1/vault-file:" + file_id.encode("ascii"), salt=salt)

    def blob_path(self, file_id: str) -> Path:
        if not VAULT_ID.match(file_id):
            raise WorkspaceError(f"'{file_id}' is not a vault file id")
        return self.folder / file_id

    # -- writing ---------------------------------------------------------------------------------

    def put(
        self, data: bytes | str | os.PathLike[str], kind: str, name: str = "", provenance: dict | None = None
    ) -> str:
        """Encrypt ``data`` (bytes, or a file streamed from disk) into the vault; returns its id.

        The blob is written atomically before its ``vault_files`` row and audit entry are
        committed, so a crash leaves at most an unreferenced blob, never a row without a blob.
        """
        if not kind:
            raise WorkspaceError("internal error: a vault file needs a kind")
        provenance_text = json.dumps(provenance or {}, sort_keys=True, ensure_ascii=False)
        file_id = secrets.token_hex(16)
        salt, prefix = os.urandom(SALT), stream.new_prefix()
        header = MAGIC + salt + prefix
        digest, size = hashlib.sha256(), 0

        def pieces() -> Iterator[bytes]:
            nonlocal size
            for piece in _read_source(data):
                digest.update(piece)
                size += len(piece)
                yield piece

        def write(out: BinaryIO) -> None:
            out.write(header)
            for sealed in stream.encrypt_chunks(self._file_key(file_id, salt), prefix, header, pieces()):
                out.write(sealed)

        self.folder.mkdir(mode=0o700, exist_ok=True)
        path = self.blob_path(file_id)
        try:
            atomic_write(path, write)
        except OutputError as exc:
            raise WorkspaceError(f"cannot write to the vault: {exc}") from exc
        try:
            with self._ws.transaction() as conn:
                conn.execute(
                    "INSERT INTO vault_files (id, kind, name, sha256, size, provenance, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (file_id, kind, name, digest.hexdigest(), size, provenance_text, now_utc()),
                )
                self._ws.audit(
                    conn, "vault.put", {"id": file_id, "kind": kind, "size": size, "sha256": digest.hexdigest()}
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return file_id

    def delete(self, file_id: str) -> None:
        """Remove a file from the vault (refused while a consent still refers to it)."""
        path = self.blob_path(file_id)
        self.info(file_id)
        try:
            with self._ws.transaction() as conn:
                conn.execute("DELETE FROM vault_files WHERE id = ?", (file_id,))
                self._ws.audit(conn, "vault.delete", {"id": file_id})
        except sqlcipher3.dbapi2.IntegrityError as exc:
            raise WorkspaceError(f"vault file {file_id} is still referenced and cannot be deleted ({exc})") from None
        path.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------------

    def info(self, file_id: str) -> VaultFile:
        """The record of ``file_id``; :class:`WorkspaceError` when there is none."""
        self.blob_path(file_id)
        with self._ws.read() as conn:
            row = conn.execute(
                "SELECT id, kind, name, sha256, size, provenance, created_at FROM vault_files WHERE id = ?", (file_id,)
            ).fetchone()
        if row is None:
            raise WorkspaceError(f"there is no vault file {file_id} in this workspace")
        return VaultFile(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])

    def list(self) -> list[VaultFile]:
        """Every vault file, oldest first."""
        with self._ws.read() as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM vault_files ORDER BY created_at, id")]
        return [self.info(i) for i in ids]

    def open(self, file_id: str) -> Iterator[bytes]:
        """The plaintext of ``file_id`` in chunks. Trust the data only once the iterator is exhausted:
        a damaged blob raises :class:`WorkspaceError` at the chunk where it is found (or at the end).
        """
        record = self.info(file_id)
        path = self.blob_path(file_id)
        if not path.is_file():
            raise WorkspaceError(f"vault file {file_id} is missing from {self.folder}")
        return self._decrypt(record, path)

    def _decrypt(self, record: VaultFile, path: Path) -> Iterator[bytes]:
        damaged = WorkspaceError(f"vault file {record.id} ({path}) is damaged or was altered")
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise WorkspaceError(f"vault file {record.id} is missing from {self.folder}") from None
        with handle:
            header = handle.read(HEADER)
            if len(header) != HEADER or not header.startswith(MAGIC):
                raise damaged
            salt, prefix = header[len(MAGIC) : len(MAGIC) + SALT], header[len(MAGIC) + SALT :]
            digest, size = hashlib.sha256(), 0
            try:
                for piece in stream.decrypt_chunks(self._file_key(record.id, salt), prefix, header, handle.read):
                    digest.update(piece)
                    size += len(piece)
                    yield piece
            except stream.StreamDamaged:
                raise damaged from None
            if size != record.size or digest.hexdigest() != record.sha256:
                raise damaged

    def get(self, file_id: str) -> bytes:
        """The whole plaintext of ``file_id``, verified."""
        return b"".join(self.open(file_id))

    def export(self, file_id: str, dest: str | os.PathLike[str]) -> Path:
        """Decrypt ``file_id`` to ``dest`` atomically (nothing is left at ``dest`` if the blob is damaged)."""
        target = Path(dest)
        chunks = self.open(file_id)

        def write(out: BinaryIO) -> None:
            for piece in chunks:
                out.write(piece)

        atomic_write(target, write)
        return target

    def orphans(self) -> list[Path]:
        """Blobs without a database row (left by a crash between writing a blob and committing it)."""
        with self._ws.read() as conn:
            known = {row[0] for row in conn.execute("SELECT id FROM vault_files")}
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if VAULT_ID.match(p.name) and p.name not in known)


def _read_source(data: bytes | str | os.PathLike[str]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        if not len(view):
            yield b""
        for start in range(0, len(view), stream.CHUNK):
            yield bytes(view[start : start + stream.CHUNK])
        return
    source = Path(data)
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    with handle:
        while piece := handle.read(stream.CHUNK):
            yield piece
