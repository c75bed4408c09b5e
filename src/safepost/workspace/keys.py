"""Keys: passphrase -> argon2id -> key-encryption key -> random workspace root key -> sub-keys.

``workspace.json`` (not secret) holds the argon2id salt and parameters and the root key wrapped
with AES-256-GCM under a key derived from the passphrase. Changing the passphrase re-wraps the
root key; the database and vault keys, derived from the root key with HKDF-SHA256, never change.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import json
import os
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safepost.core import OutputError, WorkspaceError, WrongPassphraseError
from safepost.media.atomic import atomic_write
from safepost.media.staging import lock

KEY_FILE = "workspace.json"
LOCK_FILE = ".workspace.lock"
FORMAT = "safepost-workspace"
VERSION = 1
MIN_PASSPHRASE = 8
#: Environment variable that makes new workspaces use a trivial KDF cost. For test suites only.
FAST_KDF_ENV = "SAFEPOST_INSECURE_FAST_KDF"
PASSPHRASE_ENV = "SAFEPOST_PASSPHRASE"
NEW_PASSPHRASE_ENV = "SAFEPOST_NEW_PASSPHRASE"

INFO_WRAP = b"safepost/v1/key-wrap"
INFO_DB = b"safepost/v1/database"
INFO_VAULT = b"safepost/v1/vault"
INFO_ANCHOR = b"safepost/v1/audit-anchor"


@dataclass(frozen=True)
class KdfParams:
    """argon2id parameters, ``memory_cost`` in KiB; stored per workspace in ``workspace.json``.

    Defaults (RFC 9106-style t=3, 64 MiB, p=2): about 0.1 s idle and 0.3 s under load on the
    2-core reference machine; see docs/workspace.md.
    """

    time_cost: int = 3
    memory_cost: int = 64 * 1024
    parallelism: int = 2

    @classmethod
    def insecure_fast(cls) -> KdfParams:
        """Trivial cost for tests: never for real data."""
        return cls(time_cost=1, memory_cost=8, parallelism=1)

    @classmethod
    def default(cls) -> KdfParams:
        """The defaults, or :meth:`insecure_fast` when ``SAFEPOST_INSECURE_FAST_KDF=1`` (test suites)."""
        return cls.insecure_fast() if os.environ.get(FAST_KDF_ENV) == "1" else cls()

    def to_dict(self, salt: bytes) -> dict:
        return {"name": "argon2id", "version": 19, "salt": _b64(salt), **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> tuple[KdfParams, bytes]:
        """Parameters and salt from a header; bounded so a hostile file cannot ask for absurd memory."""
        try:
            if d["name"] != "argon2id" or d.get("version", 19) != 19:
                raise ValueError(f"unknown key derivation {d['name']!r}")
            params = cls(int(d["time_cost"]), int(d["memory_cost"]), int(d["parallelism"]))
            salt = _unb64(d["salt"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad key derivation parameters ({exc})") from None
        if not (1 <= params.time_cost <= 16 and 1 <= params.parallelism <= 16):
            raise ValueError("key derivation parameters out of range")
        if not (8 * params.parallelism <= params.memory_cost <= 1024 * 1024) or len(salt) < 16:
            raise ValueError("key derivation parameters out of range")
        return params, salt


def normalise(passphrase: str) -> bytes:
    """The passphrase as UTF-8 in Unicode NFC, so the same text typed on another system still works."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to protect anything."""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise WorkspaceError(f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters (a few words)")


def derive_master(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """32 bytes from argon2id(passphrase, salt)."""
    return hash_secret_raw(
        normalise(passphrase), salt, params.time_cost, params.memory_cost, params.parallelism, 32, Type.ID
    )


def subkey(key: bytes, info: bytes, salt: bytes | None = None, length: int = 32) -> bytes:
    """HKDF-SHA256 sub-key of ``key`` for the purpose named by ``info``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


@dataclass(frozen=True)
class WorkspaceKeys:
    """The keys derived from the random root key; they live only in memory."""

    db: bytes
    vault: bytes
    anchor: bytes

    @classmethod
    def from_root(cls, root: bytes) -> WorkspaceKeys:
        return cls(subkey(root, INFO_DB), subkey(root, INFO_VAULT), subkey(root, INFO_ANCHOR))


class KeyFile:
    """``workspace.json``: read, and rewritten atomically under a lock (read-modify-write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / KEY_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            raise WorkspaceError(f"there is no workspace at {self.folder} (create one with 'safepost init')") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WorkspaceError(f"{self.path} is damaged and cannot be read ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise WorkspaceError(f"{self.path} is not a safepost workspace file")
        if data.get("version") != VERSION:
            raise WorkspaceError(f"{self.path} was written by another safepost version (format {data.get('version')})")
        return data

    def save(self, data: dict) -> None:
        text = json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        try:
            atomic_write(self.path, lambda stream: stream.write(text))
        except OutputError as exc:
            raise WorkspaceError(f"cannot save {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on ``.workspace.lock`` so two processes never lose each other's update
        (flock; msvcrt.locking on Windows: ``safepost.media.staging.lock``)."""
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            lock(fd)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def header_aad(data: dict) -> bytes:
    """The authenticated, non-secret part of ``workspace.json``: format, id and KDF parameters."""
    fields = {k: data[k] for k in ("format", "version", "id", "kdf")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def wrap_root(data: dict, root: bytes, passphrase: str, params: KdfParams) -> dict:
    """``data`` with a fresh salt and ``root`` wrapped under ``passphrase``; returns a new dict."""
    salt = os.urandom(16)
    new = dict(data, kdf=params.to_dict(salt))
    kek = subkey(derive_master(passphrase, salt, params), INFO_WRAP)
    nonce = os.urandom(12)
    sealed = AESGCM(kek).encrypt(nonce, root, header_aad(new))
    new["wrapped_key"] = {"alg": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    return new


def unwrap_root(data: dict, passphrase: str, where: Path) -> bytes:
    """The root key; :class:`WrongPassphraseError` when ``passphrase`` does not unlock it."""
    try:
        params, salt = KdfParams.from_dict(data["kdf"])
        nonce = _unb64(data["wrapped_key"]["nonce"])
        sealed = _unb64(data["wrapped_key"]["ciphertext"])
        aad = header_aad(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkspaceError(f"{where / KEY_FILE} is damaged ({exc})") from None
    kek = subkey(derive_master(passphrase, salt, params), INFO_WRAP)
    try:
        root = AESGCM(kek).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise WrongPassphraseError(f"wrong passphrase for workspace at {where}") from None
    if len(root) != 32:
        raise WorkspaceError(f"{where / KEY_FILE} is damaged (bad key length)")
    return root


def read_passphrase(
    *,
    confirm: bool = False,
    env: str = PASSPHRASE_ENV,
    text: str = "Workspace passphrase",
    prompt: Callable[[str, bool], str] | None = None,
) -> str:
    """The passphrase from ``$SAFEPOST_PASSPHRASE`` (or ``env``), else asked for without echo.

    ``confirm`` asks twice (new passphrases). ``prompt(text, confirm)`` replaces the terminal
    prompt (the CLI passes click's). An empty answer is refused.
    """
    value = os.environ.get(env)
    if value:
        return value
    if prompt is None:
        prompt = _terminal_prompt
    value = prompt(text, confirm)
    if not value:
        raise WorkspaceError("no passphrase given")
    return value


def _terminal_prompt(text: str, confirm: bool) -> str:
    first = getpass.getpass(f"{text}: ")
    if confirm and getpass.getpass(f"{text} (again): ") != first:
        raise WorkspaceError("the two passphrases differ")
    return first


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
