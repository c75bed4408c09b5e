"""CLI commands for the consent registry: people, events, consent, badges."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from safepost.cli import _fail, echo, echo_json, error, escape, main, say, warn
from safepost.cli.workspace import _emit, _workspace_errors, open_workspace

CHECK_DENIED_EXIT = 20  # `consent check`: the use is NOT allowed (0 = allowed); documented in docs/consent.md


#: how many imported people `people import` lists by id and name
IMPORT_LISTED = 20


def _person(ws, given: str) -> str:
    """PERSON as typed: an id (P-7K3Q9X), or a name that only one person in the registry has."""
    from safepost.consent.people import list_people
    from safepost.core import RegistryError

    everyone = list_people(ws)
    if any(p.id == given for p in everyone):
        return given
    named = [p for p in everyone if p.display_name.casefold() == given.strip().casefold()]
    if len(named) > 1:
        ids = ", ".join(f"{p.id}" for p in named)
        raise RegistryError(f"{len(named)} people are called {given} ({ids}): give the id instead.")
    return named[0].id if named else given


@contextlib.contextmanager
def _registry(as_json: bool):
    """The unlocked workspace for one registry command; every failure is one error line and its exit code."""
    from safepost.core import CsvImportError

    with _workspace_errors(as_json):
        ws = open_workspace()
        try:
            yield ws
        except CsvImportError as exc:
            for problem in exc.problems:
                error(problem)
            if as_json:
                payload = {"error": str(exc), "problems": exc.problems, "exit_code": exc.exit_code}
                echo_json(payload)
            _fail(str(exc), exc.exit_code)
        finally:
            ws.close()


def _table(columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*columns, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(Text(escape(cell)) for cell in row))  # Text: no markup read from names
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@main.group("people")
def people_group() -> None:
    """People in the consent registry (pseudonymous ids, names, handles, guardians)."""


@people_group.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeatable).")
@click.option("--nickname", "nicknames", multiple=True, help="A nickname (repeatable).")
@click.option("--handle", "handles", multiple=True, help="A social handle as platform:@handle (repeatable).")
@click.option("--language", "languages", multiple=True, help="A language the person speaks (repeatable).")
@click.option("--minor", is_flag=True, help="The person is under 18 (needs --guardian).")
@click.option("--guardian", help="The guardian's name and contact.")
@click.option("--notes", default="", help="Free text.")
@click.option("--event", "event_id", help="Also register the person as a participant of this event.")
@click.option("--json", "as_json", is_flag=True, help="Print the new person as JSON.")
def people_add(name, aliases, nicknames, handles, languages, minor, guardian, notes, event_id, as_json) -> None:
    """Add a person named NAME; prints the new pseudonymous id."""
    from safepost.consent import people

    with _registry(as_json) as ws:
        person = people.add_person(
            ws,
            name,
            aliases=aliases,
            nicknames=nicknames,
            handles=handles,
            languages=languages,
            is_minor=minor,
            guardian=guardian,
            notes=notes,
            event_id=event_id,
        )
    _emit(as_json, person.to_dict(), f"added {person.id} ({person.display_name})")


@people_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option(
    "--recorded-by",
    default="registration form import",
    show_default=True,
    help="Recorded as who took the consents and refusals of the photo column.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def people_import(csv_file: Path, recorded_by: str, as_json: bool) -> None:
    """Import people from a registration-form CSV: every row or none (columns: docs/consent.md)."""
    from safepost.consent.importer import import_people

    with _registry(as_json) as ws:
        result = import_people(ws, csv_file, recorded_by=recorded_by)
    for line in result.warnings:
        warn(line)
    _emit(
        as_json,
        result.to_dict(),
        f"imported {len(result.people)} people ({result.participants} event registration(s), "
        f"{result.consents} photo consent(s), {result.refusals} refusal(s))",
    )
    if not as_json:
        shown = result.people[:IMPORT_LISTED]
        for _, person in shown:
            say(f"  {person.id}  {person.display_name}")
        if len(result.people) > len(shown):
            say(f"  ... and {len(result.people) - len(shown)} more: safepost people list")


@people_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print everyone as JSON.")
def people_list(as_json: bool) -> None:
    """List everyone in the registry."""
    from safepost.consent import people

    with _registry(as_json) as ws:
        everyone = people.list_people(ws)
    if as_json:
        echo_json([p.to_dict() for p in everyone])
        return
    rows = [
        [p.id, p.display_name, "minor" if p.is_minor else "", ", ".join(p.languages), ", ".join(p.handles)]
        for p in everyone
    ]
    _table(["id", "name", "", "languages", "handles"], rows)


@main.group("events")
def events_group() -> None:
    """Events, with their Chatham House and documentation (NO PHOTO) rules."""


@events_group.command("add")
@click.argument("event_id", metavar="ID")
@click.option("--name", required=True, help="The event's name (printed on badges).")
@click.option("--chatham-house", is_flag=True, help="Held under the Chatham House rule.")
@click.option(
    "--documentation",
    type=click.Choice(["ask", "photo_ok", "no_photo"]),
    default="ask",
    show_default=True,
    help="What participants were told about photos.",
)
@click.option("--from", "starts_on", metavar="DATE", help="First day, YYYY-MM-DD.")
@click.option("--to", "ends_on", metavar="DATE", help="Last day, YYYY-MM-DD (default: the first).")
@click.option("--place", help="Where it takes place.")
@click.option("--json", "as_json", is_flag=True, help="Print the new event as JSON.")
def events_add(event_id, name, chatham_house, documentation, starts_on, ends_on, place, as_json) -> None:
    """Add an event with id ID (e.g. E-2026-forum)."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        event = events.add_event(
            ws,
            event_id,
            name,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place,
            chatham_house=chatham_house,
            default_documentation=documentation,
        )
    _emit(as_json, event.to_dict(), f"added event {event.id}")


