"""Fixtures for courses: many DSLs at once, and a DSL signed in. Course types and sessions are in tests/conftest.py."""

import pytest
from sqlalchemy import insert, select

from core.extensions import db
from core.sessions import stamps
from core.timefmt import utcnow
from tests.support import StatementCounter


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
            session.update(stamps())
        return user, dsl

    return login


@pytest.fixture
def queries_for(client):
    """How many SQL statements a GET of ``url`` runs (it must answer 200)."""

    def count(url) -> int:
        with StatementCounter(db.engine) as counter:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.close()
        return len(counter)

    return count
