"""``OUT_DIR/manifest.jsonl``: one JSON line per finished file, appended and flushed to disk.

The file is append-only while a run goes on: each finished item adds one line, written with a
single ``write`` and ``fsync``, so a crash loses at most the line being written. When a file
is processed again (it failed, its output was changed, the options changed), its new line is
appended: the **latest line for an input wins**. At the end of a run the manifest is rewritten
atomically with exactly one line per input, sorted by path.

A line cut short by a crash (the last one, without its newline) is dropped on the next run and
that file is processed again. Any other line that is not a valid entry stops the run with an
:class:`~safepost.core.InputError` naming the line: nothing is overwritten or guessed.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from safepost.core import InputError, OutputError
from safepost.media.atomic import atomic_write
from safepost.media.inputs import BINARY

MANIFEST_NAME = "manifest.jsonl"
Status = Literal["done", "failed", "skipped"]


class Entry(BaseModel):
    """What happened to one input file (paths are relative to IN_DIR and OUT_DIR, with ``/``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    input: str
    status: Status
    input_sha256: str | None = None
    input_size: int | None = None
    family: str | None = None
    output: str | None = None
    output_sha256: str | None = None
    #: faces (photo, PDF page regions) or face tracks (video) found
    findings: int | None = None
    masked: int | None = None
    error: str | None = None
    #: why a file was not processed (``skipped``)
    reason: str | None = None
    exit_code: int | None = None
    options: dict[str, str] | None = None
    vault_id: str | None = None
    seconds: float | None = None
    finished_at: str

    @field_validator("input", "output")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is None:
            return value
        path = PurePosixPath(value)
        if not value or path.is_absolute() or ".." in path.parts or "\x00" in value:
            raise ValueError(f"'{value}' is not a path inside the folder")
        return value

    def line(self) -> bytes:
        return (json.dumps(self.model_dump(exclude_none=True), ensure_ascii=False, sort_keys=True) + "\n").encode()


def now_utc() -> str:
    """The current time in UTC, to the second, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class Manifest:
    """The manifest of one OUT_DIR: the latest entry per input, and an append handle."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.latest: dict[str, Entry] = {}
        self.dropped_torn_line = False
        self._fd: int | None = None

    @classmethod
    def open(cls, out_dir: Path) -> Manifest:
        """Read the manifest in ``out_dir`` (if any), drop a torn last line, open it for appending."""
        manifest = cls(out_dir / MANIFEST_NAME)
        manifest._load()
        try:
            manifest._fd = os.open(manifest.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | BINARY, 0o600)
        except OSError as exc:
            raise OutputError(f"cannot write {manifest.path}: {exc.strerror or exc}") from exc
        return manifest

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                self._add(self._parse(raw, number))
        if tail.strip():
            try:
                self._add(self._parse(tail, len(lines) + 1))
                self._repair(len(data), b"\n")
            except InputError:  # killed while this line was written: redo that file
                self._repair(len(data) - len(tail), b"")
                self.dropped_torn_line = True

    def _parse(self, raw: bytes, number: int) -> Entry:
        try:
            return Entry.model_validate_json(raw)
        except ValidationError as exc:
            problem = exc.errors()[0].get("msg", "not a manifest entry")
            raise InputError(
                f"{self.path}, line {number}, is damaged ({problem}). Nothing was changed. Fix or remove that line, "
                "or move the manifest away to process every file again."
            ) from None

    def _repair(self, size: int, suffix: bytes) -> None:
        """Cut the file to ``size`` bytes and append ``suffix``, on disk, before any new line."""
        try:
            with open(self.path, "r+b") as stream:
                stream.truncate(size)
                stream.seek(size)
                stream.write(suffix)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            raise OutputError(f"cannot repair {self.path}: {exc.strerror or exc}") from exc

    def _add(self, entry: Entry) -> None:
        self.latest.pop(entry.input, None)  # keep insertion order = order of the latest lines
        self.latest[entry.input] = entry

    def record(self, entry: Entry) -> None:
        """Append ``entry`` as one line and flush it to disk."""
        if self._fd is None:
            raise OutputError(f"{self.path} is closed")
        try:
            os.write(self._fd, entry.line())
            os.fsync(self._fd)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._add(entry)

    def compact(self) -> None:
        """Rewrite the manifest atomically: one line per input (its latest), sorted by input path."""
        self.close()
        body = b"".join(self.latest[name].line() for name in sorted(self.latest))
        atomic_write(self.path, lambda stream: stream.write(body))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
