"""The outcome analysis on a synthetic trial built to the reference report's counts, every figure
checked against a computation written out here, independently of cohorts/analysis.py."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cohorts import analysis, disclosure

N_C, N_T = 984, 165
CONTACTS_C, CONTACTS_T = 563, 33
REFERRALS_C, REFERRALS_T = 371, 37
WITH_CONTACT_C, WITH_CONTACT_T = 207, 8
DEFINITION = {"courses": ["induction", "refresher"], "exposure": ["2020-09-01", "2020-09-30"],
              "outcome": ["2020-09-01", "2020-12-31"]}


def _spread(n, people, total):
    """``n`` per-DSL counts: ``people`` of them at least 1, summing to ``total``."""
    counts = np.zeros(n, dtype=int)
    counts[:people] = 1
    extra = total - people
    counts[:people] += extra // people
    counts[:extra % people] += 1
    return counts


def synthetic_trial(seed=5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    contacts_c = _spread(N_C, WITH_CONTACT_C, CONTACTS_C)
    contacts_t = _spread(N_T, WITH_CONTACT_T, CONTACTS_T)
    referrals_c = rng.permutation(_spread(N_C, 300, REFERRALS_C))
    referrals_t = rng.permutation(_spread(N_T, 30, REFERRALS_T))
    phases = np.array(["Primary", "Secondary", "Special"])
    frame = pd.DataFrame({
        "dsl_id": np.arange(1, N_C + N_T + 1),
        "group": ["comparison"] * N_C + ["treatment"] * N_T,
        "contacts": np.concatenate([contacts_c, contacts_t]),
        "referrals": np.concatenate([referrals_c, referrals_t]),
        "pupils": np.concatenate([rng.normal(438, 250, N_C), rng.normal(370, 220, N_T)]).clip(30).round(),
        "fsm_percent": np.concatenate([rng.normal(14, 7, N_C), rng.normal(20, 8, N_T)]).clip(0, 100),
        "phase": np.concatenate([rng.choice(phases, N_C, p=[0.75, 0.2, 0.05]), rng.choice(phases, N_T, p=[0.8, 0.15, 0.05])]),
    })
    frame.loc[5, "phase"] = None
    return frame


@pytest.fixture(scope="module")
def trial():
    return synthetic_trial()


OUTCOME_DAYS = 122  # 1 September to 31 December 2020


def at_risk_all_window(trial: pd.DataFrame) -> pd.DataFrame:
    """The trial with every DSL at risk for the whole outcome window, in schools of five chosen at random."""
    schools = np.random.default_rng(11).permutation(len(trial)) // 5
    return trial.assign(school_urn=100000 + schools, person_days=OUTCOME_DAYS,
                        contacts_at_risk=trial["contacts"], referrals_at_risk=trial["referrals"],
                        role=np.where(trial["dsl_id"] % 3 == 0, "DSL", "Deputy DSL"))


@pytest.fixture(scope="module")
def report(trial):
    return analysis.outcome_report(at_risk_all_window(trial), cohort="autumn-2020", definition=DEFINITION,
                                   linkage_counts={"records_in_window": 1200, "linked": 1004, "unlinked": 196},
                                   annual_calls=2150, annual_cost=570825)


def test_the_synthetic_trial_has_the_reference_counts(trial):
    c, t = trial[trial.group == "comparison"], trial[trial.group == "treatment"]
    assert (len(c), len(t)) == (984, 165)
    assert (c.contacts.sum(), t.contacts.sum(), c.referrals.sum(), t.referrals.sum()) == (563, 33, 371, 37)
    assert ((c.contacts > 0).sum(), (t.contacts > 0).sum()) == (207, 8)


def test_groups_table_matches_the_reference_report(report):
    c, t = report["groups"]["comparison"], report["groups"]["treatment"]
    assert set(analysis.GROUP_KEYS) <= set(c) and set(analysis.GROUP_KEYS) <= set(t)
    assert (c["n"], c["dsls_with_contact"], c["calls"], c["contacts"], c["referrals"]) == (984, 207, 934, 563, 371)
    assert (t["n"], t["dsls_with_contact"], t["calls"], t["contacts"], t["referrals"]) == (165, 8, 70, 33, 37)
    assert c["pct_with_contact"] == pytest.approx(100 * 207 / 984)
    assert c["pct_without_contact"] == pytest.approx(100 * 777 / 984)
    assert t["pct_with_contact"] == pytest.approx(100 * 8 / 165)
    assert c["mean_contacts"] == pytest.approx(563 / 984) and t["mean_contacts"] == pytest.approx(0.2)
    assert c["mean_referrals"] == pytest.approx(371 / 984) and t["mean_referrals"] == pytest.approx(37 / 165)
    assert c["contact_referral_ratio"] == pytest.approx(563 / 371) and t["contact_referral_ratio"] == pytest.approx(33 / 37)
    # As printed in the reference report's table.
    assert (round(c["pct_with_contact"]), round(t["pct_with_contact"])) == (21, 5)
    assert (round(c["mean_contacts"], 2), round(t["mean_contacts"], 2)) == (0.57, 0.2)
    assert (round(c["mean_referrals"], 2), round(t["mean_referrals"], 2)) == (0.38, 0.22)
    assert (round(c["contact_referral_ratio"], 1), round(t["contact_referral_ratio"], 1)) == (1.5, 0.9)
    assert round(report["effect"]["pct_decrease"]) == 65


def test_welch_matches_a_hand_computation_and_scipy(trial, report):
    e = report["effect"]
    x = trial.loc[trial.group == "comparison", "contacts"].to_numpy(float)
    y = trial.loc[trial.group == "treatment", "contacts"].to_numpy(float)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    difference = x.mean() - y.mean()
    t = difference / se
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1))
    p = 2 * stats.t.sf(abs(t), df)
    half = stats.t.ppf(0.975, df) * se
    assert e["test"] == "Welch two-sample t-test"
    assert e["mean_difference"] == pytest.approx(563 / 984 - 0.2)
    assert e["pct_decrease"] == pytest.approx(100 * (563 / 984 - 0.2) / (563 / 984))
    assert e["t"] == pytest.approx(t) and e["df"] == pytest.approx(df) and e["p_value"] == pytest.approx(p)
    assert e["ci95"] == pytest.approx([difference - half, difference + half])
    scipy_result = stats.ttest_ind(x, y, equal_var=False)
    assert e["t"] == pytest.approx(scipy_result.statistic, rel=1e-12)
    assert e["p_value"] == pytest.approx(scipy_result.pvalue, rel=1e-12)
    assert e["df"] == pytest.approx(scipy_result.df, rel=1e-12)
    assert e["p_value"] < 0.001


def test_risk_ratio_katz_interval_and_chi_square(report):
    e = report["effect"]
    ratio = (207 / 984) / (8 / 165)
    se = math.sqrt(1 / 207 - 1 / 984 + 1 / 8 - 1 / 165)
    assert e["risk_ratio_with_contact"] == pytest.approx(ratio)
    assert e["risk_ratio_with_contact"] == pytest.approx(report["groups"]["comparison"]["pct_with_contact"]
                                                         / report["groups"]["treatment"]["pct_with_contact"])
    assert e["risk_ratio_ci95"] == pytest.approx([ratio * math.exp(-1.959963985 * se), ratio * math.exp(1.959963985 * se)])
    observed = np.array([[207, 777], [8, 157]], dtype=float)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert e["with_contact_test"].startswith("Pearson chi-square")
    assert e["with_contact_p_value"] == pytest.approx(stats.chi2.sf(chi2, 1))


def test_small_expected_counts_use_fishers_exact_test():
    result = analysis.risk_ratio(3, 20, 1, 10)
    assert result["test"] == "Fisher's exact test"
    assert result["p_value"] == pytest.approx(stats.fisher_exact([[3, 17], [1, 9]]).pvalue)
    assert analysis.risk_ratio(3, 20, 0, 10)["risk_ratio"] is None


def test_hedges_g(trial, report):
    x = trial.loc[trial.group == "comparison", "contacts"].to_numpy(float)
    y = trial.loc[trial.group == "treatment", "contacts"].to_numpy(float)
    n1, n2 = len(x), len(y)
    sp = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    g = (1 - 3 / (4 * (n1 + n2) - 9)) * (x.mean() - y.mean()) / sp
    se = math.sqrt((n1 + n2) / (n1 * n2) + g ** 2 / (2 * (n1 + n2)))
    assert report["effect"]["hedges_g"] == pytest.approx(g)
    assert report["effect"]["hedges_g_ci95"] == pytest.approx([g - 1.959963985 * se, g + 1.959963985 * se])


def test_negative_binomial_rate_ratios(report):
    unadjusted, adjusted = report["models"]["unadjusted"], report["models"]["adjusted"]
    # With only a treatment indicator, the fitted rate ratio is the ratio of the group means.
    assert unadjusted["rate_ratio"] == pytest.approx(0.2 / (563 / 984), rel=1e-4)
    assert unadjusted["converged"]
    low, high = unadjusted["ci95"]
    assert low < unadjusted["rate_ratio"] < high < 1
    assert adjusted["converged"] and 0 < adjusted["rate_ratio"] < 1
    assert adjusted["ci95"][0] < adjusted["rate_ratio"] < adjusted["ci95"][1]


def test_balance_table(trial, report):
    rows = {row["variable"]: row for row in report["balance"]}
    assert [r["variable"] for r in report["balance"]][:2] == ["pupils", "fsm_percent"]
    for variable in ("pupils", "fsm_percent"):
        c = trial.loc[trial.group == "comparison", variable]
        t = trial.loc[trial.group == "treatment", variable]
        smd = (t.mean() - c.mean()) / math.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
        row = rows[variable]
        assert row["comparison_mean"] == pytest.approx(c.mean()) and row["treatment_mean"] == pytest.approx(t.mean())
        assert row["comparison_sd"] == pytest.approx(c.std(ddof=1)) and row["treatment_sd"] == pytest.approx(t.std(ddof=1))
        assert row["smd"] == pytest.approx(smd)
        assert row["flag"] == ("imbalanced" if abs(smd) >= 0.25 else "check" if abs(smd) >= 0.1 else "balanced")
    primary = trial.phase.eq("Primary")
    share_c, share_t = primary[trial.group == "comparison"], primary[trial.group == "treatment"]
    assert rows["phase: Primary"]["treatment_mean"] == pytest.approx(share_t.mean())
    assert rows["phase: Primary"]["smd"] == pytest.approx(
        (share_t.mean() - share_c.mean()) / math.sqrt((share_t.var(ddof=1) + share_c.var(ddof=1)) / 2))
    assert "phase: Not known" in rows
    assert all("p_value" not in row for row in report["balance"])


def test_projection_as_the_reference_report(report):
    p = report["projection"]
    assert p["unit_cost"] == pytest.approx(265.5)
    assert p["calls_avoided"] == 1398
    assert p["saving"] == pytest.approx(371169.0)
    assert p["withheld"] is None
    # Everyone at risk for the whole window: the rate ratio per day is the ratio of the means.
    ratio = report["exposure_time"]["contacts_rate_ratio"]
    assert ratio == pytest.approx(0.2 / (563 / 984))
    assert p["calls_avoided_exposure_time"] == round(2150 * (1 - ratio)) == 1398
    low, high = report["exposure_time"]["contacts_ci95"]
    assert p["calls_avoided_ci95"] == pytest.approx([2150 * (1 - high), 2150 * (1 - low)])
    assert p["saving_ci95"] == pytest.approx([a * 265.5 for a in p["calls_avoided_ci95"]])
    assert p["saving_exposure_time"] == pytest.approx(1398 * 265.5)


def test_projection_is_present_only_when_asked(trial):
    plain = analysis.outcome_report(trial, cohort="x", definition=DEFINITION, linkage_counts={})
    assert "projection" not in plain


def test_every_contract_key_is_present(report):
    for key in ("cohort", "definition", "groups", "effect", "balance", "projection", "linkage"):
        assert key in report
    for key in ("test", "mean_difference", "pct_decrease", "t", "df", "p_value", "ci95", "risk_ratio_with_contact",
                "risk_ratio_ci95"):
        assert key in report["effect"]
    for key in ("annual_calls", "annual_cost", "unit_cost", "calls_avoided", "saving"):
        assert key in report["projection"]
    for row in report["balance"]:
        assert {"variable", "comparison_mean", "treatment_mean", "smd"} <= set(row)


def test_reference_table_rows_in_the_reports_order(report):
    rows = analysis.reference_table(report)
    assert [r["measure"] for r in rows] == [
        "DSLs", "Made at least one non-urgent contact (%)", "Made no non-urgent contact (%)",
        "Non-urgent contacts and urgent referrals", "Non-urgent contacts", "Non-urgent contacts per DSL",
        "Decrease in non-urgent contacts per DSL (%)", "Urgent referrals", "Urgent referrals per DSL",
        "Non-urgent contacts for each urgent referral"]
    assert rows[3]["comparison"] == 934 and rows[3]["treatment"] == 70


def test_suppression_for_publication(report):
    assert [disclosure.publish_count(v) for v in [0, 1, 4, 5, 7, 8, 33, 984]] == [0, "c", "c", 5, 5, 10, 35, 985]
    published = disclosure.published(report)
    t = published["groups"]["treatment"]
    assert t["n"] == 165 and t["dsls_with_contact"] == 10 and t["contacts"] == 35 and t["calls"] == 70
    # Worked out again from the published counts, never from the true ones.
    assert t["pct_with_contact"] == pytest.approx(100 * 10 / 165)
    assert t["contact_referral_ratio"] == pytest.approx(35 / 35)
    assert published["suppressed"] and not report["suppressed"]
    assert report["groups"]["treatment"]["contacts"] == 33


def test_per_dsl_counts_and_linkage_from_records():
    members = pd.DataFrame({"dsl_id": [1, 2, 3], "group": ["comparison", "comparison", "treatment"],
                            "pupils": [100, 200, 300], "fsm_percent": [10.0, 20.0, 30.0], "phase": ["Primary"] * 3})
    records = pd.DataFrame({"dsl_id": [1, 1, 3, None, 9], "classification": ["contact", "referral", "contact", "contact", "referral"]})
    counts = analysis.per_dsl_counts(members, records)
    assert counts.set_index("dsl_id")[["contacts", "referrals"]].to_dict("index") == {
        1: {"contacts": 1, "referrals": 1}, 2: {"contacts": 0, "referrals": 0}, 3: {"contacts": 1, "referrals": 0}}
    assert analysis.linkage(records, members["dsl_id"]) == {
        "records_in_window": 5, "linked": 4, "unlinked": 1, "linked_outside_cohort": 1}


def test_counted_records_give_the_same_per_dsl_counts_and_linkage(trial):
    """The trial's per-DSL counts as one row per record, and as rows already counted per DSL and
    import batch (as the database returns them): both give the trial's counts back."""
    records = pd.DataFrame({
        "dsl_id": np.concatenate([np.repeat(trial["dsl_id"], trial["contacts"]), np.repeat(trial["dsl_id"], trial["referrals"]),
                                  [np.nan] * 7]),
        "classification": ["contact"] * CONTACTS_C + ["contact"] * CONTACTS_T + ["referral"] * (REFERRALS_C + REFERRALS_T)
        + ["referral"] * 7})
    members = trial.drop(columns=["contacts", "referrals"])
    counted = analysis.count_records(records)
    assert counted["contacts"].sum() == 596 and counted["referrals"].sum() == 415 and counted["dsl_id"].isna().sum() == 1
    split = pd.concat([counted.assign(contacts=counted["contacts"] // 2, referrals=0),
                       counted.assign(contacts=counted["contacts"] - counted["contacts"] // 2)])
    for per_dsl in (analysis.per_dsl_counts(members, records), analysis.per_dsl_from_counts(members, split)):
        pd.testing.assert_frame_equal(per_dsl[trial.columns], trial)
    expected = {"records_in_window": 1011, "linked": 1004, "unlinked": 7, "linked_outside_cohort": 0}
    assert analysis.linkage(records, trial["dsl_id"]) == expected
    assert analysis.linkage_from_counts(split, trial["dsl_id"]) == expected


def test_london_dates_and_windows():
    stamps = pd.Series(pd.to_datetime(["2020-08-31 23:30", "2020-12-31 23:59", "2021-01-01 00:30"]))
    dates = analysis.london_dates(stamps)
    assert list(dates) == [date(2020, 9, 1), date(2020, 12, 31), date(2021, 1, 1)]
    assert list(analysis.in_window(dates, date(2020, 9, 1), date(2020, 12, 31))) == [True, True, False]


def test_early_help_per_month():
    dates = pd.Series([date(2020, 9, 3), date(2020, 9, 30), date(2020, 11, 2), date(2021, 1, 1)])
    months = analysis.consultations_per_month(dates, date(2020, 9, 1), date(2020, 12, 31))
    assert months == [{"month": "2020-09", "consultations": 2, "partial": False, "days": 30},
                      {"month": "2020-10", "consultations": 0, "partial": False, "days": 31},
                      {"month": "2020-11", "consultations": 1, "partial": False, "days": 30},
                      {"month": "2020-12", "consultations": 0, "partial": False, "days": 31}]
    counted = analysis.consultations_per_month(pd.Series([date(2020, 9, 3), date(2020, 11, 2), date(2021, 1, 1)]),
                                               date(2020, 9, 1), date(2020, 12, 31), pd.Series([2, 1, 5]))
    assert counted == months


def test_demand_tables():
    records = pd.DataFrame({
        "source": ["School", "School", "Police", "Health", "School"],
        "method": ["Telephone", "Telephone", "Email", "Telephone", "Online form"],
        "classification": ["contact", "referral", "contact", "contact", "contact"],
        "school_urn": [1, 1, None, None, 2],
    })
    tables = analysis.by_source_and_method(records)
    assert tables["source"][0] == {"source": "School", "contacts": 2, "referrals": 1, "total": 3, "pct_of_all": 60.0}
    share = {row["source"]: row["pct"] for row in analysis.telephone_share(records)}
    assert share == {"School": 50.0, "Health": 50.0}
    schools = pd.DataFrame({"urn": [1, 2, 3], "name": ["A", "B", "C"], "pupils": [100, 10, 50]})
    per_pupil = analysis.contacts_per_pupil(records, schools, top=2)
    assert [row["urn"] for row in per_pupil["top"]] == [2, 1]
    assert per_pupil["overall_per_pupil"] == pytest.approx(2 / 160)


def test_demand_tables_from_counts_made_in_the_database_are_the_same():
    """The demand page counts in SQL (one row per source, method and classification; one per school);
    every table must equal the one computed from the records themselves."""
    generator = np.random.default_rng(7)
    n = 2_000
    records = pd.DataFrame({
        "source": generator.choice(["School", "Police", "Health", "Family"], n),
        "method": generator.choice(["Telephone", "Email", "Online form"], n),
        "classification": generator.choice(["contact", "referral"], n, p=[0.6, 0.4]),
        "school_urn": pd.array(generator.choice([1, 2, 3, None], n), dtype="Int64"),
    })
    schools = pd.DataFrame({"urn": [1, 2, 3, 4], "name": ["A", "B", "C", "D"], "pupils": [100, 10, 50, 0]})
    by_kind = records.groupby(["source", "method", "classification"]).size().rename("records").reset_index()
    by_school = (records[(records["classification"] == "contact") & records["school_urn"].notna()]
                 .groupby("school_urn").size().rename("records").reset_index().assign(classification="contact"))
    assert analysis.by_source_and_method(by_kind) == analysis.by_source_and_method(records)
    assert sorted(analysis.telephone_share(by_kind), key=lambda r: r["source"]) == \
        sorted(analysis.telephone_share(records), key=lambda r: r["source"])
    assert analysis.contacts_per_pupil(by_school, schools) == analysis.contacts_per_pupil(records, schools)


def _exposure_block(treated_dsls, ratio, ci):
    return {"treatment": {"dsls": treated_dsls}, "contacts_rate_ratio": ratio, "contacts_ci95": ci}


def test_projection_gates():
    kept = analysis.projection(2150, 570825, 65.0, _exposure_block(30, 0.4, [0.3, 0.55]))
    assert kept["withheld"] is None and kept["calls_avoided_exposure_time"] == 1290
    assert kept["calls_avoided_ci95"] == pytest.approx([2150 * 0.45, 2150 * 0.7])
    assert kept["pct_decrease_ci95"] == pytest.approx([45.0, 70.0])
    too_few = analysis.projection(2150, 570825, 65.0, _exposure_block(29, 0.4, [0.3, 0.55]))
    no_difference = analysis.projection(2150, 570825, 65.0, _exposure_block(165, 0.8, [0.5, 1.2]))
    not_estimated = analysis.projection(2150, 570825, 65.0, _exposure_block(165, None, [None, None]))
    assert "Only 29 trained DSLs" in too_few["withheld"]
    assert "includes 1" in no_difference["withheld"]
    assert "could not be estimated" in not_estimated["withheld"]
    for withheld in (too_few, no_difference, not_estimated):
        assert withheld["unit_cost"] == pytest.approx(265.5)
        for key in ("calls_avoided_exposure_time", "saving_exposure_time", "calls_avoided", "saving",
                    "pct_decrease_exposure_time"):
            assert withheld[key] is None, key
        assert withheld["calls_avoided_ci95"] == [None, None] and withheld["saving_ci95"] == [None, None]


def test_early_help_labels_part_months_and_compares_whole_months_only():
    dates = pd.Series([date(2020, 9, 20)] * 9 + [date(2020, 10, 3)] * 4 + [date(2020, 12, 1)] * 6 + [date(2021, 1, 5)])
    monthly = analysis.consultations_per_month(dates, date(2020, 9, 15), date(2021, 1, 10))
    assert [(m["month"], m["partial"], m["days"]) for m in monthly] == [
        ("2020-09", True, 16), ("2020-10", False, 31), ("2020-11", False, 30), ("2020-12", False, 31),
        ("2021-01", True, 10)]
    block = analysis.early_help(monthly)
    assert (block["first_whole_month"], block["last_whole_month"]) == ("2020-10", "2020-12")
    assert block["pct_change_first_to_last_month"] == pytest.approx(50.0)  # 4 in October, 6 in December
    assert block["total"] == 20
    one_whole_month = analysis.early_help(analysis.consultations_per_month(dates, date(2020, 9, 15), date(2020, 11, 5)))
    assert one_whole_month["pct_change_first_to_last_month"] is None


def test_every_new_block_is_in_the_report_and_suppressed_for_publication(report):
    for key in ("exposure_time", "weighted", "school_level", "pre_post", "notes"):
        assert key in report
    assert report["pre_post"] is None and "no pre-period" in report["notes"]["pre_post"]
    assert report["school_level"] is None and report["notes"]["school_level"]
    published = disclosure.published(report)
    block = published["exposure_time"]
    assert block["treatment"]["contacts"] == 35 and block["treatment"]["dsls"] == 165
    assert block["treatment"]["person_days"] % 5 == 0
    t, c = block["treatment"], block["comparison"]
    assert block["contacts_rate_ratio"] == pytest.approx((35 / t["person_days"]) / (565 / c["person_days"]))
    assert all(band["comparison"] == "c" or band["comparison"] % 5 == 0 for band in published["weighted"]["overlap"])
    assert report["exposure_time"]["treatment"]["contacts"] == 33
