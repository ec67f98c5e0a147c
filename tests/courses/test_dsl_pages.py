"""What a DSL expects: their status on the home page, the course they need offered, a warning before
a second place on one course, the waiting list of a full session, and the feed as a webcal link."""

from datetime import timedelta

from sqlalchemy import select

from core.timefmt import today_london
from courses.models import Attendance, Booking


def test_home_page_shows_the_dsls_training_status(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    page = client.get("/").get_data(as_text=True)
    assert "Your training" in page and "Never trained" in page and "Nothing booked" in page
    session = make_session()
    client.post(f"/my-training/sessions/{session.id}/book")
    page = client.get("/").get_data(as_text=True)
    assert f"DSL refresher, {session.first_day.day} {session.first_day:%B %Y}" in page


def test_an_in_date_dsl_is_not_offered_an_induction(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    induction, refresher = make_session("induction"), make_session("refresher", code="r")
    page = client.get("/my-training").get_data(as_text=True)
    assert f"/my-training/sessions/{induction.id}/book" in page, "never trained: the induction is offered"
    assert f"/my-training/sessions/{refresher.id}/book" not in page
    past = make_session("induction", first_day=today_london() - timedelta(days=40), code="past")
    db_session.add(Attendance(session_id=past.id, dsl_id=dsl.id, status="attended"))
    db_session.commit()
    page = client.get("/my-training").get_data(as_text=True)
    assert f"/my-training/sessions/{induction.id}/book" not in page
    assert f"/my-training/sessions/{refresher.id}/book" in page
    assert "inductions are not shown" in page


def test_a_second_booking_of_one_course_asks_first(client, dsl_user, db_session, make_session):
    _, dsl = dsl_user()
    first, second = make_session(), make_session(first_day=today_london() + timedelta(days=20))
    client.post(f"/my-training/sessions/{first.id}/book")
    page = client.post(f"/my-training/sessions/{second.id}/book").get_data(as_text=True)
    assert "You are already booked on DSL refresher" in page
    assert db_session.scalar(select(Booking).where(Booking.session_id == second.id)) is None
    client.post(f"/my-training/sessions/{second.id}/book", data={"second": "yes"})
    assert db_session.scalar(select(Booking.status).where(Booking.session_id == second.id)) == "booked"


def test_a_dsl_can_join_the_waiting_list_of_a_full_session(client, dsl_user, db_session, make_session, make_dsl):
    from courses.services import book_place

    _, dsl = dsl_user()
    full = make_session("induction", capacity=1)
    book_place(full, make_dsl())
    db_session.commit()
    page = client.get("/my-training").get_data(as_text=True)
    assert "Full: you can join the waiting list" in page and "Join the waiting list" in page
    page = client.post(f"/my-training/sessions/{full.id}/book", follow_redirects=True).get_data(as_text=True)
    assert "you are number 1 on its waiting list" in page


def test_the_calendar_feed_is_a_webcal_link_to_copy(client, dsl_user):
    dsl_user()
    page = client.get("/my-training").get_data(as_text=True)
    assert 'href="webcal://localhost/calendar/' in page
    assert 'id="feed-address"' in page and 'data-copy="feed-address"' in page
