"""The sign-in security migration on a database that already holds a calendar feed: the plain token is
gone, its hash is kept, and the old address keeps working until its DSL makes a new one. Going back
gives each feed a new random token."""

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from core.extensions import db
from courses import services
from tests.core.test_migrations import empty_app  # noqa: F401 (a fixture: a fresh, empty database)

BEFORE = "0012_days_at_risk"
TOKEN = "an-old-plain-feed-token-made-before-hashing"
ROWS = """
INSERT INTO schools (id, urn, name, pupils, fsm_percent, phase, created_at, updated_at)
    VALUES (1, 100001, 'Old School', 300, 12.5, 'Primary', :now, :now);
INSERT INTO dsls (id, email, name, school_id, role, created_at, updated_at)
    VALUES (1, 'a@x.org', 'A', 1, 'DSL', :now, :now);
INSERT INTO users (id, email, name, role, active, session_version, created_at)
    VALUES (1, 'a@x.org', 'A', 'dsl', true, 1, :now);
INSERT INTO calendar_feeds (dsl_id, token, created_at) VALUES (1, :token, :now)
"""


def test_an_existing_feed_keeps_its_address_but_not_its_plain_token(empty_app):  # noqa: F811
    with empty_app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in filter(str.strip, ROWS.split(";")):
                connection.execute(text(statement), {"now": datetime(2026, 1, 5), "token": TOKEN})
        upgrade()
        columns = {c["name"] for c in inspect(db.engine).get_columns("calendar_feeds")}
        assert "token" not in columns and {"token_hash", "salt"} <= columns
        stored = db.session.execute(text("SELECT token_hash, salt FROM calendar_feeds")).one()
        assert TOKEN not in stored and stored.salt is None
        assert services.dsl_for_feed(TOKEN).email == "a@x.org"
        feed = services.feed_of(services.dsl_for_feed(TOKEN))
        assert services.feed_token(feed) is None, "an old token cannot be shown again"
        db.session.remove()
        downgrade(revision=BEFORE)
        token = db.session.execute(text("SELECT token FROM calendar_feeds")).scalar_one()
        assert token and token != TOKEN
        db.session.remove()
