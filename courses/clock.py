"""The training clock: from who attended what and when, each DSL's status on a given day.

Pure: DataFrames and dates in, a DataFrame out; no Flask, no database. Shared by ``flask courses due``
and the training-clock pages.

- Two-year training: the last ``attended`` session of a course that renews the DSL training
  (induction, refresher). It expires ``training_months`` later (29 February + 24 months is 28 February).
- Annual update: the last ``attended`` session of any course (training courses carry the update too);
  it expires ``update_months`` later.
- Status on day ``on``: ``never`` (no such attendance), ``expired`` (expiry before ``on``), ``due``
  (expiry within ``due_days`` after ``on``, ``on`` itself included) or ``in-date``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

STATUSES = ("never", "expired", "due", "in-date")
STATUS_LABELS = {"never": "Never trained", "expired": "Expired", "due": "Due", "in-date": "In date"}


@dataclass(frozen=True)
class Periods:
    training_months: int = 24
    update_months: int = 12
    due_days: int = 90


def add_months(days: pd.Series, months: int) -> pd.Series:
    """Each date plus whole calendar months, clipped to the month's last day (29 Feb + 24 months = 28 Feb)."""
    stamps = pd.to_datetime(days)
    return stamps + pd.DateOffset(months=months)


def statuses(expires: pd.Series, on: date, due_days: int) -> pd.Series:
    """never / expired / due / in-date for each expiry date (NaT means never)."""
    on_stamp = pd.Timestamp(on)
    horizon = on_stamp + pd.Timedelta(days=due_days)
    out = pd.Series("in-date", index=expires.index, dtype=object)
    out[expires <= horizon] = "due"
    out[expires < on_stamp] = "expired"
    out[expires.isna()] = "never"
    return out


def training_clock(people: pd.DataFrame, attended: pd.DataFrame, on: date, periods: Periods = Periods()) -> pd.DataFrame:
    """``people`` has a ``dsl_id`` column (and any others, kept); ``attended`` has ``dsl_id``,
    ``day`` (date of the session's first day) and ``renews`` ("training" or "update"), one row per
    attended session. Adds last_trained, expires, status, last_updated, update_expires, update_status.
    Every attendance counts, as the register stands today, whatever ``on`` is."""
    attended = attended.assign(day=pd.to_datetime(attended["day"]).astype("datetime64[ns]"))
    last_trained = attended[attended["renews"] == "training"].groupby("dsl_id")["day"].max()
    last_updated = attended.groupby("dsl_id")["day"].max()
    out = people.copy()
    out["last_trained"] = last_trained.reindex(out["dsl_id"]).to_numpy()
    out["expires"] = add_months(out["last_trained"], periods.training_months)
    out["status"] = statuses(out["expires"], on, periods.due_days)
    out["last_updated"] = last_updated.reindex(out["dsl_id"]).to_numpy()
    out["update_expires"] = add_months(out["last_updated"], periods.update_months)
    out["update_status"] = statuses(out["update_expires"], on, periods.due_days)
    return out


def as_dates(frame: pd.DataFrame, columns=("last_trained", "expires", "last_updated", "update_expires")) -> pd.DataFrame:
    """The date columns as ``datetime.date`` or None, for JSON, CSV and templates."""
    frame = frame.copy()
    for name in columns:
        values = frame[name]
        frame[name] = [None if pd.isna(v) else v.date() for v in values]
    return frame


def school_cover(clock: pd.DataFrame) -> pd.DataFrame:
    """Per school: whether it has at least one in-date DSL and at least one in-date deputy.

    ``clock`` needs school_id, role ("DSL" or "Deputy DSL") and status columns."""
    in_date = clock["status"] == "in-date"
    frame = clock.assign(dsl_in_date=in_date & (clock["role"] == "DSL"),
                         deputy_in_date=in_date & (clock["role"] == "Deputy DSL"),
                         in_date=in_date)
    grouped = frame.groupby("school_id").agg(people=("dsl_id", "size"), in_date=("in_date", "sum"),
                                             dsl_in_date=("dsl_in_date", "any"), deputy_in_date=("deputy_in_date", "any"))
    return grouped.reset_index()
