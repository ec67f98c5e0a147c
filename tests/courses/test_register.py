"""The register: one screen per session, saved in one post; walk-ins; attendee lists matched by email."""

import io
from datetime import timedelta

from sqlalchemy import insert, select

from core.timefmt import today_london, utcnow
from courses.models import Attendance, Booking


def _yesterday(make_session, **fields):
    """A session that has taken place, so its register can be marked."""
    return make_session(first_day=today_london() - timedelta(days=1), **fields)


def _book_all(db_session, session, dsl_ids, status="booked"):
    now = utcnow()
    db_session.execute(insert(Booking), [{"session_id": session.id, "dsl_id": i, "status": status, "created_at": now,
                                          "updated_at": now} for i in dsl_ids])
    db_session.commit()


def test_register_queries_do_not_grow_with_the_number_of_people(client, login_as, db_session, make_session, many_dsls,
                                                                queries_for):
    login_as("trainer")
    small, large = _yesterday(make_session, capacity=300), _yesterday(make_session, capacity=300, code="pm")
    _book_all(db_session, small, many_dsls(20, prefix="small"))
    _book_all(db_session, large, many_dsls(200, prefix="large"))
    # A few already marked, so attendance rows are read too.
    for session in (small, large):
        first = db_session.scalars(select(Booking.dsl_id).where(Booking.session_id == session.id).limit(5)).all()
        db_session.execute(insert(Attendance), [{"session_id": session.id, "dsl_id": i, "status": "attended",
                                                 "recorded_at": utcnow()} for i in first])
    db_session.commit()
    few = queries_for(f"/sessions/{small.id}/register")
    many = queries_for(f"/sessions/{large.id}/register")
    assert few == many, (few, many)
    assert many <= 10


def test_marking_the_register_in_one_post(client, login_as, db_session, make_session, many_dsls):
    login_as("trainer")
    session = _yesterday(make_session)
    ids = many_dsls(4)
    _book_all(db_session, session, ids)
    page = client.get(f"/sessions/{session.id}/register")
    assert page.status_code == 200 and b"Attendance of" in page.data
    response = client.post(f"/sessions/{session.id}/register", data={
        f"dsl_{ids[0]}": "attended", f"dsl_{ids[1]}": "partial", f"dsl_{ids[2]}": "absent"})
    assert response.status_code == 302
    stored = dict(db_session.execute(select(Attendance.dsl_id, Attendance.status).where(
        Attendance.session_id == session.id)).all())
    assert stored == {ids[0]: "attended", ids[1]: "partial", ids[2]: "absent"}
    # Changing one mark changes only that row.
    client.post(f"/sessions/{session.id}/register", data={f"dsl_{ids[0]}": "attended", f"dsl_{ids[1]}": "attended",
                                                           f"dsl_{ids[2]}": "absent"})
    db_session.expire_all()
    assert db_session.scalar(select(Attendance.status).where(Attendance.dsl_id == ids[1])) == "attended"


def test_an_unknown_status_is_an_error_not_a_crash(client, login_as, db_session, make_session, many_dsls):
    login_as("trainer")
    session = _yesterday(make_session)
    ids = many_dsls(1)
    _book_all(db_session, session, ids)
    response = client.post(f"/sessions/{session.id}/register", data={f"dsl_{ids[0]}": "asleep"})
    assert response.status_code == 200 and b"govuk-error-summary" in response.data
    assert db_session.scalar(select(Attendance).where(Attendance.session_id == session.id)) is None


def test_walk_in_is_added_as_attended(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = _yesterday(make_session)
    person = make_dsl()
    response = client.post(f"/sessions/{session.id}/register/walk-in", data={"email": "  " + person.email.upper()})
    assert response.status_code == 302
    assert db_session.scalar(select(Attendance.status).where(Attendance.dsl_id == person.id)) == "attended"
    response = client.post(f"/sessions/{session.id}/register/walk-in", data={"email": "nobody@example.org"})
    assert response.status_code == 400 and b"no DSL on the register" in response.data


def test_attendee_list_matched_by_email_then_paired_by_hand(client, login_as, db_session, make_session, make_dsl):
    login_as("trainer")
    session = _yesterday(make_session)
    known, other = make_dsl(), make_dsl()
    csv_text = ("Name,Email,Duration\n"
                f"{known.name},{known.email.upper()},55\n"
                "Mystery Person,personal.address@home.example.com,40\n").encode()
    response = client.post(f"/sessions/{session.id}/register/attendees",
                           data={"file": (io.BytesIO(csv_text), "attendees.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.data.decode()
    assert "1 matched to the register" in page and "1 not matched" in page and "Mystery Person" in page
    response = client.post(f"/sessions/{session.id}/register/attendees/confirm", data={
        "matched": f"{known.id}:attended", "attendee_0": "Mystery Person <personal.address@home.example.com>",
        "proposed_0": "attended", "pair_0": "no-such@example.org"})
    assert response.status_code == 400 and b"no DSL on the register" in response.data
    response = client.post(f"/sessions/{session.id}/register/attendees/confirm", data={
        "matched": f"{known.id}:attended", "attendee_0": "Mystery Person <personal.address@home.example.com>",
        "proposed_0": "attended", "pair_0": other.email})
    assert response.status_code == 302
    marked = set(db_session.scalars(select(Attendance.dsl_id).where(Attendance.session_id == session.id,
                                                                    Attendance.status == "attended")))
    assert marked == {known.id, other.id}


def test_attendee_list_without_an_email_column_is_refused(client, login_as, make_session):
    login_as("trainer")
    session = _yesterday(make_session)
    response = client.post(f"/sessions/{session.id}/register/attendees",
                           data={"file": (io.BytesIO(b"Name\nSomeone\n"), "list.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400 and b"email" in response.data
