"""Cohort membership from attendance: who is treated, frozen at creation, recomputed on request
showing who moved and why."""

from datetime import date

import pytest

from cohorts import services
from cohorts.models import CohortMember
from core.extensions import db


@pytest.fixture
def attendance(db_session, make_session):
    """Record attendance: ``attend(dsl, code, first_day, status)``, one session per course and day."""
    from courses.models import Attendance

    sessions = {}

    def attend(dsl, code, first_day, status="attended"):
        if (code, first_day) not in sessions:
            sessions[code, first_day] = make_session(code, first_day=first_day, capacity=50)
        db_session.add(Attendance(session_id=sessions[code, first_day].id, dsl_id=dsl.id, status=status))
        db_session.commit()

    return attend


def _groups(cohort):
    return {m.dsl_id: m.group_name for m in db.session.query(CohortMember).filter_by(cohort_id=cohort.id)}


def test_create_freezes_membership_and_recompute_shows_who_moved(runner, attendance, make_dsl):
    on_time, partial, too_late, other_course, nobody = (make_dsl() for _ in range(5))
    attendance(on_time, "refresher", date(2020, 9, 30))
    attendance(partial, "induction", date(2020, 9, 15), "partial")
    attendance(too_late, "induction", date(2020, 10, 1))
    attendance(other_course, "kcsie-update", date(2020, 9, 10))
    result = runner.invoke(args=["cohorts", "create", "autumn-2020", "--courses", "induction,refresher",
                                 "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code == 0, result.output
    assert "1 DSLs in treatment, 4 in comparison" in result.output
    cohort = services.cohort_by_name("autumn-2020")
    assert _groups(cohort) == {on_time.id: "treatment", partial.id: "comparison", too_late.id: "comparison",
                               other_course.id: "comparison", nobody.id: "comparison"}
    member = db.session.query(CohortMember).filter_by(cohort_id=cohort.id, dsl_id=on_time.id).one()
    assert member.reason == "attended refresher on 2020-09-30" and member.pupils == on_time.school.pupils

    # Attendance back-filled later, and a new DSL: the frozen membership does not change by itself.
    attendance(nobody, "induction", date(2020, 9, 1))
    newcomer = make_dsl()
    assert _groups(cohort)[nobody.id] == "comparison"
    changes = {c["dsl_id"]: c for c in services.membership_changes(cohort)}
    assert set(changes) == {nobody.id, newcomer.id}
    assert changes[nobody.id]["from"] == "comparison" and changes[nobody.id]["to"] == "treatment"
    assert "attended induction on 2020-09-01" in changes[nobody.id]["why"]
    assert changes[newcomer.id]["from"] == "not a member"
    services.recompute(cohort)
    assert _groups(cohort)[nobody.id] == "treatment" and cohort.recomputed_at is not None
    assert services.membership_changes(cohort) == []


def test_create_rejects_bad_definitions(runner, attendance, make_dsl):
    args = ["cohorts", "create", "x", "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"]
    result = runner.invoke(args=args + ["--courses", "juggling"])
    assert result.exit_code != 0 and "Unknown course code: juggling" in result.output
    result = runner.invoke(args=["cohorts", "create", "x", "--courses", "induction", "--exposure", "2020-09-30:2020-09-01",
                                 "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code != 0 and "start must be on or before the end" in result.output
    trained, _untrained = make_dsl(), make_dsl()
    attendance(trained, "induction", date(2020, 9, 10))
    assert runner.invoke(args=args + ["--courses", "induction"]).exit_code == 0
    result = runner.invoke(args=args + ["--courses", "induction"])
    assert result.exit_code != 0 and "already a cohort called x" in result.output


def test_create_by_form(client, login_as, attendance, make_dsl):
    dsl, _untrained = make_dsl(), make_dsl()
    attendance(dsl, "induction", date(2020, 9, 10))
    login_as("evaluator")
    response = client.post("/cohorts/new", data={"name": "by-form", "courses": ["induction", "refresher"],
                                                 "exposure_start": "01/09/2020", "exposure_end": "2020-09-30",
                                                 "outcome_start": "2020-09-01", "outcome_end": "31/12/2020"})
    assert response.status_code == 302
    cohort = services.cohort_by_name("by-form")
    assert cohort.exposure_start == date(2020, 9, 1) and _groups(cohort)[dsl.id] == "treatment"
    response = client.post("/cohorts/new", data={"name": "bad", "courses": ["induction"], "exposure_start": "31/02/2020",
                                                 "exposure_end": "2020-09-30", "outcome_start": "2020-09-01",
                                                 "outcome_end": "2020-08-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "must be a real date" in page and "must end on or after its start" in page
