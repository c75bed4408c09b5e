"""Read an export, zip or unpacked folder, without extracting anything to disk.

Every file is read into memory on demand, within limits: a hostile zip (a path that climbs out
of the archive, a decompression bomb, millions of entries) or an oversized file is refused with
a clear error. The SHA-256 of the export keys the encrypted resume state.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from safepost.core import InputError, TooLargeError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
#: what the zipfile module raises for damaged, unsupported or encrypted members
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error)


@dataclass(frozen=True)
class Limits:
    """What an export may hold before it is refused (documented in docs/archive.md)."""

    max_entries: int = 500_000
    #: one JSON/JS/text document (tweets.js of a heavy account is a few hundred MB)
    max_document: int = 512 * 1024 * 1024
    #: one photo or video read for analysis; larger media are listed as "not analysed"
    max_media: int = 200 * 1024 * 1024
    #: all files together, as declared by the zip (a bomb declares far more)
    max_total: int = 64 * 1024**3
    #: uncompressed/compressed size of one zip member above which it is treated as a bomb
    max_ratio: int = 200


def _safe_name(name: str) -> str | None:
    """``name`` as a clean relative POSIX path, or None when it could escape the archive."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or (name[1:2] == ":" and name[0].isalpha()):
        return None
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        return None
    return "/".join(p for p in parts if p not in ("", "."))


class ExportSource:
    """Files of one export, by relative POSIX path. Use :func:`open_source`."""

    label: str
    path: Path
    limits: Limits

    def names(self) -> list[str]:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def _read(self, name: str) -> bytes:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        return name in self._index

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The bytes of ``name``; TooLargeError above ``limit`` (default: the document limit)."""
        limit = self.limits.max_document if limit is None else limit
        if name not in self._index:
            raise InputError(f"{name} is not in the export {self.label}")
        size = self.size(name)
        if size > limit:
            raise TooLargeError(f"{name} in {self.label} is {size:,} bytes; the limit is {limit:,} bytes")
        return self._read(name)

    def peek(self, name: str, size: int = 512) -> bytes:
        """The first ``size`` bytes of ``name`` (b'' when it cannot be read): for telling formats apart."""
        if name not in self._index:
            return b""
        try:
            return self._peek(name, size)
        except (InputError, *ZIP_ERRORS):
            return b""

    def _peek(self, name: str, size: int) -> bytes:
        raise NotImplementedError

    def find(self, suffix: str) -> list[str]:
        """Files whose path is ``suffix`` or ends with ``/suffix``, shortest path first."""
        tail = "/" + suffix
        return sorted((n for n in self._index if n == suffix or n.endswith(tail)), key=lambda n: (n.count("/"), n))

    def sha256(self) -> str:
        """SHA-256 of the export: the zip file's bytes, or every file of the folder with its path."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _index(self) -> dict[str, int]:
        raise NotImplementedError


