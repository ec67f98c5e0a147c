"""The register stays true: no attendance before a session starts, an attendee list never silently
overwrites a status set on the register, a place with attendance cannot be cancelled, destructive
actions ask first, and the quick ways through a big register."""

import io
from datetime import timedelta

from sqlalchemy import insert, select

from core.timefmt import today_london, utcnow
from courses.attendees import parse_minutes, proposed_status
from courses.models import Attendance, Booking


def _book(db_session, session, *people):
    now = utcnow()
    db_session.execute(insert(Booking), [{"session_id": session.id, "dsl_id": p.id, "status": "booked",
                                          "created_at": now, "updated_at": now} for p in people])
    db_session.commit()


def _statuses(db_session, session):
    db_session.expire_all()
    return dict(db_session.execute(select(Attendance.dsl_id, Attendance.status).where(
        Attendance.session_id == session.id)).all())


def _past(make_session, **fields):
    return make_session(first_day=today_london() - timedelta(days=1), **fields)


def test_no_attendance_before_the_session_starts(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = make_session()  # in two weeks
    person = make_dsl()
    _book(db_session, session, person)
    page = client.get(f"/sessions/{session.id}/register").get_data(as_text=True)
    assert "Attendance can be recorded once the session has started, on" in page
    assert "Attendance of" not in page, "no attendance radios yet"
    page = client.post(f"/sessions/{session.id}/register", data={f"dsl_{person.id}": "attended"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Attendance can be recorded once the session has started" in page
    response = client.post(f"/sessions/{session.id}/register/walk-in", data={"email": person.email})
    assert response.status_code == 400
    listing = io.BytesIO(f"name,email\nX,{person.email}\n".encode())
    response = client.post(f"/sessions/{session.id}/register/attendees", data={"file": (listing, "list.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and b"once the session has started" in response.data
    page = client.post(f"/sessions/{session.id}/register/attendees/confirm",
                       data={"matched": f"{person.id}:attended", "seen": ""}, follow_redirects=True)
    assert "Attendance can be recorded once the session has started" in page.get_data(as_text=True)
    assert _statuses(db_session, session) == {}


def test_the_attendance_import_refuses_sessions_still_to_come(app, runner, db_session, make_dsl, tmp_path):
    person = make_dsl()
    future = today_london() + timedelta(days=3)
    path = tmp_path / "attendance.csv"
    path.write_text(f"course,session_date,email,status\nrefresher,{future.isoformat()},{person.email},attended\n")
    result = runner.invoke(args=["import", "attendance", str(path)])
    assert result.exit_code == 1
    assert "has not come yet: attendance can be recorded once a session has started" in result.output
    assert db_session.scalar(select(Attendance).where(Attendance.dsl_id == person.id)) is None


def test_mark_everyone_attended_keeps_marks_set_by_hand(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = _past(make_session)
    people = [make_dsl() for _ in range(4)]
    _book(db_session, session, *people)
    client.post(f"/sessions/{session.id}/register", data={
        f"dsl_{people[0].id}": "partial", f"dsl_{people[1].id}": "absent", "everyone": "Mark everyone attended"})
    assert _statuses(db_session, session) == {people[0].id: "partial", people[1].id: "absent",
                                              people[2].id: "attended", people[3].id: "attended"}


def test_attendee_list_proposes_partial_from_durations_and_shows_every_change(client, login_as, db_session,
                                                                            make_session, make_dsl):
    login_as("trainer")
    session = _past(make_session)  # 9:30 to 12:30, 180 minutes
    stayed, left_early, set_by_hand, rejoined = (make_dsl(name=n) for n in ("Ann Stayed", "Ben Left", "Cat Hand",
                                                                            "Dan Rejoined"))
    _book(db_session, session, stayed, left_early, set_by_hand, rejoined)
    client.post(f"/sessions/{session.id}/register", data={f"dsl_{set_by_hand.id}": "partial"})
    listing = ("Full Name,Email,Attendance Duration\n"
               f"Ann,{stayed.email},2h 55m\nBen,{left_early.email},01:10:00\nCat,{set_by_hand.email},3 hrs\n"
               f"Dan,{rejoined.email},80 mins\nDan,{rejoined.email},70 mins\n").encode()
    response = client.post(f"/sessions/{session.id}/register/attendees",
                           data={"file": (io.BytesIO(listing), "Meeting attendance.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 status already recorded would change" in page
    assert "Cat Hand: change Partly attended to Attended" in page
    assert _statuses(db_session, session) == {set_by_hand.id: "partial"}, "nothing saved before confirming"
    matched = page.split('name="matched" type="hidden" value="')[1].split('"')[0]
    seen = page.split('name="seen" type="hidden" value="')[1].split('"')[0]
    # Not ticked: the mark set by hand stays.
    response = client.post(f"/sessions/{session.id}/register/attendees/confirm",
                           data={"matched": matched, "seen": seen}, follow_redirects=True)
    assert "1 status set by hand kept" in response.get_data(as_text=True)
    assert _statuses(db_session, session) == {stayed.id: "attended", left_early.id: "partial",
                                              set_by_hand.id: "partial", rejoined.id: "attended"}
    # Ticked: it changes.
    client.post(f"/sessions/{session.id}/register/attendees/confirm",
                data={"matched": matched, "seen": seen, f"change_{set_by_hand.id}": "y"})
    assert _statuses(db_session, session)[set_by_hand.id] == "attended"


def test_a_pair_typed_by_hand_cannot_overwrite_a_status_unseen(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = _past(make_session)
    person = make_dsl(name="Eve Absent")
    _book(db_session, session, person)
    client.post(f"/sessions/{session.id}/register", data={f"dsl_{person.id}": "absent"})
    response = client.post(f"/sessions/{session.id}/register/attendees/confirm", data={
        "matched": "", "seen": "", "attendee_0": "Eve at home <eve@home.example.com>", "proposed_0": "attended",
        "pair_0": person.email})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Eve Absent: change Absent to Attended" in page
    assert _statuses(db_session, session) == {person.id: "absent"}


def test_durations_read_the_way_meeting_programs_write_them():
    assert [parse_minutes(v) for v in ("55", "1:05:30", "52:30", "1h 23m 6s", "1 hr 5 min", "45 mins", "", "n/a")] == [
        55, 65.5, 52.5, 83.1, 65, 45, None, None]
    assert proposed_status(135, 180) == "attended" and proposed_status(134.9, 180) == "partial"
    assert proposed_status(None, 180) == "attended"


def test_a_place_with_attendance_cannot_be_cancelled(client, login_as, dsl_user, db_session, make_session, make_dsl):
    login_as("trainer")
    session = _past(make_session)
    person = make_dsl()
    _book(db_session, session, person)
    client.post(f"/sessions/{session.id}/register", data={f"dsl_{person.id}": "attended"})
    booking = db_session.scalar(select(Booking).where(Booking.dsl_id == person.id))
    page = client.post(f"/sessions/{session.id}/bookings/{booking.id}/cancel", follow_redirects=True).get_data(
        as_text=True)
    assert "attendance has been recorded for it" in page
    page = client.post(f"/sessions/{session.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "This session cannot be cancelled: attendance has been recorded" in page
    db_session.expire_all()
    assert booking.status == "booked" and not session.cancelled
    assert _statuses(db_session, session) == {person.id: "attended"}
    # A DSL cancelling their own place is refused the same way.
    _, own = dsl_user()
    _book(db_session, session, own)
    db_session.add(Attendance(session_id=session.id, dsl_id=own.id, status="partial"))
    db_session.commit()
    mine = db_session.scalar(select(Booking).where(Booking.dsl_id == own.id))
    page = client.post(f"/my-training/bookings/{mine.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "attendance has been recorded for it" in page
    db_session.expire_all()
    assert mine.status == "booked" and _statuses(db_session, session)[own.id] == "partial"
