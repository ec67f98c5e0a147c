"""Signing in and out, safe redirects, ending every session, invitations and the users command."""

import pytest
from sqlalchemy import select

from core.extensions import db
from people import services
from people.models import Invitation, User
from tests.support import TOTP_SECRET, enrolled, next_code

PASSWORD = "correct horse battery"


def sign_in(client, email, password=PASSWORD, next_url=None):
    """Post the sign-in form, and the code from the app where the account has set one up."""
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"email": email, "password": password})
    if response.headers.get("Location") == "/login/code":
        response = client.post("/login/code", data={"code": next_code(TOTP_SECRET)})
    return response


def test_sign_in_with_email_and_password(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    response = sign_in(client, "  " + user.email.upper() + " ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert user.name in client.get("/").get_data(as_text=True)


def test_wrong_password_or_unknown_email_gives_one_clear_error(client, make_user):
    user = make_user("trainer", password=PASSWORD)
    for email, password in ((user.email, "wrong password!"), ("nobody@council.example.org", PASSWORD)):
        page = sign_in(client, email, password).get_data(as_text=True)
        assert "Enter a correct email address and password" in page
        assert "govuk-error-summary" in page


def test_disabled_account_cannot_sign_in(client, make_user):
    user = make_user("trainer", password=PASSWORD, active=False)
    assert sign_in(client, user.email).status_code == 200


@pytest.mark.parametrize("target,expected", [
    ("/admin/users", "/admin/users"),
    ("https://evil.example.com/", "/"),
    ("//evil.example.com/x", "/"),
    ("/\\evil.example.com", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_within_this_site(client, make_user, target, expected):
    user = make_user("admin", password=PASSWORD, **enrolled())
    response = sign_in(client, user.email, next_url=target)
    assert response.headers["Location"] == expected


def test_password_hash_is_slow_and_salted(make_user):
    first, second = services.hash_password(PASSWORD), services.hash_password(PASSWORD)
    assert first.startswith("scrypt:") and first != second


def test_signing_out_ends_every_session_of_that_user(app, client, make_user):
    user = make_user("trainer", password=PASSWORD)
    other_device = app.test_client()
    sign_in(client, user.email)
    sign_in(other_device, user.email)
    assert other_device.get("/account/password").status_code == 200
    kept_cookie = client.get_cookie("__Host-session").value
    client.post("/logout")
    assert other_device.get("/account/password").status_code == 302
    replay = app.test_client()
    replay.set_cookie("__Host-session", kept_cookie)
    assert replay.get("/account/password").status_code == 302, "an old cookie must not work after sign-out"


def test_changing_password_ends_other_sessions_but_not_this_one(app, client, make_user):
    user = make_user("trainer", password=PASSWORD)
    other_device = app.test_client()
    sign_in(client, user.email)
    sign_in(other_device, user.email)
    response = client.post("/account/password", data={"current": PASSWORD, "password": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200
    assert other_device.get("/account/password").status_code == 302
    assert sign_in(app.test_client(), user.email, "a brand new passphrase").status_code == 302


def test_disabling_a_user_ends_their_sessions(app, client, login_as, make_user):
    victim = make_user("trainer", password=PASSWORD)
    their_device = app.test_client()
    sign_in(their_device, victim.email)
    login_as("admin")
    client.post(f"/admin/users/{victim.id}/edit", data={"name": victim.name, "role": "trainer"})
    assert their_device.get("/account/password").status_code == 302


def test_invitation_link_sets_a_password_once(client, login_as):
    login_as("admin")
    response = client.post("/admin/users/new", data={"email": "New.Trainer@council.example.org", "name": "New Trainer",
                                                     "role": "trainer"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = page.split('id="invitation-link" type="text" readonly value="')[1].split('"')[0]
    assert "/set-password/" in link
    assert "invitation-link" not in client.get(response.headers["Location"]).get_data(as_text=True), "shown once"
    path = link.split("localhost")[1]
    anonymous = client.application.test_client()
    form = {"password": "twelve chars or more", "confirm": "twelve chars or more"}
    assert anonymous.post(path, data=form).status_code == 302
    assert anonymous.get(path).status_code == 404, "a used link no longer works"
    assert sign_in(anonymous, "new.trainer@council.example.org", "twelve chars or more").status_code == 302
    stored = db.session.scalar(select(Invitation))
    assert stored.token_hash not in link, "only a hash of the token is stored"


def test_short_password_is_refused_with_a_summary(client, make_user, db_session):
    user = make_user("dsl")
    token = services.invite(user, None)
    db_session.commit()
    page = client.post(f"/set-password/{token}", data={"password": "short", "confirm": "short"}).get_data(as_text=True)
    assert "govuk-error-summary" in page and "between 12 and 200 characters" in page


def test_a_dsl_account_needs_a_dsl_on_the_register(client, login_as, make_dsl):
    login_as("admin")
    page = client.post("/admin/users/new", data={"email": "nobody@school.example.org", "name": "N", "role": "dsl"})
    assert "needs a DSL on the register" in page.get_data(as_text=True)
    dsl = make_dsl(email="head@school.example.org")
    assert client.post("/admin/users/new", data={"email": "HEAD@school.example.org", "name": "H", "role": "dsl"}).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "head@school.example.org"))
    assert user.dsl.id == dsl.id


def test_admin_cannot_demote_or_disable_themselves(client, login_as):
    admin = login_as("admin")
    page = client.post(f"/admin/users/{admin.id}/edit", data={"name": "Me", "role": "trainer", "active": "y"})
    assert "cannot remove your own admin role" in page.get_data(as_text=True)


def test_users_create_command_asks_for_a_password(runner):
    result = runner.invoke(args=["users", "create", "Lead@Council.example.org", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "lead@council.example.org"))
    assert user.role == "admin" and services.authenticate(user.email, PASSWORD) is not None
    again = runner.invoke(args=["users", "create", "lead@council.example.org", "--role", "admin"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code == 1 and "already an account" in again.output
