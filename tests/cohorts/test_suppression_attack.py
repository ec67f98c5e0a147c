"""The attack on published reports: on small synthetic cohorts, an exhaustive search over every
suppressed or rounded count's possible values, against every other figure of the same output at its
published precision, must leave more than one candidate for each count, in the JSON, the CSV and the
XLSX alike. The same attack finds the leaks of counts rounded with figures worked out from the true
counts (the way a report was published before)."""

import copy
import io
import json

import numpy as np
import pandas as pd
import pytest

from cohorts import analysis, attack, disclosure, exports, tidy
from cohorts.attack import Published

DEFINITION = {"courses": ["induction"], "exposure": ["2020-09-01", "2020-09-30"],
              "outcome": ["2020-09-01", "2020-12-31"], "pre": None}
EARLY_HELP = pd.Series(pd.to_datetime(["2020-09-03", "2020-10-05", "2020-10-07", "2020-11-11", "2020-11-12",
                                       "2020-12-01"]).date)


def small_cohort(seed: int, comparison: int, treatment: int) -> pd.DataFrame:
    """A cohort of a few DSLs in a few schools, with counts small enough to be suppressed."""
    rng = np.random.default_rng(seed)
    n = comparison + treatment
    frame = pd.DataFrame({
        "dsl_id": np.arange(1, n + 1), "group": ["comparison"] * comparison + ["treatment"] * treatment,
        "contacts": rng.poisson(0.9, n), "referrals": rng.poisson(0.5, n), "pupils": rng.integers(80, 1200, n),
        "fsm_percent": rng.uniform(2, 45, n), "phase": rng.choice(["Primary", "Secondary"], n),
        "school_urn": 100000 + rng.integers(0, max(3, n // 3), n), "person_days": rng.integers(0, 122, n),
        "role": rng.choice(["DSL", "Deputy DSL"], n)})
    frame["contacts_at_risk"] = np.minimum(frame["contacts"], rng.integers(0, 3, n))
    frame["referrals_at_risk"] = np.minimum(frame["referrals"], rng.integers(0, 2, n))
    return frame


def report_of(frame: pd.DataFrame, outside: int = 1, unlinked: int = 3) -> dict:
    calls = int(frame["contacts"].sum() + frame["referrals"].sum())
    linkage = {"records_in_window": calls + outside + unlinked, "linked": calls + outside, "unlinked": unlinked,
               "linked_outside_cohort": outside}
    return analysis.outcome_report(frame, cohort="small", definition=DEFINITION, linkage_counts=linkage,
                                   early_help_dates=EARLY_HELP, annual_calls=2150, annual_cost=570825)


COHORTS = [(seed, comparison, treatment) for seed, (comparison, treatment) in
           enumerate([(12, 6), (9, 3), (20, 8), (7, 7), (30, 4), (15, 11), (25, 2), (40, 9)])]


@pytest.fixture(scope="module", params=COHORTS, ids=[f"seed{c[0]}-{c[1]}v{c[2]}" for c in COHORTS])
def published(request):
    return disclosure.published(report_of(small_cohort(*request.param)))


def _table_rows(frame: pd.DataFrame):
    return frame[["section", "measure", "group", "value"]].itertuples(index=False, name=None)


def test_no_count_is_given_away_by_the_json(published):
    figures = json.loads(exports.to_json(published))
    result = attack.attack_figures(figures)
    assert result.disclosed == [] and result.leaks == []
    assert any(p.value == "c" for p in result.published.values())  # the cohorts are small enough to suppress


def test_no_count_is_given_away_by_the_csv(published):
    table = pd.read_csv(io.BytesIO(exports.to_csv(published)))
    result = attack.attack_table(_table_rows(table))
    assert result.disclosed == [] and result.leaks == []
    assert len(result.published) == len(attack.attack_figures(published).published)


def test_no_count_is_given_away_by_the_xlsx(published):
    table = pd.read_excel(io.BytesIO(exports.to_xlsx(published)), sheet_name="Figures")
    result = attack.attack_table(_table_rows(table))
    assert result.disclosed == [] and result.leaks == []
    assert len(result.published) == len(attack.attack_figures(published).published)


def test_the_attack_reads_figures_as_shown_on_a_page_or_in_a_pdf(published):
    """Text read back from a page or a PDF: "21.4%", "1,234", "c", checked to the places shown."""
    shown = [(r["section"], r["measure"], r["group"], _as_text(r["value"])) for r in tidy.long_rows(published)]
    result = attack.attack_table(shown)
    assert result.disclosed == [] and result.leaks == []


def _as_text(value):
    if isinstance(value, float):
        return f"{value:,.1f}%"
    return f"{value:,}" if isinstance(value, int) else value


def test_every_derived_figure_comes_from_the_published_counts(published):
    c, t = published["groups"]["comparison"], published["groups"]["treatment"]
    for g in (c, t):
        if "c" in (g["contacts"], g["n"]):
            assert g["mean_contacts"] == "c"
        else:
            assert g["mean_contacts"] == pytest.approx(g["contacts"] / g["n"])
    if "c" not in (c["contacts"], c["n"], t["contacts"], t["n"]):
        assert published["effect"]["mean_difference"] == pytest.approx(c["contacts"] / c["n"] - t["contacts"] / t["n"])


def test_the_suppressed_figures_dict_is_what_the_pdf_reads():
    """F2's PDF renders the figures dict: a suppressed value there is the string "c", and an interval
    with a suppressed end is ["c", "c"]."""
    figures = disclosure.published(report_of(small_cohort(1, 9, 3)))
    assert "c" in figures["groups"]["treatment"].values()
    assert figures["suppression"]["suppressed_value"] == "c"
    hidden = [v for v in (figures["effect"]["ci95"], figures["effect"]["risk_ratio_ci95"]) if "c" in v]
    assert all(v == ["c", "c"] for v in hidden)


# -- the attack finds the leaks it is there to find ------------------------------------------


def rounded_only(report: dict) -> dict:
    """Counts suppressed and rounded, every other figure left as the true counts give it: how a
    report was published before."""
    out = copy.deepcopy(report)
    for _cell, path in disclosure.count_cells(out).items():
        disclosure._set(out, path, disclosure.publish_count(disclosure._get(out, path)))
    out["suppressed"] = True
    return out


def test_the_attack_recovers_counts_when_figures_come_from_the_true_counts():
    result = attack.attack_figures(rounded_only(report_of(small_cohort(0, 12, 6))))
    assert result.leaks and result.disclosed
    assert ("groups", "n", "comparison") in result.disclosed


def test_the_reference_reports_counts_are_recovered_from_rounded_counts_and_unrounded_shares():
    """985 / 205 / 565 / 370 published with the true percentages and means give back 984 / 207 / 563 / 371."""
    true = {"n": 984, "dsls_with_contact": 207, "contacts": 563, "referrals": 371}
    values = {("groups", key, "comparison"): Published(disclosure.publish_count(v)) for key, v in true.items()}
    values[("groups", "calls", "comparison")] = Published(disclosure.publish_count(563 + 371))
    values[("groups", "pct_with_contact", "comparison")] = Published(100 * 207 / 984)
    values[("groups", "mean_contacts", "comparison")] = Published(563 / 984)
    values[("groups", "mean_referrals", "comparison")] = Published(371 / 984)
    result = attack.attack(values)
    for key, value in true.items():
        assert result.candidates[("groups", key, "comparison")] == {value}
    # The same counts with the figures worked out from the published counts give nothing away.
    values[("groups", "pct_with_contact", "comparison")] = Published(100 * 205 / 985)
    values[("groups", "mean_contacts", "comparison")] = Published(565 / 985)
    values[("groups", "mean_referrals", "comparison")] = Published(370 / 985)
    assert attack.attack(values).disclosed == []


def test_a_sum_that_would_give_a_count_away_has_a_second_count_suppressed():
    """Linked records = the groups' records + those linked outside the cohort: 22 = 8 + 13 + 1 published
    as 20, 10, 15 and c leaves only 1 for the c; so a second count is suppressed."""
    true = {("linkage", "linked", ""): 22, ("groups", "calls", "comparison"): 8,
            ("groups", "calls", "treatment"): 13, ("linkage", "linked_outside_cohort", ""): 1}
    values = {cell: disclosure.publish_count(v) for cell, v in true.items()}
    alone = attack.attack({cell: Published(v) for cell, v in values.items()})
    assert alone.candidates[("linkage", "linked_outside_cohort", "")] == {1}
    added = disclosure.second_suppression(values, true)
    assert added == {("groups", "calls", "comparison")}
    after = attack.attack({cell: Published(v) for cell, v in values.items()})
    assert after.disclosed == []


@pytest.mark.parametrize("seed, outside", [(10, 2), (130, 1)])
def test_a_whole_report_where_sums_would_give_counts_away_is_protected(seed, outside):
    """In the second cohort the 7 trained DSLs fall in 7 propensity bands, each "c": with the group's
    size rounded to 5 (5 to 7) every band would have to be 1. Suppressing the sizes along the chain of
    sums (bands, DSLs with days at risk, the group) leaves each band more than one value."""
    published = disclosure.published(report_of(small_cohort(seed, 7, 7), outside=outside))
    assert published["suppression"]["second_suppressions"] >= 1
    result = attack.attack_figures(published)
    assert result.disclosed == [] and result.leaks == []


def test_balance_is_coarse_or_left_out(published):
    hidden = "c" in (published["groups"]["comparison"]["n"], published["groups"]["treatment"]["n"])
    if hidden:
        assert published["balance"] == []
    for row in published["balance"]:
        assert row["smd"] is None or row["smd"] == round(row["smd"], 1)
        if row["variable"] == "pupils":
            assert row["comparison_mean"] == round(row["comparison_mean"])
        if row["variable"].startswith("phase: "):
            assert row["comparison_mean"] is None and row["treatment_mean"] is None
    for row in (published.get("weighted") or {}).get("balance", []):
        assert row["smd"] is None or row["smd"] == round(row["smd"], 1)
