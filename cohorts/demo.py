"""The demo county's two years of MASH records (September 2019 to August 2021), its Early Help
consultations and the autumn-2020 cohort, with the autumn of 2019 as its pre-period.

It runs after the courses demo has made attendance. A DSL who attends an induction or refresher
from September 2020 on makes fewer calls from the day after their training ends (a third of the
non-urgent contacts, as in the reference trial, and 0.6 of the referrals), and as many as before
until then: the outcome report's days at risk find the effect where it starts, and a comparison
that counts the whole window from 1 September dilutes it.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from cohorts import services
from cohorts.models import EarlyHelpConsultation, MashRecord
from core.bulk import bulk_insert
from core.extensions import db
from core.models import ImportBatch
from people.models import Dsl, School

DATA_START, YEAR_START, YEAR_END = date(2019, 9, 1), date(2020, 9, 1), date(2021, 8, 31)
EXPOSURE = (date(2020, 9, 1), date(2020, 9, 30))
OUTCOME = (date(2020, 9, 1), date(2020, 12, 31))
PRE = (date(2019, 9, 1), date(2019, 12, 31))  # the same term a year before
COURSES = ["induction", "refresher"]
COHORT = "autumn-2020"
# Per DSL per month, scaled by school size (pupils / 400): about 0.57 contacts and 0.37 referrals
# per DSL over the autumn term, as in the reference trial's comparison group.
CONTACTS_PER_MONTH, REFERRALS_PER_MONTH = 0.15, 0.095
TREATED = {"contact": 0.33, "referral": 0.6}  # rate multipliers from the day after training
OTHER_SOURCES = {  # source: (records a month, telephone share, contact share)
    "Police": (240, 0.07, 0.45), "Health": (180, 0.45, 0.55), "Local authority": (120, 0.3, 0.5),
    "Family": (100, 0.7, 0.7), "Anonymous": (45, 0.8, 0.75), "Other": (70, 0.35, 0.6),
}
OTHER_METHODS = np.array(["Email", "Online form", "Letter"])
OUTCOMES_BY_CLASS = {"contact": (np.array(["NFA", "Early Help", "Signposted"]), [0.45, 0.35, 0.2]),
                     "referral": (np.array(["Social care assessment", "Strategy discussion", "Early Help"]), [0.6, 0.25, 0.15])}
EARLY_HELP_START, EARLY_HELP_GROWTH = 120, 0.35


def trained_on(dsl_ids: pd.Series) -> pd.Series:
    """Each DSL's last day of their first induction or refresher from the evaluation year's start
    (NaT if none): calls after it are made by a trained DSL."""
    sessions = services.qualifying_sessions(COURSES, YEAR_START)
    first = sessions.assign(first_day=pd.to_datetime(sessions["first_day"])).sort_values("first_day") \
        .drop_duplicates("dsl_id").set_index("dsl_id")["last_day"]
    return pd.to_datetime(dsl_ids.map(first))


def _batch(kind: str, filename: str, frame: pd.DataFrame) -> ImportBatch:
    checksum = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    batch = ImportBatch(kind=kind, filename=filename, checksum=checksum, user_id=None, source="cli",
                        rows=len(frame), created=len(frame), updated=0, unchanged=0)
    db.session.add(batch)
    db.session.flush()
    return batch


def _months() -> pd.DatetimeIndex:
    return pd.date_range(DATA_START, YEAR_END, freq="MS")


def _school_records(generator, dsls: pd.DataFrame) -> pd.DataFrame:
    """Calls from school DSLs: a DSL's rate grows with school size and varies from person to person,
    and falls from the day after their training (each call then kept with the effect's chance)."""
    size = (dsls["pupils"].to_numpy(float) / 400).clip(0.2, 3)
    propensity = generator.gamma(0.35, 1 / 0.35, len(dsls)) * size
    frames = []
    for classification, base in (("contact", CONTACTS_PER_MONTH), ("referral", REFERRALS_PER_MONTH)):
        counts = generator.poisson(base * propensity[:, None] * np.ones(len(_months()))[None, :])
        dsl_index, month_index = np.nonzero(counts)
        repeats = counts[dsl_index, month_index]
        frames.append(pd.DataFrame({"dsl": np.repeat(dsl_index, repeats), "month": np.repeat(month_index, repeats),
                                    "classification": classification}))
    calls = pd.concat(frames, ignore_index=True)
    calls["received_at"] = _received_at(generator, calls["month"].to_numpy())
    trained_on = dsls["trained_on"].to_numpy()[calls["dsl"]]
    after = (calls["received_at"].dt.normalize() > trained_on).to_numpy()
    keep = ~after | (generator.random(len(calls)) < calls["classification"].map(TREATED).to_numpy())
    calls = calls[keep].reset_index(drop=True)
    email = dsls["email"].to_numpy()[calls["dsl"]]
    domain = pd.Series(email).str.split("@").str[1]
    roll = generator.random(len(calls))
    # A few calls come from school staff not on the register, a few carry no email at all.
    email = np.where(roll < 0.06, "office@" + domain, np.where(roll < 0.09, "", email))
    email = np.where((roll >= 0.09) & (roll < 0.12), pd.Series(email).str.upper(), email)
    return pd.DataFrame({
        "received_at": calls["received_at"], "source": "School",
        "method": np.where(generator.random(len(calls)) < 0.72, "Telephone",
                           generator.choice(OTHER_METHODS, len(calls), p=[0.5, 0.45, 0.05])),
        "classification": calls["classification"], "referrer_email": email,
        "school_urn": dsls["school_urn"].to_numpy()[calls["dsl"]],
    })


def _other_records(generator) -> pd.DataFrame:
    frames = []
    for source, (per_month, telephone, contact_share) in OTHER_SOURCES.items():
        counts = generator.poisson(per_month, len(_months()))
        n = int(counts.sum())
        frames.append(pd.DataFrame({
            "received_at": _received_at(generator, np.repeat(np.arange(len(counts)), counts)), "source": source,
            "method": np.where(generator.random(n) < telephone, "Telephone",
                               generator.choice(OTHER_METHODS, n, p=[0.5, 0.45, 0.05])),
            "classification": np.where(generator.random(n) < contact_share, "contact", "referral"),
            "referrer_email": "", "school_urn": pd.NA,
        }))
    return pd.concat(frames, ignore_index=True)


def _received_at(generator, months: np.ndarray) -> pd.Series:
    """Working-hours UTC time stamps inside each record's month."""
    starts = _months()[months]
    days_in_month = starts.days_in_month.to_numpy()
    day = np.floor(generator.random(len(months)) * days_in_month).astype(int)
    minutes = generator.integers(8 * 60, 18 * 60, len(months))
    return pd.Series(starts + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="m")).reset_index(drop=True)


