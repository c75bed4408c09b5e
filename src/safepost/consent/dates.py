"""Times as ISO 8601 UTC strings, shared by the consent modules."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safepost.core import RegistryError

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_iso() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC): the form every time column uses."""
    return datetime.now(UTC).strftime(ISO_FORMAT)


def to_iso(value: str | date | datetime | None, what: str = "date") -> str | None:
    """``value`` as an ISO 8601 UTC string (a date alone means 00:00 UTC that day); None stays None.

    Strings may be ``YYYY-MM-DD`` or any ISO 8601 time; one without a zone is taken as UTC.
    Raises :class:`RegistryError` on anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise RegistryError(f"{what} '{text}' is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def to_day(value: str | date | None, what: str = "date") -> str | None:
    """``value`` as ``YYYY-MM-DD`` (for event dates); None stays None."""
    iso = to_iso(value, what)
    return iso[:10] if iso else None


def time_of(iso: str | None) -> str:
    """Date and time of an ISO time, for messages where the hour matters ("2026-12-07 14:03 UTC")."""
    return f"{iso[:10]} {iso[11:16]} UTC" if iso and len(iso) >= 16 else day_of(iso)


def day_of(iso: str | None) -> str:
    """The date part of an ISO time, for messages ("expired on 2026-03-01")."""
    return (iso or "?")[:10]