@events_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
def events_list(as_json: bool) -> None:
    """List the events, most recent first."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        found = events.list_events(ws)
    if as_json:
        echo_json([e.to_dict() for e in found])
        return
    rows = [
        [
            e.id,
            e.name,
            e.starts_on or "",
            e.place or "",
            "Chatham House" if e.chatham_house else "",
            e.default_documentation,
        ]
        for e in found
    ]
    _table(["id", "name", "from", "place", "rule", "photos"], rows)


@events_group.command("register")
@click.argument("event_id", metavar="EVENT")
@click.argument("person_ids", metavar="PERSON...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def events_register(event_id: str, person_ids: tuple[str, ...], as_json: bool) -> None:
    """Register people as participants of EVENT (they get a badge)."""
    from safepost.consent import events

    with _registry(as_json) as ws:
        added = events.add_participants(ws, event_id, person_ids)
    _emit(as_json, {"event": event_id, "added": added}, f"{added} participant(s) added to {event_id}")


@main.group("consent")
def consent_group() -> None:
    """Record, withdraw, show and check consent per person, event and use."""


_USES = ["face", "video", "voice", "name", "quote_attributed", "quote_unattributed", "affiliation", "location"]


@consent_group.command("grant")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice(_USES))
@click.option("--event", "event_id", help="Only for this event (default: standing, any event).")
@click.option(
    "--platform", "platforms", multiple=True, help="Platform it covers, e.g. instagram (repeatable; default *: any)."
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    type=click.Choice(["public", "closed", "internal"]),
    help="Audience it covers (repeatable; default: all three).",
)
@click.option(
    "--purpose", "purposes", multiple=True, help="Purpose it covers, e.g. advocacy (repeatable; default *: any)."
)
@click.option(
    "--explained", required=True, help="What the person was told (what, where, for how long, how to withdraw)."
)
@click.option("--language", help="Language it was explained in.")
@click.option("--method", required=True, type=click.Choice(["written", "verbal", "audio", "electronic"]))
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option(
    "--attachment", type=click.Path(path_type=Path), help="Signed form or recording, stored encrypted in the vault."
)
@click.option("--given", "given_at", metavar="DATE", help="When it was given (default: now).")
@click.option("--expires", "expires_at", metavar="DATE", help="When it ends (a date alone: 00:00 UTC that day).")
@click.option("--guardian-consent", is_flag=True, help="The guardian of a minor agreed as well (required for minors).")
@click.option("--json", "as_json", is_flag=True, help="Print the new record as JSON.")
def consent_grant(
    person_id,
    use,
    event_id,
    platforms,
    audiences,
    purposes,
    explained,
    language,
    method,
    recorded_by,
    attachment,
    given_at,
    expires_at,
    guardian_consent,
    as_json,
) -> None:
    """Record that PERSON allows USE."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        person_id = _person(ws, person_id)
        record = registry.grant(
            ws,
            person_id,
            use,
            event_id=event_id,
            platforms=platforms or ("*",),
            audiences=audiences or registry.AUDIENCES,
            purposes=purposes or ("*",),
            explained=explained,
            language=language,
            method=method,
            recorded_by=recorded_by or ws.actor,
            attachment=attachment,
            given_at=given_at,
            expires_at=expires_at,
            guardian_consent=guardian_consent,
        )
    _emit(as_json, record.to_dict(), f"consent {record.id} recorded: {person_id} {use}")


