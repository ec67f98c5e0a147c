"""Copy buttons: a DSL copies their calendar feed's webcal:// address, and an admin copies a new
user's set-password link, each with one press. Without JavaScript the button stays hidden and the
field is there to copy by hand."""

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, SCREENSHOTS, follow

CLIPBOARD = ["clipboard-read", "clipboard-write"]


def _copies(page, button_name, field_id) -> str:
    page.context.grant_permissions(CLIPBOARD)
    button = page.locator(f"button[data-copy='{field_id}']")
    expect(button).to_be_visible()
    expect(button).to_have_text(button_name)
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator(f"#{field_id}").input_value()
    return copied


def test_a_dsl_copies_the_feed_address(sign_in, check_page):
    dsl = sign_in("dsl@demo.test")
    dsl.goto("/my-training")
    address = _copies(dsl, "Copy the address", "feed-address")
    check_page(dsl, "dsl-feed-address-copied")
    assert address.startswith("webcal://") and address.endswith(".ics")
    assert dsl.get_by_role("link", name="Subscribe in your calendar").get_attribute("href") == address


def test_an_admin_copies_the_invitation_link(sign_in):
    admin = sign_in("admin@demo.test")
    admin.goto("/admin/users/new")
    admin.get_by_label("Email address").fill("copy.button@council.example.org")
    admin.get_by_label("Full name").fill("Copy Button")
    admin.get_by_label("Trainer").check()
    follow(admin.get_by_role("button", name="Add user and create invitation link"))
    assert "/set-password/" in _copies(admin, "Copy the link", "invitation-link")


def test_without_javascript_the_field_is_there_and_the_button_is_not(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email address").fill("dsl@demo.test")
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        follow(page.get_by_role("button", name="Sign in"))
        page.goto("/my-training")
        expect(page.locator("#feed-address")).to_be_visible()
        expect(page.get_by_role("button", name="Copy the address")).to_be_hidden()
        page.screenshot(path=str(SCREENSHOTS / "dsl-feed-address-without-javascript.png"), full_page=True)
    finally:
        context.close()
