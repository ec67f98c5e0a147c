"""The attendance import file: sessions back-filled, re-import changes nothing, bad rows reject the file."""

import io
from datetime import date

from sqlalchemy import func, select

from core.extensions import db
from courses.models import Attendance, CourseSession


def _load_register(runner, formats):
    for kind in ("schools", "dsls"):
        result = runner.invoke(args=["import", kind, str(formats / f"{kind}.csv")])
        assert result.exit_code == 0, result.output


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_example_file_back_fills_sessions_and_imports_twice_without_change(runner, formats):
    _load_register(runner, formats)
    result = runner.invoke(args=["import", "attendance", str(formats / "attendance.csv")])
    assert result.exit_code == 0, result.output
    assert "created 4, updated 0, unchanged 0" in result.output
    days = sorted(db.session.scalars(select(CourseSession.first_day)))
    assert days == [date(2020, 9, 8), date(2020, 9, 15), date(2020, 9, 17)]
    before = (_count(Attendance), _count(CourseSession))
    result = runner.invoke(args=["import", "attendance", str(formats / "attendance.csv")])
    assert result.exit_code == 0 and "created 0, updated 0, unchanged 4" in result.output
    assert (_count(Attendance), _count(CourseSession)) == before


def test_a_changed_status_is_an_update_and_the_clock_follows(runner, formats, tmp_path):
    _load_register(runner, formats)
    runner.invoke(args=["import", "attendance", str(formats / "attendance.csv")])
    changed = tmp_path / "attendance.csv"
    changed.write_text((formats / "attendance.csv").read_text().replace(
        "e.kowalska@riverside.example.org,absent", "E.Kowalska@riverside.example.org ,attended"))
    result = runner.invoke(args=["import", "attendance", str(changed)])
    assert result.exit_code == 0 and "created 0, updated 1, unchanged 3" in result.output
    import json

    rows = {r["email"]: r for r in json.loads(runner.invoke(args=["courses", "due", "--on", "2021-01-01"]).output)}
    assert rows["e.kowalska@riverside.example.org"]["last_trained"] == "2020-09-17"
    assert rows["c.baird@hollybank.example.org"]["status"] == "never"  # the KCSIE update does not renew training


def test_two_sessions_on_one_day_told_apart_by_code(runner, formats, tmp_path):
    _load_register(runner, formats)
    file = tmp_path / "attendance.csv"
    file.write_text("course,session_date,session_code,email,status\n"
                    "refresher,2021-03-02,am,r.khan@millbrook.example.org,attended\n"
                    "refresher,2021-03-02,pm,r.khan@millbrook.example.org,absent\n")
    result = runner.invoke(args=["import", "attendance", str(file)])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(CourseSession.code))) == ["am", "pm"]


def test_unknown_course_or_person_rejects_the_whole_file(runner, formats, tmp_path):
    _load_register(runner, formats)
    file = tmp_path / "attendance.csv"
    file.write_text("course,session_date,email,status\n"
                    "refresher,2021-03-02,r.khan@millbrook.example.org,attended\n"
                    "first-aid,2021-03-02,r.khan@millbrook.example.org,attended\n"
                    "refresher,2021-03-02,nobody@example.org,attended\n"
                    "refresher,31/02/2021,e.kowalska@riverside.example.org,attended\n")
    result = runner.invoke(args=["import", "attendance", str(file)])
    assert result.exit_code == 1
    assert "Row 5, column 'session_date'" in result.output
    assert _count(Attendance) == 0 and _count(CourseSession) == 0
    file.write_text(file.read_text().replace("31/02/2021", "01/03/2021"))
    result = runner.invoke(args=["import", "attendance", str(file)])
    assert "Row 3, column 'course': 'first-aid' is not a course code" in result.output
    assert "Row 4, column 'email': no DSL with the email nobody@example.org" in result.output
    assert _count(Attendance) == 0 and _count(CourseSession) == 0


def test_trainer_imports_attendance_through_the_page(client, login_as, runner, formats):
    _load_register(runner, formats)
    login_as("trainer")
    page = client.get("/imports/").data.decode()
    assert "Course attendance" in page and "DSL register" not in page
    data = (formats / "attendance.csv").read_bytes()
    response = client.post("/imports/", data={"kind": "attendance", "file": (io.BytesIO(data), "attendance.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and b"Check the import" in response.data
    response = client.post("/imports/", data={"kind": "dsls", "file": (io.BytesIO(data), "dsls.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 403)
    assert _count(Attendance) == 0
