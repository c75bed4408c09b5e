"""When is it safe to post? Not while the event runs, nor while people are still on site."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from safepost.consent.events import Event


def _day_start(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=UTC)


def event_window(event: Event, on_site_hours: int) -> tuple[datetime | None, datetime | None]:
    """(start, safe_after) in UTC. Event dates are whole days: an event ends at midnight after ``ends_on``.

    ``safe_after`` adds the policy's on-site hours, when people are taken to be still nearby or on
    their way home. Missing dates give None.
    """
    start = _day_start(event.starts_on) if event.starts_on else None
    last = event.ends_on or event.starts_on
    safe_after = _day_start(last) + timedelta(days=1, hours=on_site_hours) if last else None
    return start, safe_after


def is_live(at: datetime, event: Event, on_site_hours: int) -> bool:
    """True when posting at ``at`` is during the event or while people may still be on site."""
    start, safe_after = event_window(event, on_site_hours)
    if safe_after is None:
        return False
    return (start is None or at >= start - timedelta(hours=12)) and at < safe_after
