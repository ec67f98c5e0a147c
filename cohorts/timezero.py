"""Time zero and days at risk: when each cohort member's outcomes start and stop counting.

Pure: dates in, dates out. The rule (a target-trial emulation), all days Europe/London dates and
every window including both ends:

- a treatment DSL is at risk from the later of the outcome start and the day after the last day
  of their first qualifying session in the exposure window, to the outcome end;
- a comparison DSL is at risk from the outcome start to the earlier of the outcome end and the day
  before the first day of the first qualifying session they attended that starts on or after the
  exposure start (their own training ends their time as an untrained DSL);
- a DSL left with fewer than one day has no days at risk (both ends null).

A qualifying session's *last day* is the London date its last part starts (the session's first
day when it has no dated parts, as sessions created by an attendance import).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from core.timefmt import london_to_utc, to_london

TREATMENT = "treatment"
ONE_DAY = timedelta(days=1)


def last_day(first_day: date, last_part_starts_at: datetime | None) -> date:
    """A session's last day: the London date its last part starts, else its first day."""
    if last_part_starts_at is None or pd.isna(last_part_starts_at):
        return first_day
    return to_london(pd.Timestamp(last_part_starts_at).to_pydatetime()).date()


def days_at_risk(members: pd.DataFrame, outcome: tuple[date, date]) -> pd.DataFrame:
    """``members`` (group, trained_on, next_session_on) with ``at_risk_from`` and ``at_risk_to``
    added: each member's days at risk inside ``outcome``, or both null when fewer than one."""
    start, end = (pd.Timestamp(day) for day in outcome)
    trained = pd.to_datetime(members["trained_on"])
    next_session = pd.to_datetime(members["next_session_on"])
    treated = (members["group"] if "group" in members else members["group_name"]).eq(TREATMENT)
    # A treatment member always has a training day; NaT (never, for a comparison member) falls back
    # to the window's own end through fillna.
    first = (trained + ONE_DAY).where(treated).clip(lower=start).fillna(start)
    last = (next_session - ONE_DAY).where(~treated).clip(upper=end).fillna(end)
    keep = last >= first
    out = members.copy()
    out["at_risk_from"] = pd.Series(first.dt.date, index=members.index).where(keep, None)
    out["at_risk_to"] = pd.Series(last.dt.date, index=members.index).where(keep, None)
    return out


def utc_bounds(first: pd.Series, last: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The UTC instants (naive, as stored) at which London's ``first`` day begins and the day after
    ``last`` begins: a time stamp's London date lies in [first, last] exactly when it falls in
    [low, high). Worked out once per distinct day, so a clock change is always right."""
    days = pd.concat([first, last.map(lambda d: d + ONE_DAY if isinstance(d, date) else d)]).dropna().unique()
    midnight = {day: london_to_utc(day, time(0)) for day in days}
    low = first.map(lambda d: midnight.get(d) if isinstance(d, date) else None)
    high = last.map(lambda d: midnight.get(d + ONE_DAY) if isinstance(d, date) else None)
    return low, high


def person_days(first: pd.Series, last: pd.Series) -> pd.Series:
    """last - first + 1 for each member with days at risk, else 0."""
    span = pd.to_datetime(last) - pd.to_datetime(first)
    return (span.dt.days + 1).fillna(0).astype("int64")
