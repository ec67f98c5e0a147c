"""On a phone (390 x 844 CSS pixels) no page scrolls sideways: each role signs in and walks every page
it can reach by following links from its home page (one page of each kind: addresses that differ only
in their numbers or query values count as one), and on each the document is no wider than the screen.
Wide tables scroll inside their own region, stack, or wrap; the page itself never does."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in_here
from tests.browser.test_pages import ROLE_EMAILS

PHONE = {"width": 390, "height": 844}
# Downloads and actions, not pages.
SKIP = re.compile(r"\.(pdf|csv|ics|xlsx|json|png|svg|ico|eml)(\?|$)|^/logout|^/calendar/|^/assets/|^/static/")
# Pages that follow no link from home but belong to a role's work.
EXTRA = {
    "admin": ["/admin/mail/", "/admin/schools/new", "/admin/dsls/new", "/admin/users/new", "/course-types/new",
              "/course-types/clock-settings", "/account/password", "/training-clock/schools?cover=without"],
    "trainer": ["/sessions/new", "/sessions/?when=past", "/training-clock?status=due", "/account/password"],
    "evaluator": ["/imports/", "/account/password"],
    "dsl": ["/account/password", "/accessibility"],
}
MOST_PAGES = 80


def shape(path: str) -> str:
    """One address for every page of a kind: numbers and query values left out."""
    parts = urlsplit(path)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def too_wide(page) -> int:
    """How many CSS pixels the document is wider than the screen (0 when it fits)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - document.documentElement.clientWidth")


def sign_in_on_phone(browser, live_server, email):
    # A narrow window rather than mobile emulation: an emulated phone zooms out to fit a page that is too
    # wide, which would hide the very overflow this test looks for.
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    sign_in_here(page, email)
    return context, page


@pytest.mark.parametrize("role", list(ROLE_EMAILS))
def test_no_page_scrolls_sideways_on_a_phone(role, browser, live_server):
    context, page = sign_in_on_phone(browser, live_server, ROLE_EMAILS[role])
    try:
        queue, seen, wide, visited = ["/"] + EXTRA[role], set(), [], 0
        while queue and visited < MOST_PAGES:
            path = queue.pop(0)
            if shape(path) in seen or SKIP.search(path):
                continue
            seen.add(shape(path))
            response = page.goto(path)
            if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            visited += 1
            extra = too_wide(page)
            if extra > 0:
                wide.append(f"{path}: {extra}px too wide")
            links = page.locator("a[href^='/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            queue.extend(link.split("#")[0] for link in links if link and shape(link.split("#")[0]) not in seen)
        assert visited >= 5, f"{role} reached only {visited} pages"
        assert not wide, f"{role}: pages wider than a 390px phone:\n" + "\n".join(wide)
    finally:
        context.close()


def test_pages_without_signing_in_fit_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    try:
        for path in ("/", "/login", "/accessibility", "/no-such-page"):
            page.goto(path)
            assert too_wide(page) <= 0, path
    finally:
        context.close()


def test_a_dsls_certificates_and_book_buttons_show_whole_on_a_phone(browser, live_server):
    """Not only does My training fit: nothing a DSL comes for sits off the screen inside a scrolling table."""
    context, page = sign_in_on_phone(browser, live_server, ROLE_EMAILS["dsl"])
    try:
        page.goto("/my-training")
        wanted = page.get_by_role("link", name=re.compile(r"^Certificate")).all() + page.get_by_role(
            "button", name="Book").all()
        assert len(wanted) >= 2
        for element in wanted:
            box = element.bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], element.inner_text()
        assert page.evaluate("() => [...document.querySelectorAll('table')].every(t => t.scrollWidth <= t.clientWidth)")
    finally:
        context.close()
