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

import numpy as np
import pandas as pd

STATUSES = ("never", "expired", "due", "in-date")
STATUS_LABELS = {"never": "Never trained", "expired": "Expired", "due": "Due", "in-date": "In date"}


@dataclass(frozen=True)
class Periods:
    training_months: int = 24
    update_months: int = 12
    due_days: int = 90


# The rules below work on numpy arrays of datetime64[ns]: the whole register at once for the clock
# pages and `courses due`, or the one person whose training page asks, in microseconds either way
# (a dozen small pandas operations would cost that page milliseconds).


def months_later(days: np.ndarray, months: int) -> np.ndarray:
    """datetime64[ns] ``days`` plus whole calendar months, clipped to the month's last day
    (29 Feb + 24 months = 28 Feb); NaT stays NaT and a time of day rides along."""
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    target = month + np.timedelta64(months, "M")
    first = target.astype("datetime64[D]")
    into = np.minimum(day - month.astype("datetime64[D]"), (target + np.timedelta64(1, "M")).astype("datetime64[D]")
                      - first - np.timedelta64(1, "D"))
    shifted = (first + into).astype("datetime64[ns]") + (days - day.astype("datetime64[ns]"))
    return np.where(np.isnat(days), np.datetime64("NaT", "ns"), shifted)


def add_months(days: pd.Series, months: int) -> pd.Series:
    """Each date plus whole calendar months (see months_later), as a Series like ``days``."""
    stamps = pd.to_datetime(days)
    later = months_later(stamps.to_numpy(dtype="datetime64[ns]"), months)
    return pd.Series(later, index=days.index).astype(stamps.dtype)


def status_of(expires: np.ndarray, on: date, due_days: int) -> np.ndarray:
    """never / expired / due / in-date for each datetime64[ns] expiry (NaT means never)."""
    on_day = np.datetime64(on, "ns")
    return np.select([np.isnat(expires), expires < on_day, expires <= on_day + np.timedelta64(due_days, "D")],
                     ["never", "expired", "due"], "in-date").astype(object)


def statuses(expires: pd.Series, on: date, due_days: int) -> pd.Series:
    """status_of for a Series of expiry dates."""
    return pd.Series(status_of(expires.to_numpy(dtype="datetime64[ns]"), on, due_days), index=expires.index,
                     dtype=object)


# NaT's bit pattern, the smallest int64: a latest day that is still this was never set.
NOT_A_TIME = np.iinfo(np.int64).min


def latest_days(dsl_ids: np.ndarray, days: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The latest of ``days`` (datetime64[ns]) for each id in ``wanted``, NaT when it has none.

    One numpy pass into an array indexed by id, faster than a pandas groupby for the whole register
    and for one person alike."""
    dsl_ids, wanted = dsl_ids.astype(np.int64), wanted.astype(np.int64)
    latest = np.full(int(max(dsl_ids.max(initial=0), wanted.max(initial=0))) + 1, NOT_A_TIME, dtype=np.int64)
    np.maximum.at(latest, dsl_ids, days.view(np.int64))
    return latest[wanted].view("datetime64[ns]")


def clock_columns(wanted: np.ndarray, dsl_ids: np.ndarray, days: np.ndarray, renews_training: np.ndarray,
                  on: date, periods: Periods = Periods()) -> dict[str, np.ndarray]:
    """The clock of each id in ``wanted`` from attended sessions given as arrays (one element each):
    the DSL's id, the session's first day (datetime64[ns]) and whether its course renews the training.
    Returns last_trained, expires, status, last_updated, update_expires and update_status."""
    # Any attended course updates; only some renew the training.
    last_trained = latest_days(dsl_ids[renews_training], days[renews_training], wanted)
    last_updated = latest_days(dsl_ids, days, wanted)
    expires = months_later(last_trained, periods.training_months)
    update_expires = months_later(last_updated, periods.update_months)
    return {"last_trained": last_trained, "expires": expires, "status": status_of(expires, on, periods.due_days),
            "last_updated": last_updated, "update_expires": update_expires,
            "update_status": status_of(update_expires, on, periods.due_days)}


def training_clock(people: pd.DataFrame, attended: pd.DataFrame, on: date, periods: Periods = Periods()) -> pd.DataFrame:
    """``people`` has a ``dsl_id`` column (and any others, kept); ``attended`` has ``dsl_id``,
    ``day`` (date of the session's first day) and ``renews`` ("training" or "update"), one row per
    attended session. Adds last_trained, expires, status, last_updated, update_expires, update_status.
    Every attendance counts, as the register stands today, whatever ``on`` is."""
    columns = clock_columns(people["dsl_id"].to_numpy(), attended["dsl_id"].to_numpy(),
                            pd.to_datetime(attended["day"]).to_numpy(dtype="datetime64[ns]"),
                            (attended["renews"] == "training").to_numpy(), on, periods)
    added = pd.DataFrame({name: pd.Series(values, index=people.index, dtype=object if name.endswith("status") else None)
                          for name, values in columns.items()})
    return pd.concat([people, added], axis=1)


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
