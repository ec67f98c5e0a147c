"""Fixtures for courses: course types by code, sessions, and many DSLs at once."""

from datetime import time, timedelta

import pytest
from sqlalchemy import insert, select

from core.timefmt import today_london, utcnow


@pytest.fixture
def course_type(db_session):
    from courses.models import CourseType

    def get(code="refresher"):
        return db_session.scalar(select(CourseType).where(CourseType.code == code))

    return get


@pytest.fixture
def make_session(db_session, course_type):
    """A session of ``course`` (a code) on ``first_day`` (default: in two weeks), with one part per day."""
    from courses.services import PartTimes, save_session

    def make(course="refresher", first_day=None, capacity=20, days=1, code=None, mode="online", **fields):
        first_day = first_day or today_london() + timedelta(days=14)
        parts = [PartTimes(first_day + timedelta(days=n), time(9, 30), time(12, 30)) for n in range(days)]
        session = save_session(None, course_type=course_type(course), parts=parts, mode=mode, capacity=capacity,
                               code=code, joining_link="https://meet.example.org/x" if mode == "online" else None,
                               venue=None if mode == "online" else "Shire Hall", **fields)
        db_session.commit()
        return session

    return make


@pytest.fixture
def many_dsls(db_session, make_school):
    """``n`` DSLs at one new school (inserted in one statement); returns their ids."""
    from people.models import Dsl

    def make(n, school=None, prefix="person"):
        school = school or make_school()
        now = utcnow()
        rows = [{"email": f"{prefix}{i}.{school.urn}@school.example.org", "name": f"{prefix.title()} {i:04d}",
                 "school_id": school.id, "role": "DSL" if i == 0 else "Deputy DSL", "created_at": now,
                 "updated_at": now} for i in range(n)]
        db_session.execute(insert(Dsl), rows)
        db_session.commit()
        return list(db_session.scalars(select(Dsl.id).where(Dsl.school_id == school.id).order_by(Dsl.id)))

    return make


@pytest.fixture
def dsl_user(client, make_user, make_dsl):
    """Sign the client in as a DSL user tied to a new DSL record; returns (user, dsl)."""

    def login(**fields):
        dsl = make_dsl(**fields)
        user = make_user("dsl", email=dsl.email)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user, dsl

    return login
