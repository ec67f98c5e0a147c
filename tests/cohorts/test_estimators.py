"""The second version's estimators, each checked against a computation written out here: closed
forms where they exist (a Poisson rate ratio with one binary regressor and an offset is the ratio
of the two rates; the difference in differences is a ratio of four rates), the cluster-robust
(sandwich) variance by hand, and statsmodels' formula interface called independently otherwise.
And the gates: a figure that cannot be estimated is None with a plain-English note."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from cohorts import analysis, estimators

Z = stats.norm.ppf(0.975)


def sandwich(y, x, offset, beta, groups, weights=None):
    """The school-clustered covariance of a Poisson GLM's coefficients, by hand: bread from the
    (weighted) information, meat from the clusters' summed scores, and the usual small-sample
    factor G/(G-1) x (N-1)/(N-K)."""
    y, x, offset = np.asarray(y, float), np.asarray(x, float), np.asarray(offset, float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    mu = np.exp(x @ beta + offset)
    bread = np.linalg.inv((x * (w * mu)[:, None]).T @ x)
    scores = pd.DataFrame(x * (w * (y - mu))[:, None]).groupby(np.asarray(groups)).sum().to_numpy()
    n, k, g = len(y), x.shape[1], len(np.unique(groups))
    return bread @ (scores.T @ scores) @ bread * g / (g - 1) * (n - 1) / (n - k)


def county(seed=3, schools=60, per_school=5, effect=0.5, trained_share=0.3):
    """DSLs in schools, some trained, with contacts per day at risk Poisson around a school's own
    rate (so DSLs of one school are alike), and the treatment multiplying it by ``effect``."""
    rng = np.random.default_rng(seed)
    n = schools * per_school
    school = np.repeat(np.arange(schools), per_school)
    school_rate = rng.gamma(2.0, 0.01 / 2.0, schools)[school]
    treated = rng.random(n) < trained_share
    days = rng.integers(20, 122, n)
    phases = np.array(["Primary", "Secondary", "Special", None], dtype=object)
    return pd.DataFrame({
        "dsl_id": np.arange(1, n + 1), "group": np.where(treated, "treatment", "comparison"),
        "school_urn": 100000 + school, "person_days": days,
        "contacts_at_risk": rng.poisson(school_rate * days * np.where(treated, effect, 1.0)),
        "referrals_at_risk": rng.poisson(0.6 * school_rate * days),
        "pupils": (rng.normal(400, 150, schools).clip(30).round()[school]).astype(int),
        "fsm_percent": rng.normal(15, 6, schools).clip(0, 100)[school] + 3 * treated,
        "phase": phases[rng.integers(0, 4, schools)][school],
        "role": np.where(rng.random(n) < 0.4 + 0.2 * treated, "DSL", "Deputy DSL"),
    })


@pytest.fixture(scope="module")
def dsls():
    return county()


def _rates(frame, count, days="person_days", weights=None):
    w = np.ones(len(frame)) if weights is None else weights
    out = {}
    for group in ("comparison", "treatment"):
        chosen = (frame["group"] == group).to_numpy()
        out[group] = (w[chosen] * frame[count].to_numpy()[chosen]).sum() / (w[chosen] * frame[days].to_numpy()[chosen]).sum()
    return out


def _check_interval(ci, p, beta, covariance, index=1):
    se = math.sqrt(covariance[index, index])
    assert ci == pytest.approx([math.exp(beta[index] - Z * se), math.exp(beta[index] + Z * se)], rel=1e-6)
    assert p == pytest.approx(2 * stats.norm.sf(abs(beta[index]) / se), rel=1e-5)


def test_exposure_time_rate_ratio_is_the_ratio_of_rates_with_a_clustered_interval(dsls):
    block = estimators.exposure_time(dsls)
    for outcome, count in (("contacts", "contacts_at_risk"), ("referrals", "referrals_at_risk")):
        rates = _rates(dsls, count)
        ratio = rates["treatment"] / rates["comparison"]
        assert block[f"{outcome}_rate_ratio"] == pytest.approx(ratio, rel=1e-8)
        beta = np.array([math.log(rates["comparison"]), math.log(ratio)])
        x = np.column_stack([np.ones(len(dsls)), dsls["group"].eq("treatment")])
        covariance = sandwich(dsls[count], x, np.log(dsls["person_days"]), beta, dsls["school_urn"])
        _check_interval(block[f"{outcome}_ci95"], block[f"{outcome}_p_value"], beta, covariance)
    assert block["clusters"] == 60 and block["note"] is None
    assert block["treatment"]["person_days"] == dsls.loc[dsls.group == "treatment", "person_days"].sum()
    assert block["comparison"]["contacts"] == dsls.loc[dsls.group == "comparison", "contacts_at_risk"].sum()
    assert block["safety_outcome"] == "referrals"


def test_rows_with_no_day_at_risk_are_left_out(dsls):
    frame = dsls.copy()
    frame.loc[:4, "person_days"] = 0
    block = estimators.exposure_time(frame)
    kept = frame[frame["person_days"] >= 1]
    assert block["comparison"]["dsls"] + block["treatment"]["dsls"] == len(kept)
    assert sum(block["dsls_without_days_at_risk"].values()) == 5
    rates = _rates(kept, "contacts_at_risk")
    assert block["contacts_rate_ratio"] == pytest.approx(rates["treatment"] / rates["comparison"], rel=1e-8)


def test_difference_in_differences_is_a_ratio_of_four_rates(dsls):
    rng = np.random.default_rng(8)
    frame = dsls.assign(pre_contacts=rng.poisson(0.01 * 100, len(dsls)), contacts=dsls["contacts_at_risk"] + 1)
    pre_days, post_days = 100, 122
    block = estimators.pre_post(frame, (pd.Timestamp("2019-09-01").date(), pd.Timestamp("2019-12-09").date()),
                                pre_days, post_days)
    sums = frame.groupby("group")[["pre_contacts", "contacts"]].sum()
    rate = {(g, w): sums.loc[g, c] / d for g in ("comparison", "treatment")
            for w, c, d in (("pre", "pre_contacts", pre_days), ("post", "contacts", post_days))}
    did = (rate["treatment", "post"] / rate["treatment", "pre"]) / (rate["comparison", "post"] / rate["comparison", "pre"])
    assert block["did_rate_ratio"] == pytest.approx(did, rel=1e-8)
    # statsmodels' formula interface, called here on the stacked rows, gives the same interval.
    stacked = pd.concat([frame.assign(post=0, y=frame["pre_contacts"], days=pre_days),
                         frame.assign(post=1, y=frame["contacts"], days=post_days)], ignore_index=True)
    stacked["treated"] = stacked["group"].eq("treatment").astype(int)
    import statsmodels.api as sm

    fit = smf.glm("y ~ treated * post", stacked, family=sm.families.Poisson(), offset=np.log(stacked["days"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(stacked["school_urn"])[0]})
    assert block["did_ci95"] == pytest.approx(list(np.exp(fit.conf_int().loc["treated:post"])), rel=1e-6)
    assert block["did_p_value"] == pytest.approx(fit.pvalues["treated:post"], rel=1e-6)
    assert block["treatment"] == {"dsls": int((frame.group == "treatment").sum()),
                                  "pre_contacts": int(sums.loc["treatment", "pre_contacts"]),
                                  "post_contacts": int(sums.loc["treatment", "contacts"])}
    assert block["pre"] == ["2019-09-01", "2019-12-09"] and block["note"] is None


def test_propensity_weighting_against_an_independent_logit(dsls):
    block = estimators.weighted(dsls)
    data = dsls.assign(treated=dsls["group"].eq("treatment").astype(int), phase=dsls["phase"].fillna("Not known"))
    logit = smf.logit("treated ~ pupils + fsm_percent + C(phase) + C(role)", data).fit(disp=0)
    p = logit.predict(data).to_numpy()
    treated = data["treated"].to_numpy().astype(bool)
    w = np.where(treated, 1.0, p / (1 - p))
    rates = _rates(dsls, "contacts_at_risk", weights=w)
    assert block["contacts_rate_ratio"] == pytest.approx(rates["treatment"] / rates["comparison"], rel=1e-6)
    beta = np.array([math.log(rates["comparison"]), math.log(rates["treatment"] / rates["comparison"])])
    x = np.column_stack([np.ones(len(dsls)), treated])
    covariance = sandwich(dsls["contacts_at_risk"], x, np.log(dsls["person_days"]), beta, dsls["school_urn"], w)
    _check_interval(block["contacts_ci95"], block["contacts_p_value"], beta, covariance)
    rows = {row["variable"]: row for row in block["balance"]}
    for variable, values in (("fsm_percent", data["fsm_percent"]), ("role: DSL", data["role"].eq("DSL").astype(float)),
                             ("phase: Not known", data["phase"].eq("Not known").astype(float))):
        v = values.to_numpy(float)
        spread = math.sqrt((v[treated].var(ddof=1) + v[~treated].var(ddof=1)) / 2)
        assert rows[variable]["smd"] == pytest.approx((v[treated].mean() - v[~treated].mean()) / spread, rel=1e-9)
        weighted_difference = v[treated].mean() - np.average(v[~treated], weights=w[~treated])
        assert rows[variable]["weighted_smd"] == pytest.approx(weighted_difference / spread, rel=1e-5, abs=1e-9)
    # The trained DSLs' schools have more FSM pupils; weighting takes most of the difference away.
    assert abs(rows["fsm_percent"]["weighted_smd"]) < 0.1 < 0.25 < abs(rows["fsm_percent"]["smd"])
    assert block["effective_comparison_dsls"] == pytest.approx(w[~treated].sum() ** 2 / (w[~treated] ** 2).sum())
    assert sum(band["treatment"] for band in block["overlap"]) == treated.sum()
    assert sum(band["comparison"] for band in block["overlap"]) == (~treated).sum()
    first = block["overlap"][0]
    assert first["from"] <= p.min() and block["overlap"][-1]["to"] >= p.max()


def test_school_level_ratio_is_per_pupil_with_each_school_its_own_cluster():
    schools = pd.DataFrame({"school_urn": [1, 2, 3, 4, 5, 6, 7], "pupils": [200, 350, 410, 120, 800, 90, 0],
                            "trained": [True, True, True, False, False, False, True],
                            "contacts": [3, 5, 2, 4, 14, 3, 2], "referrals": [1, 2, 2, 1, 6, 1, 0]})
    block = estimators.school_level(schools)
    kept = schools[schools.pupils > 0].assign(group=lambda f: np.where(f.trained, "treatment", "comparison"))
    rates = _rates(kept, "contacts", days="pupils")
    ratio = rates["treatment"] / rates["comparison"]
    assert block["contacts_rate_ratio"] == pytest.approx(ratio, rel=1e-8)
    beta = np.array([math.log(rates["comparison"]), math.log(ratio)])
    x = np.column_stack([np.ones(len(kept)), kept["trained"]])
    _check_interval(block["contacts_ci95"], block["contacts_p_value"], beta,
                    sandwich(kept["contacts"], x, np.log(kept["pupils"]), beta, kept["school_urn"]))
    assert block["treatment"] == {"schools": 3, "pupils": 960, "contacts": 10, "referrals": 5}
    assert block["schools_without_pupils"] == 1


def test_early_help_by_group_uses_the_days_at_risk(dsls):
    frame = dsls.assign(consultations_at_risk=np.random.default_rng(2).poisson(0.5, len(dsls)))
    block = estimators.early_help_groups(frame)
    rates = _rates(frame, "consultations_at_risk")
    assert block["consultations_rate_ratio"] == pytest.approx(rates["treatment"] / rates["comparison"], rel=1e-8)
    assert block["treatment"]["consultations"] == frame.loc[frame.group == "treatment", "consultations_at_risk"].sum()


# -- gates ------------------------------------------------------------------------------------

LIBRARY_WORDS = ("hessian", "warning", "error", "singular", "converge", "separation", "nan", "inf ", "statsmodels")


def _tiny(groups, schools, days, contacts):
    return pd.DataFrame({"group": groups, "school_urn": schools, "person_days": days, "contacts_at_risk": contacts,
                         "referrals_at_risk": contacts, "pupils": 300, "fsm_percent": 12.0, "phase": "Primary",
                         "role": "DSL"})


GATES = {
    "an empty group": (_tiny(["comparison"] * 4, [1, 2, 3, 4], 100, [1, 2, 0, 1]), "the treatment group has no DSLs"),
    "no events": (_tiny(["comparison"] * 3 + ["treatment"] * 3, [1, 2, 3, 1, 2, 3], 100, [1, 2, 3, 0, 0, 0]),
                  "the treatment group made no contacts"),
    "one school": (_tiny(["comparison"] * 3 + ["treatment"] * 3, [7] * 6, 100, [1, 2, 3, 1, 0, 1]), "one school"),
    "groups in separate schools": (_tiny(["comparison"] * 3 + ["treatment"] * 3, [1, 1, 1, 2, 2, 2], 100,
                                         [1, 2, 3, 1, 0, 1]), "do not vary enough"),
    "an absurd ratio": (_tiny(["comparison"] * 3 + ["treatment"] * 3, [1, 2, 3, 1, 2, 3], [10**6] * 3 + [10] * 3,
                              [1, 0, 0, 500, 400, 600]), "too unstable"),
}


@pytest.mark.parametrize("case", GATES, ids=list(GATES))
def test_a_figure_that_cannot_be_estimated_is_null_with_a_plain_note(case):
    rows, reason = GATES[case]
    block = estimators.exposure_time(rows)
    assert block["contacts_rate_ratio"] is None and block["contacts_ci95"] == [None, None]
    assert block["contacts_p_value"] is None
    assert reason in block["note"] and block["note"].startswith("Contacts not estimated: ")
    assert not any(word in block["note"].lower() for word in LIBRARY_WORDS)


def test_the_stability_rule():
    assert estimators.unstable(math.log(0.4), 0.2, math.log(0.27), math.log(0.59)) is None
    assert "too unstable" in estimators.unstable(math.log(6_199_668_616), 3.0, 16.0, 29.0)
    assert "too unstable" in estimators.unstable(0.1, 4.0, -7.9, 7.9)  # an interval past 1/1000 to 1000
    assert "no finite estimate" in estimators.unstable(float("nan"), 0.1, 0.0, 0.2)
    assert "do not vary enough" in estimators.unstable(0.5, 0.0, 0.5, 0.5)


def test_perfect_separation_leaves_the_weighted_figures_out():
    rows = _tiny(["comparison"] * 4 + ["treatment"] * 4, [1, 2, 3, 4, 5, 6, 7, 8], 100, [1, 2, 1, 3, 1, 1, 2, 1])
    rows["fsm_percent"] = [5.0, 6.0, 7.0, 8.0, 30.0, 31.0, 32.0, 33.0]  # FSM % tells the groups apart exactly
    block = estimators.weighted(rows)
    assert block["contacts_rate_ratio"] is None and "do not overlap" in block["note"]
    assert not any(word in block["note"].lower() for word in LIBRARY_WORDS)


def test_negative_binomial_falls_back_to_poisson_when_the_dispersion_goes_to_zero():
    # Less spread than Poisson (binomial counts): NB2's dispersion heads for zero and statsmodels
    # cannot invert its Hessian ("Inverting hessian failed"), which must never reach the report.
    rng = np.random.default_rng(1)
    contacts = np.concatenate([rng.binomial(4, 0.5, 400), rng.binomial(2, 0.5, 200)])
    per_dsl = pd.DataFrame({"group": ["comparison"] * 400 + ["treatment"] * 200, "contacts": contacts,
                            "pupils": 300, "fsm_percent": 10.0, "phase": "Primary"})
    model = analysis.negative_binomial(per_dsl, adjusted=False)
    assert model["model"] == "Poisson with robust standard errors, unadjusted"
    means = per_dsl.groupby("group")["contacts"].mean()
    ratio = means["treatment"] / means["comparison"]
    assert model["rate_ratio"] == pytest.approx(ratio, rel=1e-8)
    # Robust (HC0) standard error of the log ratio, by hand: each group's variance over n mean^2.
    c, t = contacts[:400], contacts[400:]
    se = math.sqrt(c.var() / (400 * c.mean() ** 2) + t.var() / (200 * t.mean() ** 2))
    assert model["ci95"] == pytest.approx([ratio * math.exp(-Z * se), ratio * math.exp(Z * se)], rel=1e-6)
    assert "dispersion went to zero" in model["note"] and model["converged"] and model["alpha"] == 0.0
    assert not any(word in model["note"].lower() for word in ("hessian", "warning", "statsmodels"))
    # No spread at all within the groups: not even a robust interval, so nothing is reported.
    flat = per_dsl.assign(contacts=[2] * 400 + [1] * 200)
    assert analysis.negative_binomial(flat, adjusted=False)["rate_ratio"] is None


def test_negative_binomial_with_overdispersion_is_kept():
    rng = np.random.default_rng(4)
    per_dsl = pd.DataFrame({"group": ["comparison"] * 400 + ["treatment"] * 200,
                            "contacts": np.concatenate([rng.negative_binomial(0.5, 0.5, 400), rng.negative_binomial(0.5, 0.7, 200)]),
                            "pupils": 300, "fsm_percent": 10.0, "phase": "Primary"})
    model = analysis.negative_binomial(per_dsl, adjusted=False)
    assert model["model"].startswith("Negative binomial") and model["alpha"] > 0.5 and model["note"] is None
    means = per_dsl.groupby("group")["contacts"].mean()
    assert model["rate_ratio"] == pytest.approx(means["treatment"] / means["comparison"], rel=1e-4)
