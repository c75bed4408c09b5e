"""Request bodies read as a stream, with caps, and never spooled to disk.

Starlette's ``UploadFile`` writes uploads over 1 MB to a temporary file; an un-anonymised photo
must never land on disk in plaintext. So forms are parsed here with python-multipart's streaming
parser: bytes stay in memory (under a size cap) until they are encrypted into the vault.

The CSRF token must arrive before any file: as the ``X-CSRF-Token`` header or as the form's first
field. A request without it is refused before a single file byte is kept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from safepost.core import InputError, TooLargeError, UnsupportedFormatError
from safepost.media.sniff import IMAGE, VIDEO, family_of
from safepost.web.limits import Claim

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MEDIA_FAMILIES = frozenset({IMAGE, VIDEO})
SNIFF_BYTES = 64
MAX_NAME = 120
_FORBIDDEN_NAME_CHARS = set('<>:"|?*')


class CsrfError(Exception):
    """The request lacks the session's CSRF token (answered with 403)."""


@dataclass
class UploadedFile:
    """One uploaded file, held in memory: its field, its cleaned name, its bytes and sniffed family."""

    field: str
    filename: str
    data: bytes
    family: str


@dataclass
class Form:
    """Fields (every value of every name) and files of one request."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1].strip() if values else default

    def getlist(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]

    def flag(self, name: str) -> bool:
        return self.get(name).lower() in ("1", "on", "yes", "true")


def safe_filename(raw: str, fallback: str = "upload") -> str:
    """A file name without any folder part, control or reserved characters, or leading dots.

    ``../../etc/passwd.jpg`` becomes ``passwd.jpg``: a name from a browser is a label, never a path.
    """
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in _FORBIDDEN_NAME_CHARS)
    name = name.strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        name = (stem if dot else name)[: MAX_NAME - len(ext) - 1].rstrip(" .") + (f".{ext}" if ext else "")
    return name or fallback


async def read_form(
    request: Request,
    *,
    csrf_ok: Callable[[str | None], bool] | None,
    max_bytes: int,
    max_field_bytes: int,
    max_files: int = 0,
    families: frozenset[str] | None = MEDIA_FAMILIES,
    claim: Claim | None = None,
) -> Form:
    """Parse an urlencoded or multipart body of at most ``max_bytes``.

    ``claim`` counts the bytes read against the server's total upload budget (BusyError beyond it).

    ``csrf_ok`` (None: no token needed) judges the token; ``families`` are the sniffed file kinds
    accepted (None: any). Raises CsrfError, TooLargeError (413), UnsupportedFormatError (415) or
    InputError (400).
    """
    header_token = request.headers.get(CSRF_HEADER)
    verified = csrf_ok is None or (header_token is not None and csrf_ok(header_token))
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLargeError(_too_large(max_bytes))
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise InputError("The form is malformed (no multipart boundary).")
        form = await _read_multipart(
            request, boundary, verified, csrf_ok, max_bytes, max_field_bytes, max_files, families, claim
        )
    elif kind in (b"application/x-www-form-urlencoded", b""):
        body = await _read_capped(request, max_bytes, claim)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise InputError("The form is not UTF-8 text.") from None
        form = Form()
        for name, value in pairs:
            if len(value) > max_field_bytes:
                raise TooLargeError(f"The field '{name}' is too long.")
            form.fields.setdefault(name, []).append(value)
    else:
        raise UnsupportedFormatError("This address only accepts forms.")
    if not verified and not (csrf_ok is not None and csrf_ok(form.get(CSRF_FIELD) or None)):
        raise CsrfError()
    return form


async def _read_capped(request: Request, max_bytes: int, claim: Claim | None = None) -> bytes:
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes:
            raise TooLargeError(_too_large(max_bytes))
        if claim is not None:
            claim.add(len(chunk))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    return f"The upload is too large: the limit is {max_bytes // (1024 * 1024)} MB."


async def _read_multipart(
    request: Request,
    boundary: bytes,
    verified: bool,
    csrf_ok: Callable[[str | None], bool] | None,
    max_bytes: int,
    max_field_bytes: int,
    max_files: int,
    families: frozenset[str] | None,
    claim: Claim | None = None,
) -> Form:
    form = Form()
    state: dict = {"headers": {}, "field": b"", "value": b"", "name": "", "filename": None, "buf": None}

    def on_part_begin() -> None:
        state.update(headers={}, name="", filename=None, buf=bytearray(), family=None)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        nonlocal verified
        _, params = parse_options_header(state["headers"].get("content-disposition", b""))
        state["name"] = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in params:
            state["filename"] = params[b"filename"].decode("utf-8", "replace")
            if not verified:
                verified = csrf_ok is not None and csrf_ok(form.get(CSRF_FIELD) or None)
                if not verified:
                    raise CsrfError()
            if max_files == 0:
                raise InputError("This form does not take files.")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        buf: bytearray = state["buf"]
        buf += data[start:end]
        if state["filename"] is None:
            if len(buf) > max_field_bytes:
                raise TooLargeError(f"The field '{state['name']}' is too long.")
        elif state["family"] is None and len(buf) >= SNIFF_BYTES:
            state["family"] = _check_family(state["filename"], bytes(buf[:SNIFF_BYTES]), families)

    def on_part_end() -> None:
        buf: bytearray = state["buf"]
        if state["filename"] is None:
            try:
                value = buf.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"The field '{state['name']}' is not UTF-8 text.") from None
            form.fields.setdefault(state["name"], []).append(value)
            return
        if not state["filename"] and not buf:
            return  # a file input left empty
        if not buf:
            raise InputError(f"{safe_filename(state['filename'])} is empty (0 bytes).")
        family = state["family"] or _check_family(state["filename"], bytes(buf[:SNIFF_BYTES]), families)
        if len(form.files) >= max_files:
            raise InputError(f"Too many files: at most {max_files} at a time.")
        form.files.append(UploadedFile(state["name"], safe_filename(state["filename"]), bytes(buf), family))
        state["buf"] = bytearray()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > max_bytes:
                raise TooLargeError(_too_large(max_bytes))
            if claim is not None:
                claim.add(len(chunk))
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InputError(f"The upload is malformed ({exc}).") from None
    return form


def _check_family(filename: str, head: bytes, families: frozenset[str] | None) -> str:
    family = family_of(head)
    if families is not None and family not in families:
        raise UnsupportedFormatError(
            f"{safe_filename(filename)} is not a photo or a video safepost can read (its content says: {family})."
        )
    return family
