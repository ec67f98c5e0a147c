"""Signing in safely: throttling, two-step sign-in with an authenticator app, passwords that are hard
to guess, links that never trust the Host header, sessions that end, headers, and the audit trail."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from core.audit import record  # noqa: F401  (the trail these tests read is written through it)
from core.extensions import db
from core.models import AuditEvent
from core.sessions import stamps
from courses.models import CalendarFeed
from people import services
from people.models import RecoveryCode, User
from tests.support import enrolled, next_code

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def events(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)))


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


# -- throttling -----------------------------------------------------------------------------------


def test_sixty_wrong_passwords_in_a_row_are_stopped_after_five(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    statuses = [sign_in(client, user.email, f"wrong password {n}").status_code for n in range(60)]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    refused = sign_in(client, user.email)
    assert refused.status_code == 429, "while locked out, even the right password is refused"
    page = refused.get_data(as_text=True)
    assert "too many attempts" in page and "Wait 5 minutes" in page
    assert not signed_in(client)


def test_the_same_answer_whether_or_not_the_account_exists(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    pages = {}
    for email in (user.email, "nobody@council.example.org"):
        answers = [sign_in(client, email, "wrong password!!") for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        pages[email] = [re.sub(r'nonce-?="?[^" \']+', "", a.get_data(as_text=True).replace(email, "EMAIL"))
                        for a in answers]
    assert pages[user.email] == pages["nobody@council.example.org"]


def test_a_right_password_does_not_count_and_other_accounts_are_not_locked(client, app, make_user):
    user, other = make_user("trainer", password=PASSWORD), make_user("trainer", password=PASSWORD)
    for _ in range(10):
        assert sign_in(app.test_client(), user.email).status_code == 302
    for _ in range(5):
        sign_in(client, user.email, "wrong password!!")
    assert sign_in(client, user.email).status_code == 429
    assert sign_in(client, other.email).status_code == 302


def test_one_client_guessing_many_accounts_is_stopped(client):
    statuses = [sign_in(client, f"person{n}@council.example.org", "wrong password!!").status_code for n in range(52)]
    assert statuses[:50] == [200] * 50 and statuses[50:] == [429, 429]


def test_invitation_links_and_codes_are_throttled_too(client, make_user, db_session):
    statuses = [client.get(f"/set-password/guess-{n}").status_code for n in range(51)]
    assert statuses == [404] * 50 + [429], "one client guessing links is stopped"
    user = make_user("admin", password=PASSWORD, **enrolled())
    sign_in(client, user.email)
    codes = [client.post("/login/code", data={"code": "000000"}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if __import__("os").environ.get("RIGHT_SUPPORT_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is not answering on 127.0.0.1:6379")
        pytest.skip("Redis throttling test skipped: nothing answers on 127.0.0.1:6379 (apt-get install redis-server)")
    return "redis://127.0.0.1:6379/0"


def test_counts_kept_in_redis_are_shared_between_workers(redis_url, tmp_path):
    """Two apps (two workers, or two servers) sharing a Redis store lock out one guesser together."""
    from flask_migrate import upgrade

    from core.app import create_app
    from tests.support import fresh_database

    prefix = f"right-support-test-{time.time_ns()}"
    with fresh_database(tmp_path, "redis") as url:
        workers = [create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                               "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix})
                   for _ in range(2)]
        try:
            with workers[0].app_context():
                upgrade()
            statuses = [sign_in(workers[n % 2].test_client(), "someone@council.example.org", "wrong password!!")
                        .status_code for n in range(7)]
            assert statuses == [200] * 5 + [429, 429]
        finally:
            import redis

            store = redis.Redis.from_url(redis_url)
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
            for worker in workers:
                with worker.app_context():
                    db.engine.dispose()


# -- two-step sign-in -------------------------------------------------------------------------------


def _enrol_from_page(client) -> tuple[str, str]:
    """Set up an app from the key on the set-up page; returns (secret, page with the recovery codes)."""
    page = client.get("/login/set-up-app").get_data(as_text=True)
    assert "<svg" in page and "<img" not in page.split("app-qr")[1][:200], "the QR code is drawn in the page"
    secret = "".join(re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).split())
    done = client.post("/login/set-up-app", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    return secret, done.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "evaluator"])
def test_admins_and_evaluators_must_set_up_an_app_after_their_password(client, make_user, role):
    user = make_user(role, password=PASSWORD)
    response = sign_in(client, user.email)
    assert response.headers["Location"] == "/login/set-up-app"
    assert not signed_in(client), "a right password alone does not sign in"
    assert client.get("/login/set-up-app").headers["Cache-Control"] == "no-store"
    wrong = client.post("/login/set-up-app", data={"code": "123456"}).get_data(as_text=True)
    assert "govuk-error-summary" in wrong and "6-digit code" in wrong
    secret, page = _enrol_from_page(client)
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", page)
    assert len(codes) == 10 and signed_in(client)
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored), "only hashes of recovery codes are kept"
    assert [e.object_id for e in events("people.mfa.enrolled")] == [str(user.id)]


def test_an_enrolled_account_needs_a_code_each_once_and_a_recovery_code_once(app, client, make_user):
    user = make_user("admin", password=PASSWORD, **enrolled())
    assert sign_in(client, user.email).headers["Location"] == "/login/code"
    assert client.post("/login/code", data={"code": "000000"}).status_code == 200
    code = next_code()
    assert client.post("/login/code", data={"code": code}).status_code == 302 and signed_in(client)
    replay = app.test_client()
    sign_in(replay, user.email)
    assert client.application.test_client() and replay.post("/login/code", data={"code": code}).status_code == 200
    assert not signed_in(replay), "a code is accepted once"
    recovery = services._replace_recovery_codes(db.session.get(User, user.id))
    db.session.commit()
    for attempt, expected in ((recovery[0].lower().replace("-", " "), 302), (recovery[0], 200)):
        device = app.test_client()
        sign_in(device, user.email)
        assert device.post("/login/code", data={"code": attempt}).status_code == expected
    assert len(events("people.mfa.recovery_code_used")) == 1
    assert [e.new_values["method"] for e in events("people.sign_in.succeeded")] == [
        "password+totp", "password+recovery_code"]


def test_trainers_and_dsls_may_choose_two_step_sign_in(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    assert sign_in(client, user.email).headers["Location"] == "/"
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    secret = "".join(re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).split())
    assert "Save your recovery codes" in client.post("/account/two-step/set-up",
                                                     data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    turned_off = client.post("/account/two-step/turn-off", data={"code": pyotp.TOTP(secret).now()})
    assert turned_off.status_code == 200, "the code that set it up is not accepted again"
    later = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.post("/account/two-step/turn-off", data={"code": later}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None and signed_in(client)


def test_a_trainer_with_an_app_needs_its_code(client, make_user):
    user = make_user("trainer", password=PASSWORD, **enrolled())
    assert sign_in(client, user.email).headers["Location"] == "/login/code"
    assert not signed_in(client)
    assert client.post("/login/code", data={"code": next_code()}).status_code == 302 and signed_in(client)


def test_an_admin_can_reset_two_step_sign_in(app, client, login_as, make_user):
    user = make_user("evaluator", password=PASSWORD, **enrolled())
    their_device = app.test_client()
    sign_in(their_device, user.email)
    their_device.post("/login/code", data={"code": next_code()})
    assert signed_in(their_device)
    admin = login_as("admin")
    assert "Reset two-step sign-in" in client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/two-step/reset").status_code == 302
    assert not signed_in(their_device), "their sessions end"
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None
    assert sign_in(app.test_client(), user.email).headers["Location"] == "/login/set-up-app"
    reset = events("people.mfa.reset")
    assert [(e.user_id, e.object_id) for e in reset] == [(admin.id, str(user.id))]
    login_as("trainer")
    assert client.post(f"/admin/users/{user.id}/two-step/reset").status_code == 403


def test_a_half_finished_sign_in_expires(client, make_user):
    user = make_user("admin", password=PASSWORD, **enrolled())
    sign_in(client, user.email)
    with client.session_transaction() as session:
        session["pending_sign_in"] = {**session["pending_sign_in"], "at": session["pending_sign_in"]["at"] - 301}
    response = client.post("/login/code", data={"code": next_code()})
    assert response.headers["Location"] == "/login" and not signed_in(client)


# -- passwords --------------------------------------------------------------------------------------


@pytest.mark.parametrize("password,message", [
    ("password1234", "harder to guess"),
    ("aaaaaaaaaaaa", "harder to guess"),
    ("jane.smith@school.example.org", "must not contain your email address"),
    ("Jane.Smith-is-my-name", "must not contain your email address"),
    ("short", "12 characters or more"),
])
def test_weak_passwords_are_refused_with_a_clear_message(client, make_user, db_session, password, message):
    user = make_user("dsl", email="jane.smith@school.example.org")
    token = services.invite(user, None)
    db_session.commit()
    page = client.post(f"/set-password/{token}", data={"password": password, "confirm": password})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "govuk-error-summary" in text and message in text
    with pytest.raises(services.AccountError, match=message.replace("12 characters", "12 characters")):
        services.check_password_strength(password, user.email, user.name)


def test_a_strong_password_is_accepted(make_user):
    services.check_password_strength("correct horse battery staple", "jane.smith@school.example.org", "Jane Smith")


# -- invitation links and calendar feeds --------------------------------------------------------------


def test_invitation_links_use_the_public_address_never_the_host_header(client, login_as):
    login_as("admin")
    cookie = client.get_cookie("__Host-session").value
    client.set_cookie("__Host-session", cookie, domain="evil.example.com")
    response = client.post("/admin/users/new", base_url="https://evil.example.com",
                           data={"email": "new.trainer@council.example.org", "name": "New Trainer", "role": "trainer"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"], base_url="https://evil.example.com").get_data(as_text=True)
    link = page.split('id="invitation-link" type="text" readonly value="')[1].split('"')[0]
    assert link.startswith("http://localhost/set-password/") and "evil" not in link


def test_a_disabled_accounts_invitation_stops_at_once(client, login_as, make_user, db_session):
    user = make_user("trainer")
    token = services.invite(user, None)
    db_session.commit()
    assert client.get(f"/set-password/{token}").status_code == 200
    login_as("admin")
    client.post(f"/admin/users/{user.id}/edit", data={"name": user.name, "role": "trainer"})  # unticked: disabled
    assert client.get(f"/set-password/{token}").status_code == 404
    services.update_user(db.session.get(User, user.id), user.name, "trainer", True)
    db_session.commit()
    assert client.get(f"/set-password/{token}").status_code == 404, "enabling again does not bring the link back"


def test_calendar_feed_tokens_are_stored_hashed_and_stop_with_the_account(client, login_as, make_dsl, db_session):
    dsl = make_dsl()
    user = login_as("dsl", email=dsl.email)
    page = client.get("/my-training").get_data(as_text=True)
    url = re.search(r'id="feed-address" type="text" readonly value="webcal://([^"]+)"', page).group(1)
    assert url.startswith("localhost/calendar/")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = db_session.scalar(select(CalendarFeed).where(CalendarFeed.dsl_id == dsl.id))
    assert token not in (feed.token_hash, feed.salt) and len(feed.token_hash) == 64
    anonymous = client.application.test_client()
    answer = anonymous.get(f"/calendar/{token}.ics")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    services.update_user(db.session.get(User, user.id), user.name, "dsl", False)
    db_session.commit()
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404


# -- sessions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("began,seen,message", [
    (12 * 3600 + 5, 10, "signed in more than 12 hours ago"),
    (40 * 60, 30 * 60 + 5, "had not used the service for 30 minutes"),
])
def test_a_sign_in_ends_after_its_lifetime_or_when_left_unused(client, login_as, began, seen, message):
    login_as("trainer")
    assert signed_in(client)
    now = time.time()
    with client.session_transaction() as session:
        session.update({"signed_in_at": int(now - began), "seen_at": int(now - seen)})
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not signed_in(client)


def test_a_session_in_use_carries_on_and_an_unstamped_one_has_ended(client, login_as):
    login_as("trainer")
    with client.session_transaction() as session:
        session.update(stamps(time.time() - 25 * 60))
    assert signed_in(client)
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5, "use is noted"
        del session["signed_in_at"]
    assert not signed_in(client)


def test_lifetimes_are_settings(tmp_path):
    from datetime import timedelta

    from core.config import load_config

    config = load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "development", "SESSION_LIFETIME_HOURS": "8",
                                         "SESSION_IDLE_MINUTES": "15"})
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=15)
    defaults = load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "development"})
    assert (defaults["PERMANENT_SESSION_LIFETIME"], defaults["SESSION_IDLE_TIMEOUT"]) == (
        timedelta(hours=12), timedelta(minutes=30))


def test_the_production_cookie_has_the_host_prefix(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    cookie = sign_in(client, user.email).headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
    assert not any(part.startswith("domain") for part in attributes)
    assert not any(part.startswith("expires") for part in attributes), "it ends with the browser session"


# -- headers and configuration ------------------------------------------------------------------------


def test_no_store_for_signed_in_people_and_exports_and_hsts_in_production(client, login_as):
    public = client.get("/login")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert public.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    login_as("trainer")
    for path in ("/", "/training-clock.csv", "/account/password"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store", path


def test_production_refuses_a_short_secret_key_or_no_public_url(tmp_path):
    from core.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_config(str(tmp_path), {"SECRET_KEY": "x" * 31, "PUBLIC_URL": "https://rs.example.gov.uk"})
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_config(str(tmp_path), {"SECRET_KEY": "x" * 32})
    config = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_URL": "https://rs.example.gov.uk"})
    assert config["HSTS"] and config["SESSION_COOKIE_NAME"] == "__Host-session"
    development = load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "development"})
    assert not development["HSTS"] and development["SESSION_COOKIE_NAME"] == "session"


# -- the audit trail of signing in ----------------------------------------------------------------------


def test_signing_in_and_out_and_changing_a_password_are_audited(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    sign_in(client, user.email, "wrong password!!")
    sign_in(client, "nobody@council.example.org", "wrong password!!")
    sign_in(client, user.email)
    client.post("/account/password", data={"current": PASSWORD, "password": "a brand new passphrase",
                                           "confirm": "a brand new passphrase"})
    client.post("/logout")
    failed = events("people.sign_in.failed")
    assert [(e.object_id, e.new_values["reason"], e.user_id) for e in failed] == [
        (str(user.id), "wrong password", None), (None, "unknown account", None)]
    assert all("nobody" not in str(e.new_values) for e in failed), "unknown addresses are not kept"
    assert all(e.remote_addr == "127.0.0.1" for e in failed)
    for name in ("people.sign_in.succeeded", "people.password.changed", "people.sign_out.succeeded"):
        assert [(e.user_id, e.object_id) for e in events(name)] == [(user.id, str(user.id))], name
