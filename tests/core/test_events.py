"""Announcements between features: a lower feature announces, the features built on it act, in the
announcer's transaction."""

import pytest

from core import events


@pytest.fixture
def heard(app, monkeypatch):
    """Handlers of this app replaced by two recorders, for the test only."""
    calls = []
    monkeypatch.setitem(app.extensions, "right_support_events", {})
    events.subscribe(app, events.REGISTER_CHANGED, lambda emails: calls.append(("first", emails)))
    events.subscribe(app, events.REGISTER_CHANGED, lambda emails: calls.append(("second", emails)))
    with app.app_context():
        yield calls


def test_handlers_run_in_the_order_they_subscribed(heard):
    events.register_changed([" Old@School.example.org", "new@school.example.org", ""])
    emails = frozenset({"old@school.example.org", "new@school.example.org"})
    assert heard == [("first", emails), ("second", emails)]


def test_nothing_is_announced_without_an_email(heard):
    events.register_changed(["", "  ", None])
    assert heard == []


def test_the_cohorts_feature_relinks_when_the_register_changes(app):
    from cohorts import services

    assert services.relink_emails in app.extensions["right_support_events"][events.REGISTER_CHANGED]
