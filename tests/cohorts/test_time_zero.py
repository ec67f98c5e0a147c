"""Time zero: each DSL's days at risk, frozen when the cohort is made, and their MASH records counted
on those days only, in the database. Checked against the rule worked out by hand and against a
count of the loaded records by their London dates, across the clock changes of October and March."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import insert, select

from cohorts import services, timezero
from cohorts.models import CohortMember, MashRecord
from core.extensions import db
from core.models import ImportBatch

LONDON = ZoneInfo("Europe/London")


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time as naive UTC, worked out here with zoneinfo alone."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def attend(db_session, make_session):
    """``attend(dsl, code, first_day, days=1, status="attended")``: one session per course and day."""
    from courses.models import Attendance

    sessions = {}

    def go(dsl, code, first_day, days=1, status="attended"):
        key = (code, first_day, days)
        if key not in sessions:
            sessions[key] = make_session(code, first_day=first_day, capacity=50, days=days)
        db_session.add(Attendance(session_id=sessions[key].id, dsl_id=dsl.id, status=status))
        db_session.commit()

    return go


@pytest.fixture
def batch(db_session):
    made = ImportBatch(kind="contacts", filename="edges.csv", checksum="e" * 64, source="cli", rows=1, created=1,
                       updated=0, unchanged=0)
    db_session.add(made)
    db_session.commit()
    return made


def _add_records(db_session, batch, stamps_by_dsl: dict, classification="contact"):
    rows = [{"contact_id": f"Z-{dsl_id}-{n}-{classification}", "received_at": stamp, "source": "School",
             "method": "Telephone", "classification": classification, "dsl_id": dsl_id, "import_batch_id": batch.id}
            for dsl_id, stamps in stamps_by_dsl.items() for n, stamp in enumerate(stamps)]
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()


def _frozen(cohort) -> dict:
    return {m.dsl_id: m for m in db.session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id))}


def test_the_rule_by_hand():
    members = pd.DataFrame({
        "group": ["treatment", "treatment", "treatment", "comparison", "comparison", "comparison", "comparison"],
        "trained_on": [date(2020, 9, 15), date(2020, 8, 20), date(2020, 12, 31), None, None, None, None],
        "next_session_on": [None, None, None, None, date(2020, 11, 2), date(2020, 9, 1), date(2021, 2, 1)]})
    out = timezero.days_at_risk(members, (date(2020, 9, 1), date(2020, 12, 31)))
    assert list(zip(out["at_risk_from"], out["at_risk_to"])) == [
        (date(2020, 9, 16), date(2020, 12, 31)),  # from the day after their training
        (date(2020, 9, 1), date(2020, 12, 31)),  # trained before the window: all of it
        (None, None),  # trained on the window's last day: not one day left
        (date(2020, 9, 1), date(2020, 12, 31)),  # never trained
        (date(2020, 9, 1), date(2020, 11, 1)),  # until the day before their own training
        (None, None),  # trained on the window's first day
        (date(2020, 9, 1), date(2020, 12, 31)),  # trained after the window
    ]
    assert list(timezero.person_days(out["at_risk_from"], out["at_risk_to"])) == [107, 122, 0, 122, 62, 0, 122]
    low, high = timezero.utc_bounds(out["at_risk_from"], out["at_risk_to"])
    assert (low[0], high[0]) == (datetime(2020, 9, 15, 23), datetime(2021, 1, 1, 0))
    assert pd.isna(low[2]) and pd.isna(high[2])
    assert timezero.last_day(date(2020, 9, 14), datetime(2020, 9, 15, 8, 30)) == date(2020, 9, 15)
    assert timezero.last_day(date(2020, 9, 14), None) == date(2020, 9, 14)
    # A part starting at 23:30 UTC on 24 October is on 25 October in London (still summer time).
    assert timezero.last_day(date(2020, 10, 24), datetime(2020, 10, 24, 23, 30)) == date(2020, 10, 25)


def test_days_at_risk_are_frozen_with_the_membership(runner, attend, make_dsl, make_school):
    school = make_school()
    two_day, trained_late, censored, partial, other_course, never = (make_dsl(school=school, role=role) for role in
                                                                       ("DSL", "Deputy DSL", "DSL", "DSL", "DSL", "Deputy DSL"))
    attend(two_day, "induction", date(2020, 9, 14), days=2)  # its last day is 15 September
    attend(trained_late, "refresher", date(2020, 9, 30))
    attend(censored, "refresher", date(2020, 11, 2))
    attend(partial, "refresher", date(2020, 10, 5), status="partial")
    attend(other_course, "kcsie-update", date(2020, 10, 6))
    result = runner.invoke(args=["cohorts", "create", "zero", "--courses", "induction,refresher",
                                 "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-09-30"])
    assert result.exit_code == 0, result.output
    frozen = _frozen(services.cohort_by_name("zero"))
    first = frozen[two_day.id]
    assert (first.group_name, first.trained_on, first.at_risk_from, first.at_risk_to, first.role) == (
        "treatment", date(2020, 9, 15), date(2020, 9, 16), date(2020, 9, 30), "DSL")
    assert (first.at_risk_low, first.at_risk_high) == (utc(date(2020, 9, 16), 0), utc(date(2020, 10, 1), 0))
    assert first.days_at_risk == 15
    # Trained on the outcome window's last day: a treatment member with no day at risk.
    late = frozen[trained_late.id]
    assert (late.group_name, late.at_risk_from, late.at_risk_to, late.at_risk_low) == ("treatment", None, None, None)
    assert late.days_at_risk == 0
    assert frozen[censored.id].next_session_on == date(2020, 11, 2)
    for member in (frozen[censored.id], frozen[partial.id], frozen[other_course.id], frozen[never.id]):
        assert (member.group_name, member.at_risk_from, member.at_risk_to) == ("comparison", date(2020, 9, 1),
                                                                              date(2020, 9, 30))
    assert frozen[never.id].role == "Deputy DSL" and frozen[partial.id].next_session_on is None


def test_a_comparison_dsl_is_censored_the_day_before_their_own_training(runner, attend, make_dsl, batch, db_session):
    trained, censored, never = make_dsl(), make_dsl(), make_dsl()
    attend(trained, "refresher", date(2020, 9, 10))
    attend(censored, "induction", date(2020, 11, 2), days=2)
    result = runner.invoke(args=["cohorts", "create", "censor", "--courses", "induction,refresher",
                                 "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code == 0, result.output
    # The censored DSL calls once a week all term: only the calls before 2 November count.
    weekly = [utc(date(2020, 9, 1) + timedelta(days=7 * n), 10) for n in range(18)]
    _add_records(db_session, batch, {censored.id: weekly, trained.id: weekly, never.id: weekly})
    figures = services.cohort_report(services.cohort_by_name("censor")).figures
    block = figures["exposure_time"]
    before_november = sum(stamp < datetime(2020, 11, 2) for stamp in weekly)
    after_training = sum(stamp >= datetime(2020, 9, 11) for stamp in weekly)
    assert block["comparison"] == {"dsls": 2, "person_days": 62 + 122, "contacts": before_november + 18, "referrals": 0}
    assert block["treatment"] == {"dsls": 1, "person_days": 112, "contacts": after_training, "referrals": 0}
    # The first version's table still counts the whole window for everyone.
    assert figures["groups"]["comparison"]["contacts"] == 36 and figures["groups"]["treatment"]["contacts"] == 18


CLOCK_CHANGES = [
    # (outcome window, the treatment DSL's session day, the comparison DSL's later session day,
    #  London wall-clock stamps with whether each counts for the treatment and the comparison DSL)
    ((date(2020, 10, 1), date(2020, 10, 31)), date(2020, 10, 24), date(2020, 10, 29), [
        (date(2020, 10, 24), 23, 30, False, True),  # the evening of training: not yet at risk
        (date(2020, 10, 25), 0, 30, True, True),  # 00:30 on the first day at risk, still summer time
        (date(2020, 10, 25), 1, 30, True, True),  # 01:30 happens twice that night
        (date(2020, 10, 28), 23, 30, True, True),  # the comparison DSL's last day at risk
        (date(2020, 10, 29), 0, 30, True, False),  # the day their own training starts
    ]),
    ((date(2021, 3, 1), date(2021, 3, 31)), date(2021, 3, 27), date(2021, 3, 29), [
        (date(2021, 3, 27), 23, 30, False, True),
        (date(2021, 3, 28), 0, 30, True, True),  # 00:30 GMT; at 01:00 the clocks go forward
        (date(2021, 3, 28), 23, 30, True, True),  # the comparison DSL's last day, in summer time
        (date(2021, 3, 29), 0, 30, True, False),
    ]),
]


@pytest.mark.parametrize("outcome, session_day, later_day, stamps", CLOCK_CHANGES, ids=["october", "march"])
def test_days_at_risk_across_the_clock_changes(runner, attend, make_dsl, batch, db_session, outcome, session_day,
                                               later_day, stamps):
    trained, untrained = make_dsl(), make_dsl()
    attend(trained, "refresher", session_day)
    attend(untrained, "refresher", later_day)
    exposure_end = later_day - timedelta(days=1)
    result = runner.invoke(args=["cohorts", "create", "clocks", "--courses", "refresher",
                                 "--exposure", f"{outcome[0]}:{exposure_end}", "--outcome", f"{outcome[0]}:{outcome[1]}"])
    assert result.exit_code == 0, result.output
    instants = [utc(day, hour, minute) for day, hour, minute, _t, _c in stamps]
    _add_records(db_session, batch, {trained.id: instants, untrained.id: instants})
    cohort = services.cohort_by_name("clocks")
    records = services.record_counts(cohort.outcome_start, cohort.outcome_end, cohort=cohort)
    counted = records.groupby(records["dsl_id"].astype(int))[["contacts_at_risk"]].sum()
    assert counted.loc[trained.id, "contacts_at_risk"] == sum(t for *_, t, _c in stamps)
    assert counted.loc[untrained.id, "contacts_at_risk"] == sum(c for *_, c in stamps)
    # The same from the records loaded and dated in London by pandas.
    members = services.frozen_members(cohort, ("dsl_id", "at_risk_from", "at_risk_to")).set_index("dsl_id")
    loaded = pd.DataFrame(db_session.execute(select(MashRecord.dsl_id, MashRecord.received_at)).all(),
                          columns=["dsl_id", "received_at"])
    loaded["day"] = loaded["received_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/London").dt.date
    loaded = loaded.join(members, on="dsl_id")
    inside = (loaded["day"] >= loaded["at_risk_from"]) & (loaded["day"] <= loaded["at_risk_to"])
    assert loaded[inside].groupby("dsl_id").size().to_dict() == counted["contacts_at_risk"].to_dict()


def test_early_help_consultations_count_on_the_days_at_risk(runner, attend, make_dsl, db_session):
    from cohorts.models import EarlyHelpConsultation

    trained, untrained = make_dsl(), make_dsl()
    attend(trained, "refresher", date(2020, 9, 15))
    attend(untrained, "refresher", date(2020, 12, 1))
    assert runner.invoke(args=["cohorts", "create", "eh", "--courses", "refresher", "--exposure",
                               "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"]).exit_code == 0
    batch = ImportBatch(kind="early-help", filename="eh.csv", checksum="f" * 64, source="cli", rows=1, created=1,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    days = [date(2020, 9, 15), date(2020, 9, 16), date(2020, 11, 30), date(2020, 12, 1)]
    db_session.execute(insert(EarlyHelpConsultation), [
        {"consultation_id": f"EH-{dsl.id}-{n}", "date": day, "dsl_id": dsl.id, "import_batch_id": batch.id}
        for dsl in (trained, untrained) for n, day in enumerate(days)])
    db_session.commit()
    counted = services.consultations_at_risk(services.cohort_by_name("eh")).set_index("dsl_id")["consultations_at_risk"]
    assert counted.to_dict() == {trained.id: 3, untrained.id: 3}