class ZipSource(ExportSource):
    """An export still in its zip file: members are inflated into memory only."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits, self.label = path, limits, path.name
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except ZIP_ERRORS as exc:
            raise InputError(f"{path.name} is not a zip file safepost can read, or it is damaged ({exc})") from None
        try:
            self._members = self._check(infos)
        except BaseException:
            self._zip.close()
            raise

    def _check(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        if len(infos) > self.limits.max_entries:
            raise TooLargeError(
                f"{self.label} holds {len(infos):,} files; the limit is {self.limits.max_entries:,} (zip bomb guard)"
            )
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            clean = _safe_name(info.filename)
            if clean is None:
                raise InputError(
                    f"{self.label} contains an unsafe file name ({info.filename[:80]!r}) that points outside the "
                    "archive; it was refused and nothing was read"
                )
            if info.is_dir() or not clean:
                continue
            if info.flag_bits & 0x1:
                raise InputError(f"{self.label} is password-protected ({clean}); unzip it first")
            total += info.file_size
            if total > self.limits.max_total:
                raise TooLargeError(
                    f"{self.label} declares more than {self.limits.max_total:,} bytes once unpacked (zip bomb guard)"
                )
            if info.file_size > 1024 * 1024 and info.file_size > self.limits.max_ratio * max(info.compress_size, 1):
                raise TooLargeError(
                    f"{self.label}: {clean} would grow {info.file_size // max(info.compress_size, 1):,} times when "
                    f"unpacked (limit {self.limits.max_ratio}x); refused as a possible zip bomb"
                )
            members[clean] = info
        return members

    @property
    def _index(self) -> dict[str, zipfile.ZipInfo]:  # type: ignore[override]
        return self._members

    def names(self) -> list[str]:
        return sorted(self._members)

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def _read(self, name: str) -> bytes:
        info = self._members[name]
        try:
            with self._zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except ZIP_ERRORS as exc:
            raise InputError(f"{name} in {self.label} cannot be unpacked ({exc})") from None
        if len(data) != info.file_size:
            raise InputError(f"{name} in {self.label} is damaged (its size does not match the zip directory)")
        return data

    def _peek(self, name: str, size: int) -> bytes:
        with self._zip.open(self._members[name]) as handle:
            return handle.read(size)

    def sha256(self) -> str:
        return _hash_file(self.path, hashlib.sha256()).hexdigest()

    def close(self) -> None:
        self._zip.close()


class FolderSource(ExportSource):
    """An export the user already unpacked. Links that lead outside the folder are ignored."""

    def __init__(self, path: Path, limits: Limits, focus: str | None = None) -> None:
        self.path, self.limits, self.label = path, limits, path.name
        self.focus = focus
        self._files: dict[str, int] = {}
        root = path.resolve()
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            if focus is not None and Path(folder) != root:
                dirs.clear()  # a lone chat file: its folder and one level of media folders only
            for file_name in sorted(files):
                full = Path(folder) / file_name
                try:
                    real = full.resolve()
                    info = real.stat()
                except OSError:
                    continue
                if not real.is_relative_to(root) or not stat.S_ISREG(info.st_mode):
                    continue
                self._files[full.relative_to(root).as_posix()] = info.st_size
                if len(self._files) > limits.max_entries:
                    raise TooLargeError(f"{path} holds more than {limits.max_entries:,} files; the limit is that")
        self._root = root

    @property
    def _index(self) -> dict[str, int]:  # type: ignore[override]
        return self._files

    def names(self) -> list[str]:
        return sorted(self._files)

    def size(self, name: str) -> int:
        return self._files[name]

    def _read(self, name: str) -> bytes:
        try:
            return (self._root / name).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {name} in {self.label}: {exc.strerror or exc}") from None

    def _peek(self, name: str, size: int) -> bytes:
        with (self._root / name).open("rb") as handle:
            return handle.read(size)

    def sha256(self) -> str:
        if self.focus is not None:
            return _hash_file(self._root / self.focus, hashlib.sha256()).hexdigest()
        digest = hashlib.sha256()
        for name in self.names():
            digest.update(name.encode("utf-8") + b"\x00" + str(self._files[name]).encode() + b"\x00")
            _hash_file(self._root / name, digest)
        return digest.hexdigest()


def _hash_file(path: Path, digest):
    try:
        with path.open("rb") as handle:
            while piece := handle.read(1024 * 1024):
                digest.update(piece)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return digest


def open_source(path: str | os.PathLike[str], limits: Limits | None = None) -> tuple[ExportSource, str | None]:
    """The export at ``path`` and, for a single chat file, its name inside the source.

    A zip (told by its first bytes, not its name) is read in place; a folder is walked; a lone
    text or JSON file (a WhatsApp ``_chat.txt``, a Telegram ``result.json``) is read with the
    folder around it, so its media are found.
    """
    limits = limits or Limits()
    target = Path(path).expanduser()
    if not target.exists():
        raise InputError(f"{target} does not exist")
    if target.is_dir():
        return FolderSource(target, limits), None
    try:
        with target.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise InputError(f"cannot read {target}: {exc.strerror or exc}") from None
    if not head:
        raise InputError(f"{target} is empty (0 bytes)")
    if head in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        return ZipSource(target, limits), None
    return FolderSource(target.parent, limits, focus=target.name), target.name