def _link(emails: pd.Series, register: pd.Series) -> pd.Series:
    return emails.str.strip().str.lower().map(register).astype("Int64")


def load(rng) -> None:
    generator = np.random.default_rng(rng.randrange(2**32))
    dsls = pd.DataFrame(db.session.execute(select(Dsl.id, Dsl.email, School.urn, School.pupils)
                                           .join(School, Dsl.school_id == School.id).order_by(Dsl.id)).all(),
                        columns=["id", "email", "school_urn", "pupils"])
    dsls["trained_on"] = trained_on(dsls["id"])
    register = pd.Series(dsls["id"].to_numpy(), index=dsls["email"])

    records = pd.concat([_school_records(generator, dsls), _other_records(generator)], ignore_index=True)
    records = records.sort_values("received_at", kind="stable").reset_index(drop=True)
    outcome = np.empty(len(records), dtype=object)
    for classification, (choices, weights) in OUTCOMES_BY_CLASS.items():
        chosen = (records["classification"] == classification).to_numpy()
        outcome[chosen] = generator.choice(choices, int(chosen.sum()), p=weights)
    records = records.assign(
        contact_id="MASH-" + pd.Series(np.arange(200001, 200001 + len(records))).astype(str),
        referrer_email=records["referrer_email"].replace("", None).str.lower(),
        outcome=outcome,
        school_urn=records["school_urn"].astype("Int64"))
    records["dsl_id"] = _link(records["referrer_email"].fillna(""), register)
    batch = _batch("contacts", "demo-mash-2019-21.csv", records)
    bulk_insert(MashRecord.__table__, records.assign(import_batch_id=batch.id),
                ["contact_id", "received_at", "source", "method", "classification", "referrer_email", "school_urn",
                 "outcome", "dsl_id", "import_batch_id"])

    months = _months()
    per_month = generator.poisson(EARLY_HELP_START * (1 + EARLY_HELP_GROWTH * np.arange(len(months)) / (len(months) - 1)))
    month_index = np.repeat(np.arange(len(months)), per_month)
    day = np.floor(generator.random(len(month_index)) * months[month_index].days_in_month.to_numpy()).astype(int)
    asker = generator.integers(0, len(dsls), len(month_index))
    has_email = generator.random(len(month_index)) < 0.7
    consultations = pd.DataFrame({
        "consultation_id": "EH-" + pd.Series(np.arange(70001, 70001 + len(month_index))).astype(str),
        "date": (months[month_index] + pd.to_timedelta(day, unit="D")).date,
        "school_urn": dsls["school_urn"].to_numpy()[asker],
        "referrer_email": np.where(has_email, dsls["email"].to_numpy()[asker], None),
    })
    consultations["dsl_id"] = _link(consultations["referrer_email"].fillna(""), register)
    batch = _batch("early-help", "demo-early-help-2019-21.csv", consultations)
    bulk_insert(EarlyHelpConsultation.__table__, consultations.assign(import_batch_id=batch.id),
                ["consultation_id", "date", "school_urn", "referrer_email", "dsl_id", "import_batch_id"])

    if set(COURSES) <= set(services.course_codes()) and services.cohort_by_name(COHORT) is None:
        services.create_cohort(services.Definition(COHORT, COURSES, EXPOSURE, OUTCOME, PRE))
