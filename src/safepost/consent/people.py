"""People in the registry: pseudonymous ids, names and the identifiers a post may reveal (C2).

Every change runs in one workspace transaction together with its audit entry. Audit details hold
ids and the names of changed fields, never the values (the audit chain may be shown to others).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from safepost.consent.dates import now_iso
from safepost.core import RegistryError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

#: No 0/O, 1/I/L: an id read aloud or copied by hand stays unambiguous.
ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ID_LENGTH = 6
MAX_NAME = 200
MAX_TEXT = 10_000
_LIST_FIELDS = ("aliases", "nicknames", "handles", "languages")
_COLUMNS = "id, display_name, aliases, nicknames, handles, languages, is_minor, guardian, notes, created_at"


@dataclass
class Person:
    """One person in the registry. ``id`` is the pseudonym used everywhere else."""

    id: str
    display_name: str
    aliases: list[str] = field(default_factory=list)
    nicknames: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)  # "platform:@handle", e.g. "x:@ana_r"
    languages: list[str] = field(default_factory=list)
    is_minor: bool = False
    guardian: str | None = None  # guardian's name and contact; required when is_minor
    notes: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_person_id(taken: set[str] | None = None) -> str:
    """A fresh ``P-XXXXXX`` id from :data:`ID_ALPHABET`, not in ``taken``."""
    while True:
        candidate = "P-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if taken is None or candidate not in taken:
            return candidate


def clean_list(values: Iterable[str] | str | None) -> list[str]:
    """Trimmed, non-empty, de-duplicated values in their given order (a string is split on ';')."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(";")
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def person_problems(person: Person) -> list[str]:
    """What is wrong with ``person`` as plain sentences; empty when it can be stored."""
    problems = []
    if not person.display_name.strip():
        problems.append("name is empty")
    elif len(person.display_name) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
    if person.is_minor and not (person.guardian or "").strip():
        problems.append("a minor needs a guardian (name and contact)")
    if len(person.notes) > MAX_TEXT:
        problems.append(f"notes are longer than {MAX_TEXT} characters")
    for name in _LIST_FIELDS:
        for value in getattr(person, name):
            if len(value) > MAX_NAME:
                problems.append(f"{name} value '{value[:20]}...' is longer than {MAX_NAME} characters")
    return problems


def make_person(
    display_name: str,
    *,
    aliases: Iterable[str] | str | None = None,
    nicknames: Iterable[str] | str | None = None,
    handles: Iterable[str] | str | None = None,
    languages: Iterable[str] | str | None = None,
    is_minor: bool = False,
    guardian: str | None = None,
    notes: str = "",
    person_id: str = "",
) -> Person:
    """A normalised (not yet stored) :class:`Person`; ``person_id`` empty means one is assigned on insert."""
    guardian = (guardian or "").strip() or None
    return Person(
        id=person_id,
        display_name=" ".join(display_name.split()),
        aliases=clean_list(aliases),
        nicknames=clean_list(nicknames),
        handles=clean_list(handles),
        languages=clean_list(languages),
        is_minor=bool(is_minor),
        guardian=guardian,
        notes=notes.strip(),
    )


def add_person(ws: Workspace, display_name: str, event_id: str | None = None, **fields: Any) -> Person:
    """Store a new person (fields as in :func:`make_person`) and return it with its new id.

    With ``event_id`` the person is also registered as a participant of that event, in the same
    transaction. Raises :class:`RegistryError` when the name is empty, a minor has no guardian, a
    value is too long or the event is unknown; nothing is stored then.
    """
    from safepost.consent.events import add_participants

    person = make_person(display_name, **fields)
    with ws.transaction() as conn:
        stored = add_people(ws, [person], conn=conn)[0]
        if event_id is not None:
            add_participants(ws, event_id, [stored.id], conn=conn)
    return stored


