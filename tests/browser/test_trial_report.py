"""The trial's report in the browser: an evaluator draws an allocation, creates the trial's
intention-to-treat cohort from its page and reads the report; a trainer emails the intervention arm
an invitation to book. Every page passes axe-core and fits a 390-pixel phone screen."""

from playwright.sync_api import expect

from tests.browser.conftest import follow
from tests.browser.test_trials import check_on_a_phone


def test_an_evaluator_creates_the_trials_cohort_and_reads_its_report(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/trials/allocations/new")
    page.get_by_label("Name of the allocation").fill("browser-trial")
    page.get_by_label("District").check()
    page.get_by_label("Seed").fill("16")
    follow(page.get_by_role("button", name="Allocate schools"))
    expect(page.locator("h1")).to_have_text("browser-trial")
    follow(page.get_by_role("button", name="Create a trial's cohort from browser-trial"))
    expect(page.get_by_label("Allocation")).to_have_value("browser-trial")
    follow(page.get_by_role("button", name="Create the trial's cohort"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the cohort")
    check_page(page, "evaluator-trial-cohort-errors")
    page.get_by_label("Cohort name").fill("browser-trial-itt")
    page.get_by_label("Outcome window: MASH records received from").fill("01/10/2020")
    page.get_by_label("Outcome window: MASH records received to").fill("31/03/2021")
    page.get_by_label("Attendance counts from (optional)").fill("2020-09-01")
    page.get_by_label("Attendance counts to (optional)").fill("2020-12-31")
    check_page(page, "evaluator-trial-cohort-new")
    follow(page.get_by_role("button", name="Create the trial's cohort"))
    expect(page.locator("h1")).to_have_text("Outcome report: browser-trial-itt")
    expect(page.locator("#trial")).to_have_text("The trial")
    assert "Per protocol" in page.content() and "not pre-specified" in page.content()
    check_page(page, "evaluator-trial-report")
    check_on_a_phone(page, check_page, "evaluator-trial-report")


def test_a_trainer_invites_the_intervention_arm_once(sign_in, check_page):
    evaluator = sign_in("evaluator@demo.test")
    evaluator.goto("/trials/allocations/new")
    evaluator.get_by_label("Name of the allocation").fill("browser-invite")
    evaluator.get_by_label("Seed").fill("17")
    follow(evaluator.get_by_role("button", name="Allocate schools"))
    address = evaluator.url
    page = sign_in("trainer@demo.test")
    page.goto(address)
    check_page(page, "trainer-trial-invitations")
    follow(page.get_by_role("button", name="not yet invited"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("An invitation to book has been emailed")
    assert page.get_by_role("button", name="not yet invited").count() == 0
    check_page(page, "trainer-trial-invited")
    check_on_a_phone(page, check_page, "trainer-trial-invited")
