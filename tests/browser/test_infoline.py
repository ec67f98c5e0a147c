"""An Infoline adviser records a call with the keyboard alone, inside a budget of key presses (a
trained adviser does it in well under 30 seconds while still on the phone); the entry page and the
evaluator's Infoline page pass axe-core and fit a phone's screen."""

import time

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
KEY_BUDGET = 25


class Keyboard:
    """The page's keyboard, counting every key pressed (each character typed is one)."""

    def __init__(self, page):
        self.page, self.presses = page, 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def submit(self, key: str = "Enter") -> None:
        with self.page.expect_navigation(wait_until="load"):
            self.press(key)


def test_an_adviser_records_a_call_keyboard_only(sign_in, check_page):
    page = sign_in("infoline@demo.test")
    page.goto("/infoline/calls/new")
    check_page(page, "infoline-record-empty")
    keys = Keyboard(page)
    started = time.monotonic()
    keys.type("dsl@demo.test")  # the search box has the focus when the page opens
    keys.submit()
    expect(page.locator("#caller")).to_be_checked()  # the one caller found is chosen and has the focus
    keys.press("Tab")  # to the advice given
    keys.press("Space")  # answered on the call
    keys.press("Tab")  # to the topic
    keys.press("N")  # Neglect
    keys.press("Tab")  # to the duration
    keys.type("5")
    keys.submit()
    elapsed = time.monotonic() - started
    assert keys.presses <= KEY_BUDGET, f"{keys.presses} key presses"
    assert elapsed < 30
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Call from Dana Lewis saved")
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Dana Lewis")
    expect(row).to_contain_text("Answered on the call")
    expect(row).to_contain_text("Neglect")
    assert page.evaluate("document.activeElement.id") == "q"  # ready for the next call
    check_page(page, "infoline-record-saved")
    page.goto("/infoline/calls/new?q=dsl%40demo.test")
    check_page(page, "infoline-record-found")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "infoline-record-found-phone")


def test_the_infoline_page_passes_axe(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/infoline/")
    expect(page.locator("h1")).to_have_text("The DSL Infoline")
    check_page(page, "infoline-figures")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "infoline-figures-phone")


def test_the_demand_page_shows_the_infoline_beside_the_mash(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/cohorts/demand")
    table = page.locator("#table-by-month")
    expect(table).to_contain_text("DSL Infoline calls")
    expect(table).to_contain_text("September 2020")
    check_page(page, "demand-by-month")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page(page, "demand-by-month-phone")
