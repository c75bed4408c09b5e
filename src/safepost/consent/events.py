"""Events: when and where people were met, with their Chatham House and documentation rules (C2).

``default_documentation`` is what the organisation announced for the event:

* ``no_photo``: nobody is photographed or filmed unless they said yes *for this event*; a standing
  (any-event) face or video consent does not count there.
* ``ask`` and ``photo_ok``: recorded for the organisers and the registration form wording; neither
  is anyone's consent. Only a person's own consent record allows a use.

Participants (who gets a badge) are kept in ``event_people``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from safepost.consent.dates import now_iso, to_day
from safepost.core import RegistryError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

DOCUMENTATION = ("photo_ok", "no_photo", "ask")
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_COLUMNS = "id, name, starts_on, ends_on, place, chatham_house, default_documentation, created_at"


@dataclass
class Event:
    """One event. Dates are ``YYYY-MM-DD``."""

    id: str
    name: str
    starts_on: str | None = None
    ends_on: str | None = None
    place: str | None = None
    chatham_house: bool = False
    default_documentation: str = "ask"
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_to_event(row) -> Event:
    return Event(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])


def _validated(event: Event) -> Event:
    if not EVENT_ID.match(event.id):
        raise RegistryError(
            f"Event id '{event.id}' is not valid: use 1 to 64 letters, digits, '.', '_' or '-' (e.g. E-2026-forum)."
        )
    event.name = " ".join(event.name.split())
    if not event.name:
        raise RegistryError("An event needs a name.")
    if event.default_documentation not in DOCUMENTATION:
        raise RegistryError(
            f"Documentation must be one of {', '.join(DOCUMENTATION)}, not '{event.default_documentation}'."
        )
    event.starts_on = to_day(event.starts_on, "start date")
    event.ends_on = to_day(event.ends_on, "end date") or event.starts_on
    if event.starts_on and event.ends_on and event.ends_on < event.starts_on:
        raise RegistryError(f"Event {event.id} ends ({event.ends_on}) before it starts ({event.starts_on}).")
    event.place = (event.place or "").strip() or None
    event.chatham_house = bool(event.chatham_house)
    return event


def add_event(
    ws: Workspace,
    event_id: str,
    name: str,
    *,
    starts_on: str | date | None = None,
    ends_on: str | date | None = None,
    place: str | None = None,
    chatham_house: bool = False,
    default_documentation: str = "ask",
) -> Event:
    """Store a new event; :class:`RegistryError` when the id is taken or a value is invalid."""
    event = _validated(
        Event(event_id.strip(), name, starts_on, ends_on, place, chatham_house, default_documentation)  # type: ignore[arg-type]
    )
    event.created_at = now_iso()
    with ws.transaction() as conn:
        if conn.execute("SELECT 1 FROM events WHERE id = ?", (event.id,)).fetchone():
            raise RegistryError(f"There is already an event with id {event.id}.")
        conn.execute(
            f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.id,
                event.name,
                event.starts_on,
                event.ends_on,
                event.place,
                int(event.chatham_house),
                event.default_documentation,
                event.created_at,
            ),
        )
        ws.audit(
            conn,
            "event.add",
            {
                "event": event.id,
                "chatham_house": event.chatham_house,
                "default_documentation": event.default_documentation,
            },
        )
    return event


def update_event(ws: Workspace, event_id: str, **changes: Any) -> Event:
    """Change some fields of an event (name, starts_on, ends_on, place, chatham_house, default_documentation)."""
    allowed = {"name", "starts_on", "ends_on", "place", "chatham_house", "default_documentation"}
    unknown = set(changes) - allowed
    if unknown:
        raise RegistryError(f"Cannot change {', '.join(sorted(unknown))}; fields: {', '.join(sorted(allowed))}.")
    with ws.transaction() as conn:
        current = find_event(conn, event_id)
        if current is None:
            raise RegistryError(f"No event with id {event_id} in this workspace.")
        event = _validated(Event(**{**asdict(current), **changes}))
        conn.execute(
            "UPDATE events SET name = ?, starts_on = ?, ends_on = ?, place = ?, chatham_house = ?,"
            " default_documentation = ? WHERE id = ?",
            (
                event.name,
                event.starts_on,
                event.ends_on,
                event.place,
                int(event.chatham_house),
                event.default_documentation,
                event.id,
            ),
        )
        ws.audit(conn, "event.update", {"event": event.id, "fields": sorted(changes)})
    return event


def find_event(conn, event_id: str) -> Event | None:
    """The event with ``event_id`` read on an open connection, or None."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
    return _row_to_event(row) if row else None


def get_event(ws: Workspace, event_id: str) -> Event:
    """The event with ``event_id``; :class:`RegistryError` when there is none."""
    with ws.read() as conn:
        event = find_event(conn, event_id)
    if event is None:
        raise RegistryError(f"No event with id {event_id} in this workspace.")
    return event


def list_events(ws: Workspace) -> list[Event]:
    """All events, most recent first (undated ones last)."""
    with ws.read() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY starts_on IS NULL, starts_on DESC, id").fetchall()
    return [_row_to_event(row) for row in rows]


def add_participants(ws: Workspace, event_id: str, person_ids: Iterable[str], conn=None) -> int:
    """Register people as participants of an event (they get a badge); returns how many were new.

    With ``conn`` the rows join that open transaction (the caller writes nothing else to audit).
    """
    ids = list(dict.fromkeys(person_ids))
    if conn is None:
        with ws.transaction() as own:
            return add_participants(ws, event_id, ids, conn=own)
    if find_event(conn, event_id) is None:
        raise RegistryError(f"No event with id {event_id} in this workspace.")
    added = []
    at = now_iso()
    for pid in ids:
        if conn.execute("SELECT 1 FROM people WHERE id = ?", (pid,)).fetchone() is None:
            raise RegistryError(f"No person with id {pid} in this workspace.")
        cursor = conn.execute(
            "INSERT OR IGNORE INTO event_people (event_id, person_id, added_at) VALUES (?, ?, ?)", (event_id, pid, at)
        )
        if cursor.rowcount:
            added.append(pid)
    if added:
        ws.audit(conn, "event.participants", {"event": event_id, "people": added})
    return len(added)


def participants(ws: Workspace, event_id: str) -> list[str]:
    """Ids of the people registered for ``event_id``, in registration order."""
    with ws.read() as conn:
        if find_event(conn, event_id) is None:
            raise RegistryError(f"No event with id {event_id} in this workspace.")
        rows = conn.execute(
            "SELECT person_id FROM event_people WHERE event_id = ? ORDER BY rowid", (event_id,)
        ).fetchall()
    return [row[0] for row in rows]
