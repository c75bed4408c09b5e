"""Import people from a registration-form CSV: every row or none (C2).

Columns (header names are matched without regard to case, spaces, '-' or '_'; see docs/consent.md):

==================  =========================================================================
``name``            display name (required, not empty)
``aliases``         other names, ``;``-separated
``nicknames``       nicknames, ``;``-separated
``handles``         social handles as ``platform:@handle``, ``;``-separated
``languages``       languages, ``;``-separated
``minor``           yes/no (empty = no)
``guardian``        guardian's name and contact (required when minor=yes)
``notes``           free text
``event``           id of an existing event: the person is registered as its participant
``photo``           yes/no/empty, needs ``event``: yes records a face consent for that event,
                    no records a refusal of face and video for it, empty records nothing
``guardian_consent`` yes/no: required yes for a minor with photo=yes
==================  =========================================================================

The file may be UTF-8 with or without a byte-order mark, with ``,``, ``;`` or tab between fields.
Everything is checked first; one bad row means nothing is imported and every bad row is listed.
The import itself is one transaction: a crash leaves the registry as it was.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepost.consent.events import add_participants, find_event
from safepost.consent.people import Person, add_people, make_person, person_problems
from safepost.consent.registry import ConsentRequest, grant_many, refuse
from safepost.core import CsvImportError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

COLUMNS = (
    "name",
    "aliases",
    "nicknames",
    "handles",
    "languages",
    "minor",
    "guardian",
    "notes",
    "event",
    "photo",
    "guardian_consent",
)
#: Other spellings seen in form exports, mapped to the column they mean.
SYNONYMS = {
    "display_name": "name",
    "full_name": "name",
    "alias": "aliases",
    "nickname": "nicknames",
    "handle": "handles",
    "social_handles": "handles",
    "language": "languages",
    "is_minor": "minor",
    "event_id": "event",
    "photos": "photo",
}
_HEADERS = {re.sub(r"[\s_-]+", "", k): v for k, v in {**{c: c for c in COLUMNS}, **SYNONYMS}.items()}
YES = {"yes", "y", "true", "1", "si", "sí", "oui", "x"}
NO = {"no", "n", "false", "0", "non"}
MAX_BYTES = 100 * 1024 * 1024
IMPORTER = "registration form import"


@dataclass
class ImportResult:
    """What an import stored: new people (with their CSV line), participants, consents and refusals."""

    people: list[tuple[int, Person]] = field(default_factory=list)
    participants: int = 0
    consents: int = 0
    refusals: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": len(self.people),
            "people": [{"line": line, "id": person.id} for line, person in self.people],
            "participants": self.participants,
            "consents": self.consents,
            "refusals": self.refusals,
            "warnings": self.warnings,
        }


@dataclass
class _Row:
    line: int
    person: Person
    event: str | None
    photo: bool | None
    guardian_consent: bool


def _key(header: str) -> str:
    """The column a header names (case, spaces, '-' and '_' ignored), or the header squeezed when unknown."""
    squeezed = re.sub(r"[\s_-]+", "", header.lower())
    return _HEADERS.get(squeezed, squeezed)


def _yes_no(value: str, column: str, problems: list[str]) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(f"{column} must be yes or no, not '{value.strip()}'")
    return None


def read_text(path: str | os.PathLike[str] | bytes) -> str:
    """The CSV file (or its bytes, held in memory) as text: UTF-8 with or without BOM; else :class:`CsvImportError`."""
    if isinstance(path, bytes):
        if len(path) > MAX_BYTES:
            raise CsvImportError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        return decode(path)
    source = Path(path)
    try:
        if source.stat().st_size > MAX_BYTES:
            raise CsvImportError(f"{source} is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        data = source.read_bytes()
    except OSError as exc:
        raise CsvImportError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    return decode(data, str(source))


def decode(data: bytes, name: str = "the file") -> str:
    """Bytes of a CSV as text (see :func:`read_text`)."""
    if b"\x00" in data[:65536]:
        raise CsvImportError(f"{name} is not a CSV text file (it holds binary data).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            f"{name} is not UTF-8 text (byte {exc.start + 1}): export it again as 'CSV UTF-8'."
        ) from None
    if not text.strip():
        raise CsvImportError(f"{name} is empty.")
    return text


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The CSV dialect: csv.Sniffer, choosing only among the separators found in the header line."""
    header = text.split("\n", 1)[0]
    present = "".join(d for d in ",;\t" if d in header)

    class _Single(csv.excel):
        delimiter = present or ","

    if len(present) <= 1:
        return _Single
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=present)
    except csv.Error:
        _Single.delimiter = max(present, key=header.count)
        return _Single


