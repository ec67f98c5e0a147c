"""The social-norm figure from our own results: the latest cohort report's share of trained DSLs who
made no non-urgent call to the MASH, as a sentence for the materials with where it comes from. An
admin sees it, with its source, in the edit form and confirms it before publishing."""

from dataclasses import dataclass
from datetime import date
from math import floor

from cohorts import services as cohorts
from core.timefmt import today_london, uk_date

# Fewer trained DSLs than this and a percentage says more about chance than about what DSLs do.
FEWEST_TRAINED = 20
# A descriptive social norm works only when it describes most people; below this it would tell
# DSLs that calling the MASH is what their peers do.
SMALLEST_MAJORITY = 50.0


class NoFigure(ValueError):
    """The latest results cannot give a social-norm figure; the message says why."""


@dataclass(frozen=True)
class Figure:
    text: str  # the social-norm sentence, **bold** figure first
    source: str  # where it comes from
    cohort: str


def month_span(start: date, end: date) -> str:
    """'September 2020', 'September to October 2020' or 'December 2020 to January 2021'."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    if start.year == end.year:
        return f"{start:%B} to {end:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


def figure_from(cohort_name: str, definition: dict, figures: dict, worked_out: date) -> Figure:
    """The figure from one cohort report's figures (pure, so it can be checked by hand)."""
    treated = figures["groups"]["treatment"]
    n, share = treated.get("n") or 0, treated.get("pct_without_contact")
    if n < FEWEST_TRAINED or share is None:
        raise NoFigure(f"The latest cohort, {cohort_name}, has {n} trained DSLs: too few to quote "
                       f"(at least {FEWEST_TRAINED} are needed).")
    if share < SMALLEST_MAJORITY:
        raise NoFigure(f"In the latest cohort, {cohort_name}, {share:.0f}% of trained DSLs made no non-urgent "
                       "call to the MASH. A social norm works only when it describes most DSLs, so this figure "
                       "is not offered.")
    exposure = [date.fromisoformat(d) for d in definition["exposure"]]
    outcome = [date.fromisoformat(d) for d in definition["outcome"]]
    # Rounded down, so the sentence never claims more than the data show.
    whole = floor(share)
    without = n - treated["dsls_with_contact"]
    text = f"**{whole}% of DSLs** trained in {month_span(*exposure)} made no non-urgent call to the MASH."
    source = (f"Our outcome report for the {cohort_name} cohort: {without} of {n} trained DSLs, MASH records "
              f"from {uk_date(outcome[0])} to {uk_date(outcome[1])}; worked out {uk_date(worked_out)}")
    return Figure(text, source, cohort_name)


def latest_figure() -> Figure:
    """The figure from the latest cohort report."""
    latest = cohorts.latest_report()
    if latest is None:
        raise NoFigure("There is no cohort yet: create one under Cohorts to quote our own results.")
    cohort, figures = latest
    return figure_from(cohort.name, cohort.definition, figures, today_london())


def filled(flat: dict) -> tuple[dict, dict]:
    """A material form's data with the social-norm figure and its source from the latest cohort
    report, and what to tell the admin: ``{"figure": Figure}`` or ``{"reason": why not}``."""
    try:
        figure = latest_figure()
    except NoFigure as reason:
        return flat, {"reason": str(reason)}
    return {**flat, "social_norm": figure.text, "social_norm_source": figure.source}, {"figure": figure}
