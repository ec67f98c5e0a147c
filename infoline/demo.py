"""A year of Infoline calls in the demo county (September 2020 to August 2021), and its topics.

It runs after the MASH records and the autumn-2020 cohort. A DSL calls the Infoline at a rate that
grows with school size and varies from person to person; from the day after their first induction
or refresher of the year they call it three times as often (the training sends their advice calls
here instead of the MASH, whose demo records fall by as much). A few calls come from school staff
not on the register, recorded with their school only.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from cohorts import demo as mash_demo
from core.bulk import bulk_insert
from core.extensions import db
from core.models import ImportBatch
from infoline.models import ADVICE, InfolineCall, InfolineTopic
from people.models import Dsl, School

YEAR_START, YEAR_END = date(2020, 9, 1), date(2021, 8, 31)
CALLS_PER_MONTH = 0.05  # per untrained DSL, scaled by school size (pupils / 400)
TRAINED_MULTIPLIER = 3.0
NOT_ON_REGISTER = 0.08  # share of calls from staff not on the register
ADVICE_SHARES = {"handled": (0.5, 0.6), "early-help": (0.2, 0.22), "mash": (0.2, 0.08), "other": (0.1, 0.1)}
TOPICS = ("Neglect", "Emotional abuse", "Physical abuse", "Sexual abuse", "Online safety", "Domestic abuse",
          "Mental health and self-harm", "Attendance and missing education", "Threshold and referral advice",
          "Allegations against staff")
TOPIC_SHARES = (0.18, 0.12, 0.1, 0.05, 0.1, 0.12, 0.12, 0.06, 0.11, 0.04)


def _months() -> pd.DatetimeIndex:
    return pd.date_range(YEAR_START, YEAR_END, freq="MS")


def _calls(generator, dsls: pd.DataFrame) -> pd.DataFrame:
    """Each DSL's calls month by month, their rate raised from the day after training."""
    months = _months()
    size = (dsls["pupils"].to_numpy(float) / 400).clip(0.2, 3)
    propensity = generator.gamma(0.5, 1 / 0.5, len(dsls)) * size
    # Drawn at the trained rate; a call before the DSL's training is kept with 1/multiplier's chance.
    counts = generator.poisson(CALLS_PER_MONTH * TRAINED_MULTIPLIER * propensity[:, None] * np.ones(len(months)))
    dsl_index, month_index = np.nonzero(counts)
    repeats = counts[dsl_index, month_index]
    calls = pd.DataFrame({"dsl": np.repeat(dsl_index, repeats), "month": np.repeat(month_index, repeats)})
    starts = months[calls["month"].to_numpy()]
    day = np.floor(generator.random(len(calls)) * starts.days_in_month.to_numpy()).astype(int)
    minutes = generator.integers(8 * 60, 17 * 60, len(calls))
    calls["received_at"] = (starts + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="m")).to_numpy()
    trained_on = dsls["trained_on"].to_numpy()[calls["dsl"]]
    trained = (pd.Series(calls["received_at"]).dt.normalize() > trained_on).to_numpy()
    keep = trained | (generator.random(len(calls)) < 1 / TRAINED_MULTIPLIER)
    calls = calls[keep].reset_index(drop=True)
    calls["trained"] = trained[keep]
    return calls


def _advice(generator, trained: np.ndarray) -> np.ndarray:
    """Trained DSLs are told to contact the MASH less often: their concerns are better judged."""
    out = np.empty(len(trained), dtype=object)
    for flag, column in ((False, 0), (True, 1)):
        chosen = trained == flag
        weights = np.array([ADVICE_SHARES[a][column] for a in ADVICE])
        out[chosen] = generator.choice(ADVICE, int(chosen.sum()), p=weights / weights.sum())
    return out


def load(rng) -> None:
    generator = np.random.default_rng(rng.randrange(2**32))
    db.session.add_all([InfolineTopic(name=name, active=True) for name in TOPICS])
    dsls = pd.DataFrame(db.session.execute(select(Dsl.id, Dsl.email, School.urn, School.pupils)
                                           .join(School, Dsl.school_id == School.id).order_by(Dsl.id)).all(),
                        columns=["id", "email", "school_urn", "pupils"])
    dsls["trained_on"] = mash_demo.trained_on(dsls["id"])
    calls = _calls(generator, dsls).sort_values("received_at", kind="stable").reset_index(drop=True)
    n = len(calls)
    on_register = generator.random(n) >= NOT_ON_REGISTER
    frame = pd.DataFrame({
        "call_id": "INF-" + pd.Series(np.arange(10001, 10001 + n)).astype(str),
        "received_at": calls["received_at"],
        "advice": _advice(generator, calls["trained"].to_numpy()),
        "caller_email": np.where(on_register, dsls["email"].to_numpy()[calls["dsl"]], None),
        "dsl_id": pd.array(np.where(on_register, dsls["id"].to_numpy()[calls["dsl"]], 0), dtype="Int64"),
        "school_urn": dsls["school_urn"].to_numpy()[calls["dsl"]],
        "topic": generator.choice(TOPICS, n, p=TOPIC_SHARES),
        "duration_minutes": np.clip(np.round(generator.gamma(2.2, 5, n)), 1, 90).astype(int),
    })
    frame.loc[~on_register, "dsl_id"] = pd.NA
    checksum = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    batch = ImportBatch(kind="infoline", filename="demo-infoline-2020-21.csv", checksum=checksum, user_id=None,
                        source="cli", rows=n, created=n, updated=0, unchanged=0)
    db.session.add(batch)
    db.session.flush()
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()
    bulk_insert(InfolineCall.__table__, frame.assign(import_batch_id=batch.id, created_at=now, updated_at=now),
                ["call_id", "received_at", "advice", "caller_email", "dsl_id", "school_urn", "topic",
                 "duration_minutes", "import_batch_id", "created_at", "updated_at"])
