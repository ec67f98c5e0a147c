"""Signed-cookie sessions: a cookie verified once in a worker is not verified again, but a changed,
forged, expired or re-keyed cookie never gets through, and nothing one request does to its session
reaches the next."""

from datetime import timedelta

from flask import request
from flask import session as request_session

from core import sessions


def signed(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, value: str):
    with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
        return app.session_interface.open_session(app, request)


def test_every_app_has_its_own_cookie_sessions(app):
    assert isinstance(app.session_interface, sessions.CookieSessions)


def test_a_verified_cookie_opens_the_same_session_again(app):
    value = signed(app, {"_user_id": "7:1", "csrf_token": "abc"})
    assert dict(opened(app, value)) == {"_user_id": "7:1", "csrf_token": "abc"}
    assert value in app.session_interface._verified
    assert dict(opened(app, value)) == {"_user_id": "7:1", "csrf_token": "abc"}


def test_a_changed_or_forged_cookie_is_refused_even_after_the_real_one_was_seen(app):
    value = signed(app, {"_user_id": "7:1"})
    assert opened(app, value)
    payload, signature = value.rsplit(".", 1)
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert dict(opened(app, forged)) == {}
    other_payload = signed(app, {"_user_id": "1:1"}).split(".")[0:2]
    assert dict(opened(app, ".".join(other_payload + [signature]))) == {}


def test_a_cookie_older_than_the_session_lifetime_is_refused_even_when_remembered(app, monkeypatch):
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=30))
    value = signed(app, {"_user_id": "7:1"})
    assert dict(opened(app, value)) == {"_user_id": "7:1"}
    later = sessions.time.time() + 31
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert dict(opened(app, value)) == {}


def test_a_new_secret_key_refuses_cookies_signed_with_the_old_one(app, monkeypatch):
    value = signed(app, {"_user_id": "7:1"})
    assert opened(app, value)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret")
    assert dict(opened(app, value)) == {}


def test_changing_one_request_session_leaves_the_next_untouched(app):
    value = signed(app, {"_flashes": [["info", "Saved"]], "_user_id": "7:1"})
    first = opened(app, value)
    first["_flashes"].append(["info", "Another"])
    first.pop("_user_id")
    assert dict(opened(app, value)) == {"_flashes": [["info", "Saved"]], "_user_id": "7:1"}


def test_an_unchanged_session_sets_no_cookie_and_a_changed_one_does(app):
    value = signed(app, {"_user_id": "7:1"})
    with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
        assert request_session.get("_user_id") == "7:1"
        session = request_session._get_current_object()
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        assert "Set-Cookie" not in response.headers and "Cookie" in response.vary
        session["csrf_token"] = "new"
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        assert response.headers["Set-Cookie"].startswith("session=")
