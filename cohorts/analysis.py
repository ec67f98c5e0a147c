"""The outcome analysis of a cohort: DataFrames in, tables out.

Nothing here knows about Flask or the database. Every step works on whole columns (pandas,
numpy, scipy, statsmodels); there is no Python loop over DSLs or MASH records.

The per-DSL frame every function takes has one row per cohort member:

    dsl_id, group ("comparison" or "treatment"), contacts, referrals, pupils, fsm_percent, phase

Definitions follow the project's contract (formats.md): percentages are 0 to 100 and unrounded,
``mean_difference`` is comparison minus treatment, and a figure that is undefined (a ratio over
zero, a model that cannot be fitted) is ``None``.
"""

from __future__ import annotations

import math
import warnings
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from cohorts import estimators
from cohorts.estimators import COMPARISON, GROUPS, NOT_ESTIMATED, TREATMENT, number

CONTACT = "contact"
REFERRAL = "referral"
Z95 = stats.norm.ppf(0.975)
SMD_CHECK = 0.1  # |SMD| at or above this: look at the variable
SMD_IMBALANCED = 0.25  # |SMD| at or above this: the groups differ on it
FISHER_BELOW = 5  # any expected count below this: Fisher's exact test instead of chi-square
UNKNOWN_PHASE = "Not known"
PUPILS_PER = 100  # the adjusted model's school size is in hundreds of pupils

GROUP_KEYS = ("n", "dsls_with_contact", "pct_with_contact", "pct_without_contact", "calls", "contacts",
              "referrals", "mean_contacts", "mean_referrals", "contact_referral_ratio")
COUNT_KEYS = ("n", "dsls_with_contact", "calls", "contacts", "referrals")


def _ratio(top, bottom) -> float | None:
    return number(top / bottom) if bottom else None


# -- from records to per-DSL counts -----------------------------------------------------------


def london_dates(received_at: pd.Series) -> pd.Series:
    """Dates in Europe/London of naive UTC time stamps."""
    stamps = pd.to_datetime(received_at)
    return stamps.dt.tz_localize("UTC").dt.tz_convert("Europe/London").dt.date


def in_window(dates: pd.Series, start: date, end: date) -> pd.Series:
    """Both ends included."""
    return (dates >= start) & (dates <= end)


def count_records(records: pd.DataFrame) -> pd.DataFrame:
    """MASH records (dsl_id, classification; one row each) counted as the report counts them in the
    database: one row per DSL, a null dsl_id for records linked to no one, with ``contacts`` and
    ``referrals``."""
    frame = pd.DataFrame({"dsl_id": records["dsl_id"].astype("Int64"),
                          "contacts": (records["classification"] == CONTACT).astype("int64"),
                          "referrals": (records["classification"] == REFERRAL).astype("int64")})
    return frame.groupby("dsl_id", dropna=False, as_index=False)[["contacts", "referrals"]].sum()


