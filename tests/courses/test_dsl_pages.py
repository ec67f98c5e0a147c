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


def test_trainers_search_the_clock_and_list_schools_without_cover(client, login_as, db_session, make_school, make_dsl,
                                                                 make_session):
    import csv
    import io

    login_as("trainer")
    covered, bare = make_school(name="Covered Academy", district="Kenilworth"), make_school(
        name="Bare Infants", district="Kenilworth")
    lead, deputy = make_dsl(school=covered, name="Lead Person"), make_dsl(school=covered, name="Deputy Person",
                                                                           role="Deputy DSL")
    make_dsl(school=bare, name="Untrained Person", email="untrained@bare.example.org")
    past = make_session(first_day=today_london() - timedelta(days=10))
    for person in (lead, deputy):
        db_session.add(Attendance(session_id=past.id, dsl_id=person.id, status="attended"))
    db_session.commit()
    for query in ("untrained", "UNTRAINED@BARE", "bare inf"):
        page = client.get(f"/training-clock?q={query}").get_data(as_text=True)
        assert "Untrained Person" in page and "Lead Person" not in page, query
    rows = list(csv.DictReader(io.StringIO(client.get("/training-clock.csv?q=covered").data.decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == {"Lead Person", "Deputy Person"}
    page = client.get("/training-clock/schools?district=Kenilworth&cover=without").get_data(as_text=True)
    assert "Bare Infants" in page and "Covered Academy" not in page and "1 of 2 schools do not" in page
    response = client.get("/training-clock/schools.csv?district=Kenilworth")
    assert response.headers["Content-Disposition"] == "attachment; filename=training-cover-by-school.csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["school_name"], r["dsl_in_date"], r["deputy_in_date"]) for r in rows] == [
        ("Bare Infants", "no", "no"), ("Covered Academy", "yes", "yes")]


def test_the_session_form_reveals_fields_for_the_way_it_is_run(client, login_as):
    login_as("trainer")
    page = client.get("/sessions/new").get_data(as_text=True)
    # Each choice's fields sit inside that choice's conditional block (shown by GOV.UK Frontend's
    # script only for the chosen one; every block shows without JavaScript).
    online = page.split('id="conditional-mode"')[1].split('id="conditional-mode-2"')[0]
    in_person = page.split('id="conditional-mode-2"')[1].split('name="district"')[0]
    assert 'name="joining_link"' in online and 'name="venue"' not in online
    assert 'name="venue"' in in_person and 'name="address"' in in_person and 'name="joining_link"' not in in_person
    assert 'aria-controls="conditional-mode"' in page and 'aria-controls="conditional-mode-2"' in page
    assert "govuk-radios__conditional--hidden" in in_person.split("</div>")[0] or \
        'class="govuk-radios__conditional govuk-radios__conditional--hidden" id="conditional-mode-2"' in page


def test_recent_imports_show_each_role_its_own_kinds(client, login_as, db_session):
    from core.models import ImportBatch

    for kind in ("contacts", "attendance"):
        db_session.add(ImportBatch(kind=kind, filename=f"{kind}-file.csv", checksum="0" * 64, source="cli", rows=1,
                                   created=1, updated=0, unchanged=0))
    db_session.commit()
    login_as("trainer")
    page = client.get("/imports/").get_data(as_text=True)
    assert "attendance-file.csv" in page and "contacts-file.csv" not in page
    login_as("evaluator")
    page = client.get("/imports/").get_data(as_text=True)
    assert "contacts-file.csv" in page and "attendance-file.csv" not in page
