"""Planning a trial in the browser: the power page answers from the demo cohort's figures, an
allocation and a stepped wedge are drawn through the form, a plan is written and locked; every page
passes axe-core and fits a 390-pixel phone screen without sideways scrolling."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import follow

PHONE = {"width": 390, "height": 844}


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def check_on_a_phone(page, check_page, name):
    page.set_viewport_size(PHONE)
    assert fits_the_phone(page), f"{name} scrolls sideways at 390 px"
    check_page(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_power_page_answers_and_passes_axe(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    follow(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Trials"))
    follow(page.get_by_role("link", name="Work out the sample size"))
    # The latest cohort: the demo's autumn-2020, or one an earlier browser test made from a trial.
    assert re.search(r"latest cohort, [\w-]+", page.content())
    assert float(page.get_by_label("Baseline contacts per DSL").input_value()) > 0
    check_page(page, "evaluator-trials-power")
    page.get_by_label("Reduction hoped for (%)").fill("20")
    page.get_by_label("ICC").fill("0.05")
    page.get_by_label("Cluster size").fill("4.6")
    follow(page.get_by_role("button", name="Calculate"))
    expect(page.locator("#answer")).to_contain_text(re.compile(r"You need [\d,]+ DSLs in each arm, [\d,]+ allowing for schools\."))
    assert page.locator("table tbody tr").count() == 7
    check_page(page, "evaluator-trials-power-answer")
    check_on_a_phone(page, check_page, "evaluator-trials-power-answer")
    page.get_by_label("Power").fill("2")
    follow(page.get_by_role("button", name="Calculate"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The power must be at least 0.5 and below 1")
    check_page(page, "evaluator-trials-power-errors")


def test_allocation_wave_list_and_plan_pages_pass_axe(sign_in, check_page):
    page = sign_in("evaluator@demo.test")
    page.goto("/trials/allocations/new")
    check_page(page, "evaluator-trials-allocate")
    page.get_by_label("Name of the allocation").fill("browser-wedge")
    page.get_by_label("Stepped wedge: every school is trained, in waves (terms) in a random order").check()
    page.get_by_label("District").check()
    page.get_by_label("Waves (stepped wedge only)").fill("autumn-2027,spring-2028,summer-2028")
    page.get_by_label("Seed").fill("2027")
    follow(page.get_by_role("button", name="Allocate schools"))
    expect(page.locator("h1")).to_have_text("browser-wedge")
    assert "Yes: drawing again" in page.content()
    check_page(page, "evaluator-trials-allocation")
    check_on_a_phone(page, check_page, "evaluator-trials-allocation")

    page.goto("/trials/plans/new")
    page.get_by_label("Name of the plan").fill("browser plan")
    page.get_by_label("Allocation the plan analyses").select_option(label="browser-wedge")
    page.locator("#primary_outcome").check()
    page.get_by_label("Outcome window: MASH records received from").fill("2027-09-01")
    page.get_by_label("Outcome window: MASH records received to").fill("2028-07-31")
    page.locator("#model").check()
    follow(page.get_by_role("button", name="Save the draft"))
    check_page(page, "evaluator-trials-plan-draft")
    follow(page.get_by_role("button", name="Lock the plan"))
    expect(page.locator("h1")).to_contain_text("Locked")
    assert "0, as it should be" in page.content()
    check_page(page, "evaluator-trials-plan-locked")
    check_on_a_phone(page, check_page, "evaluator-trials-plan-locked")

    trainer = sign_in("trainer@demo.test")
    trainer.goto("/trials/")
    follow(trainer.get_by_role("link", name="browser-wedge"))
    follow(trainer.get_by_role("link", name="DSLs to invite spring-2028"))
    expect(trainer.locator("h1")).to_have_text("spring-2028: DSLs to invite")
    assert trainer.locator("table tbody tr").count() > 0
    check_page(trainer, "trainer-trials-wave")
    check_on_a_phone(trainer, check_page, "trainer-trials-wave")
