"""The materials pages in a browser: every HTML version on screen and in print, the admin's edit form
with its error summary, the figure from the latest cohort report, and the preview with its
confirmation, each screenshotted and checked with axe-core."""

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


def test_a_material_prints_without_the_sites_header_navigation_and_footer(sign_in):
    page = sign_in("dsl@demo.test")
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto("/materials/induction-slides/")
    page.emulate_media(media="print")
    for hidden in (".govuk-template__header", ".govuk-service-navigation", ".govuk-footer", ".govuk-back-link",
                   ".app-material-actions"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("heading", name="Example 1: which service?")).to_be_visible()
    expect(page.locator(".app-notes").first).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator(".govuk-service-navigation")).to_be_visible()


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
    follow(page.get_by_role("button", name="Publish this version"))
    assert "Confirm that you have checked the social-norm figure" in page.locator(".govuk-error-summary").inner_text()
    check_page(page, "admin-material-publish-unconfirmed")
    page.goto("/admin/materials/poster/versions")
    check_page(page, "admin-material-versions")


def test_admin_fills_the_figure_from_the_demo_cohort(sign_in, check_page):
    page = sign_in("admin@demo.test")
    page.goto("/admin/materials/refresher-slides/edit")
    follow(page.get_by_role("link", name="Fill the social-norm figure from the latest cohort report"))
    inset = page.locator("#figure").inner_text()
    assert "of DSLs trained in September 2020 made no non-urgent call to the MASH" in inset
    assert "Our outcome report for the autumn-2020 cohort" in inset
    assert "**" in page.get_by_label("Social-norm message, with a real figure").input_value()
    check_page(page, "admin-material-figure")
