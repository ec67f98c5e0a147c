"""Material downloads may trust a session check made in this worker in the last few seconds
(MATERIALS_SESSION_CHECK_SECONDS); every other page checks the database on every request, and a
session ended in this worker stops downloading at once."""

import pytest
from sqlalchemy import select, update

from core import memory
from materials.models import Download
from people import services as people
from people.models import User


@pytest.fixture
def remembering(app, monkeypatch):
    monkeypatch.setitem(app.config, "MATERIALS_SESSION_CHECK_SECONDS", 60)
    people.forget_remembered_sessions()
    yield
    people.forget_remembered_sessions()


def end_sessions_elsewhere(db_session, user):
    """End the user's sessions as another worker or app server would: in the database only."""
    db_session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    db_session.commit()


def is_sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_download_trusts_a_recent_check_for_a_few_seconds_but_pages_check_every_time(
        client, login_as, published, db_session, remembering, monkeypatch):
    user = login_as("dsl")
    assert client.get("/materials/poster.pdf").status_code == 200
    end_sessions_elsewhere(db_session, user)

    assert client.get("/materials/poster.pdf").status_code == 200
    assert is_sent_to_sign_in(client.get("/materials/"))

    later = memory.time.monotonic() + 61
    monkeypatch.setattr(memory.time, "monotonic", lambda: later)
    assert is_sent_to_sign_in(client.get("/materials/poster.pdf"))


def test_a_remembered_session_logs_downloads_as_its_user(client, login_as, published, db_session, remembering):
    user = login_as("dsl")
    for _ in range(3):
        client.get("/materials/poster.pdf").close()
    logged = db_session.scalars(select(Download.user_id)).all()
    assert logged == [user.id] * 3


@pytest.mark.parametrize("end", ["sign out everywhere", "disable", "change role"])
def test_ending_sessions_in_this_worker_stops_downloads_at_once(client, login_as, published, db_session,
                                                                remembering, end):
    user = login_as("dsl")
    assert client.get("/materials/poster.pdf").status_code == 200
    account = db_session.get(User, user.id)
    if end == "sign out everywhere":
        people.end_all_sessions(account)
    elif end == "disable":
        people.update_user(account, account.name, account.role, active=False)
    else:
        people.update_user(account, account.name, "trainer", active=True)
    db_session.commit()
    assert is_sent_to_sign_in(client.get("/materials/poster.pdf"))


def test_a_cookie_with_another_session_version_is_always_checked(client, login_as, published, db_session,
                                                                  remembering):
    user = login_as("dsl")
    assert client.get("/materials/poster.pdf").status_code == 200
    end_sessions_elsewhere(db_session, user)
    # Signing in again gives version 2: checked against the database, and remembered in its turn.
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:2"
    assert client.get("/materials/poster.pdf").status_code == 200
    # The old version-1 cookie is no longer what this worker remembers, so it is checked, and refused.
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:1"
    assert is_sent_to_sign_in(client.get("/materials/poster.pdf"))


def test_without_the_setting_every_download_checks_the_database(client, login_as, published, db_session, app):
    assert app.config["MATERIALS_SESSION_CHECK_SECONDS"] == 0
    user = login_as("dsl")
    assert client.get("/materials/poster.pdf").status_code == 200
    end_sessions_elsewhere(db_session, user)
    assert is_sent_to_sign_in(client.get("/materials/poster.pdf"))


def test_only_published_material_downloads_may_remember_a_session(app):
    remembered = sorted(endpoint for endpoint, view in app.view_functions.items()
                        if getattr(view, "session_check_remembered", False))
    assert remembered == ["materials.download", "materials.download_version", "materials.public_poster_pdf"]
