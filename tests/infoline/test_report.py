"""The outcome report's ``infoline`` block: Infoline calls on each member's days at risk, and a rate
ratio that equals the closed form (treatment calls / treatment days) / (comparison calls /
comparison days), which the Poisson model with one binary covariate gives exactly."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cohorts import display, services
from cohorts.models import CohortMember
from core.extensions import db
from infoline.models import InfolineCall

LONDON = ZoneInfo("Europe/London")


def utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def cohort(db_session, make_school, make_dsl, make_session):
    from courses.models import Attendance

    session = make_session("induction", first_day=date(2020, 9, 10), capacity=50)
    schools = [make_school() for _ in range(4)]
    dsls = {}
    for n in range(16):
        dsl = make_dsl(school=schools[n % 4])
        dsls[n] = dsl
        if n % 2 == 0:  # half of them trained in the exposure window
            db_session.add(Attendance(session_id=session.id, dsl_id=dsl.id, status="attended"))
    db_session.commit()
    calls = []
    for n, dsl in dsls.items():
        trained = n % 2 == 0
        days = [date(2020, 9, 5), date(2020, 10, 1 + n), date(2020, 11, 3)] if trained else [date(2020, 10, 2 + n)]
        if n % 3 == 0:
            days.append(date(2020, 12, 20))
        calls += [InfolineCall(received_at=utc(day), advice="handled", dsl_id=dsl.id, caller_email=dsl.email)
                  for day in days]
    calls.append(InfolineCall(received_at=utc(date(2021, 1, 5)), advice="mash", dsl_id=dsls[1].id))  # after the window
    calls.append(InfolineCall(received_at=utc(date(2020, 10, 5)), advice="mash", school_urn=schools[0].urn))  # no DSL
    db_session.add_all(calls)
    db_session.commit()
    made = services.create_cohort(services.Definition("infoline-test", ["induction"],
                                                      (date(2020, 9, 1), date(2020, 9, 30)),
                                                      (date(2020, 9, 1), date(2020, 12, 31))))
    db_session.commit()
    return made


def _closed_form(cohort):
    """Calls and days at risk per group, counted here from the frozen windows and London dates."""
    totals = {"comparison": [0, 0], "treatment": [0, 0]}
    for member in db.session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id)):
        if not member.days_at_risk:
            continue
        stamps = db.session.scalars(select(InfolineCall.received_at).where(InfolineCall.dsl_id == member.dsl_id))
        days = [stamp.replace(tzinfo=timezone.utc).astimezone(LONDON).date() for stamp in stamps]
        totals[member.group_name][0] += sum(member.at_risk_from <= day <= member.at_risk_to for day in days)
        totals[member.group_name][1] += member.days_at_risk
    return totals


def test_the_rate_ratio_is_the_closed_form(cohort):
    block = services.cohort_report(cohort).figures["infoline"]
    totals = _closed_form(cohort)
    (ct, dt), (cc, dc) = totals["treatment"], totals["comparison"]
    assert block["treatment"]["calls"] == ct and block["comparison"]["calls"] == cc
    assert block["treatment"]["person_days"] == dt and block["comparison"]["person_days"] == dc
    assert ct and cc  # both groups called, so the ratio is defined
    assert block["rate_ratio"] == pytest.approx((ct / dt) / (cc / dc), rel=1e-6)
    low, high = block["ci95"]
    assert low < block["rate_ratio"] < high
    assert block["treatment"]["mean_calls"] == pytest.approx(ct / block["treatment"]["dsls"])
    assert block["expected_direction"] == "increase" and "above 1" in block["expectation"]
    assert block["note"] is None and block["clusters"] == 4


def test_the_block_is_in_every_format_and_suppressed_when_published(cohort, client, login_as):
    report = services.cohort_report(cohort)
    keys = [table.key for table in display.outcome_tables(report.figures)]
    assert "infoline" in keys
    findings = [finding.key for finding in display.findings(report.figures)]
    assert "infoline" in findings
    published = services.cohort_report(cohort, suppress=True).figures["infoline"]
    for group in ("comparison", "treatment"):
        assert all(value == "c" or value % 5 == 0 for value in (published[group]["calls"], published[group]["dsls"]))
    login_as("evaluator")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "DSL Infoline calls on each DSL" in page


def test_no_calls_gives_a_reason_not_a_ratio(db_session, cohort):
    db_session.query(InfolineCall).delete()
    db_session.commit()
    block = services.cohort_report(cohort).figures["infoline"]
    assert block["rate_ratio"] is None and block["ci95"] == [None, None]
    assert "made no Infoline calls" in block["note"]
