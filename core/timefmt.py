"""Times are stored in UTC and shown in Europe/London; dates are read and shown the UK way.

One rule turns a London wall-clock time into UTC, for a single time and for a column of them alike:

- a time in the hour skipped when the clocks go forward (01:00 to 01:59 on the last Sunday of
  March) is read as if the clocks had not yet gone forward, that is as GMT: 01:30 is 01:30 UTC;
- a time in the hour repeated when the clocks go back (01:00 to 01:59 on the last Sunday of
  October) is read as its first occurrence, still in British Summer Time: 01:30 is 00:30 UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

LONDON = ZoneInfo("Europe/London")
# How far the clocks go forward in March: a skipped wall-clock time moved on by this much, then
# read in summer time, is the same instant as that time read in GMT.
SUMMER_SHIFT = timedelta(hours=1)

# The two ways a date is written, everywhere the service reads one (forms, commands, and the import
# files through core.imports.parse_dates): ISO 8601 2020-09-17, or the UK's day-first 17/09/2020
# (17/9/2020 too). Never month first.
ISO_DAY_SHAPE = r"\d{4}-\d{2}-\d{2}"
UK_DAY_SHAPE = r"\d{1,2}/\d{1,2}/\d{4}"
DAY_EXAMPLE = "2020-09-17 or 17/09/2020"


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` less ``months`` calendar months, on the same day of the month where there is one
    (31 May less 3 months is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def to_london(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LONDON)


def london_to_utc(day: date, clock: time) -> datetime:
    """A London wall-clock time on ``day`` as naive UTC, as stored (the module's rule for the
    skipped and the repeated hour)."""
    # fold=0 is zoneinfo's reading of both edges: the offset in force before the change.
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


def london_series_to_utc(stamps: pd.Series) -> pd.Series:
    """:func:`london_to_utc` for a column of naive London wall-clock times, in a few vectorised steps."""
    if stamps.empty:
        return stamps
    local = stamps.dt.tz_localize(LONDON.key, ambiguous=np.ones(len(stamps), dtype=bool), nonexistent=SUMMER_SHIFT)
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def parse_day(text: str | None) -> date | None:
    """A day written 2020-09-17 or 17/09/2020; None when it is blank, another shape or not a real day
    (31/02/2021 is never rolled over into March)."""
    text = (text or "").strip()
    if re.fullmatch(ISO_DAY_SHAPE, text):
        year, month, day = text.split("-")
    elif re.fullmatch(UK_DAY_SHAPE, text):
        day, month, year = text.split("/")
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def impossible_day(text: str | None) -> str | None:
    """For a day written in one of the two shapes that is not a real day, say so the way people read
    dates: '31 November 2026 is not a real date'. None for a real day, a blank, or another shape."""
    text = (text or "").strip()
    if re.fullmatch(ISO_DAY_SHAPE, text):
        year, month, day = (int(part) for part in text.split("-"))
    elif re.fullmatch(UK_DAY_SHAPE, text):
        day, month, year = (int(part) for part in text.split("/"))
    else:
        return None
    if parse_day(text) is not None:
        return None
    if 1 <= month <= 12:
        return f"{day} {date(2000, month, 1):%B} {year} is not a real date"
    return f"{text} is not a real date: there is no month {month}"


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


def month_name(month: str) -> str:
    """"2020-09" as "September 2020"."""
    return date.fromisoformat(month + "-01").strftime("%B %Y")


def today_london() -> date:
    return datetime.now(LONDON).date()
