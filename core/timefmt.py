"""Times are stored in UTC and shown in Europe/London; dates the UK way."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_london(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LONDON)


def london_to_utc(day: date, clock: time) -> datetime:
    """A London wall-clock time on ``day`` as naive UTC, as stored."""
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


def uk_date(value) -> str:
    """17 September 2020."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


def uk_datetime(value: datetime | None) -> str:
    """17 September 2020 at 10:30am, in London time."""
    if value is None:
        return ""
    local = to_london(value)
    hour = local.strftime("%I").lstrip("0")
    return f"{uk_date(local.date())} at {hour}:{local:%M}{local.strftime('%p').lower()}"


def today_london() -> date:
    return datetime.now(LONDON).date()