def parse(text: str, known_events: Callable[[str], bool]) -> list[_Row]:
    """Every row of ``text`` checked; :class:`CsvImportError` listing every problem if any row is bad."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvImportError(f"The CSV cannot be read: {exc}.") from None
    keys = [_key(h) for h in header]
    known = ", ".join(COLUMNS)
    unknown = [h.strip() for h, k in zip(header, keys, strict=True) if k and k not in COLUMNS]
    if unknown:
        raise CsvImportError(f"Unknown column(s) {', '.join(unknown)}. Known columns: {known}.")
    seen = [k for k in keys if k]
    duplicated = sorted({k for k in seen if seen.count(k) > 1})
    if duplicated:
        raise CsvImportError(f"Column(s) {', '.join(duplicated)} appear more than once.")
    if "name" not in keys:
        raise CsvImportError(f"The CSV has no 'name' column (its header must name the columns: {known}).")

    rows: list[_Row] = []
    problems: list[str] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvImportError(
                f"line {start}: the CSV cannot be read there ({exc}).", [f"line {start}: {exc}"]
            ) from None
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        row_problems: list[str] = []
        if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys) :]):
            row_problems.append(f"has {len(cells)} fields but the header has {len(keys)}")
        elif len(cells) < len(keys):
            row_problems.append(f"has {len(cells)} fields but the header has {len(keys)}")
        values = {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k}
        for index, k in enumerate(keys):
            if not k and index < len(cells) and cells[index].strip():
                row_problems.append(f"a value in column {index + 1}, which has no name in the header")
        row = _row(line, values, known_events, row_problems) if not row_problems else None
        if row_problems:
            problems.extend(f"line {line}: {p}" for p in row_problems)
        elif row is not None:
            rows.append(row)
    if problems:
        count = len({p.split(":", 1)[0] for p in problems})
        raise CsvImportError(f"Nothing imported: {count} row(s) have problems.", problems)
    if not rows:
        raise CsvImportError("The CSV has a header but no rows: nothing to import.")
    return rows


def _row(line: int, values: dict[str, str], known_events: Callable[[str], bool], problems: list[str]) -> _Row:
    minor = _yes_no(values.get("minor", ""), "minor", problems)
    photo = _yes_no(values.get("photo", ""), "photo", problems)
    guardian_ok = _yes_no(values.get("guardian_consent", ""), "guardian_consent", problems)
    person = make_person(
        values.get("name", ""),
        aliases=values.get("aliases"),
        nicknames=values.get("nicknames"),
        handles=values.get("handles"),
        languages=values.get("languages"),
        is_minor=bool(minor),
        guardian=values.get("guardian"),
        notes=values.get("notes", ""),
    )
    for problem in person_problems(person):
        if problem.startswith("a minor needs"):
            problem = "minor=yes needs a guardian"
        problems.append(problem)
    event = values.get("event", "").strip() or None
    if event is not None and not known_events(event):
        problems.append(f"no event with id '{event}' (add it first: safepost events add)")
    if photo is not None and event is None:
        problems.append("photo needs an event (the consent or refusal is for one event)")
    if photo and person.is_minor and not guardian_ok:
        problems.append("photo=yes for a minor needs guardian_consent=yes")
    return _Row(line, person, event, photo, bool(guardian_ok))


def import_people(
    ws: Workspace,
    path: str | os.PathLike[str] | bytes,
    *,
    recorded_by: str = IMPORTER,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import every row of the CSV at ``path`` (or of these bytes, never written to disk) in ONE transaction.

    Raises :class:`CsvImportError` (with ``problems``: every bad line) when anything is wrong.
    ``progress(done)`` is called every 1,000 people while they are being stored.
    """
    text = read_text(path)
    with ws.read() as conn:
        cache: dict[str, bool] = {}

        def known(event_id: str) -> bool:
            if event_id not in cache:
                cache[event_id] = find_event(conn, event_id) is not None
            return cache[event_id]

        rows = parse(text, known)
        existing = {r[0].casefold() for r in conn.execute("SELECT display_name FROM people")}
    result = ImportResult()
    for row in rows:
        if row.person.display_name.casefold() in existing:
            result.warnings.append(f"line {row.line}: someone with this name is already in the registry")
    with ws.transaction() as conn:
        stored = add_people(ws, [r.person for r in rows], source="csv", conn=conn, progress=progress)
        result.people = [(r.line, p) for r, p in zip(rows, stored, strict=True)]
        by_event: dict[str, list[str]] = {}
        for row, person in zip(rows, stored, strict=True):
            if row.event:
                by_event.setdefault(row.event, []).append(person.id)
        for event_id, ids in by_event.items():
            result.participants += add_participants(ws, event_id, ids, conn=conn)
        grants = [
            ConsentRequest(
                person_id=person.id,
                use="face",
                recorded_by=recorded_by,
                method="electronic",
                explained=f"Registration form for event {row.event}: agreed to be photographed (photo=yes).",
                event_id=row.event,
                guardian_consent=row.guardian_consent,
            )
            for row, person in zip(rows, stored, strict=True)
            if row.photo
        ]
        result.consents = len(grant_many(ws, grants, conn=conn))
        for row, person in zip(rows, stored, strict=True):
            if row.photo is False and row.event:
                for use in ("face", "video"):
                    refuse(
                        ws,
                        person.id,
                        use,
                        row.event,
                        recorded_by=recorded_by,
                        method="electronic",
                        explained=f"Registration form for event {row.event}: no photos please (photo=no).",
                        conn=conn,
                    )
                    result.refusals += 1
    return result
