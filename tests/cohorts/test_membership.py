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
    assert member.reason == "attended refresher on 30 September 2020" and member.pupils == on_time.school.pupils

    # Attendance back-filled later, and a new DSL: the frozen membership does not change by itself.
    attendance(nobody, "induction", date(2020, 9, 1))
    newcomer = make_dsl()
    assert _groups(cohort)[nobody.id] == "comparison"
    changes = {c["dsl_id"]: c for c in services.membership_changes(cohort)}
    assert set(changes) == {nobody.id, newcomer.id}
    assert changes[nobody.id]["from"] == "comparison" and changes[nobody.id]["to"] == "treatment"
    assert "attended induction on 1 September 2020" in changes[nobody.id]["why"]
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
    for window in ("2020-09-01", "2020-09-01:2020-02-30", "09/01/2020:09/30/2020", "2020-09-01:2020-09-30:2020-10-01"):
        result = runner.invoke(args=["cohorts", "create", "x", "--courses", "induction", "--exposure", window,
                                     "--outcome", "2020-09-01:2020-12-31"])
        assert result.exit_code == 2 and "is not two days as START:END" in result.output, window
    assert services.cohort_by_name("x") is None
    trained, _untrained = make_dsl(), make_dsl()
    attendance(trained, "induction", date(2020, 9, 10))
    assert runner.invoke(args=args + ["--courses", "induction"]).exit_code == 0
    result = runner.invoke(args=args + ["--courses", "induction"])
    assert result.exit_code != 0 and "already a cohort called x" in result.output


def test_create_reads_windows_written_either_way(runner, attendance, make_dsl):
    dsl, _untrained = make_dsl(), make_dsl()
    attendance(dsl, "induction", date(2020, 9, 10))
    result = runner.invoke(args=["cohorts", "create", "uk-days", "--courses", "induction",
                                 "--exposure", "1/9/2020:30/09/2020", "--outcome", "2020-09-01:31/12/2020"])
    assert result.exit_code == 0, result.output
    cohort = services.cohort_by_name("uk-days")
    assert (cohort.exposure_start, cohort.exposure_end) == (date(2020, 9, 1), date(2020, 9, 30))
    assert (cohort.outcome_start, cohort.outcome_end) == (date(2020, 9, 1), date(2020, 12, 31))
    assert _groups(cohort)[dsl.id] == "treatment"


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


CREATE = ["cohorts", "create"]


def test_empty_groups_and_an_outcome_before_the_exposure_are_refused(runner, attendance, make_dsl):
    base = ["--courses", "induction", "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"]
    nobody_trained = make_dsl()
    result = runner.invoke(args=CREATE + ["empty"] + base)
    assert result.exit_code != 0 and "the treatment group would be empty" in result.output
    attendance(nobody_trained, "induction", date(2020, 9, 10))
    result = runner.invoke(args=CREATE + ["everyone"] + base)
    assert result.exit_code != 0 and "no one to compare them with" in result.output
    make_dsl()
    result = runner.invoke(args=CREATE + ["before", "--courses", "induction", "--exposure", "2020-09-01:2020-09-30",
                                          "--outcome", "2020-06-01:2020-08-31"])
    assert result.exit_code != 0
    assert "The outcome window ends (31 August 2020) before the exposure window starts (1 September 2020)" in result.output
    assert services.cohort_by_name("empty") is None and services.cohort_by_name("before") is None
    assert runner.invoke(args=CREATE + ["fine"] + base).exit_code == 0
    # Recomputing into an empty group is refused too, and the frozen membership stays.
    from courses.models import Attendance

    db.session.query(Attendance).delete()
    db.session.commit()
    result = runner.invoke(args=["cohorts", "recompute", "fine", "--apply"])
    assert result.exit_code != 0 and "the treatment group would be empty" in result.output
    assert _groups(services.cohort_by_name("fine"))[nobody_trained.id] == "treatment"


def test_the_pre_period(runner, attendance, make_dsl):
    attendance(make_dsl(), "induction", date(2020, 9, 10))
    make_dsl()
    base = ["--courses", "induction", "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"]
    result = runner.invoke(args=CREATE + ["overlapping"] + base + ["--pre", "2020-06-01:2020-09-01"])
    assert result.exit_code != 0 and "The pre-period must end before" in result.output
    result = runner.invoke(args=CREATE + ["backwards"] + base + ["--pre", "2019-12-31:2019-09-01"])
    assert result.exit_code != 0 and "start must be on or before the end" in result.output
    result = runner.invoke(args=CREATE + ["with-pre"] + base + ["--pre", "2019-09-01:2019-12-31"])
    assert result.exit_code == 0, result.output
    cohort = services.cohort_by_name("with-pre")
    assert (cohort.pre_start, cohort.pre_end) == (date(2019, 9, 1), date(2019, 12, 31))
    assert cohort.definition["pre"] == ["2019-09-01", "2019-12-31"]
    assert services.cohort_by_name("overlapping") is None


def _form(**fields):
    data = {"name": "by-form", "courses": ["induction"], "exposure_start": "2020-09-01", "exposure_end": "2020-09-30",
            "outcome_start": "2020-09-01", "outcome_end": "2020-12-31"}
    data.update(fields)
    return data


def test_create_page_refuses_with_the_error_summary(client, login_as, attendance, make_dsl):
    login_as("evaluator")
    only = make_dsl()
    page = client.post("/cohorts/new", data=_form()).get_data(as_text=True)
    assert "govuk-error-summary" in page and "the treatment group would be empty" in page
    attendance(only, "induction", date(2020, 9, 10))
    page = client.post("/cohorts/new", data=_form()).get_data(as_text=True)
    assert "no one to compare them with" in page
    make_dsl()
    page = client.post("/cohorts/new", data=_form(outcome_start="2020-06-01", outcome_end="2020-08-31")).get_data(as_text=True)
    assert "before the exposure window starts" in page and 'href="#outcome_end"' in page
    page = client.post("/cohorts/new", data=_form(pre_start="2019-09-01")).get_data(as_text=True)
    assert "Enter both the start and the end of the pre-period, or neither" in page
    page = client.post("/cohorts/new", data=_form(pre_start="2019-09-01", pre_end="2020-09-15")).get_data(as_text=True)
    assert "The pre-period must end before" in page and 'href="#pre_end"' in page
    assert services.cohort_by_name("by-form") is None
    response = client.post("/cohorts/new", data=_form(pre_start="01/09/2019", pre_end="2019-12-31"))
    assert response.status_code == 302
    assert services.cohort_by_name("by-form").pre_end == date(2019, 12, 31)


def test_recomputing_into_an_empty_group_is_refused_on_the_page(client, login_as, attendance, make_dsl):
    from courses.models import Attendance

    trained, _untrained = make_dsl(), make_dsl()
    attendance(trained, "induction", date(2020, 9, 10))
    cohort = services.create_cohort(services.Definition("page", ["induction"], (date(2020, 9, 1), date(2020, 9, 30)),
                                                        (date(2020, 9, 1), date(2020, 12, 31))))
    db.session.query(Attendance).delete()
    db.session.commit()
    login_as("evaluator")
    response = client.post(f"/cohorts/{cohort.id}/membership", follow_redirects=True)
    assert "the treatment group would be empty" in response.get_data(as_text=True)
    assert _groups(services.cohort_by_name("page"))[trained.id] == "treatment"