@consent_group.command("refuse")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice(_USES))
@click.option("--event", "event_id", required=True, help="The event the refusal is for.")
@click.option(
    "--method", default="verbal", show_default=True, type=click.Choice(["written", "verbal", "audio", "electronic"])
)
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def consent_refuse(person_id, use, event_id, method, recorded_by, as_json) -> None:
    """Record that PERSON said NO to USE at an event (beats any standing consent there)."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        person_id = _person(ws, person_id)
        record = registry.refuse(ws, person_id, use, event_id, recorded_by=recorded_by or ws.actor, method=method)
    _emit(as_json, record.to_dict(), f"refusal {record.id} recorded: {person_id} {use} at {event_id}")


@consent_group.command("withdraw")
@click.argument("person_id", metavar="PERSON")
@click.argument("use", type=click.Choice([*_USES, "all"]), default="all")
@click.option("--event", "event_id", help="Only for this event (default: everywhere).")
@click.option("--recorded-by", help="Who recorded it (default: $SAFEPOST_ACTOR or your login name).")
@click.option("--yes", "-y", "yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the result and takedown list as JSON.")
def consent_withdraw(person_id, use, event_id, recorded_by, yes, as_json) -> None:
    """Withdraw PERSON's consent for USE (default: all) and list the publications to edit or take down.

    It asks first (it cannot be undone: a new consent must be recorded instead); --yes does not ask.
    """
    from safepost.consent import registry

    with _registry(as_json) as ws:
        person_id = _person(ws, person_id)
        if not yes:
            records, takedown = registry.withdraw_preview(ws, person_id, use, event_id)
            what = "every use" if use == "all" else use
            where = f"at event {event_id}" if event_id else "everywhere"
            say(
                f"This withdraws {escape(person_id)}'s consent for {what}, {where}: {len(records)} record(s); "
                f"{len(takedown)} published post(s) would then need editing or taking down. It cannot be undone."
            )
            try:
                agreed = click.confirm("Withdraw?", default=False, err=True)
            except click.Abort:
                agreed = None
            if not agreed:
                why = "" if agreed is False else ": no answer (add --yes to withdraw without asking)"
                _fail(f"nothing was withdrawn{why}", 2)
        result = registry.withdraw(ws, person_id, use, event_id, recorded_by=recorded_by or ws.actor)
    if as_json:
        echo_json(result.to_dict())
        return
    say(f"withdrawn: {len(result.withdrawn)} record(s); refusals added: {len(result.refusals)}")
    if not result.takedown:
        say("no publication showing this person is still up")
        return
    say(f"{len(result.takedown)} publication(s) to edit or take down:")
    takedown_table(result.takedown)
    say("When one is down: safepost taken-down NUMBER")


def takedown_table(publications, status: bool = False) -> None:
    """Publications as people recognise them: number, the post's first words, when, where, its address."""
    from safepost.consent.dates import day_of, time_of

    columns = ["number", "post", "published", "platform", "address"] + (["status"] if status else [])
    rows = []
    for p in publications:
        row = [
            str(p.id),
            p.title or "(no text)",
            time_of(p.published_at),
            p.platform,
            p.url or "not recorded (safepost published NUMBER URL)",
        ]
        if status:
            row.append(f"taken down {day_of(p.taken_down_at)}" if p.taken_down_at else "online")
        rows.append(row)
    _table(columns, rows)


