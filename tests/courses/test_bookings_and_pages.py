"""Sessions, bookings and the waiting list, a DSL's own page, calendars, certificates and admin pages."""

import csv
import io
from datetime import date, time, timedelta

from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select

from core.timefmt import today_london
from courses.models import Attendance, Booking, CourseSession, CourseType


def _status(db_session, session, dsl):
    db_session.expire_all()
    return db_session.scalar(select(Booking.status).where(Booking.session_id == session.id, Booking.dsl_id == dsl.id))


def test_trainer_creates_a_two_part_session(client, login_as, db_session, course_type):
    trainer = login_as("trainer")
    day = today_london() + timedelta(days=30)
    response = client.post("/sessions/new", data={
        "course_type": str(course_type("induction").id), "mode": "in-person", "venue": "Shire Hall",
        "address": "Market Square, Warwick", "capacity": "24", "trainer": str(trainer.id),
        "part1_date": f"{day.day}/{day.month}/{day.year}", "part1_start": "09:30", "part1_end": "3:30pm",
        "part2_date": (day + timedelta(days=1)).isoformat(), "part2_start": "9.30", "part2_end": "15:30"})
    assert response.status_code == 302, response.data
    session = db_session.scalar(select(CourseSession).order_by(CourseSession.id.desc()))
    assert session.first_day == day and len(session.parts) == 2 and session.capacity == 24
    # 09:30 in London is 08:30 UTC in summer and 09:30 UTC in winter.
    assert session.parts[0].starts_at.minute == 30 and session.parts[0].starts_at.hour in (8, 9)
    page = client.get(f"/sessions/{session.id}/edit").data.decode()
    assert f'value="{day.day}/{day.month}/{day.year}"' in page


def test_session_form_errors_are_summarised(client, login_as, course_type):
    login_as("trainer")
    response = client.post("/sessions/new", data={
        "course_type": str(course_type().id), "mode": "online", "capacity": "many",
        "part1_date": "31/11/2026", "part1_start": "14:00", "part1_end": "13:00", "part2_date": "2026-02-30",
        "part2_start": "9:00", "part2_end": "10:00", "part3_date": "next tuesday", "part3_start": "9:00",
        "part3_end": "10:00"})
    page = response.data.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    for message in ("Enter the number of places as a whole number", "31 November 2026 is not a real date",
                    "30 February 2026 is not a real date", "Enter the date of part 3 like 17/9/2026",
                    "Part 1 must end after it starts", "Enter the joining link"):
        assert message in page


def test_capacity_holds_and_the_waiting_list_moves_up(client, dsl_user, db_session, make_session, make_dsl):
    from courses.services import book_place, cancel_booking

    session = make_session(capacity=2)
    first, second, third, fourth = (make_dsl() for _ in range(4))
    for person in (first, second, third, fourth):
        book_place(session, person)
    db_session.commit()
    assert [_status(db_session, session, p) for p in (first, second, third, fourth)] == [
        "booked", "booked", "waitlisted", "waitlisted"]
    cancel_booking(db_session.scalar(select(Booking).where(Booking.dsl_id == first.id)))
    db_session.commit()
    assert _status(db_session, session, third) == "booked"
    assert _status(db_session, session, fourth) == "waitlisted"
    # Booking twice changes nothing.
    again = book_place(session, second)
    assert again.status == "booked"
    assert db_session.scalar(select(Booking.waitlist_position).where(Booking.dsl_id == fourth.id)) == 2


def test_raising_capacity_promotes_the_waiting_list(db_session, make_session, make_dsl, mailbox):
    from core.mail import deliver
    from courses.services import PartTimes, book_place, save_session

    session = make_session(capacity=1)
    people = [make_dsl() for _ in range(3)]
    for person in people:
        book_place(session, person)
    parts = [PartTimes(session.first_day, time(9, 30), time(12, 30))]
    save_session(session, course_type=session.course_type, parts=parts, mode="online", capacity=3,
                 joining_link="https://meet.example.org/x")
    db_session.commit()
    assert {_status(db_session, session, p) for p in people} == {"booked"}
    deliver()
    for person in people[1:]:
        assert [m["Subject"].split(":")[0] for m in mailbox.to(person.email)] == [
            f"You are on the waiting list for DSL refresher on {session.first_day.day} {session.first_day:%B %Y}",
            "A place has come up"]


