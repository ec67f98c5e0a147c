"""Hostile input gets a clear refusal, never a 500, and nothing is written: NUL characters in a
path, a query, a form or a file; line breaks in one-line fields; numbers beyond what the database
holds. Run on PostgreSQL too (TEST_DATABASE_URL), which refuses NUL and 2^31 where SQLite does not."""

import io
import zipfile
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, update

from core.imports import RejectedFile, _refuse_nul_cells, import_kinds, plan_import
from core.timefmt import today_london
from courses.models import Booking, CourseSession
from people.models import School

NUL_REFUSAL = "a character that is not allowed"


def _schools(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(School))


@pytest.mark.parametrize("url", ["/calendar/abc%00def.ics", "/sessions/?district=%00", "/login?next=%00",
                                 "/admin/schools?q=a%00b", "/certificates/1%00.pdf", "/%00"])
def test_a_nul_in_a_path_or_query_is_a_clear_400_even_signed_out(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert NUL_REFUSAL in response.data.decode()


def test_the_probes_that_were_500s_on_postgresql_are_400s(client, login_as):
    assert client.get("/calendar/abc%00def.ics").status_code == 400
    assert client.post("/login", data={"email": "ad\x00min@example.org", "password": "x" * 12}).status_code == 400
    login_as("trainer")
    assert client.get("/sessions/?district=%00").status_code == 400


def test_a_nul_in_a_form_field_writes_nothing(client, login_as, db_session):
    login_as("admin")
    before = _schools(db_session)
    response = client.post("/admin/schools/new", data={"urn": "123456", "name": "Abbey\x00 Fields", "pupils": "300",
                                                        "fsm_percent": "10", "phase": "Primary", "district": "Warwick"})
    assert response.status_code == 400 and NUL_REFUSAL in response.data.decode()
    assert _schools(db_session) == before


def test_a_nul_in_an_uploaded_file_name_is_refused(client, login_as):
    login_as("admin")
    response = client.post("/imports/", data={"kind": "schools", "file": (io.BytesIO(b"urn\n1\n"), "a\x00.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_urn_beyond_the_database_range_is_a_form_error(client, login_as, db_session):
    login_as("admin")
    before = _schools(db_session)
    response = client.post("/admin/schools/new", data={"urn": str(2**31), "name": "Big", "pupils": "300",
                                                        "fsm_percent": "10", "phase": "Primary", "district": "Warwick"})
    page = response.data.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "URN must be 2,147,483,647 or less" in page
    assert _schools(db_session) == before


@pytest.mark.parametrize("url", ["/sessions/99999999999", "/admin/schools/99999999999999999999999/edit",
                                 "/training-clock?school=99999999999999999999", "/admin/dsls?school=99999999999"])
def test_ids_beyond_the_database_range_are_never_a_500(client, login_as, url):
    login_as("admin")
    assert client.get(url).status_code in (200, 400, 404)


def test_a_urn_beyond_the_range_in_an_import_names_its_row(app, db_session):
    data = f"urn,name,pupils,fsm_percent\n125401,A,1,1\n{2**31},B,1,1\n{10**25},C,1,1\n".encode()
    plan = plan_import(import_kinds()["schools"], data, "schools.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(3, "urn"), (4, "urn")]
    assert "is more than 2,147,483,647" in str(plan.errors[0])


def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data,message", [
    # At the start, a NUL says the file is not text at all (UTF-16, or a binary file renamed).
    (b"urn,name,pupils,fsm_percent\n125401,Abbey\x00,1,1\n" + b"1,2,3,4\n" * 2000, "is not a CSV text file"),
    (b"urn,name,pupils,fsm_percent\n" + b"1,2,3,4\n" * 2000 + b"125401,Abbey\x00,1,1\n", "Row 2002: contains a NUL"),
])
def test_a_nul_in_a_csv_cell_is_refused(app, db_session, data, message):
    plan = plan_import(import_kinds()["schools"], data, "schools.csv")
    assert not plan.ok and message in str(plan.errors[0])


def _with_nul_reference(data: bytes) -> bytes:
    """The workbook with its cell text QQ replaced by a reference to character 0."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            target.writestr(name, part.replace(b"QQ", b"&#0;") if name.endswith("sheet1.xml") else part)
    return out.getvalue()


def test_a_nul_in_an_xlsx_cell_is_refused(app, db_session):
    data = _with_nul_reference(_workbook([["urn", "name", "pupils", "fsm_percent"], [125401, "AbbeyQQFields", 1, 1]]))
    plan = plan_import(import_kinds()["schools"], data, "schools.xlsx")
    assert not plan.ok and "could not be read as an Excel workbook" in str(plan.errors[0])


def test_a_nul_in_a_cell_read_from_any_file_is_refused_with_its_row_and_column():
    frame = pd.DataFrame({"urn": ["1", "2"], "name": ["A", "B\x00"]})
    with pytest.raises(RejectedFile) as refused:
        _refuse_nul_cells(frame)
    assert (refused.value.errors[0].row, refused.value.errors[0].column) == (3, "name")


def test_a_line_break_in_an_imported_text_cell_is_refused(app, db_session):
    data = _workbook([["urn", "name", "pupils", "fsm_percent"], [125401, "Abbey\r\nFields", 1, 1]])
    plan = plan_import(import_kinds()["schools"], data, "schools.xlsx")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "name")]
    assert "line break" in str(plan.errors[0])


def test_a_joining_link_with_a_line_break_is_refused(client, login_as, db_session, course_type):
    login_as("trainer")
    day = today_london() + timedelta(days=30)
    response = client.post("/sessions/new", data={
        "course_type": str(course_type().id), "mode": "online", "capacity": "20",
        "joining_link": "https://meet.example.org/x\r\nATTENDEE:mailto:someone@example.org",
        "part1_date": day.isoformat(), "part1_start": "09:30", "part1_end": "12:00"})
    page = response.data.decode()
    assert response.status_code == 200 and "Joining link must be on one line" in page
    assert db_session.scalar(select(func.count()).select_from(CourseSession).where(CourseSession.first_day == day)) == 0


def test_a_stored_joining_link_with_a_line_break_does_not_break_calendars(client, db_session, make_session,
                                                                            make_dsl, make_user):
    from core.sessions import stamps
    from courses.services import book_place, calendar_feed, feed_token

    session = make_session()
    dsl = make_dsl()
    booking = book_place(session, dsl)
    user = make_user("dsl", email=dsl.email)  # a feed works while its DSL's account does
    token = feed_token(calendar_feed(dsl))
    db_session.execute(update(CourseSession).where(CourseSession.id == session.id)
                       .values(joining_link="https://meet.example.org/x\r\nATTENDEE:mailto:x@example.org"))
    db_session.commit()
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and b"BEGIN:VEVENT" in response.data
    assert b"\r\nATTENDEE:mailto:x@example.org" not in response.data
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user.get_id()
        cookie.update(stamps())
    assert db_session.get(Booking, booking.id) is not None
    response = client.get(f"/my-training/bookings/{booking.id}.ics")
    assert response.status_code == 200 and b"BEGIN:VEVENT" in response.data


def test_a_day_field_with_a_nul_is_refused_not_parsed(client, login_as):
    login_as("admin")
    response = client.get("/admin/audit/?start=2020-01-01%00")
    assert response.status_code == 400
