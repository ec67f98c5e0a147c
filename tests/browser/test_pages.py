"""Each demo role signs in through the form, visits every page its navigation offers and a few
more, and every page is screenshotted and passes axe-core's WCAG 2.2 AA rules."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import follow, sign_in_here
from tests.conftest import EXAMPLES

ROLE_EMAILS = {
    "admin": "admin@demo.test",
    "trainer": "trainer@demo.test",
    "evaluator": "evaluator@demo.test",
    "dsl": "dsl@demo.test",
}
EXTRA_PAGES = {
    "admin": ["/admin/schools/new", "/admin/dsls/new", "/admin/users/new", "/admin/schools?q=primary",
              "/account/password", "/accessibility"],
    "trainer": ["/account/password"],
    "evaluator": ["/imports/"],
    "dsl": ["/account/password"],
}


def test_pages_without_signing_in(new_page, check_page):
    page = new_page()
    for path, name in (("/", "start"), ("/login", "login"), ("/accessibility", "accessibility"),
                       ("/no-such-page", "not-found")):
        page.goto(path)
        check_page(page, f"anonymous-{name}")
    page.goto("/admin/users")
    assert "/login" in page.url


@pytest.mark.parametrize("role", list(ROLE_EMAILS))
def test_each_role_signs_in_and_every_page_passes_axe(role, sign_in, check_page):
    page = sign_in(ROLE_EMAILS[role])
    check_page(page, f"{role}-home")
    links = page.locator(".govuk-service-navigation__list a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    visited = set()
    for href in links + EXTRA_PAGES[role]:
        if href in visited:
            continue
        visited.add(href)
        response = page.goto(href)
        assert response.status == 200, f"{role} {href}: {response.status}"
        check_page(page, f"{role}-{re.sub(r'[^a-z0-9]+', '-', href.lower()).strip('-') or 'home'}")
    if role != "dsl":
        page.goto("/admin/users")
        expected = "Users" if role == "admin" else "You do not have permission"
        assert expected in page.content()
        if role != "admin":
            check_page(page, f"{role}-forbidden")


def test_admin_form_errors_are_summarised_and_accessible(sign_in, check_page):
    page = sign_in("admin@demo.test")
    page.goto("/admin/schools/new")
    page.get_by_label("URN").fill("not a number")
    follow(page.get_by_role("button", name="Save school"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert "Enter the URN as a whole number" in summary.inner_text()
    assert page.title().startswith("Error:")
    check_page(page, "admin-school-form-errors")


def test_admin_uploads_schools_file_with_preview(sign_in, check_page):
    page = sign_in("admin@demo.test")
    page.goto("/imports/")
    page.get_by_label("Schools").check()
    page.set_input_files("input[type=file]", str(EXAMPLES / "schools.csv"))
    follow(page.get_by_role("button", name="Check the file"))
    assert "Check the import" in page.content()
    check_page(page, "admin-import-preview")
    follow(page.get_by_role("button", name="Import the file"))
    assert "Imported schools.csv" in page.content()
    check_page(page, "admin-import-done")


def test_sign_out_ends_the_session(sign_in):
    page = sign_in("trainer@demo.test")
    follow(page.get_by_role("button", name="Sign out"))
    assert "You have signed out" in page.content()
    page.goto("/account/password")
    assert "/login" in page.url


def test_invitation_flow_pages_pass_axe(sign_in, new_page, check_page):
    admin = sign_in("admin@demo.test")
    admin.goto("/admin/users/new")
    admin.get_by_label("Email address").fill("new.evaluator@council.example.org")
    admin.get_by_label("Full name").fill("Nia Evaluator")
    admin.get_by_label("Evaluator").check()
    follow(admin.get_by_role("button", name="Add user and create invitation link"))
    link = admin.locator("#invitation-link").input_value()
    check_page(admin, "admin-user-invited")
    # Numbered page links keep the search (the session list uses the same pagination).
    admin.goto("/admin/schools?q=primary")
    follow(admin.locator(".govuk-pagination a", has_text="Next"))
    assert "q=primary" in admin.url and "page=2" in admin.url
    assert admin.locator(".govuk-pagination__item--current").inner_text().strip() == "2"
    check_page(admin, "admin-schools-page-2")
    admin.goto("/admin/schools")
    follow(admin.locator("table a.govuk-link").first)
    check_page(admin, "admin-school-edit")
    admin.goto("/admin/dsls")
    follow(admin.locator("table a.govuk-link").first)
    check_page(admin, "admin-dsl-edit")
    admin.goto("/logout")
    check_page(admin, "admin-logout-confirm")

    invited = new_page()
    invited.goto(link)
    check_page(invited, "invited-set-password")
    invited.get_by_label("New password", exact=True).fill("a long enough passphrase")
    invited.get_by_label("Confirm new password", exact=True).fill("a long enough passphrase")
    follow(invited.get_by_role("button", name="Save password"))
    check_page(invited, "invited-password-set")
    invited.goto(link)
    check_page(invited, "invited-link-used")
    sign_in("new.evaluator@council.example.org", "a long enough passphrase")


def test_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_here(page, "admin@demo.test")
        follow(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Schools"))
        page.get_by_label("Search by name or URN").fill("primary")
        follow(page.get_by_role("button", name="Search"))
        assert "schools" in page.locator("caption").inner_text()
        follow(page.get_by_role("button", name="Sign out"))
        assert "You have signed out" in page.content()
    finally:
        context.close()