def add_people(
    ws: Workspace, people: Sequence[Person], source: str = "manual", conn=None, progress=None
) -> list[Person]:
    """Store ``people`` in ONE transaction (all or none) with an audit entry each; returns them with ids.

    With ``conn`` they join that open transaction. ``progress(done)`` is called every 1,000 people.
    Raises :class:`RegistryError` (nothing stored) when any of them is invalid.
    """
    for person in people:
        problems = person_problems(person)
        if problems:
            raise RegistryError(f"Cannot add '{person.display_name}': " + "; ".join(problems) + ".")
    if conn is None:
        with ws.transaction() as own:
            return add_people(ws, people, source, conn=own, progress=progress)
    stored = []
    created = now_iso()
    taken: set[str] = set()
    for done, person in enumerate(people, start=1):
        pid = person.id or _free_id(conn, taken)
        taken.add(pid)
        row = Person(**{**asdict(person), "id": pid, "created_at": created})
        conn.execute(
            f"INSERT INTO people ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.display_name,
                *(json.dumps(getattr(row, name), ensure_ascii=False) for name in _LIST_FIELDS),
                int(row.is_minor),
                row.guardian,
                row.notes,
                row.created_at,
            ),
        )
        ws.audit(conn, "person.add", {"person": row.id, "source": source})
        stored.append(row)
        if progress is not None and done % 1000 == 0:
            progress(done)
    return stored


def _free_id(conn, taken: set[str]) -> str:
    while True:
        candidate = new_person_id(taken)
        if conn.execute("SELECT 1 FROM people WHERE id = ?", (candidate,)).fetchone() is None:
            return candidate


def _row_to_person(row: Sequence[Any]) -> Person:
    return Person(
        id=row[0],
        display_name=row[1],
        aliases=json.loads(row[2]),
        nicknames=json.loads(row[3]),
        handles=json.loads(row[4]),
        languages=json.loads(row[5]),
        is_minor=bool(row[6]),
        guardian=row[7],
        notes=row[8],
        created_at=row[9],
    )


def find_person(conn, person_id: str) -> Person | None:
    """The person with ``person_id`` read on an open connection, or None."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM people WHERE id = ?", (person_id,)).fetchone()
    return _row_to_person(row) if row else None


def get_person(ws: Workspace, person_id: str) -> Person:
    """The person with ``person_id``; :class:`RegistryError` when there is none."""
    with ws.read() as conn:
        person = find_person(conn, person_id)
    if person is None:
        raise RegistryError(f"No person with id {person_id} in this workspace.")
    return person


def list_people(ws: Workspace) -> list[Person]:
    """Everyone in the registry, by display name."""
    with ws.read() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM people ORDER BY display_name COLLATE NOCASE, id").fetchall()
    return [_row_to_person(row) for row in rows]


_UPDATABLE = {"display_name", "aliases", "nicknames", "handles", "languages", "is_minor", "guardian", "notes"}


def update_person(ws: Workspace, person_id: str, **changes: Any) -> Person:
    """Change some fields of a person (lists are replaced, not merged) and return the new record."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise RegistryError(f"Cannot change {', '.join(sorted(unknown))}; fields: {', '.join(sorted(_UPDATABLE))}.")
    with ws.transaction() as conn:
        person = find_person(conn, person_id)
        if person is None:
            raise RegistryError(f"No person with id {person_id} in this workspace.")
        merged = {**asdict(person), **changes}
        updated = make_person(
            merged["display_name"],
            aliases=merged["aliases"],
            nicknames=merged["nicknames"],
            handles=merged["handles"],
            languages=merged["languages"],
            is_minor=merged["is_minor"],
            guardian=merged["guardian"],
            notes=merged["notes"],
            person_id=person.id,
        )
        updated.created_at = person.created_at
        problems = person_problems(updated)
        if problems:
            raise RegistryError(f"Cannot update {person_id}: " + "; ".join(problems) + ".")
        conn.execute(
            "UPDATE people SET display_name = ?, aliases = ?, nicknames = ?, handles = ?, languages = ?,"
            " is_minor = ?, guardian = ?, notes = ? WHERE id = ?",
            (
                updated.display_name,
                *(json.dumps(getattr(updated, name), ensure_ascii=False) for name in _LIST_FIELDS),
                int(updated.is_minor),
                updated.guardian,
                updated.notes,
                person_id,
            ),
        )
        ws.audit(conn, "person.update", {"person": person_id, "fields": sorted(changes)})
    return updated