def per_dsl_from_counts(members: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Each member with the number of contacts and referrals linked to them.

    ``members``: dsl_id, group and the school covariates. ``counts``: dsl_id, contacts and referrals
    of the MASH records inside the outcome window (and pre_contacts, pre_referrals in the pre-period,
    contacts_at_risk and referrals_at_risk on the DSL's days at risk, when counted), already counted (a DSL may have several rows, e.g. one per import batch; a
    null dsl_id is records linked to no one).
    """
    linked = counts[counts["dsl_id"].notna()]
    columns = [c for c in ("contacts", "referrals", "pre_contacts", "pre_referrals", "contacts_at_risk",
                           "referrals_at_risk", "contacts_protocol_at_risk", "referrals_protocol_at_risk") if c in counts]
    totals = linked.groupby(linked["dsl_id"].astype("int64"))[columns].sum()
    out = members.merge(totals, left_on="dsl_id", right_index=True, how="left")
    out[columns] = out[columns].fillna(0).astype("int64")
    return out


def with_days_at_risk(per_dsl: pd.DataFrame, consultations: pd.DataFrame) -> pd.DataFrame:
    """``per_dsl`` (with the frozen days_at_risk) plus person_days, and the Early Help consultations
    on the days at risk (``consultations``: dsl_id, consultations_at_risk)."""
    out = per_dsl.merge(consultations, on="dsl_id", how="left")
    for column in ("consultations_at_risk", "consultations_protocol_at_risk"):
        if column in out:
            out[column] = out[column].fillna(0).astype("int64")
    out["person_days"] = out.pop("days_at_risk").fillna(0).astype("int64")
    return out


def schools_from_counts(members: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """One row per school with a cohort member: its pupils (as frozen), whether any of its DSLs is
    in the treatment group, and every MASH record in the window that names it (``counts`` as for
    :func:`per_dsl_from_counts`, with school_urn), whoever made the call."""
    schools = members.assign(trained=members["group"].eq(TREATMENT)).groupby("school_urn").agg(
        pupils=("pupils", "max"), trained=("trained", "max"))
    named = counts[counts["school_urn"].notna()]
    totals = named.groupby(named["school_urn"].astype("int64"))[["contacts", "referrals"]].sum()
    out = schools.join(totals, how="left").fillna({"contacts": 0, "referrals": 0})
    return out.astype({"contacts": "int64", "referrals": "int64"}).rename_axis("school_urn").reset_index()


def per_dsl_counts(members: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """As :func:`per_dsl_from_counts`, from ``records``: dsl_id and classification of the MASH
    records already inside the outcome window, one row each."""
    return per_dsl_from_counts(members, count_records(records))


def linkage_from_counts(counts: pd.DataFrame, member_ids: pd.Series) -> dict:
    """How the MASH records inside the window link: to a DSL, to a cohort member, to no one.
    ``counts`` as for :func:`per_dsl_from_counts`."""
    records = counts["contacts"] + counts["referrals"]
    linked = counts["dsl_id"].notna()
    in_cohort = counts["dsl_id"].isin(member_ids)
    return {
        "records_in_window": int(records.sum()),
        "linked": int(records[linked].sum()),
        "unlinked": int(records[~linked].sum()),
        "linked_outside_cohort": int(records[linked & ~in_cohort].sum()),
    }


def linkage(records: pd.DataFrame, member_ids: pd.Series) -> dict:
    """As :func:`linkage_from_counts`, from MASH records one row each."""
    return linkage_from_counts(count_records(records), member_ids)


# -- the groups table -------------------------------------------------------------------------


def group_summary(per_dsl: pd.DataFrame) -> dict:
    """The figures of the reference report's table for each group."""
    frame = per_dsl.assign(with_contact=per_dsl["contacts"] > 0)
    sums = frame.groupby("group")[["contacts", "referrals", "with_contact"]].sum().reindex(GROUPS, fill_value=0)
    sizes = frame.groupby("group").size().reindex(GROUPS, fill_value=0)
    out = {}
    for group in GROUPS:
        n, contacts, referrals = int(sizes[group]), int(sums.loc[group, "contacts"]), int(sums.loc[group, "referrals"])
        with_contact = int(sums.loc[group, "with_contact"])
        out[group] = {
            "n": n,
            "dsls_with_contact": with_contact,
            "pct_with_contact": _ratio(100 * with_contact, n),
            "pct_without_contact": _ratio(100 * (n - with_contact), n),
            "calls": contacts + referrals,
            "contacts": contacts,
            "referrals": referrals,
            "mean_contacts": _ratio(contacts, n),
            "mean_referrals": _ratio(referrals, n),
            "contact_referral_ratio": _ratio(contacts, referrals),
            "pct_calls_contacts": _ratio(100 * contacts, contacts + referrals),
            "pct_calls_referrals": _ratio(100 * referrals, contacts + referrals),
        }
    return out


# -- the effect -------------------------------------------------------------------------------


def _split(per_dsl: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    values = per_dsl.groupby("group")[column]
    empty = np.array([], dtype=float)
    groups = dict(list(values))
    return (groups.get(COMPARISON, pd.Series(empty)).to_numpy(float),
            groups.get(TREATMENT, pd.Series(empty)).to_numpy(float))


def welch(comparison: np.ndarray, treatment: np.ndarray) -> dict:
    """Welch's two-sample t-test of comparison minus treatment, with the 95% CI of the difference."""
    if len(comparison) < 2 or len(treatment) < 2 or (comparison.var() == 0 and treatment.var() == 0):
        return {"t": None, "df": None, "p_value": None, "ci95": [None, None]}
    result = stats.ttest_ind(comparison, treatment, equal_var=False)
    interval = result.confidence_interval(0.95)
    return {"t": number(result.statistic), "df": number(result.df), "p_value": number(result.pvalue),
            "ci95": [number(interval.low), number(interval.high)]}


def hedges_g(comparison: np.ndarray, treatment: np.ndarray) -> dict:
    """Hedges' g of comparison minus treatment (bias-corrected standardised difference), with a 95% CI."""
    n1, n2 = len(comparison), len(treatment)
    if n1 < 2 or n2 < 2:
        return {"g": None, "ci95": [None, None]}
    pooled = math.sqrt(((n1 - 1) * comparison.var(ddof=1) + (n2 - 1) * treatment.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return {"g": None, "ci95": [None, None]}
    correction = 1 - 3 / (4 * (n1 + n2) - 9)
    g = correction * (comparison.mean() - treatment.mean()) / pooled
    se = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2 * (n1 + n2)))
    return {"g": number(g), "ci95": [number(g - Z95 * se), number(g + Z95 * se)]}


def risk_ratio(with_c: int, n_c: int, with_t: int, n_t: int) -> dict:
    """Risk ratio (comparison over treatment) of making at least one contact, Katz log 95% CI,
    and a chi-square test, or Fisher's exact test when an expected count is below 5."""
    out = {"risk_ratio": None, "ci95": [None, None], "test": None, "p_value": None}
    if not n_c or not n_t:
        return out
    if with_t and with_c:
        ratio = (with_c / n_c) / (with_t / n_t)
        se = math.sqrt(1 / with_c - 1 / n_c + 1 / with_t - 1 / n_t)
        out["risk_ratio"] = number(ratio)
        out["ci95"] = [number(ratio * math.exp(-Z95 * se)), number(ratio * math.exp(Z95 * se))]
    table = np.array([[with_c, n_c - with_c], [with_t, n_t - with_t]])
    if (table.sum(axis=0) == 0).any():
        return out
    expected = stats.contingency.expected_freq(table)
    if (expected < FISHER_BELOW).any():
        out["test"] = "Fisher's exact test"
        out["p_value"] = number(stats.fisher_exact(table).pvalue)
    else:
        out["test"] = "Pearson chi-square test (1 df, no continuity correction)"
        out["p_value"] = number(stats.chi2_contingency(table, correction=False).pvalue)
    return out


def effect(per_dsl: pd.DataFrame, groups: dict) -> dict:
    """The effect block of the report: Welch's test, % decrease, risk ratio, Hedges' g."""
    comparison, treatment = _split(per_dsl, "contacts")
    c, t = groups[COMPARISON], groups[TREATMENT]
    difference = None
    if c["mean_contacts"] is not None and t["mean_contacts"] is not None:
        difference = number(c["mean_contacts"] - t["mean_contacts"])
    ratio = risk_ratio(c["dsls_with_contact"], c["n"], t["dsls_with_contact"], t["n"])
    g = hedges_g(comparison, treatment)
    return {
        "test": "Welch two-sample t-test",
        "mean_difference": difference,
        "pct_decrease": _ratio(100 * difference, c["mean_contacts"]) if difference is not None else None,
        **welch(comparison, treatment),
        "risk_ratio_with_contact": ratio["risk_ratio"],
        "risk_ratio_ci95": ratio["ci95"],
        "with_contact_test": ratio["test"],
        "with_contact_p_value": ratio["p_value"],
        "hedges_g": g["g"],
        "hedges_g_ci95": g["ci95"],
    }


# -- negative binomial models -----------------------------------------------------------------


def design(per_dsl: pd.DataFrame, adjusted: bool) -> pd.DataFrame:
    """Columns of the model: a constant, treatment, and when adjusted school size, FSM % and phase."""
    x = pd.DataFrame({"const": 1.0, "treatment": (per_dsl["group"] == TREATMENT).astype(float)}, index=per_dsl.index)
    if adjusted:
        x["pupils_per_100"] = per_dsl["pupils"].astype(float) / PUPILS_PER
        x["fsm_percent"] = per_dsl["fsm_percent"].astype(float)
        phase = per_dsl["phase"].fillna(UNKNOWN_PHASE).astype(str)
        reference = phase.value_counts().index[0] if len(phase) else UNKNOWN_PHASE
        dummies = pd.get_dummies(phase, prefix="phase", dtype=float)
        dummies = dummies.drop(columns=[f"phase_{reference}"], errors="ignore")
        x = pd.concat([x, dummies.loc[:, dummies.sum() > 0]], axis=1)
    return x


ALPHA_FLOOR = 1e-4  # an NB2 dispersion below this has gone to zero: the data show no overdispersion


def _fit_negative_binomial(counts: pd.Series, x: pd.DataFrame):
    """The fitted NB2 model and whether statsmodels fitted it cleanly, or (None, False) when it
    raised. Its warnings and errors stay here: none reaches the report."""
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    # One BLAS thread: the design is a few columns wide, so more threads only wait on each other and,
    # under load (gunicorn workers, other jobs), made the fit several times slower.
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("always")
        try:
            fitted = NegativeBinomial(counts, x, loglike_method="nb2").fit(disp=0, maxiter=200)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError):
            return None, False
    failed = any(issubclass(w.category, (ConvergenceWarning, HessianInversionWarning, RuntimeWarning)) for w in caught)
    return fitted, not failed and bool(fitted.mle_retvals.get("converged", False))


def _nb_estimate(fitted) -> dict | None:
    """The NB2 fit's treatment rate ratio, or None when the estimate is unstable."""
    coefficient, se = float(fitted.params["treatment"]), float(fitted.bse["treatment"])
    low, high = (float(v) for v in fitted.conf_int(0.05).loc["treatment"])
    if estimators.unstable(coefficient, se, low, high):
        return None
    return {"rate_ratio": math.exp(coefficient), "ci95": [math.exp(low), math.exp(high)],
            "p_value": number(fitted.pvalues["treatment"]), "alpha": float(fitted.params["alpha"]), "converged": True}


def negative_binomial(per_dsl: pd.DataFrame, adjusted: bool) -> dict:
    """Rate ratio (treatment over comparison) of contacts per DSL from an NB2 regression; where the
    dispersion goes to zero or the fit fails, from a Poisson regression with robust standard errors."""
    label = "adjusted for pupils, FSM % and phase" if adjusted else "unadjusted"
    out = {"model": f"Negative binomial (NB2), {label}", "rate_ratio": None, "ci95": [None, None],
           "p_value": None, "alpha": None, "converged": False, "n": int(len(per_dsl)), "note": None}
    counts = per_dsl["contacts"].astype(float)
    sums = counts.groupby(per_dsl["group"]).sum()
    if not sums.get(COMPARISON) or not sums.get(TREATMENT):
        out["note"] = NOT_ESTIMATED + "a group is empty or made no contacts, so the ratio would be zero or infinite."
        return out
    x = design(per_dsl, adjusted)
    fitted, clean = _fit_negative_binomial(counts, x)
    # An NB2 dispersion that heads for zero makes its Hessian singular: the data are not overdispersed.
    alpha = float(fitted.params["alpha"]) if fitted is not None else math.nan
    went_to_zero = not alpha >= ALPHA_FLOOR
    estimate = _nb_estimate(fitted) if clean and not went_to_zero else None
    if estimate is not None:
        out.update(estimate)
        return out
    went_to_zero = fitted is not None and went_to_zero and math.isfinite(alpha)
    poisson = estimators.rate_ratio(counts, x, "treatment")
    if poisson["note"]:
        out["note"] = poisson["note"]
        return out
    out.update({"model": f"Poisson with robust standard errors, {label}", "rate_ratio": poisson["ratio"],
                "ci95": poisson["ci95"], "p_value": poisson["p_value"], "alpha": 0.0 if went_to_zero else None,
                "converged": True,
                "note": ("The negative binomial's dispersion went to zero (no overdispersion), so this is a Poisson "
                         "model with robust standard errors." if went_to_zero else
                         "The negative binomial could not be fitted, so this is a Poisson model with robust "
                         "standard errors.")})
    return out


# -- balance ----------------------------------------------------------------------------------


def _flag(smd) -> str:
    if smd is None:
        return "not defined"
    size = abs(smd)
    if size >= SMD_IMBALANCED:
        return "imbalanced"
    if size >= SMD_CHECK:
        return "check"
    return "balanced"


def balance(per_dsl: pd.DataFrame) -> list[dict]:
    """Means, SDs and standardised mean differences of the school covariates (no p-values).

    Phase is shown as one row per phase: the share of DSLs whose school is in that phase.
    """
    phase = per_dsl["phase"].fillna(UNKNOWN_PHASE).astype(str)
    columns = pd.DataFrame({"pupils": per_dsl["pupils"].astype(float),
                            "fsm_percent": per_dsl["fsm_percent"].astype(float)}, index=per_dsl.index)
    dummies = pd.get_dummies(phase, dtype=float)
    dummies = dummies[sorted(dummies.columns)]
    dummies.columns = [f"phase: {name}" for name in dummies.columns]
    columns = pd.concat([columns, dummies], axis=1)
    grouped = columns.groupby(per_dsl["group"])
    means = grouped.mean().reindex(GROUPS)
    variances = grouped.var(ddof=1).reindex(GROUPS)
    pooled = np.sqrt((variances.loc[TREATMENT] + variances.loc[COMPARISON]) / 2)
    smd = (means.loc[TREATMENT] - means.loc[COMPARISON]) / pooled.where(pooled > 0)
    table = pd.DataFrame({
        "variable": columns.columns,
        "comparison_mean": means.loc[COMPARISON].to_numpy(),
        "treatment_mean": means.loc[TREATMENT].to_numpy(),
        "comparison_sd": np.sqrt(variances.loc[COMPARISON]).to_numpy(),
        "treatment_sd": np.sqrt(variances.loc[TREATMENT]).to_numpy(),
        "smd": smd.to_numpy(),
    })
    rows = table.astype(object).to_dict("records")
    for row in rows:
        for key in ("comparison_mean", "treatment_mean", "comparison_sd", "treatment_sd", "smd"):
            row[key] = number(row[key])
        row["flag"] = _flag(row["smd"])
    return rows


# -- projection -------------------------------------------------------------------------------


MIN_PROJECTION_DSLS = 30  # fewer trained DSLs than this: no projection


def projection_withheld(exposure_time: dict | None) -> str | None:
    """Why the projection is withheld (the contract's gates), or None. A figure suppressed for
    publication ("c") counts as too small."""
    if not exposure_time or exposure_time["contacts_rate_ratio"] is None:
        return "The rate of contacts per day at risk could not be estimated, so there is nothing to project."
    trained = exposure_time[TREATMENT]["dsls"]
    if trained == "c" or trained < MIN_PROJECTION_DSLS:
        shown = "fewer than 5" if trained == "c" else f"only {trained}"
        return (f"{shown.capitalize()} trained DSLs have days at risk; a projection needs at least "
                f"{MIN_PROJECTION_DSLS}.")
    if exposure_time["contacts_rate_ratio"] == "c":
        return "The rate ratio of contacts is suppressed for publication, so there is nothing to project."
    low, high = exposure_time["contacts_ci95"]
    if low <= 1 <= high:
        return ("The 95% interval of the rate ratio includes 1 (no difference), so the data cannot tell a saving "
                "from none.")
    return None


def projection(annual_calls: int, annual_cost: float, pct_decrease: float | None,
               exposure_time: dict | None = None, optimism_bias_pct: float = 0) -> dict:
    """Calls avoided and money saved a year if the effect held for every DSL, in the Green Book's way.

    ``annual_calls`` is the base: the MASH's non-urgent calls (contacts) from schools in a year,
    the only calls a DSL's training can change; ``annual_cost`` what they cost. The lead figures come
    from the exposure-time rate ratio of contacts and its 95% interval: calls avoided = annual calls
    x (1 - ratio) x (1 - optimism bias / 100), the optimism bias (0 unless given) taking off the share
    an appraiser expects a projection to overstate. A negative saving is a cost increase.
    ``calls_avoided`` and ``saving`` keep the first version's definition (from ``pct_decrease``, the
    naive difference in means) for comparison with the reference report. Every figure worked out
    from the data is withheld (None) under the gates of :func:`projection_withheld`.
    """
    unit_cost = annual_cost / annual_calls if annual_calls else None
    withheld = projection_withheld(exposure_time)
    kept = 1 - optimism_bias_pct / 100
    out = {"annual_calls": int(annual_calls), "annual_cost": number(annual_cost), "unit_cost": number(unit_cost),
           "optimism_bias_pct": number(optimism_bias_pct),
           "calls_avoided_exposure_time": None, "calls_avoided_ci95": [None, None], "saving_exposure_time": None,
           "saving_ci95": [None, None], "pct_decrease_exposure_time": None, "pct_decrease_ci95": [None, None],
           "calls_avoided": None, "saving": None, "withheld": withheld}
    if withheld or unit_cost is None:
        return out
    ratio, (low, high) = exposure_time["contacts_rate_ratio"], exposure_time["contacts_ci95"]
    avoided = [annual_calls * (1 - high) * kept, annual_calls * (1 - low) * kept]  # lower end first
    calls = round(annual_calls * (1 - ratio) * kept)
    out.update({
        "calls_avoided_exposure_time": calls,
        "calls_avoided_ci95": [number(a) for a in avoided],
        "saving_exposure_time": number(calls * unit_cost),
        "saving_ci95": [number(a * unit_cost) for a in avoided],
        "pct_decrease_exposure_time": number(100 * (1 - ratio)),
        "pct_decrease_ci95": [number(100 * (1 - high)), number(100 * (1 - low))],
    })
    if pct_decrease is not None:
        out["calls_avoided"] = round(annual_calls * pct_decrease / 100)
        out["saving"] = number(out["calls_avoided"] * unit_cost)
    return out


# -- Early Help -------------------------------------------------------------------------------


def consultations_per_month(dates: pd.Series, start: date, end: date, counts: pd.Series | None = None) -> list[dict]:
    """Early Help consultations in each calendar month of the window (months with none show 0).
    A month the window covers only in part is marked ``partial``, with the ``days`` it covers.

    ``counts``: how many consultations each date stands for, when they were counted by date in the
    database (default one each).
    """
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    stamps = pd.to_datetime(pd.Series(dates, dtype=object)).reset_index(drop=True)
    weights = (pd.Series(1, index=stamps.index, dtype="int64") if counts is None
               else pd.Series(counts, dtype="int64").reset_index(drop=True))
    inside = (stamps >= pd.Timestamp(start)) & (stamps <= pd.Timestamp(end))
    counted = weights[inside].groupby(stamps[inside].dt.to_period("M")).sum().reindex(months, fill_value=0)
    out = []
    for month, n in counted.items():
        first = max(month.start_time.normalize(), pd.Timestamp(start))
        last = min(month.end_time.normalize(), pd.Timestamp(end))
        days = (last - first).days + 1
        out.append({"month": str(month), "consultations": int(n), "partial": days < month.days_in_month,
                    "days": int(days)})
    return out


def early_help(monthly: list[dict]) -> dict:
    """The month-by-month table with its total, and the change from the first to the last whole
    month (partial months would compare a few days with a whole month)."""
    whole = [m for m in monthly if not m["partial"]]
    first, last = (whole[0], whole[-1]) if len(whole) >= 2 else (None, None)
    change = _ratio(100 * (last["consultations"] - first["consultations"]), first["consultations"]) if first else None
    return {"per_month": monthly, "total": sum(m["consultations"] for m in monthly),
            "pct_change_first_to_last_month": change, "first_whole_month": first["month"] if first else None,
            "last_whole_month": last["month"] if last else None}


# -- the whole report -------------------------------------------------------------------------

AT_RISK_COLUMNS = ("school_urn", "person_days", "contacts_at_risk", "referrals_at_risk")


def _has(per_dsl: pd.DataFrame, columns) -> bool:
    return all(column in per_dsl for column in columns)


def _estimates(per_dsl: pd.DataFrame, pre: tuple[date, date] | None, outcome: tuple[date, date],
               schools: pd.DataFrame | None) -> tuple[dict, dict]:
    """The exposure-time, pre-post, weighted and school-level blocks, and a reason for each left out."""
    blocks, notes = {}, {}
    timed = _has(per_dsl, AT_RISK_COLUMNS)
    blocks["exposure_time"] = estimators.exposure_time(per_dsl) if timed else None
    blocks["weighted"] = estimators.weighted(per_dsl) if timed else None
    if not timed:
        notes["exposure_time"] = notes["weighted"] = "The cohort's days at risk are not known."
    blocks["pre_post"] = None
    if pre is None:
        notes["pre_post"] = "The cohort has no pre-period (cohorts create --pre), so there is no before-and-after."
    elif not _has(per_dsl, ("school_urn", "pre_contacts")):
        notes["pre_post"] = "The DSLs' contacts in the pre-period are not known."
    else:
        days = [(end - start).days + 1 for start, end in (pre, outcome)]
        blocks["pre_post"] = estimators.pre_post(per_dsl, pre, *days)
    blocks["school_level"] = estimators.school_level(schools) if schools is not None else None
    if schools is None:
        notes["school_level"] = "The schools' MASH records are not known."
    return blocks, notes


def outcome_report(per_dsl: pd.DataFrame, *, cohort: str, definition: dict, linkage_counts: dict,
                   early_help_dates: pd.Series | None = None, early_help_counts: pd.Series | None = None,
                   annual_calls: int | None = None, annual_cost: float | None = None,
                   schools: pd.DataFrame | None = None, optimism_bias_pct: float = 0) -> dict:
    """Every figure of the outcome report, as the JSON contract in formats.md lays it out, and more.

    ``per_dsl`` as in this module's docstring; with school_urn, person_days, contacts_at_risk and
    referrals_at_risk (days at risk) it gains the exposure-time and weighted estimates, with
    pre_contacts the pre-post one (when ``definition`` has a pre-period), with
    consultations_at_risk Early Help by group. ``schools`` (school_urn, pupils, trained, contacts,
    referrals) gives the school-level comparison. ``early_help_counts``: how many consultations each
    of ``early_help_dates`` stands for (default one).
    """
    groups = group_summary(per_dsl)
    outcome = tuple(date.fromisoformat(d) for d in definition["outcome"])
    pre = tuple(date.fromisoformat(d) for d in definition["pre"]) if definition.get("pre") else None
    blocks, notes = _estimates(per_dsl, pre, outcome, schools)
    report = {
        "cohort": cohort,
        "definition": definition,
        "groups": groups,
        **blocks,
        "effect": effect(per_dsl, groups),
        "models": {"unadjusted": negative_binomial(per_dsl, adjusted=False),
                   "adjusted": negative_binomial(per_dsl, adjusted=True)},
        "balance": balance(per_dsl),
        "linkage": linkage_counts,
        "notes": notes,
        "suppressed": False,
    }
    if annual_calls is not None and annual_cost is not None:
        report["projection"] = projection(annual_calls, annual_cost, report["effect"]["pct_decrease"],
                                          blocks["exposure_time"], optimism_bias_pct)
    if early_help_dates is not None:
        report["early_help"] = early_help(consultations_per_month(early_help_dates, *outcome, early_help_counts))
        if _has(per_dsl, AT_RISK_COLUMNS + ("consultations_at_risk",)):
            report["early_help"].update(estimators.early_help_groups(per_dsl))
    return report


# -- the reference report's table -------------------------------------------------------------


def reference_table(report: dict) -> list[dict]:
    """The rows of the reference report's table, in its order, with raw (unformatted) values."""
    c, t = report["groups"][COMPARISON], report["groups"][TREATMENT]
    e = report["effect"]
    return [
        {"measure": "DSLs", "comparison": c["n"], "treatment": t["n"], "kind": "count"},
        {"measure": "Made at least one non-urgent contact (%)", "comparison": c["pct_with_contact"], "treatment": t["pct_with_contact"], "kind": "percent"},
        {"measure": "Made no non-urgent contact (%)", "comparison": c["pct_without_contact"], "treatment": t["pct_without_contact"], "kind": "percent"},
        {"measure": "Non-urgent contacts and urgent referrals", "comparison": c["calls"], "treatment": t["calls"], "kind": "count"},
        {"measure": "Non-urgent contacts", "comparison": c["contacts"], "treatment": t["contacts"], "kind": "count"},
        {"measure": "Non-urgent contacts per DSL", "comparison": c["mean_contacts"], "treatment": t["mean_contacts"], "kind": "mean"},
        {"measure": "Decrease in non-urgent contacts per DSL (%)", "comparison": None, "treatment": e["pct_decrease"], "kind": "percent"},
        {"measure": "Urgent referrals", "comparison": c["referrals"], "treatment": t["referrals"], "kind": "count"},
        {"measure": "Urgent referrals per DSL", "comparison": c["mean_referrals"], "treatment": t["mean_referrals"], "kind": "mean"},
        {"measure": "Non-urgent contacts for each urgent referral", "comparison": c["contact_referral_ratio"], "treatment": t["contact_referral_ratio"], "kind": "ratio"},
    ]


# -- demand analysis --------------------------------------------------------------------------


def _weights(records: pd.DataFrame) -> pd.Series:
    """How many MASH records each row stands for: its ``records`` column when the rows are counts
    made in the database, else one each."""
    if "records" in records:
        return records["records"].astype("int64")
    return pd.Series(1, index=records.index, dtype="int64")


def by_source_and_method(records: pd.DataFrame) -> dict:
    """Contacts and referrals by source and by method (all records given)."""
    out = {}
    weights = _weights(records)
    for column in ("source", "method"):
        counts = weights.groupby([records[column], records["classification"]]).sum()
        table = counts.unstack(fill_value=0).reindex(columns=[CONTACT, REFERRAL], fill_value=0)
        table["total"] = table.sum(axis=1)
        table = table.sort_values("total", ascending=False)
        total = table["total"].sum()
        table["pct_of_all"] = 100 * table["total"] / total if total else np.nan
        out[column] = [{column: name, "contacts": int(r[CONTACT]), "referrals": int(r[REFERRAL]),
                        "total": int(r["total"]), "pct_of_all": number(r["pct_of_all"])}
                       for name, r in table.iterrows()]
    return out


def telephone_share(records: pd.DataFrame, method: str = "Telephone") -> list[dict]:
    """Each source's share of the contacts (non-urgent calls) made by telephone."""
    phoned = (records["method"].str.lower() == method.lower()) & (records["classification"] == CONTACT)
    counts = _weights(records)[phoned].groupby(records.loc[phoned, "source"]).sum().sort_values(ascending=False,
                                                                                                 kind="stable")
    total = counts.sum()
    return [{"source": name, "contacts": int(n), "pct": number(100 * n / total)} for name, n in counts.items()]


def contacts_per_pupil(records: pd.DataFrame, schools: pd.DataFrame, top: int = 30) -> dict:
    """Contacts per pupil by school: the average over schools, and the ``top`` schools by it.

    ``records`` need school_urn and classification (and may carry a ``records`` count per row);
    ``schools`` urn, name and pupils.
    """
    chosen = (records["classification"] == CONTACT) & records["school_urn"].notna()
    counts = _weights(records)[chosen].groupby(records.loc[chosen, "school_urn"].astype("int64")).sum().rename("contacts")
    frame = schools.merge(counts, left_on="urn", right_index=True, how="left")
    frame["contacts"] = frame["contacts"].fillna(0).astype("int64")
    frame = frame[frame["pupils"] > 0]
    frame["per_pupil"] = frame["contacts"] / frame["pupils"]
    ranked = frame.sort_values(["per_pupil", "contacts"], ascending=False).head(top)
    return {
        "schools": int(len(frame)),
        "mean_per_pupil": number(frame["per_pupil"].mean()) if len(frame) else None,
        "overall_per_pupil": _ratio(frame["contacts"].sum(), frame["pupils"].sum()),
        "top": [{"urn": int(r.urn), "name": r.name, "pupils": int(r.pupils), "contacts": int(r.contacts),
                 "per_pupil": number(r.per_pupil)} for r in ranked.itertuples()],
    }


def records_by_month(records: pd.DataFrame) -> pd.DataFrame:
    """MASH records (received_at in UTC, classification, and optionally ``records``: how many each
    row stands for) by Europe/London month: month ("YYYY-MM"), contacts, referrals."""
    if records.empty:
        return pd.DataFrame({"month": pd.Series(dtype=str), "contacts": pd.Series(dtype="int64"),
                             "referrals": pd.Series(dtype="int64")})
    local = pd.to_datetime(records["received_at"]).dt.tz_localize("UTC").dt.tz_convert("Europe/London")
    table = _weights(records).groupby([local.dt.strftime("%Y-%m"), records["classification"]]).sum().unstack(
        fill_value=0).reindex(columns=[CONTACT, REFERRAL], fill_value=0)
    table.columns = ["contacts", "referrals"]
    return table.rename_axis("month").reset_index().astype({"contacts": "int64", "referrals": "int64"})
