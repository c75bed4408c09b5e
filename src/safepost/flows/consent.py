"""The registry's records asked the consent rule: ``safepost consent check`` and an event's name tags.

:func:`check_consent` is THE consent question (``decide.consent.check``) on a workspace. For the
name tags (C4), the registry gives the participants, ``decide.consent.may_photograph_on`` decides
who gets a NO PHOTO tag, ``consent.badges`` draws the pages and ``media.pdf`` writes the PDF.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from safepost.consent.badges import DPI, GRID, Badge, BadgeSheet, render_pages
from safepost.consent.events import Event, find_event
from safepost.consent.people import find_person
from safepost.core import RegistryError
from safepost.core.report import Decision
from safepost.decide.consent import check, may_photograph_on

if TYPE_CHECKING:
    from safepost.workspace import Workspace


def check_consent(
    ws: Workspace,
    person_id: str,
    use: str,
    platform: str,
    audience: str,
    purpose: str,
    event_id: str | None = None,
    at: str | date | datetime | None = None,
) -> Decision:
    """May ``use`` of ``person_id`` be published on ``platform`` to ``audience`` for ``purpose``?

    (``safepost consent check``: :func:`safepost.decide.consent.check` on the workspace's registry.)
    """
    return check(ws, person_id, use, platform, audience, purpose, event_id=event_id, at=at)


def plan_badges(ws: Workspace, event_id: str, at: str | None = None) -> tuple[Event, list[Badge]]:
    """The event and one :class:`Badge` per registered participant, by display name."""
    with ws.read() as conn:
        event = find_event(conn, event_id)
        if event is None:
            raise RegistryError(f"No event with id {event_id} in this workspace.")
        ids = [r[0] for r in conn.execute("SELECT person_id FROM event_people WHERE event_id = ?", (event_id,))]
        badges = []
        for pid in ids:
            person = find_person(conn, pid)
            if person is None:  # pragma: no cover - foreign key
                continue
            decision = may_photograph_on(conn, pid, event_id, at)
            badges.append(Badge(pid, person.display_name, not decision.allowed, decision.reason))
    badges.sort(key=lambda b: (b.display_name.casefold(), b.person_id))
    return event, badges


def make_badges(ws: Workspace, event_id: str, output: str | os.PathLike[str], at: str | None = None) -> BadgeSheet:
    """Write the name tags of ``event_id``'s participants to the PDF ``output`` (atomically)."""
    from safepost.media.pdf import write_image_pdf

    event, badges = plan_badges(ws, event_id, at)
    if not badges:
        raise RegistryError(
            f"Event {event_id} has no participants: import them with an 'event' column, "
            f"or add them with 'safepost events register {event_id} PERSON...'."
        )
    cols, rows = GRID
    pages = -(-len(badges) // (cols * rows))
    target = Path(output)
    write_image_pdf(render_pages(badges, event), target, DPI, count=pages)
    return BadgeSheet(event_id=event.id, output=target, pages=pages, badges=badges)