def test_dsl_books_sees_the_page_cancels_and_gets_a_calendar(client, dsl_user, db_session, make_session):
    user, dsl = dsl_user()
    session = make_session(capacity=1)
    response = client.post(f"/my-training/sessions/{session.id}/book")
    assert response.status_code == 302
    booking = db_session.scalar(select(Booking).where(Booking.dsl_id == dsl.id))
    assert booking.status == "booked"
    page = client.get("/my-training").data.decode()
    assert "Your bookings" in page and session.course_type.name in page and "Never trained" in page
    ics = client.get(f"/my-training/bookings/{booking.id}.ics")
    assert ics.mimetype == "text/calendar"
    assert ics.headers["Content-Disposition"] == (
        f"attachment; filename={session.course_type.code}-{session.first_day.isoformat()}.ics")
    calendar = Calendar.from_ical(ics.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and events[0]["summary"] == session.course_type.name
    assert events[0].decoded("dtstart").date() == session.first_day
    response = client.post(f"/my-training/bookings/{booking.id}/cancel")
    assert response.status_code == 302 and _status(db_session, session, dsl) == "cancelled"


def test_a_dsl_cannot_touch_someone_elses_booking(client, dsl_user, db_session, make_session, make_dsl):
    from courses.services import book_place

    dsl_user()
    session = make_session()
    someone = book_place(session, make_dsl())
    db_session.commit()
    assert client.post(f"/my-training/bookings/{someone.id}/cancel").status_code == 404
    assert client.get(f"/my-training/bookings/{someone.id}.ics").status_code == 404
    assert someone.status == "booked"


def test_a_past_or_cancelled_session_cannot_be_booked(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    past = make_session(first_day=today_london() - timedelta(days=3))
    response = client.post(f"/my-training/sessions/{past.id}/book")
    assert response.status_code == 302
    assert _status(db_session, past, dsl) is None


def _feed_token(client) -> str:
    """The token in the feed address My training shows (the database holds only its hash)."""
    page = client.get("/my-training").get_data(as_text=True)
    return page.split('id="feed-address" type="text" readonly value="')[1].split('"')[0].rsplit("/", 1)[1][:-4]


def test_calendar_feed_needs_its_token_and_the_token_can_be_changed(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    session = make_session()
    client.post(f"/my-training/sessions/{session.id}/book")
    token = _feed_token(client)
    client.post("/logout")
    anonymous = client.get(f"/calendar/{token}.ics")
    assert anonymous.status_code == 200 and b"BEGIN:VEVENT" in anonymous.data
    assert client.get("/calendar/not-the-token.ics").status_code == 404


def test_regenerating_the_feed_stops_the_old_address(client, dsl_user, db_session):
    dsl_user()
    old = _feed_token(client)
    assert client.post("/my-training/calendar/regenerate").status_code == 302
    new = _feed_token(client)
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def _attended(db_session, session, dsl, status="attended"):
    attendance = Attendance(session_id=session.id, dsl_id=dsl.id, status=status)
    db_session.add(attendance)
    db_session.commit()
    return attendance


def test_certificate_is_a_pdf_for_that_dsl_trainers_and_admins_only(client, dsl_user, login_as, db_session,
                                                                    make_session, make_dsl):
    _, dsl = dsl_user(name="Ada <b>O'Neill</b> & Co")
    session = make_session(first_day=date(2020, 9, 17))
    mine = _attended(db_session, session, dsl)
    theirs = _attended(db_session, session, make_dsl())
    response = client.get(f"/certificates/{mine.id}.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=certificate-{session.course_type.code}-2020-09-17.pdf")
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Certificate of attendance" in text and "Ada <b>O'Neill</b> & Co" in text
    assert "17 September 2020" in text and "17 September 2022" in text
    assert client.get(f"/certificates/{theirs.id}.pdf").status_code == 404
    login_as("trainer")
    assert client.get(f"/certificates/{theirs.id}.pdf").status_code == 200
    login_as("evaluator")
    assert client.get(f"/certificates/{theirs.id}.pdf").status_code == 403


def test_a_certificate_carries_a_name_in_any_latin_script_exactly(client, dsl_user, db_session, make_session):
    name = "Łukasz Wójcik Nguyễn Siân Ŵyn"
    _, dsl = dsl_user(name=name)
    attendance = _attended(db_session, make_session(first_day=date(2020, 9, 17)), dsl)
    response = client.get(f"/certificates/{attendance.id}.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert name in [line.strip() for line in reader.pages[0].extract_text().splitlines()]
    assert reader.metadata.subject.startswith(f"{name}, ")


def test_no_certificate_for_an_absence(client, login_as, db_session, make_session, make_dsl):
    login_as("admin")
    absent = _attended(db_session, make_session(), make_dsl(), "absent")
    assert client.get(f"/certificates/{absent.id}.pdf").status_code == 404


def test_training_clock_page_filters_and_csv_neutralises_formulas(client, login_as, db_session, make_session, make_dsl,
                                                                  make_school):
    login_as("trainer")
    school = make_school(district="Rugby")
    hostile = ["=HYPERLINK(\"http://evil.example\")", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\r=1+1"]
    for name in hostile:
        make_dsl(school=school, name=name)
    trained = make_dsl(school=school, name="Trained Person", role="Deputy DSL")
    _attended(db_session, make_session(first_day=today_london() - timedelta(days=30)), trained)
    page = client.get("/training-clock?district=Rugby").data.decode()
    assert "Trained Person" in page and "In date" in page
    page = client.get("/training-clock?district=Rugby&status=never").data.decode()
    assert "Trained Person" not in page
    response = client.get(f"/training-clock.csv?school={school.id}")
    assert response.headers["Content-Disposition"] == "attachment; filename=training-clock.csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == {"'" + name for name in hostile} | {"Trained Person"}
    assert {r["status"] for r in rows} == {"never", "in-date"}
    assert {r["school_urn"] for r in rows} == {str(school.urn)}
    schools = client.get("/training-clock/schools?district=Rugby").data.decode()
    assert school.name in schools


def test_admin_adds_a_course_type_and_changes_the_clock(client, login_as, db_session):
    login_as("admin")
    response = client.post("/course-types/new", data={"code": "safer-recruitment", "name": "Safer recruitment",
                                                      "validity_months": "36", "renews": "update", "days": "1"})
    assert response.status_code == 302
    assert db_session.scalar(select(CourseType).where(CourseType.code == "safer-recruitment")).validity_months == 36
    response = client.post("/course-types/new", data={"code": "refresher", "name": "Again", "validity_months": "1",
                                                      "renews": "update", "days": "1"})
    assert b"already has this code" in response.data
    response = client.post("/course-types/clock-settings", data={"training_months": "36", "update_months": "12",
                                                                 "due_days": "60"})
    assert response.status_code == 302
    from courses.services import clock_settings

    db_session.expire_all()
    assert clock_settings().training_months == 36


def test_trainer_books_on_behalf_and_cancels(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = make_session()
    person = make_dsl(name="Findable Person")
    page = client.get(f"/sessions/{session.id}?q=findable").data.decode()
    assert "Findable Person" in page
    assert client.post(f"/sessions/{session.id}/book", data={"dsl_ids": str(person.id)}).status_code == 302
    booking = db_session.scalar(select(Booking).where(Booking.dsl_id == person.id))
    assert booking.status == "booked"
    client.post(f"/sessions/{session.id}/bookings/{booking.id}/cancel")
    assert _status(db_session, session, person) == "cancelled"
    assert client.post(f"/sessions/{session.id}/cancel").status_code == 302
    db_session.expire_all()
    assert db_session.get(CourseSession, session.id).cancelled


def test_a_downloaded_event_and_the_feed_say_where_and_who_runs_it(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    session = make_session(mode="in-person", address="1 Market Square, Warwick", notes="Parking at the back.")
    client.post(f"/my-training/sessions/{session.id}/book")
    booking = db_session.scalar(select(Booking).where(Booking.dsl_id == dsl.id))
    token = _feed_token(client)
    for address in (f"/my-training/bookings/{booking.id}.ics", f"/calendar/{token}.ics"):
        [event] = Calendar.from_ical(client.get(address).data).walk("VEVENT")
        description = str(event["description"])
        assert description.startswith("In person at Shire Hall, 1 Market Square, Warwick"), address
        assert "Parking at the back." in description and "Right Support, Demo County Council" in description
        assert str(event["location"]) == "Shire Hall, 1 Market Square, Warwick"
