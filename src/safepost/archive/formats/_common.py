"""Helpers shared by the platform readers: safe JSON loading, dates, hashtags, mojibake."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from safepost.archive.items import ArchiveItem, MediaRef, Place
from safepost.archive.source import ExportSource
from safepost.core import InputError

HASHTAG = re.compile(r"(?<![\w&])#(\w{2,100})", re.UNICODE)
MENTION = re.compile(r"(?<![\w@])@(\w{2,50})", re.UNICODE)


@dataclass
class ReadResult:
    """Everything a reader found: the items in a stable order, plus facts about the account."""

    format: str
    layout: str
    items: list[ArchiveItem]
    account: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: entries found in the export but not read, each ``{"where", "reason"}`` (counted in coverage)
    skipped: list[dict] = field(default_factory=list)
    #: what the platform recorded about the account that no post shows (an upload IP, a device):
    #: ``{"what", "value", "where"}``; reported apart, never scored as something to edit in a post
    platform_data: list[dict] = field(default_factory=list)


class Reader:
    """One platform's export layout. ``detect`` looks only at file names and first bytes."""

    name: str = ""
    title: str = ""
    layout: str = ""

    def detect(self, source: ExportSource, focus: str | None) -> bool:
        raise NotImplementedError

    def read(self, source: ExportSource, focus: str | None) -> ReadResult:
        raise NotImplementedError

    def content_media(self, source: ExportSource, focus: str | None) -> list[str]:
        """Photos and videos present in the export that belong to the account's content.

        Each one that no item refers to is analysed as an item of its own (``coverage``). The
        default is every photo or video file; readers narrow it where exports carry UI assets.
        """
        from safepost.archive.coverage import is_media_name

        return [n for n in source.names() if is_media_name(n)]


def decode_text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (byte {exc.start}); the export may be damaged") from None


def parse_json(text: str, name: str) -> Any:
    """JSON from ``text``; a clear InputError for malformed or absurdly nested content."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a real export") from None


def load_json(source: ExportSource, name: str) -> Any:
    return parse_json(decode_text(source.read(name), name), name)


def head(source: ExportSource, name: str, size: int = 512) -> str:
    """The first ``size`` bytes of a file as text ('' when unreadable): for telling layouts apart."""
    return source.peek(name, size).decode("utf-8-sig", "replace")


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """``value`` when it has the type an export layout promises; InputError otherwise."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(f"{what} should be a JSON {names.replace('dict', 'object').replace('list', 'array')}")
    return value


def fix_mojibake(value: Any) -> Any:
    """Undo Facebook's and Instagram's escaping of UTF-8 bytes as Latin-1 code points (\\u00c3\\u00a9 -> é)."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                return value.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return value
        return value
    if isinstance(value, list):
        return [fix_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: fix_mojibake(v) for k, v in value.items()}
    return value


def iso_from_unix(value: Any) -> str | None:
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 < stamp < 32_503_680_000:  # before year 3000
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_from(text: Any, formats: Iterable[str]) -> str | None:
    """``text`` parsed with the first matching strptime format, as ISO 8601 (UTC 'Z' when aware)."""
    if not isinstance(text, str):
        return None
    for fmt in formats:
        try:
            moment = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return moment.isoformat(timespec="seconds")
    return None


def hashtags_in(text: str) -> list[str]:
    return unique(HASHTAG.findall(text or ""))


def mentions_in(text: str) -> list[str]:
    return unique(MENTION.findall(text or ""))


def unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def coordinate(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180.0 <= number <= 180.0 else None


def place_from(lat: Any, lon: Any, name: str = "", source: str = "") -> Place | None:
    la, lo = coordinate(lat), coordinate(lon)
    if la is not None and (abs(la) > 90 or lo is None):
        la = lo = None
    if la is None and not name:
        return None
    return Place(name=str(name or ""), lat=la, lon=lo, source=source)


def media_kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".avi")):
        return "video"
    if lower.endswith((".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".bmp", ".tif", ".tiff")):
        return "photo"
    return "file"


def media_ref(path: str, declared: Place | None = None) -> MediaRef:
    """A MediaRef for ``path`` (relative to the export root), kind from the name; files need not exist."""
    return MediaRef(path=path.lstrip("/"), kind=media_kind(path), declared=declared)


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def each_dict(values: Any) -> Iterable[dict]:
    if isinstance(values, list):
        yield from (v for v in values if isinstance(v, dict))
