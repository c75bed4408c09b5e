"""THE consent question (C3) and what a consent allows in a post: the decide stage's consent rules.

:func:`check_on` answers "may ``use`` of this person be published on this platform, to this audience,
for this purpose?" from the registry's records (``safepost.consent.registry``, which stores them
and asks nothing). Decision rules (docs/consent.md has them as a table); anything unsure is a refusal:

1. unknown person, event, use or audience: deny;
2. a Chatham House event refuses ``quote_attributed`` and ``affiliation``, whatever was consented;
3. when the event has records of its own for this person and use, only those count; otherwise the
   standing records count, except for face and video at a ``no_photo`` event, which need a record
   for that event;
4. a record counts when it is active, already given, not expired, covers the platform, audience
   and purpose ("*" covers any platform or purpose), and, for a minor, records the guardian's consent;
5. otherwise deny with the reason of the record that came closest (withdrawn < not yet given <
   expired < no guardian consent < outside its scope), or "no consent recorded".

:func:`may_keep` is the one keep rule of the post check, the prepare step and the web review (a NO
PHOTO wearer and, under the policy, a minor are never shown); :func:`may_photograph_on` decides a badge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from safepost.consent.dates import day_of, now_iso, time_of, to_iso
from safepost.consent.events import find_event
from safepost.consent.people import Person, find_person
from safepost.consent.registry import AUDIENCES, USES, Consent, consents_for
from safepost.core import RegistryError
from safepost.core.report import Decision
from safepost.words import Phrase

if TYPE_CHECKING:
    from safepost.post.schema import PostMeta


#: Uses a NO PHOTO event protects: they need a consent for that very event.
VISUAL_USES = frozenset({"face", "video"})
#: Uses the Chatham House rule forbids for anything said or seen at the event.
CHATHAM_HOUSE_REFUSED = frozenset({"quote_attributed", "affiliation"})
_CHATHAM_WORDS = {"quote_attributed": "attributed quotes", "affiliation": "affiliations"}
# every reason below is a Phrase: said in the report's language where it shows in a finding


def check_on(
    conn,
    person_id: str,
    use: str,
    platform: str,
    audience: str,
    purpose: str,
    event_id: str | None = None,
    at: str | date | datetime | None = None,
) -> Decision:
    """May ``use`` of ``person_id`` be published on ``platform`` to ``audience`` for ``purpose``?

    ``conn`` is an open read of the registry (``Workspace.read``; many checks can share one);
    ``event_id`` is where the material comes from (None: not from an event); ``at`` the time of
    publication (default now). Never raises for unknown people or events: the answer is then a deny.
    """
    scope = (platform.strip().lower(), audience.strip().lower(), purpose.strip().lower())
    if scope[1] not in AUDIENCES:
        return Decision(
            False,
            Phrase("unknown audience '{audience}' (use {choices})", audience=audience, choices=", ".join(AUDIENCES)),
        )
    return _decide(conn, person_id, use, event_id, at, scope)


def may_photograph_on(conn, person_id: str, event_id: str, at: str | date | datetime | None = None) -> Decision:
    """May ``person_id`` be photographed at ``event_id`` at all (a face consent of any scope counts)?

    This decides the badge; every publication is still checked with :func:`check_on`.
    """
    return _decide(conn, person_id, "face", event_id, at, None)


def publication_moment(at) -> str:
    """When a publication planned for ``at`` (default now) happens: never before now, since nothing is
    published in the past. The one rule for `consent check` and the post check: a consent covers a
    publication when it was given before this moment (to the second), whatever the day."""
    now = now_iso()
    planned = to_iso(at, "check time") or now
    return max(planned, now)


def _decide(conn, person_id: str, use: str, event_id: str | None, at, scope: tuple[str, str, str] | None) -> Decision:
    try:
        moment = publication_moment(at)
    except RegistryError as exc:
        return Decision(False, str(exc))
    if use not in USES:
        return Decision(False, Phrase("unknown use '{use}' (use one of {choices})", use=use, choices=", ".join(USES)))
    person = find_person(conn, person_id)
    if person is None:
        return Decision(False, Phrase("no person with id {id}", id=person_id))
    event = None
    if event_id is not None:
        event = find_event(conn, event_id)
        if event is None:
            return Decision(False, Phrase("no event with id {id}", id=event_id))
        if event.chatham_house and use in CHATHAM_HOUSE_REFUSED:
            return Decision(
                False,
                Phrase(
                    "event {event} is held under the Chatham House rule: no {what} from it, even with consent",
                    event=event.id,
                    what=Phrase(_CHATHAM_WORDS[use]),
                ),
            )
    rows = consents_for(conn, person_id, use, event_id)
    event_rows = [r for r in rows if event is not None and r.event_id == event.id]
    standing = [r for r in rows if r.event_id is None]
    where = None
    if event_rows:
        candidates, where = event_rows, event_id
    elif event is not None and event.default_documentation == "no_photo" and use in VISUAL_USES:
        said = (
            "event {event} is NO PHOTO and there is no {use} consent for this event (a standing consent does not "
            "count there)"
            if standing
            else "event {event} is NO PHOTO and there is no {use} consent for this event"
        )
        return Decision(False, Phrase(said, event=event.id, use=use))
    else:
        candidates = standing
    if not candidates:
        return Decision(False, Phrase("no consent recorded"))
    closest: tuple[int, str] | None = None
    for record in candidates:
        problem = _problem(record, person, moment, scope)
        if problem is None:
            basis = Phrase("for event {event}", event=record.event_id) if record.event_id else Phrase("standing")
            values = {"id": record.id, "basis": basis, "method": record.method, "given": time_of(record.given_at)}
            said = (
                Phrase(
                    "consent {id} ({basis}, {method}, given {given}, until {until})",
                    **values,
                    until=day_of(record.expires_at),
                )
                if record.expires_at
                else Phrase("consent {id} ({basis}, {method}, given {given})", **values)
            )
            return Decision(True, said, record.id)
        if closest is None or problem[0] > closest[0]:
            closest = problem
    assert closest is not None
    if where is None:
        return Decision(False, closest[1])
    return Decision(False, Phrase("{reason} for event {event}", reason=closest[1], event=where))


def _problem(record: Consent, person: Person, at: str, scope: tuple[str, str, str] | None) -> tuple[int, str] | None:
    """Why ``record`` does not allow the use (rank, reason), or None when it does."""
    if record.status != "active":
        said = "refused on {day}" if record.refusal else "withdrawn on {day}"
        return 0, Phrase(said, day=day_of(record.withdrawn_at))
    if record.given_at > at:
        return 1, Phrase("consent {id} only starts at {given}", id=record.id, given=time_of(record.given_at))
    if record.expires_at is not None and record.expires_at <= at:
        return 2, Phrase("expired on {day}", day=day_of(record.expires_at))
    if person.is_minor and not record.guardian_consent:
        return 3, Phrase(
            "{person} is a minor and consent {id} does not record their guardian's consent",
            person=person.id,
            id=record.id,
        )
    if scope is None:
        return None
    platform, audience, purpose = scope
    misses = []
    if "*" not in record.platforms and platform not in record.platforms:
        misses.append(
            Phrase("platform '{value}' (it covers {covers})", value=platform, covers=", ".join(record.platforms))
        )
    if audience not in record.audiences:
        misses.append(
            Phrase("audience '{value}' (it covers {covers})", value=audience, covers=", ".join(record.audiences))
        )
    if "*" not in record.purposes and purpose not in record.purposes:
        misses.append(
            Phrase("purpose '{value}' (it covers {covers})", value=purpose, covers=", ".join(record.purposes))
        )
    if not misses:
        return None
    what = misses[0]
    for more in misses[1:]:
        what = Phrase("{first} or {second}", first=what, second=more)
    return 4, Phrase("consent {id} does not cover {what}", id=record.id, what=what)


# ---------------------------------------------------------------------------------------------
# What a consent allows in a post


@dataclass
class ConsentUse:
    """A consent the post relies on, for the publication record."""

    person_id: str
    use: str
    consent_ids: list[int] = field(default_factory=list)


def consent_for(conn, person_id: str, use: str, meta: PostMeta, at: str) -> tuple[bool, str, list[int]]:
    """Does ``person_id``'s consent cover ``use`` on every platform of the post? (allowed, reason, consent ids)."""
    ids = []
    for platform in meta.platforms:
        decision = check_on(conn, person_id, use, platform, meta.audience.value, meta.purpose, meta.event, at)
        if not decision.allowed:
            return False, Phrase("{platform}: {reason}", platform=platform, reason=decision.reason), []
        if decision.consent_id is not None:
            ids.append(decision.consent_id)
    return True, Phrase("consent covers this use"), sorted(set(ids))


def may_keep(
    conn, person_id: str, use: str, meta: PostMeta, at: str, block_minors: bool, nophoto: bool = False
) -> tuple[bool, str, list[int]]:
    """May the face of ``person_id`` stay visible for ``use`` ("face" or "video")? (allowed, reason, consent ids).

    The one keep rule of the check, the prepare step and the web app's review: a NO PHOTO wearer and,
    under the policy, a minor are never shown; anyone else only as far as their consent covers the post.
    """
    if nophoto:
        return False, Phrase("this person wears a NO PHOTO tag"), []
    person = find_person(conn, person_id)
    if person is None:
        return False, Phrase("{person} is not in the registry", person=person_id), []
    if person.is_minor and block_minors:
        return False, Phrase("{person} is a minor; the policy never shows minors", person=person_id), []
    return consent_for(conn, person_id, use, meta, at)


def keep_use(kind: str) -> str:
    """The consent a kept face needs: "face" for a picture, "video" for a video."""
    return "face" if kind == "image" else "video"
