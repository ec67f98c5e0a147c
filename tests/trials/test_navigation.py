"""Trials in the service navigation: planners and trainers find it, DSLs do not; a trainer sees
allocations but not the planning tools."""

import pytest


@pytest.mark.parametrize("role, shown", [("admin", True), ("evaluator", True), ("trainer", True), ("dsl", False)])
def test_trials_is_in_the_navigation_for_those_who_use_it(client, login_as, role, shown):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    assert ('class="govuk-service-navigation__link" href="/trials/"' in page) == shown


def test_trainers_see_allocations_but_not_the_planning_tools(client, login_as):
    login_as("trainer")
    page = client.get("/trials/").get_data(as_text=True)
    assert "<title>Trials – Right Support" in page and "Allocations" in page
    assert "/trials/power" not in page and "/trials/plans/new" not in page and "/trials/allocations/new" not in page
