"""A synthetic county with a known effect: training cuts a DSL's non-urgent contacts to 40% from the
day after it ends, and leaves referrals alone. Everything goes through the database: attendance,
the cohort's frozen days at risk, the counts in SQL and the models. The first version's comparison
of whole-window means misses the truth (it counts autumn calls made before training as trained,
and calls after November's training as untrained); the rate per day at risk finds it."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import insert, select

from cohorts import services
from cohorts.models import MashRecord
from core.models import ImportBatch
from courses.models import Attendance
from people.models import Dsl, School

TRUE_CONTACT_RATIO, TRUE_REFERRAL_RATIO = 0.4, 1.0
SCHOOLS, PER_SCHOOL = 80, 5
AUTUMN = [date(2020, 9, 15), date(2020, 9, 22), date(2020, 9, 29), date(2020, 10, 6), date(2020, 10, 13),
          date(2020, 10, 20), date(2020, 10, 27)]
EXPOSURE = (date(2020, 9, 1), date(2020, 10, 31))
NOVEMBER = date(2020, 11, 10)
OUTCOME = (date(2020, 9, 1), date(2020, 12, 31))
PRE = (date(2019, 9, 1), date(2019, 12, 31))
LONDON = ZoneInfo("Europe/London")


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _eleven(day: date) -> datetime:
    return datetime.combine(day, time(11), tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def county(db_session, make_session):
    rng = np.random.default_rng(2021)
    db_session.execute(insert(School), [{"urn": 700000 + s, "name": f"Synthetic {s}", "pupils": int(rng.integers(80, 900)),
                                         "fsm_percent": float(rng.uniform(2, 40)),
                                         "phase": ("Primary", "Secondary", "Special")[s % 3]} for s in range(SCHOOLS)])
    schools = dict(db_session.execute(select(School.urn, School.id).where(School.urn >= 700000)).all())
    db_session.execute(insert(Dsl), [{"email": f"synthetic{i}@school.example.org", "name": f"Synthetic {i}",
                                      "school_id": schools[700000 + i // PER_SCHOOL],
                                      "role": "DSL" if i % PER_SCHOOL == 0 else "Deputy DSL"}
                                     for i in range(SCHOOLS * PER_SCHOOL)])
    ids = np.array(db_session.scalars(select(Dsl.id).where(Dsl.email.like("synthetic%")).order_by(Dsl.id)).all())
    order = rng.permutation(len(ids))
    autumn, november = ids[order[:120]], ids[order[120:160]]
    trained_on = {}
    for n, dsl_id in enumerate(autumn):
        trained_on[int(dsl_id)] = AUTUMN[n % len(AUTUMN)]
    for dsl_id in november:
        trained_on[int(dsl_id)] = NOVEMBER
    sessions = {day: make_session("refresher", first_day=day, capacity=200) for day in AUTUMN + [NOVEMBER]}
    db_session.execute(insert(Attendance), [{"session_id": sessions[day].id, "dsl_id": dsl_id, "status": "attended"}
                                            for dsl_id, day in trained_on.items()])
    # Each school has its own rate, so DSLs of one school are alike (the reason for clustered intervals).
    school_rate = rng.gamma(3.0, 1 / 3.0, SCHOOLS)[np.arange(len(ids)) // PER_SCHOOL]
    batch = ImportBatch(kind="contacts", filename="synthetic.csv", checksum="s" * 64, source="cli", rows=1,
                        created=1, updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    rows = []
    days = np.array(_days(*PRE) + _days(*OUTCOME))
    for index, dsl_id in enumerate(ids):
        trained = trained_on.get(int(dsl_id))
        after = np.array([trained is not None and day > trained for day in days])
        for classification, base, effect in (("contact", 0.012, TRUE_CONTACT_RATIO), ("referral", 0.006, TRUE_REFERRAL_RATIO)):
            counts = rng.poisson(base * school_rate[index] * np.where(after, effect, 1.0))
            for day in days[counts > 0].repeat(counts[counts > 0]):
                rows.append({"contact_id": f"S-{len(rows)}", "received_at": _eleven(day), "source": "School",
                             "method": "Telephone", "classification": classification, "dsl_id": int(dsl_id),
                             "import_batch_id": batch.id})
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()
    definition = services.Definition("synthetic", ["refresher"], EXPOSURE, OUTCOME, PRE)
    cohort = services.create_cohort(definition)
    db_session.commit()
    return cohort


def test_the_rate_per_day_at_risk_finds_the_true_effect_where_the_first_version_does_not(county):
    figures = services.cohort_report(county).figures
    block = figures["exposure_time"]
    assert block["treatment"]["dsls"] == 120 and block["comparison"]["dsls"] == 280
    assert block["clusters"] == SCHOOLS
    low, high = block["contacts_ci95"]
    assert low < TRUE_CONTACT_RATIO < high
    assert block["referrals_ci95"][0] < TRUE_REFERRAL_RATIO < block["referrals_ci95"][1]
    # The first version: treatment mean over comparison mean across the whole window.
    groups = figures["groups"]
    naive = groups["treatment"]["mean_contacts"] / groups["comparison"]["mean_contacts"]
    assert naive > high, "the whole-window comparison understates the effect"
    assert abs(block["contacts_rate_ratio"] - TRUE_CONTACT_RATIO) < abs(naive - TRUE_CONTACT_RATIO)
    # The weighted estimate targets the same effect (training was given at random here).
    weighted = figures["weighted"]
    assert weighted["contacts_ci95"][0] < TRUE_CONTACT_RATIO < weighted["contacts_ci95"][1]
    # The difference in differences counts the weeks before training as "after": diluted, but below 1.
    pre_post = figures["pre_post"]
    assert pre_post["did_rate_ratio"] < 1 and pre_post["did_ci95"][1] < 1
    assert pre_post["did_rate_ratio"] > block["contacts_rate_ratio"]
