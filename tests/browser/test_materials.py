"""The materials pages in a browser: every HTML version, the admin's edit form with its error summary,
and the preview, each screenshotted and checked with axe-core."""

from playwright.sync_api import expect

from tests.browser.conftest import follow


def test_dsl_reads_every_material_on_screen(sign_in, check_page):
    page = sign_in("dsl@demo.test")
    page.goto("/materials/")
    assert "Read on screen" in page.content()
    check_page(page, "dsl-materials")
    for kind in ("poster", "induction-slides", "refresher-slides", "follow-up"):
        response = page.goto(f"/materials/{kind}/")
        assert response.status == 200
        check_page(page, f"dsl-material-{kind}")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/materials/poster/")
    expect(page.get_by_role("link", name="01926 412412")).to_be_visible()
    check_page(page, "dsl-material-poster-phone")


def test_admin_edits_previews_and_sees_errors(sign_in, check_page):
    page = sign_in("admin@demo.test")
    page.goto("/admin/materials/")
    check_page(page, "admin-materials")
    page.goto("/admin/materials/poster/edit")
    check_page(page, "admin-material-edit")
    page.get_by_label("Early Help: Phone number").fill("")
    follow(page.get_by_role("button", name="Save draft and preview"))
    summary = page.locator(".govuk-error-summary")
    assert "Enter the phone number for Early Help" in summary.inner_text()
    check_page(page, "admin-material-edit-errors")
    page.get_by_label("Early Help: Phone number").fill("01926 412413")
    follow(page.get_by_role("button", name="Save draft and preview"))
    assert "01926 412413" in page.content()
    check_page(page, "admin-material-preview")
    page.goto("/admin/materials/poster/versions")
    check_page(page, "admin-material-versions")
