"""50 people press "Book" for the last place at the same moment: exactly one gets it, the rest go on
the waiting list, and nobody sees an error page. Runs against a real, committed database of its own
(a SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is PostgreSQL)."""

import threading
from datetime import time, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, insert, select

from core.app import create_app
from core.extensions import db
from core.sessions import stamps
from core.timefmt import today_london, utcnow
from tests.support import fresh_database

PEOPLE = 50
CAPACITY = 5


@pytest.fixture
def committed_app(tmp_path):
    """An app on a fresh database of its own, migrated, whose commits are real."""
    with fresh_database(tmp_path, "race") as url:
        sqlite = url.startswith("sqlite")
        options = {"pool_size": PEOPLE, "max_overflow": 0} if sqlite else {"pool_size": 10, "max_overflow": 20}
        app = create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url,
                          "WTF_CSRF_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": options})
        app.instance_path = str(tmp_path)
        with app.app_context():
            upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _seed(app):
    """A session with one place left, and 50 DSLs with accounts who want it."""
    from courses.models import Booking, CourseType
    from courses.services import PartTimes, save_session
    from people.models import Dsl, School, User

    with app.app_context():
        school = School(urn=700001, name="Race School", pupils=100, fsm_percent=10.0)
        db.session.add(school)
        db.session.flush()
        now = utcnow()
        db.session.execute(insert(Dsl), [
            {"email": f"p{i}@race.example.org", "name": f"Person {i}", "school_id": school.id, "role": "DSL",
             "created_at": now, "updated_at": now} for i in range(PEOPLE + CAPACITY - 1)])
        db.session.execute(insert(User), [
            {"email": f"p{i}@race.example.org", "name": f"Person {i}", "role": "dsl", "active": True,
             "session_version": 1, "created_at": now} for i in range(PEOPLE)])
        refresher = db.session.scalar(select(CourseType).where(CourseType.code == "refresher"))
        day = today_london() + timedelta(days=10)
        session = save_session(None, course_type=refresher, parts=[PartTimes(day, time(9, 30), time(12, 0))],
                               mode="online", capacity=CAPACITY, joining_link="https://meet.example.org/race")
        earlier = db.session.scalars(select(Dsl.id).where(Dsl.email.like("p%@race.example.org")).order_by(Dsl.id)).all()
        db.session.execute(insert(Booking), [
            {"session_id": session.id, "dsl_id": dsl_id, "status": "booked", "created_at": now, "updated_at": now}
            for dsl_id in earlier[PEOPLE:]])
        users = [f"{u.id}:{u.session_version}" for u in db.session.scalars(select(User).order_by(User.id))]
        session_id = session.id
        db.session.commit()
        return session_id, users


def test_fifty_simultaneous_bookings_for_the_last_place(committed_app):
    from courses.models import Booking

    session_id, users = _seed(committed_app)
    clients = []
    for user_id in users:
        client = committed_app.test_client()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = user_id
            cookie["_fresh"] = True
            cookie.update(stamps())
        clients.append(client)
    start = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def book(n):
        start.wait()
        response = clients[n].post(f"/my-training/sessions/{session_id}/book")
        results[n] = (response.status_code, response.headers.get("Location", ""))
        response.close()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(r == (302, "/my-training") for r in results), results
    with committed_app.app_context():
        counts = dict(db.session.execute(select(Booking.status, func.count()).where(
            Booking.session_id == session_id).group_by(Booking.status)).all())
        positions = sorted(db.session.scalars(select(Booking.waitlist_position).where(
            Booking.session_id == session_id, Booking.status == "waitlisted")))
    assert counts == {"booked": CAPACITY, "waitlisted": PEOPLE - 1}
    assert positions == list(range(1, PEOPLE))
