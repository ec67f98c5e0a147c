"""The demo county's year of MASH records (September 2020 to August 2021), its Early Help
consultations and the autumn-2020 cohort.

It runs after the courses demo has made attendance. DSLs who attended an induction or refresher
session in September 2020 make fewer non-urgent calls from October on, as in the reference trial.
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

YEAR_START, YEAR_END = date(2020, 9, 1), date(2021, 8, 31)
EXPOSURE = (date(2020, 9, 1), date(2020, 9, 30))
OUTCOME = (date(2020, 9, 1), date(2020, 12, 31))
COURSES = ["induction", "refresher"]
COHORT = "autumn-2020"
# Per DSL per month, scaled by school size (pupils / 400): about 0.57 contacts and 0.37 referrals
# per DSL over the autumn term, as in the reference trial's comparison group.
CONTACTS_PER_MONTH, REFERRALS_PER_MONTH = 0.15, 0.095
TREATED_CONTACTS, TREATED_REFERRALS = 0.33, 0.6  # multipliers after training
OTHER_SOURCES = {  # source: (records a month, telephone share, contact share)
    "Police": (240, 0.07, 0.45), "Health": (180, 0.45, 0.55), "Local authority": (120, 0.3, 0.5),
    "Family": (100, 0.7, 0.7), "Anonymous": (45, 0.8, 0.75), "Other": (70, 0.35, 0.6),
}
OTHER_METHODS = np.array(["Email", "Online form", "Letter"])
OUTCOMES_BY_CLASS = {"contact": (np.array(["NFA", "Early Help", "Signposted"]), [0.45, 0.35, 0.2]),
                     "referral": (np.array(["Social care assessment", "Strategy discussion", "Early Help"]), [0.6, 0.25, 0.15])}
EARLY_HELP_START, EARLY_HELP_GROWTH = 120, 0.35


def _treated_emails() -> set[str]:
    ids = services.treated(COURSES, *EXPOSURE)["dsl_id"].tolist()
    return set(db.session.scalars(select(Dsl.email).where(Dsl.id.in_(ids)))) if ids else set()


def _batch(kind: str, filename: str, frame: pd.DataFrame) -> ImportBatch:
    checksum = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
    batch = ImportBatch(kind=kind, filename=filename, checksum=checksum, user_id=None, source="cli",
                        rows=len(frame), created=len(frame), updated=0, unchanged=0)
    db.session.add(batch)
    db.session.flush()
    return batch


def _months() -> pd.DatetimeIndex:
    return pd.date_range(YEAR_START, YEAR_END, freq="MS")


def _school_records(generator, dsls: pd.DataFrame, treated: set[str]) -> pd.DataFrame:
    """Calls from school DSLs: a DSL's rate grows with school size and varies from person to person."""
    months = _months()
    size = (dsls["pupils"].to_numpy(float) / 400).clip(0.2, 3)
    propensity = generator.gamma(0.35, 1 / 0.35, len(dsls)) * size
    is_treated = dsls["email"].isin(treated).to_numpy()
    after = np.asarray(months >= pd.Timestamp("2020-10-01"))
    frames = []
    for classification, base, effect in (("contact", CONTACTS_PER_MONTH, TREATED_CONTACTS),
                                         ("referral", REFERRALS_PER_MONTH, TREATED_REFERRALS)):
        rate = base * propensity[:, None] * np.where(is_treated[:, None] & after[None, :], effect, 1.0)
        counts = generator.poisson(rate)
        dsl_index, month_index = np.nonzero(counts)
        repeats = counts[dsl_index, month_index]
        frames.append(pd.DataFrame({"dsl": np.repeat(dsl_index, repeats), "month": np.repeat(month_index, repeats),
                                    "classification": classification}))
    calls = pd.concat(frames, ignore_index=True)
    email = dsls["email"].to_numpy()[calls["dsl"]]
    domain = pd.Series(email).str.split("@").str[1]
    roll = generator.random(len(calls))
    # A few calls come from school staff not on the register, a few carry no email at all.
    email = np.where(roll < 0.06, "office@" + domain, np.where(roll < 0.09, "", email))
    email = np.where((roll >= 0.09) & (roll < 0.12), pd.Series(email).str.upper(), email)
    return pd.DataFrame({
        "month": calls["month"], "source": "School",
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
            "month": np.repeat(np.arange(len(counts)), counts), "source": source,
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
    return pd.Series(starts + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="m"))


def _link(emails: pd.Series, register: pd.Series) -> pd.Series:
    return emails.str.strip().str.lower().map(register).astype("Int64")


def load(rng) -> None:
    generator = np.random.default_rng(rng.randrange(2**32))
    treated = _treated_emails()
    dsls = pd.DataFrame(db.session.execute(select(Dsl.id, Dsl.email, School.urn, School.pupils)
                                           .join(School, Dsl.school_id == School.id).order_by(Dsl.id)).all(),
                        columns=["id", "email", "school_urn", "pupils"])
    register = pd.Series(dsls["id"].to_numpy(), index=dsls["email"])

    records = pd.concat([_school_records(generator, dsls, treated), _other_records(generator)], ignore_index=True)
    records = records.assign(received_at=_received_at(generator, records["month"].to_numpy()))
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
    batch = _batch("contacts", "demo-mash-2020-21.csv", records)
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
    batch = _batch("early-help", "demo-early-help-2020-21.csv", consultations)
    bulk_insert(EarlyHelpConsultation.__table__, consultations.assign(import_batch_id=batch.id),
                ["consultation_id", "date", "school_urn", "referrer_email", "dsl_id", "import_batch_id"])

    if set(COURSES) <= set(services.course_codes()) and services.cohort_by_name(COHORT) is None:
        services.create_cohort(services.Definition(COHORT, COURSES, EXPOSURE, OUTCOME))
