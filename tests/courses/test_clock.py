"""`flask courses due` agrees with an independent, per-DSL computation on a realistic register
(leap days, partial and absent attendance, people who never came, update-only courses)."""

import csv
import io
import json
import random
from datetime import date, timedelta

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import insert, select

from core.timefmt import utcnow
from courses.clock import Periods, training_clock
from courses.models import Attendance, CourseSession, CourseType

LEAP_DAYS = [date(2016, 2, 29), date(2020, 2, 29), date(2024, 2, 29)]


def independent_status(attended_days: list[date], on: date, months=24, due_days=90):
    """The rule as a person would apply it, one DSL at a time."""
    if not attended_days:
        return None, None, "never"
    last = max(attended_days)
    expires = last + relativedelta(months=months)
    if expires < on:
        return last, expires, "expired"
    if expires <= on + timedelta(days=due_days):
        return last, expires, "due"
    return last, expires, "in-date"


@pytest.fixture
def realistic_register(db_session, make_school, many_dsls):
    """About 300 DSLs at 12 schools; 40 sessions from 2016 to 2024 (some on leap days) with mixed attendance."""
    rng = random.Random(7)
    dsl_ids = []
    for _ in range(12):
        dsl_ids += many_dsls(rng.randint(15, 35), school=make_school())
    types = {t.code: t.id for t in db_session.scalars(select(CourseType))}
    days = LEAP_DAYS + [date(2016, 1, 4) + timedelta(days=rng.randint(0, 3200)) for _ in range(37)]
    now = utcnow()
    sessions = []
    for n, day in enumerate(days):
        code = rng.choice(["induction", "refresher", "refresher", "kcsie-update"])
        sessions.append({"course_type_id": types[code], "first_day": day, "code": f"s{n}", "mode": "online",
                         "capacity": 40, "cancelled": False, "created_at": now, "updated_at": now})
    db_session.execute(insert(CourseSession), sessions)
    session_rows = db_session.execute(select(CourseSession.id, CourseSession.first_day, CourseType.code).join(CourseType)).all()
    attendance, truth = [], {i: [] for i in dsl_ids}
    never = set(rng.sample(dsl_ids, 40))
    for session_id, day, code in session_rows:
        for dsl_id in rng.sample([i for i in dsl_ids if i not in never], rng.randint(5, 30)):
            status = rng.choices(["attended", "partial", "absent"], [0.75, 0.15, 0.10])[0]
            attendance.append({"session_id": session_id, "dsl_id": dsl_id, "status": status, "recorded_at": now})
            if status == "attended" and code in ("induction", "refresher"):
                truth[dsl_id].append(day)
    # Someone whose only training is on a leap day, so their expiry is 28 February.
    leap_person = next(i for i in dsl_ids if i not in never and i not in {a["dsl_id"] for a in attendance})
    leap_session = next(s for s, d, c in session_rows if d == date(2020, 2, 29))
    db_session.execute(CourseSession.__table__.update().where(CourseSession.id == leap_session).values(
        course_type_id=types["refresher"]))
    for row in attendance:
        if row["session_id"] == leap_session and row["status"] == "attended":
            truth[row["dsl_id"]].append(date(2020, 2, 29))
    truth = {i: sorted(set(d)) for i, d in truth.items()}
    attendance.append({"session_id": leap_session, "dsl_id": leap_person, "status": "attended", "recorded_at": now})
    truth[leap_person] = sorted(set(truth[leap_person] + [date(2020, 2, 29)]))
    db_session.execute(insert(Attendance), attendance)
    db_session.commit()
    return truth, leap_person


def _truth_by_email(db_session, truth):
    from people.models import Dsl

    emails = dict(db_session.execute(select(Dsl.id, Dsl.email)).all())
    return {emails[i]: days for i, days in truth.items()}


@pytest.mark.parametrize("on", [date(2022, 2, 28), date(2022, 3, 1), date(2021, 12, 1), date(2022, 8, 15),
                                date(2023, 6, 30), date(2025, 1, 1)])
def test_due_command_agrees_with_an_independent_computation(runner, db_session, realistic_register, on):
    truth, leap_person = realistic_register
    by_email = _truth_by_email(db_session, truth)
    result = runner.invoke(args=["courses", "due", "--on", on.isoformat()])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    ours = {r["email"]: r for r in rows if r["email"] in by_email}
    assert len(ours) == len(by_email)
    statuses = set()
    for email, days in by_email.items():
        last, expires, status = independent_status(days, on)
        row = ours[email]
        assert row["last_trained"] == (last.isoformat() if last else None), email
        assert row["expires"] == (expires.isoformat() if expires else None), email
        assert row["status"] == status, (email, days, on)
        assert {"name", "school_urn"} <= set(row)
        statuses.add(status)
    assert "never" in statuses and "expired" in statuses


