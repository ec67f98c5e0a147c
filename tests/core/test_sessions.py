"""Signed-cookie sessions are Flask's own: a changed, forged, expired or re-keyed cookie never gets
through, and a request that changes nothing in its session sets no cookie."""

from datetime import timedelta

import itsdangerous.timed
from flask import request
from flask import session as request_session
from flask.sessions import SecureCookieSessionInterface


def signed(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, value: str):
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
        return app.session_interface.open_session(app, request)


def test_sessions_are_flasks_own_signed_cookies(app):
    assert type(app.session_interface) is SecureCookieSessionInterface
    value = signed(app, {"_user_id": "7:1", "csrf_token": "abc"})
    assert dict(opened(app, value)) == {"_user_id": "7:1", "csrf_token": "abc"}


def test_a_changed_or_forged_cookie_is_refused(app):
    value = signed(app, {"_user_id": "7:1"})
    assert opened(app, value)
    payload, signature = value.rsplit(".", 1)
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert dict(opened(app, forged)) == {}
    other_payload = signed(app, {"_user_id": "1:1"}).split(".")[0:2]
    assert dict(opened(app, ".".join(other_payload + [signature]))) == {}


class _Later:
    """Stands in for the time module inside itsdangerous: the clock has moved on."""

    def __init__(self, seconds: float):
        import time

        self.now = time.time() + seconds

    def time(self) -> float:
        return self.now


def test_a_cookie_older_than_the_session_lifetime_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=30))
    value = signed(app, {"_user_id": "7:1"})
    assert dict(opened(app, value)) == {"_user_id": "7:1"}
    monkeypatch.setattr(itsdangerous.timed, "time", _Later(31))
    assert dict(opened(app, value)) == {}


def test_a_new_secret_key_refuses_cookies_signed_with_the_old_one(app, monkeypatch):
    value = signed(app, {"_user_id": "7:1"})
    assert opened(app, value)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret")
    assert dict(opened(app, value)) == {}


def test_an_unchanged_session_sets_no_cookie_and_a_changed_one_does(app):
    value = signed(app, {"_user_id": "7:1"})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
        assert request_session.get("_user_id") == "7:1"
        session = request_session._get_current_object()
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        assert "Set-Cookie" not in response.headers and "Cookie" in response.vary
        session["csrf_token"] = "new"
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        assert response.headers["Set-Cookie"].startswith("__Host-session=")
