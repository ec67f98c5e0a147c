"""Two-step sign-in from start to finish in a browser: an admin invites a new admin, who sets a password,
is taken to set up an authenticator app, signs out, signs in with a code from the app, and signs in
once with a recovery code, which is refused the second time. Each page passes axe-core."""

import re
import time

import pyotp

from tests.browser.conftest import SCREENSHOTS, follow

NEW_ADMIN = "second.admin@council.example.org"
PASSWORD = "a kettle, two lamps and a canoe"


def _password_step(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    follow(page.get_by_role("button", name="Sign in"))


def _code_step(page, code: str) -> None:
    page.get_by_role("textbox", name=re.compile("^Code")).fill(code)
    follow(page.get_by_role("button", name="Continue"))


def _sign_out(page) -> None:
    follow(page.get_by_role("button", name="Sign out"))
    assert "You have signed out" in page.content()


def _fits_a_phone(page, name: str) -> None:
    """At a phone's width the page (the QR code and the key included) does not scroll sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_enrol_sign_out_sign_in_with_a_code_and_with_a_recovery_code_once(sign_in, new_page, check_page):
    admin = sign_in("admin@demo.test")
    admin.goto("/admin/users/new")
    admin.get_by_label("Email address").fill(NEW_ADMIN)
    admin.get_by_label("Full name").fill("Second Admin")
    admin.get_by_label("Admin", exact=True).check()
    follow(admin.get_by_role("button", name="Add user and create invitation link"))
    link = admin.locator("#invitation-link").input_value()

    page = new_page()
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm new password").fill(PASSWORD)
    follow(page.get_by_role("button", name="Save password"))

    # A right password is not enough for an admin: set up an app first.
    _password_step(page, NEW_ADMIN)
    assert page.url.endswith("/login/set-up-app")
    assert page.locator(".app-qr svg").count() == 1
    check_page(page, "mfa-set-up")
    _fits_a_phone(page, "mfa-set-up-phone")
    page.get_by_text("I cannot scan the QR code").click()
    secret = "".join(page.locator("#totp-secret").inner_text().split())
    app = pyotp.TOTP(secret)
    _code_step(page, app.now())
    assert "Save your recovery codes" in page.content()
    check_page(page, "mfa-recovery-codes")
    _fits_a_phone(page, "mfa-recovery-codes-phone")
    codes = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", page.locator("#recovery-codes").inner_text())
    assert len(codes) == 10
    follow(page.get_by_role("link", name="I have saved my recovery codes"))
    _sign_out(page)

    # Back with a code from the app (the next 30-second step: the one used to set up is spent).
    _password_step(page, NEW_ADMIN)
    assert page.url.endswith("/login/code")
    check_page(page, "mfa-code")
    _code_step(page, app.at(time.time() + 30))
    assert "/login" not in page.url and "Second Admin" in page.content()
    _sign_out(page)

    # A recovery code works once ...
    _password_step(page, NEW_ADMIN)
    _code_step(page, codes[0])
    assert "/login" not in page.url
    assert "You signed in with a recovery code" in page.content() and "you have 9 left" in page.content()
    _sign_out(page)

    # ... and is refused the second time.
    _password_step(page, NEW_ADMIN)
    _code_step(page, codes[0])
    assert page.url.endswith("/login/code")
    assert "The code is not right" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "mfa-code-refused")