@pytest.mark.parametrize("on", [date(2022, 2, 28), date(2023, 6, 30)])
def test_one_persons_clock_agrees_with_the_independent_computation_and_the_registers(db_session, realistic_register,
                                                                                      on):
    """A DSL's training page works out their clock alone (clock_of, no frame); it must say exactly
    what the register's clock and the rule applied by hand say."""
    from courses import services
    from courses.clock import as_dates
    from people.models import Dsl

    truth, _ = realistic_register
    register = {row["dsl_id"]: row for row in as_dates(services.clock_for(on)).to_dict("records")}
    for dsl_id, days in truth.items():
        mine = services.clock_of(db_session.get(Dsl, dsl_id), on)
        last, expires, status = independent_status(days, on)
        assert (mine["last_trained"], mine["expires"], mine["status"]) == (last, expires, status), (dsl_id, days)
        assert mine == {name: register[dsl_id][name] for name in mine}


def test_a_leap_day_expires_on_28_february(runner, db_session, realistic_register):
    truth, leap_person = realistic_register
    from people.models import Dsl

    email = db_session.get(Dsl, leap_person).email
    rows = {r["email"]: r for r in json.loads(runner.invoke(args=["courses", "due", "--on", "2022-02-28"]).output)}
    if max(truth[leap_person]) == date(2020, 2, 29):
        assert rows[email]["expires"] == "2022-02-28"
        assert rows[email]["status"] == "due"


def test_due_as_csv_has_the_same_answers(runner, realistic_register):
    as_json = json.loads(runner.invoke(args=["courses", "due", "--on", "2022-08-15"]).output)
    result = runner.invoke(args=["courses", "due", "--on", "2022-08-15", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["email"] for r in rows] == [r["email"] for r in as_json]
    assert [r["status"] for r in rows] == [r["status"] for r in as_json]
    assert rows[0].keys() >= {"email", "name", "school_urn", "last_trained", "expires", "status"}


HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","x")', "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "+44 1926 412412",
                 "\t=1+1"]


def test_due_as_csv_neutralises_names_a_spreadsheet_would_run(runner, make_school, make_dsl):
    school = make_school(district="=District")
    for name in HOSTILE_NAMES:
        make_dsl(school=school, name=name)
    result = runner.invoke(args=["courses", "due", "--on", "2022-08-15", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = [r for r in csv.DictReader(io.StringIO(result.output)) if r["district"]]
    assert sorted(r["name"] for r in rows) == sorted("'" + name for name in HOSTILE_NAMES)
    assert {r["district"] for r in rows} == {"'=District"}
    assert all(r["school_urn"] == str(school.urn) for r in rows)
    as_json = json.loads(runner.invoke(args=["courses", "due", "--on", "2022-08-15"]).output)
    assert set(HOSTILE_NAMES) <= {r["name"] for r in as_json}  # JSON carries the names as they are


def test_due_reads_a_day_either_way_and_rejects_anything_else(runner, realistic_register):
    iso = runner.invoke(args=["courses", "due", "--on", "2022-08-15"])
    uk = runner.invoke(args=["courses", "due", "--on", "15/08/2022"])
    assert iso.exit_code == uk.exit_code == 0 and json.loads(iso.output) == json.loads(uk.output)
    for wrong in ("08/15/2022", "2022-02-30", "2022-8-15", "next week"):
        result = runner.invoke(args=["courses", "due", "--on", wrong])
        assert result.exit_code == 2 and "give it as 2020-09-17 or 17/09/2020" in result.output, wrong


def test_changed_settings_change_the_clock(runner, db_session, realistic_register):
    from courses.services import save_clock_settings

    truth, _ = realistic_register
    save_clock_settings(36, 12, 30)
    db_session.commit()
    by_email = _truth_by_email(db_session, truth)
    rows = {r["email"]: r for r in json.loads(runner.invoke(args=["courses", "due", "--on", "2022-08-15"]).output)}
    for email, days in by_email.items():
        last, expires, status = independent_status(days, date(2022, 8, 15), months=36, due_days=30)
        assert rows[email]["status"] == status


def test_pure_clock_boundaries():
    people = pd.DataFrame({"dsl_id": [1, 2, 3, 4, 5]})
    attended = pd.DataFrame({
        "dsl_id": [1, 2, 3, 4, 4],
        "day": [date(2020, 2, 29), date(2020, 6, 1), date(2020, 9, 17), date(2021, 1, 1), date(2020, 1, 1)],
        "renews": ["training", "training", "training", "update", "training"],
    })
    out = training_clock(people, attended, date(2022, 6, 1), Periods(24, 12, 90)).set_index("dsl_id")
    assert out.loc[1, "expires"] == pd.Timestamp("2022-02-28") and out.loc[1, "status"] == "expired"
    assert out.loc[2, "status"] == "due"  # expires on the day itself
    assert out.loc[3, "status"] == "in-date"  # 17 September 2022 is 108 days away
    assert out.loc[4, "last_trained"] == pd.Timestamp("2020-01-01")  # the update does not renew training
    assert out.loc[4, "last_updated"] == pd.Timestamp("2021-01-01")
    assert out.loc[5, "status"] == "never" and out.loc[5, "update_status"] == "never"
