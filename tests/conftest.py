"""Fixtures that read like the domain: the app, a client, a runner, signing in as a role, factories.

Factories commit (inside the test's outer transaction), as the rows a request finds would be.

The schema is built once per test session through the migrations; each test runs inside a
transaction that is rolled back, so tests never see each other's rows.
"""

import contextvars
import os
from datetime import time, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from core.app import create_app
from core.extensions import db
from core.sessions import stamps
from core.timefmt import today_london

# The example import files the project ships (docs/examples), described in docs/formats.md.
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Most tests post forms without tokens; tests/core/test_csrf.py turns the check back on.
        "WTF_CSRF_ENABLED": False,
    })
    app.instance_path = str(instance)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """Each test inside one outer transaction, rolled back at the end; commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own would pick the engine and ignore this connection.
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        db.session = scoped_session(factory, scopefunc=_app_ctx_id)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class RequestClient(FlaskClient):
    """A test client whose requests each get their own app context, ``g`` and database session,
    as in production, rather than borrowing the test's."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, db_session):
    from core.extensions import limiter

    with app.app_context():
        limiter.reset()  # every test starts with no failed attempts counted against its address
    app.test_client_class = RequestClient
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


@pytest.fixture
def make_school(db_session):
    from people.models import School

    def make(**fields):
        n = _next()
        values = {"urn": 900000 + n, "name": f"Test School {n}", "pupils": 300, "fsm_percent": 15.0,
                  "phase": "Primary", "district": "Warwick"}
        values.update(fields)
        school = School(**values)
        db_session.add(school)
        db_session.commit()
        return school

    return make


@pytest.fixture
def make_dsl(db_session, make_school):
    from people.models import Dsl

    def make(school=None, **fields):
        n = _next()
        values = {"email": f"dsl{n}@school.example.org", "name": f"Dsl Person {n}", "role": "DSL"}
        values.update(fields)
        dsl = Dsl(school=school or make_school(), **values)
        db_session.add(dsl)
        db_session.commit()
        return dsl

    return make


@pytest.fixture
def make_user(db_session):
    from people.models import User
    from people.services import hash_password

    def make(role="admin", email=None, password=None, **fields):
        n = _next()
        values = {"email": email or f"{role}{n}@council.example.org", "name": f"{role.title()} {n}", "role": role,
                  "password_hash": hash_password(password) if password else None, "active": True, "session_version": 1}
        values.update(fields)
        user = User(**values)
        db_session.add(user)
        db_session.commit()
        return user

    return make


@pytest.fixture
def login_as(client, make_user, make_dsl):
    """Sign the test client in as a new user with ``role``; returns the user."""

    def login(role, **fields):
        user = make_user(role, **fields)
        if role == "dsl" and "email" not in fields:
            make_dsl(email=user.email)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session.update(stamps())
        return user

    return login


@pytest.fixture
def course_type(db_session):
    """The course type with ``code``."""
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


class Mailbox:
    """What a real SMTP server on loopback has received: ``messages`` (email.message.EmailMessage)."""

    def __init__(self) -> None:
        self.messages = []
        self.port = None

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message.envelope_recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_recipients]

    def text(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    def html(self, message) -> str:
        return message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")

    def attachments(self, message) -> dict:
        """{filename: (content type with its parameters, bytes)}"""
        return {part.get_filename(): (part["Content-Type"], part.get_payload(decode=True))
                for part in message.iter_attachments()}


@pytest.fixture
def mailbox(app, monkeypatch):
    """A real SMTP server (aiosmtpd) on a free loopback port, which the app is set to send to for
    the test. Yields its Mailbox."""
    from aiosmtpd.controller import Controller

    from tests.support import free_port

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_FOLDER", "")
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def formats():
    return EXAMPLES