@consent_group.command("show")
@click.argument("person_id", metavar="PERSON")
@click.option("--json", "as_json", is_flag=True, help="Print the person and records as JSON.")
def consent_show(person_id: str, as_json: bool) -> None:
    """Show PERSON and every consent, refusal and withdrawal recorded for them."""
    from safepost.consent import registry

    with _registry(as_json) as ws:
        person_id = _person(ws, person_id)
        person, records = registry.show(ws, person_id)
    if as_json:
        payload = {"person": person.to_dict(), "consents": [c.to_dict() for c in records]}
        echo_json(payload)
        return
    minor = f", minor (guardian: {person.guardian})" if person.is_minor else ""
    echo(f"{person.id}  {person.display_name}{minor}")
    for c in records:
        expires = f", expires {c.expires_at[:10]}" if c.expires_at else ""
        echo(
            f"  #{c.id} {c.use} {'for ' + c.event_id if c.event_id else 'standing'}: {c.state()}; "
            f"platforms {','.join(c.platforms)}; audiences {','.join(c.audiences)}; purposes {','.join(c.purposes)}; "
            f"given {c.given_at[:10]}{expires}; by {c.recorded_by} ({c.method})"
        )
    if not records:
        echo("  no consent recorded")


@consent_group.command("check")
@click.argument("person_id", metavar="PERSON")
@click.argument("use")
@click.option("--platform", required=True, help="Where it would be published, e.g. instagram.")
@click.option("--audience", required=True, help="public, closed or internal.")
@click.option("--purpose", required=True, help="What for, e.g. advocacy.")
@click.option("--event", "event_id", help="The event the material comes from.")
@click.option("--at", metavar="DATE", help="When it would be published (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def consent_check(person_id, use, platform, audience, purpose, event_id, at, as_json) -> None:
    """May USE of PERSON be published? Exit 0 when allowed, 20 when not (usable as a gate in scripts)."""
    from safepost.flows.consent import check_consent

    with _registry(as_json) as ws:
        person_id = _person(ws, person_id)
        decision = check_consent(ws, person_id, use, platform, audience, purpose, event_id=event_id, at=at)
    if as_json:
        echo_json(decision.to_dict())
    else:
        echo(f"{'ALLOWED' if decision.allowed else 'DENIED'}: {decision.reason}")
    if not decision.allowed:
        sys.exit(CHECK_DENIED_EXIT)


@main.command("badges")
@click.argument("event_id", metavar="EVENT")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The PDF to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def badges_command(event_id: str, output: Path, as_json: bool) -> None:
    """Print name tags for EVENT's participants as an A4 PDF; NO PHOTO tags carry a marker safepost detects."""
    from safepost.flows.consent import make_badges

    with _registry(as_json) as ws:
        sheet = make_badges(ws, event_id, output)
    _emit(
        as_json,
        sheet.to_dict(),
        f"{len(sheet.badges)} badge(s), {sheet.no_photo} NO PHOTO, on {sheet.pages} page(s) -> {output}",
    )
