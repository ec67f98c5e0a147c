"""An evaluator's cohort pages in the browser: every page passes axe-core, the report shows the
demo cohort's figures and charts, and the linkage and demand pages show the demo year."""

from playwright.sync_api import expect

from tests.browser.conftest import follow


def test_evaluator_cohort_pages_pass_axe(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    for path, name in (("/cohorts/", "cohorts"), ("/cohorts/new", "cohort-new"), ("/cohorts/linkage", "linkage"),
                       ("/cohorts/demand", "demand")):
        response = page.goto(path)
        assert response.status == 200, path
        check_page(page, f"evaluator-{name}")
    page.goto("/cohorts/demand")
    assert "Share of contacts made by telephone" in page.content()
    page.goto("/cohorts/new")
    follow(page.get_by_role("button", name="Create cohort"))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "evaluator-cohort-new-errors")


def test_demo_cohort_report_with_projection(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/cohorts/")
    report_link = page.get_by_role("link", name="autumn-2020 outcome report")
    assert report_link.count() == 1, "the demo county comes with the autumn-2020 cohort"
    follow(report_link)
    assert "Outcomes by group" in page.content()
    assert page.locator("figure img").count() >= 4  # the first version's three and the propensity overlap
    expect(page.locator("#finding-exposure_time")).to_contain_text("non-urgent contacts per day at risk")
    check_page(page, "evaluator-cohort-report")
    # Readable on a phone: nothing wider than a 390 px screen, and still clean for axe.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_page(page, "evaluator-cohort-report-390")
    page.get_by_text("Projection and publication options").click()
    page.get_by_label("Non-urgent calls from schools to the MASH a year").fill("2,150")
    page.get_by_label("What those calls cost a year").fill("£570,825")
    follow(page.get_by_role("button", name="Update the report"))
    assert "Calls avoided a year" in page.content()
    check_page(page, "evaluator-cohort-report-projection")


def test_linkage_filters_and_mapping_a_referrer_email_to_a_dsl(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/cohorts/linkage")
    page.get_by_label("Source").select_option("Police")
    follow(page.get_by_role("button", name="Filter"))
    assert "source=Police" in page.url and "Records from Police" in page.content()
    check_page(page, "evaluator-linkage-filtered")
    page.goto("/cohorts/linkage?batch=999999")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose an import batch from the list")
    check_page(page, "evaluator-linkage-filter-error")

    page.goto("/cohorts/linkage?source=School")
    email = "office@westfieldschool.example.org"
    follow(page.get_by_role("link", name=f"Map to a DSL for {email}"))
    expect(page.get_by_label("Referrer email to map")).to_have_value(email)
    follow(page.get_by_role("button", name="Search"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name, an email or a school")
    check_page(page, "evaluator-alias-search-error")
    page.get_by_label("Search the DSL register").fill("Westfield")
    follow(page.get_by_role("button", name="Search"))
    check_page(page, "evaluator-alias-search")
    choice = page.locator("input[name=dsl]").first
    chosen = page.locator(f"label[for={choice.get_attribute('id')}]").inner_text().split(",")[0]
    choice.check()
    follow(page.get_by_role("button", name="Continue"))
    assert "Check the mapping" in page.content()
    check_page(page, "evaluator-alias-confirm")
    follow(page.get_by_role("button", name="Map the email and relink its records"))
    assert "source=School" in page.url
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{email} now links to {chosen}")
    expect(page.locator("#aliases + table")).to_contain_text(chosen)
    check_page(page, "evaluator-linkage-with-alias")
    follow(page.get_by_role("button", name=f"Remove the alias for {email}"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"The alias for {email} has been removed")
    assert "No referrer email is mapped to a DSL." in page.content()
