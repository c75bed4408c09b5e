"""The consent records per person, event and use (C3): grant, refuse, withdraw, the takedown list.

A consent record says that a person allows one *use* (their face, voice, name, an attributed
quote...) for some platforms, audiences and purposes, either for one event or standing (any
event). A *refusal* is stored as a record that is withdrawn from the moment it was made, so that
a "no" for one event is kept and beats a standing consent there. Withdrawal marks records
withdrawn and returns the takedown list: the publications that showed the person and are still up.

THE consent question (may this use be published here?) is asked of these records by
:mod:`safepost.decide.consent` (``check``); its rules are listed there and in docs/consent.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepost.consent.dates import now_iso, time_of, to_iso
from safepost.consent.events import Event, find_event
from safepost.consent.people import Person, find_person
from safepost.core import RegistryError

if TYPE_CHECKING:
    from safepost.workspace import Workspace

USES = ("face", "video", "voice", "name", "quote_attributed", "quote_unattributed", "affiliation", "location")
AUDIENCES = ("public", "closed", "internal")
METHODS = ("written", "verbal", "audio", "electronic")
MAX_ATTACHMENT = 50 * 1024 * 1024

_COLUMNS = (
    "id, person_id, event_id, use, platforms, audiences, purposes, explained, language, recorded_by, method,"
    " attachment_vault_id, given_at, expires_at, status, withdrawn_at, guardian_consent, refusal"
)


@dataclass
class Consent:
    """One stored consent (or refusal) record. Times are ISO 8601 UTC strings."""

    id: int
    person_id: str
    event_id: str | None
    use: str
    platforms: list[str]
    audiences: list[str]
    purposes: list[str]
    explained: str
    language: str | None
    recorded_by: str
    method: str
    attachment_vault_id: str | None
    given_at: str
    expires_at: str | None
    status: str
    withdrawn_at: str | None
    guardian_consent: bool = False
    refusal: bool = False

    def state(self, at: str | None = None) -> str:
        """``refused``, ``withdrawn``, ``expired``, ``not_yet_valid`` or ``active`` at time ``at`` (default now)."""
        at = at or now_iso()
        if self.status == "withdrawn":
            return "refused" if self.refusal else "withdrawn"
        if self.given_at > at:
            return "not_yet_valid"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["state"] = self.state()
        return d


@dataclass
class Publication:
    """A publication that showed a person and has not been taken down (an entry of a takedown list)."""

    id: int
    post_ref: str
    platform: str
    audience: str
    url: str | None
    event_id: str | None
    published_at: str
    uses: list[str]
    consent_id: int | None
    #: the first words of the post as published, and when it was marked taken down (None: still up)
    title: str = ""
    taken_down_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """How people recognise the post: its title (or 'a post') and date, never an internal reference."""
        return f"{self.title or 'a post'} ({self.platform}, {time_of(self.published_at)})"


@dataclass
class Withdrawal:
    """What :func:`withdraw` did: records withdrawn, refusals added for the event, and what to take down."""

    person_id: str
    use: str
    event_id: str | None
    withdrawn: list[int] = field(default_factory=list)
    refusals: list[int] = field(default_factory=list)
    takedown: list[Publication] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["takedown"] = [p.to_dict() for p in self.takedown]
        return d


@dataclass
class ConsentRequest:
    """Everything :func:`grant_many` needs for one new consent record."""

    person_id: str
    use: str
    recorded_by: str
    method: str
    explained: str
    event_id: str | None = None
    platforms: Sequence[str] = ("*",)
    audiences: Sequence[str] = AUDIENCES
    purposes: Sequence[str] = ("*",)
    language: str | None = None
    attachment: str | Path | None = None
    given_at: str | date | datetime | None = None
    expires_at: str | date | datetime | None = None
    guardian_consent: bool = False


def _scope(values: Iterable[str] | str, what: str, allowed: Sequence[str] | None = None) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    cleaned = list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))
    if not cleaned:
        raise RegistryError(f"A consent needs at least one {what} ('*' for any).")
    if allowed is not None:
        if "*" in cleaned:
            return list(allowed)
        wrong = [v for v in cleaned if v not in allowed]
        if wrong:
            raise RegistryError(f"Unknown {what} {', '.join(wrong)}: use {', '.join(allowed)}.")
    elif "*" in cleaned:
        return ["*"]
    return cleaned


def _row_to_consent(row: Sequence[Any]) -> Consent:
    return Consent(
        id=row[0],
        person_id=row[1],
        event_id=row[2],
        use=row[3],
        platforms=json.loads(row[4]),
        audiences=json.loads(row[5]),
        purposes=json.loads(row[6]),
        explained=row[7],
        language=row[8],
        recorded_by=row[9],
        method=row[10],
        attachment_vault_id=row[11],
        given_at=row[12],
        expires_at=row[13],
        status=row[14],
        withdrawn_at=row[15],
        guardian_consent=bool(row[16]),
        refusal=bool(row[17]),
    )


def _validate(conn, request: ConsentRequest, people: dict[str, Person], events: dict[str, Event]) -> dict:
    """The row to insert for ``request``, or :class:`RegistryError` saying what is wrong."""
    person = people.get(request.person_id) or find_person(conn, request.person_id)
    if person is None:
        raise RegistryError(f"No person with id {request.person_id} in this workspace.")
    people[person.id] = person
    if request.event_id is not None:
        event = events.get(request.event_id) or find_event(conn, request.event_id)
        if event is None:
            raise RegistryError(f"No event with id {request.event_id} in this workspace.")
        events[event.id] = event
    if request.use not in USES:
        raise RegistryError(f"Unknown use '{request.use}': use one of {', '.join(USES)}.")
    if request.method not in METHODS:
        raise RegistryError(f"Unknown method '{request.method}': use one of {', '.join(METHODS)}.")
    recorded_by = " ".join((request.recorded_by or "").split())
    if not recorded_by:
        raise RegistryError("Say who recorded the consent (recorded_by).")
    explained = (request.explained or "").strip()
    if not explained:
        raise RegistryError("Record what was explained to the person (explained): a consent is only as good as that.")
    if person.is_minor and not request.guardian_consent:
        raise RegistryError(
            f"{person.id} is a minor: record the consent of their guardian ({person.guardian}) as well, "
            "and mark it (guardian_consent / --guardian-consent)."
        )
    given_at = to_iso(request.given_at, "given date") or now_iso()
    expires_at = to_iso(request.expires_at, "expiry date")
    if expires_at is not None and expires_at <= given_at:
        raise RegistryError(f"The consent would expire ({expires_at}) before it was given ({given_at}).")
    return {
        "person_id": person.id,
        "event_id": request.event_id,
        "use": request.use,
        "platforms": json.dumps(_scope(request.platforms, "platform")),
        "audiences": json.dumps(_scope(request.audiences, "audience", AUDIENCES)),
        "purposes": json.dumps(_scope(request.purposes, "purpose")),
        "explained": explained,
        "language": (request.language or "").strip() or None,
        "recorded_by": recorded_by,
        "method": request.method,
        "given_at": given_at,
        "expires_at": expires_at,
        "guardian_consent": int(bool(request.guardian_consent)),
    }


def _read_attachment(path: str | Path) -> tuple[bytes, str]:
    source = Path(path)
    try:
        size = source.stat().st_size
        if size > MAX_ATTACHMENT:
            raise RegistryError(f"{source} is larger than {MAX_ATTACHMENT // (1024 * 1024)} MB; attach a smaller scan.")
        return source.read_bytes(), source.name
    except OSError as exc:
        raise RegistryError(f"Cannot read the attachment {source}: {exc.strerror or exc}.") from exc


def grant(
    ws: Workspace,
    person_id: str,
    use: str,
    *,
    recorded_by: str,
    method: str,
    explained: str,
    event_id: str | None = None,
    platforms: Sequence[str] = ("*",),
    audiences: Sequence[str] = AUDIENCES,
    purposes: Sequence[str] = ("*",),
    language: str | None = None,
    attachment: str | Path | None = None,
    given_at: str | date | datetime | None = None,
    expires_at: str | date | datetime | None = None,
    guardian_consent: bool = False,
) -> Consent:
    """Record that ``person_id`` allows ``use`` (for ``event_id``, or standing when None) and return the record.

    ``attachment`` (a scan of the form, a recording) is stored encrypted in the vault. A minor's
    consent needs ``guardian_consent=True``. Raises :class:`RegistryError` on any invalid value.
    """
    request = ConsentRequest(
        person_id=person_id,
        use=use,
        recorded_by=recorded_by,
        method=method,
        explained=explained,
        event_id=event_id,
        platforms=platforms,
        audiences=audiences,
        purposes=purposes,
        language=language,
        attachment=attachment,
        given_at=given_at,
        expires_at=expires_at,
        guardian_consent=guardian_consent,
    )
    return grant_many(ws, [request])[0]


def grant_many(ws: Workspace, requests: Sequence[ConsentRequest], conn=None) -> list[Consent]:
    """Record many consents in ONE transaction (all or none), an audit entry each.

    With ``conn`` they join that open transaction (attachments are then not allowed).
    """
    if conn is None:
        blobs = [_read_attachment(r.attachment) if r.attachment is not None else None for r in requests]
        with ws.transaction() as own:
            vault_ids = [ws.vault.put(b[0], kind="consent-form", name=b[1]) if b else None for b in blobs]
            return _insert_all(ws, own, requests, vault_ids)
    if any(r.attachment is not None for r in requests):
        raise RegistryError("Attachments can only be stored by grant() or grant_many() without a connection.")
    return _insert_all(ws, conn, requests, [None] * len(requests))


def _insert_all(ws: Workspace, conn, requests: Sequence[ConsentRequest], vault_ids: list[str | None]) -> list[Consent]:
    people: dict[str, Person] = {}
    events: dict[str, Event] = {}
    stored = []
    for request, vault_id in zip(requests, vault_ids, strict=True):
        row = _validate(conn, request, people, events)
        row["attachment_vault_id"] = vault_id
        names = ", ".join(row)
        cursor = conn.execute(
            f"INSERT INTO consents ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )
        consent_id = cursor.lastrowid
        ws.audit(
            conn,
            "consent.grant",
            {
                "consent": consent_id,
                "person": row["person_id"],
                "event": row["event_id"],
                "use": row["use"],
                "attachment": vault_id,
            },
        )
        fields = {**row, "id": consent_id, "status": "active", "withdrawn_at": None}
        for name in ("platforms", "audiences", "purposes"):
            fields[name] = json.loads(row[name])
        fields["guardian_consent"] = bool(row["guardian_consent"])
        stored.append(Consent(**fields))
    return stored


def refuse(
    ws: Workspace,
    person_id: str,
    use: str,
    event_id: str,
    *,
    recorded_by: str,
    method: str,
    explained: str = "",
    conn=None,
) -> Consent:
    """Record that ``person_id`` said NO to ``use`` at ``event_id``: beats any standing consent there."""
    if conn is None:
        with ws.transaction() as own:
            return refuse(
                ws, person_id, use, event_id, recorded_by=recorded_by, method=method, explained=explained, conn=own
            )
    at = now_iso()
    row = _validate(
        conn,
        ConsentRequest(
            person_id=person_id,
            use=use,
            recorded_by=recorded_by,
            method=method,
            explained=explained or f"Refused {use} for event {event_id}.",
            event_id=event_id,
            given_at=at,
            guardian_consent=True,  # passes the minor check: a refusal needs nobody's agreement
        ),
        {},
        {},
    )
    row.update(status="withdrawn", withdrawn_at=at, refusal=1, guardian_consent=0)
    cursor = conn.execute(
        f"INSERT INTO consents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    ws.audit(conn, "consent.refuse", {"consent": cursor.lastrowid, "person": person_id, "event": event_id, "use": use})
    return _load(conn, cursor.lastrowid)


def _load(conn, consent_id: int) -> Consent:
    return _row_to_consent(conn.execute(f"SELECT {_COLUMNS} FROM consents WHERE id = ?", (consent_id,)).fetchone())


def withdraw(
    ws: Workspace, person_id: str, use: str = "all", event_id: str | None = None, *, recorded_by: str = "unknown"
) -> Withdrawal:
    """Withdraw ``person_id``'s consent for ``use`` ("all": every use) and return what to take down.

    Without ``event_id`` every record of that use is withdrawn, standing and per event. With
    ``event_id`` that event's records are withdrawn, and where there were none a refusal is
    recorded for the event, so a standing consent no longer covers it. The takedown list holds
    every publication not yet taken down that shows the person and used a withdrawn record, or
    that use (or recorded no uses), limited to the event when one is given (publications with no
    event are included: safepost cannot tell where they come from).
    """
    uses = _withdrawn_uses(use)
    result = Withdrawal(person_id=person_id, use=use, event_id=event_id)
    with ws.transaction() as conn:
        rows = _active_records(conn, person_id, uses, event_id)
        at = now_iso()
        result.withdrawn = [row[0] for row in rows]
        if result.withdrawn:
            conn.executemany(
                "UPDATE consents SET status = 'withdrawn', withdrawn_at = ? WHERE id = ?",
                [(at, cid) for cid in result.withdrawn],
            )
        ws.audit(
            conn,
            "consent.withdraw",
            {"person": person_id, "use": use, "event": event_id, "consents": result.withdrawn},
        )
        if event_id is not None:
            covered = {row[1] for row in rows}
            for missing in (u for u in uses if u not in covered):
                refusal = refuse(
                    ws,
                    person_id,
                    missing,
                    event_id,
                    recorded_by=recorded_by,
                    method="written",
                    explained=f"Withdrew {missing} for event {event_id}.",
                    conn=conn,
                )
                result.refusals.append(refusal.id)
        result.takedown = _takedown(conn, person_id, set(uses), event_id, set(result.withdrawn))
    return result


def withdraw_preview(
    ws: Workspace, person_id: str, use: str = "all", event_id: str | None = None
) -> tuple[list[int], list[Publication]]:
    """What :func:`withdraw` would do, changing nothing: the records it would withdraw, the takedown list."""
    uses = _withdrawn_uses(use)
    with ws.read() as conn:
        records = [row[0] for row in _active_records(conn, person_id, uses, event_id)]
        return records, _takedown(conn, person_id, set(uses), event_id, set(records))


def _withdrawn_uses(use: str) -> list[str]:
    """The uses a withdrawal of ``use`` ("all" or one use) covers."""
    if use != "all" and use not in USES:
        raise RegistryError(f"Unknown use '{use}': use one of {', '.join(USES)}, or all.")
    return list(USES) if use == "all" else [use]


def _active_records(conn, person_id: str, uses: list[str], event_id: str | None) -> list[tuple[int, str]]:
    """(id, use) of the person's active consent records for ``uses`` (that event's only, if given)."""
    if find_person(conn, person_id) is None:
        raise RegistryError(f"No person with id {person_id} in this workspace.")
    if event_id is not None and find_event(conn, event_id) is None:
        raise RegistryError(f"No event with id {event_id} in this workspace.")
    marks = ",".join("?" * len(uses))
    where = f"person_id = ? AND status = 'active' AND use IN ({marks})"
    params: list[Any] = [person_id, *uses]
    if event_id is not None:
        where += " AND event_id = ?"
        params.append(event_id)
    return conn.execute(f"SELECT id, use FROM consents WHERE {where}", params).fetchall()


def _takedown(conn, person_id: str, uses: set[str], event_id: str | None, withdrawn: set[int]) -> list[Publication]:
    rows = conn.execute(
        "SELECT p.id, p.post_ref, p.platform, p.audience, p.url, p.event_id, p.published_at, pp.uses, pp.consent_id,"
        " p.title FROM publication_people pp JOIN publications p ON p.id = pp.publication_id"
        " WHERE pp.person_id = ? AND p.taken_down_at IS NULL ORDER BY p.published_at, p.id",
        (person_id,),
    ).fetchall()
    listed = []
    for row in rows:
        pub_uses = json.loads(row[7] or "[]")
        by_record = row[8] is not None and row[8] in withdrawn
        by_use = not pub_uses or bool(uses & set(pub_uses))
        by_event = event_id is None or row[5] is None or row[5] == event_id
        if by_record or (by_use and by_event):
            listed.append(Publication(*row[:7], pub_uses, row[8], row[9] or ""))
    return listed


def takedown_list(ws: Workspace, person_id: str, use: str = "all", event_id: str | None = None) -> list[Publication]:
    """The publications still up that showed ``person_id`` (for ``use`` and ``event_id``), without changing anything."""
    uses = set(USES) if use == "all" else {use}
    with ws.read() as conn:
        return _takedown(conn, person_id, uses, event_id, set())


def show(ws: Workspace, person_id: str) -> tuple[Person, list[Consent]]:
    """The person and all their consent records, newest first."""
    with ws.read() as conn:
        person = find_person(conn, person_id)
        if person is None:
            raise RegistryError(f"No person with id {person_id} in this workspace.")
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM consents WHERE person_id = ? ORDER BY id DESC", (person_id,)
        ).fetchall()
    return person, [_row_to_consent(row) for row in rows]


# ---------------------------------------------------------------------------------------------
# What the consent rule reads (the rule itself is safepost.decide.consent)


def consents_for(conn, person_id: str, use: str, event_id: str | None) -> list[Consent]:
    """The records of ``person_id`` for ``use``, standing or for ``event_id``, newest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM consents WHERE person_id = ? AND use = ? AND (event_id IS NULL OR event_id = ?)"
        " ORDER BY id DESC",
        (person_id, use, event_id),
    ).fetchall()
    return [_row_to_consent(row) for row in rows]
