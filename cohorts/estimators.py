"""The estimators an evaluator can defend: rates per day at risk, the pre-post difference in
differences, propensity weighting and the school-level comparison. Pure: DataFrames in, dicts out.

Every rate ratio is treatment over comparison, from a Poisson GLM (statsmodels) with a log
exposure offset and school-clustered standard errors. A figure that cannot be estimated is None,
with a one-line note in plain English saying why; no library message ever reaches the report.

When is an estimate "not estimable"? Before fitting: a group with no one in it, a group with no
events (its rate is zero and its log is minus infinity), or fewer than two schools (a clustered
interval needs at least two). After fitting: the fit raised, did not converge or warned of
separation; the coefficient or its standard error is not a finite number; the standard error is
(all but) zero (the counts do not vary between the clusters, so there is no interval to give); or the ratio or either
end of its 95% interval lies beyond a thousand-fold difference, which a training course cannot
produce and only a near-degenerate fit does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

COMPARISON, TREATMENT = "comparison", "treatment"
GROUPS = (COMPARISON, TREATMENT)
MAX_FOLD = 1000.0  # a ratio or interval end beyond 1/1000 to 1000 is treated as not estimable
MIN_CLUSTERS = 2
SCORE_BANDS = 10  # the overlap table's bands of the propensity score
UNKNOWN = "Not known"
NOT_ESTIMATED = "Not estimated: "
CLUSTERED_MODEL = "Poisson GLM with a log person-days offset and school-clustered standard errors"


def number(value) -> float | int | None:
    """A plain Python number for JSON, or None when it is missing or not finite."""
    if value is None:
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def empty_ratio(note: str | None) -> dict:
    return {"ratio": None, "ci95": [None, None], "p_value": None, "note": note}


# -- one Poisson rate ratio -------------------------------------------------------------------


def _fit_poisson(y, x: pd.DataFrame, offset, groups, weights, start=None):
    """The fitted GLM, or None when statsmodels could not fit it cleanly. Standard errors are
    clustered by ``groups``, or robust (HC0) to overdispersion when there are none."""
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError, PerfectSeparationWarning

    covariance = {"cov_type": "HC0"} if groups is None else {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    # One BLAS thread: the design is a few columns wide, so more threads only wait on each other.
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("always")
        try:
            fitted = GLM(np.asarray(y, float), x, family=families.Poisson(), offset=offset,
                         var_weights=weights).fit(start_params=start, **covariance)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError, PerfectSeparationError):
            return None
    if any(issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning)) for w in caught):
        return None
    return fitted if getattr(fitted, "converged", True) else None


def unstable(coefficient: float, se: float, low: float, high: float) -> str | None:
    """Why a fitted log rate ratio cannot be reported (see the module's docstring), or None."""
    if not all(math.isfinite(v) for v in (coefficient, se, low, high)):
        return NOT_ESTIMATED + "the model gave no finite estimate for these data."
    if se <= 1e-6:
        return NOT_ESTIMATED + "the counts do not vary enough to give an interval (as when the trained and " \
                               "untrained DSLs are in separate schools)."
    if max(abs(coefficient), abs(low), abs(high)) > math.log(MAX_FOLD):
        return NOT_ESTIMATED + "the estimate is too unstable to report (its 95% interval reaches beyond a " \
                               "thousand-fold difference)."
    return None


def rate_ratio(y, x: pd.DataFrame, term: str, exposure=None, clusters=None, weights=None, start=None) -> dict:
    """exp(coefficient of ``term``) from a Poisson GLM of ``y`` on ``x`` with offset log(exposure),
    clustered by ``clusters`` (robust HC0 errors without them): the ratio, its 95% interval and
    p-value, or None with a note.

    ``start``: the coefficients where the fit starts. A model of groups alone has its estimates in
    closed form (logs of the groups' rates); starting there, the fit only confirms them, in a
    fraction of the iterations, which matters on a 60,000-DSL cohort.
    """
    codes = None
    if clusters is not None:
        codes = pd.factorize(pd.Series(clusters).reset_index(drop=True))[0]
        if len(np.unique(codes)) < MIN_CLUSTERS:
            return empty_ratio(NOT_ESTIMATED + "every DSL is in one school, and a school-clustered interval needs "
                               "at least two.")
    offset = None if exposure is None else np.log(np.asarray(exposure, float))
    fitted = _fit_poisson(y, x.reset_index(drop=True), offset, codes,
                          None if weights is None else np.asarray(weights, float), start)
    if fitted is None:
        return empty_ratio(NOT_ESTIMATED + "the model could not be fitted to these data.")
    coefficient, se = float(fitted.params[term]), float(fitted.bse[term])
    low, high = (float(v) for v in fitted.conf_int(0.05).loc[term])
    note = unstable(coefficient, se, low, high)
    if note:
        return empty_ratio(note)
    return {"ratio": math.exp(coefficient), "ci95": [math.exp(low), math.exp(high)],
            "p_value": number(fitted.pvalues[term]), "note": None}


def _treatment_design(treated) -> pd.DataFrame:
    return pd.DataFrame({"const": 1.0, "treated": np.asarray(treated, float)})


def _gate(sizes: dict, events: dict, who: str, what: str, where: str) -> str | None:
    """Why a two-group rate ratio cannot be estimated before fitting, or None."""
    for group in GROUPS:
        if not sizes.get(group):
            return NOT_ESTIMATED + f"the {group} group has no {who}."
    for group in GROUPS:
        if not events.get(group):
            return NOT_ESTIMATED + f"the {group} group made no {what} {where}, so the ratio would be zero or infinite."
    return None


def group_rate_ratio(rows: pd.DataFrame, count: str, exposure: str, cluster: str, *, who: str = "DSLs with days at risk",
                     what: str | None = None, where: str = "on its days at risk", weights=None) -> dict:
    """Treatment over comparison rate of ``count`` per ``exposure``, clustered by ``cluster``."""
    treated = rows["group"].eq(TREATMENT)
    sizes = rows["group"].value_counts().to_dict()
    events = rows.groupby("group")[count].sum().to_dict()
    note = _gate(sizes, events, who, what or count, where)
    if note:
        return empty_ratio(note)
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, float)
    rates = [float((w * rows[count].to_numpy(float))[mask].sum() / (w * rows[exposure].to_numpy(float))[mask].sum())
             for mask in (~treated.to_numpy(), treated.to_numpy())]
    start = np.log([rates[0], rates[1] / rates[0]]) if min(rates) > 0 else None
    return rate_ratio(rows[count], _treatment_design(treated), "treated", rows[exposure], rows[cluster], weights, start)


# -- exposure time ----------------------------------------------------------------------------


def _prefixed(prefix: str, estimate: dict) -> dict:
    return {f"{prefix}_rate_ratio": estimate["ratio"], f"{prefix}_ci95": estimate["ci95"],
            f"{prefix}_p_value": estimate["p_value"]}


def _notes(pairs) -> str | None:
    """One line: why each named figure was not estimated, or None when every one was."""
    lines = [f"{name} not estimated: {estimate['note'].removeprefix(NOT_ESTIMATED)}"
             for name, estimate in pairs if estimate["note"]]
    return " ".join(lines) or None


def _group_sums(rows: pd.DataFrame, columns: dict) -> dict:
    """Per group: the number of rows as ``columns['n']`` and the sum of each other column."""
    out = {}
    for group in GROUPS:
        part = rows[rows["group"] == group]
        figures = {}
        for key, column in columns.items():
            figures[key] = int(len(part)) if column is None else int(part[column].sum())
        out[group] = figures
    return out


def exposure_time(per_dsl: pd.DataFrame) -> dict:
    """Contacts and referrals per day at risk: per group, and the two rate ratios.

    ``per_dsl``: group, school_urn, person_days, contacts_at_risk, referrals_at_risk; rows with
    fewer than one day at risk are left out here.
    """
    rows = per_dsl[per_dsl["person_days"] >= 1]
    left_out = per_dsl[per_dsl["person_days"] < 1]["group"].value_counts()
    contacts = group_rate_ratio(rows, "contacts_at_risk", "person_days", "school_urn", what="contacts")
    referrals = group_rate_ratio(rows, "referrals_at_risk", "person_days", "school_urn", what="referrals")
    sums = _group_sums(rows, {"dsls": None, "person_days": "person_days", "contacts": "contacts_at_risk",
                              "referrals": "referrals_at_risk"})
    return {
        **sums,
        "dsls_without_days_at_risk": {group: int(left_out.get(group, 0)) for group in GROUPS},
        "clusters": int(rows["school_urn"].nunique()),
        **_prefixed("contacts", contacts),
        **_prefixed("referrals", referrals),
        "model": CLUSTERED_MODEL,
        "safety_outcome": "referrals",
        "note": _notes((("Contacts", contacts), ("Referrals (the safety outcome)", referrals))),
    }


# -- the pre-period: difference in differences ------------------------------------------------


def pre_post(per_dsl: pd.DataFrame, pre: tuple, pre_days: int, post_days: int) -> dict:
    """Difference in differences of contacts per day, two rows per member DSL (the pre-period and
    the outcome window), clustered by school: exp(coefficient of treated:post).

    ``per_dsl``: group, school_urn, pre_contacts, contacts (in the outcome window).
    """
    sums = _group_sums(per_dsl, {"dsls": None, "pre_contacts": "pre_contacts", "post_contacts": "contacts"})
    out = {"pre": [day.isoformat() for day in pre], "pre_days": int(pre_days), "post_days": int(post_days), **sums,
           "clusters": int(per_dsl["school_urn"].nunique()), "did_rate_ratio": None, "did_ci95": [None, None],
           "did_p_value": None, "model": "Poisson GLM: contacts ~ treated + post + treated:post, log days offset, "
                                         "school-clustered standard errors", "note": None}
    sizes = {group: sums[group]["dsls"] for group in GROUPS}
    for window, key in (("pre-period", "pre_contacts"), ("outcome window", "post_contacts")):
        note = _gate(sizes, {group: sums[group][key] for group in GROUPS}, "DSLs", "contacts", f"in the {window}")
        if note:
            out["note"] = note
            return out
    treated = per_dsl["group"].eq(TREATMENT).to_numpy(float)
    n = len(per_dsl)
    post = np.repeat([0.0, 1.0], n)
    x = pd.DataFrame({"const": 1.0, "treated": np.tile(treated, 2), "post": post, "treated:post": np.tile(treated, 2) * post})
    counts = np.concatenate([per_dsl["pre_contacts"].to_numpy(float), per_dsl["contacts"].to_numpy(float)])
    days = np.repeat([float(pre_days), float(post_days)], n)
    schools = np.tile(per_dsl["school_urn"].to_numpy(), 2)
    rates = {(g, key): sums[g][key] / (d * sums[g]["dsls"]) for g in GROUPS
             for key, d in (("pre_contacts", pre_days), ("post_contacts", post_days))}
    c_pre, c_post = rates[COMPARISON, "pre_contacts"], rates[COMPARISON, "post_contacts"]
    t_pre, t_post = rates[TREATMENT, "pre_contacts"], rates[TREATMENT, "post_contacts"]
    start = np.log([c_pre, t_pre / c_pre, c_post / c_pre, (t_post / t_pre) / (c_post / c_pre)])
    estimate = rate_ratio(counts, x, "treated:post", days, schools, start=start)
    out.update({"did_rate_ratio": estimate["ratio"], "did_ci95": estimate["ci95"], "did_p_value": estimate["p_value"],
                "note": estimate["note"]})
    return out


# -- propensity weighting ---------------------------------------------------------------------


def _categories(values: pd.Series, prefix: str) -> pd.DataFrame:
    """One 0/1 column per level (a missing value is its own level), named ``prefix: level``."""
    levels = values.fillna(UNKNOWN).astype(str)
    dummies = pd.get_dummies(levels, dtype=float)
    dummies = dummies[sorted(dummies.columns)]
    dummies.columns = [f"{prefix}: {name}" for name in dummies.columns]
    return dummies.set_index(values.index)


def covariates(rows: pd.DataFrame) -> pd.DataFrame:
    """The school and role figures the propensity model and the balance table use."""
    role = rows["role"] if "role" in rows else pd.Series(None, index=rows.index, dtype=object)
    return pd.concat([pd.DataFrame({"pupils": rows["pupils"].astype(float),
                                    "fsm_percent": rows["fsm_percent"].astype(float)}, index=rows.index),
                      _categories(rows["phase"], "phase"), _categories(role, "role")], axis=1)


def _full_rank(x: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``x`` left to right, leaving out any that adds nothing (a constant column, a
    level that is the complement of the others): statsmodels' Newton steps need a full-rank design.
    Ranks are taken of the small cross-product matrix X'X (the same rank as X), scaled to unit
    diagonal so columns in pupils and in shares weigh alike."""
    values = x.to_numpy(float)
    cross = values.T @ values
    scale = np.sqrt(np.where(np.diag(cross) > 0, np.diag(cross), 1.0))
    cross = cross / np.outer(scale, scale)
    kept: list[int] = []
    for index in range(len(x.columns)):
        chosen = kept + [index]
        if np.diag(cross)[index] > 0 and np.linalg.matrix_rank(cross[np.ix_(chosen, chosen)], tol=1e-9) == len(chosen):
            kept.append(index)
    return x.iloc[:, kept]


def propensity_scores(rows: pd.DataFrame, values: pd.DataFrame) -> np.ndarray | None:
    """P(treatment | pupils, FSM %, phase, role) from statsmodels' Logit, or None if it cannot be fitted."""
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    # Phase and role as categories: one level of each is the reference (the constant carries it).
    phases = [c for c in values.columns if c.startswith("phase: ")]
    roles = [c for c in values.columns if c.startswith("role: ")]
    design = pd.concat([pd.Series(1.0, index=values.index, name="const"), values[["pupils", "fsm_percent"]],
                        values[phases[1:]], values[roles[1:]]], axis=1)
    design = _full_rank(design)
    treated = rows["group"].eq(TREATMENT).to_numpy(float)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("always")
        try:
            fitted = Logit(treated, design).fit(disp=0, maxiter=100)
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError):
            return None
    if any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
        return None
    scores = np.asarray(fitted.predict(design), float)
    return scores if np.isfinite(scores).all() else None


def weighted_balance(values: pd.DataFrame, treated: np.ndarray, weights: np.ndarray) -> list[dict]:
    """Each covariate's SMD before and after weighting: (treatment mean - comparison mean) over the
    square root of the mean of the two groups' unweighted sample variances."""
    t, c = treated.astype(bool), ~treated.astype(bool)
    rows = []
    for column in values.columns:
        v = values[column].to_numpy(float)
        spread = math.sqrt((np.var(v[t], ddof=1) + np.var(v[c], ddof=1)) / 2) if t.sum() > 1 and c.sum() > 1 else 0.0
        smd = weighted_smd = None
        if spread > 0:
            smd = (v[t].mean() - v[c].mean()) / spread
            weighted_smd = (np.average(v[t], weights=weights[t]) - np.average(v[c], weights=weights[c])) / spread
        rows.append({"variable": column, "smd": number(smd), "weighted_smd": number(weighted_smd)})
    return rows


def overlap(scores: np.ndarray, treated: np.ndarray) -> list[dict]:
    """How many DSLs of each group have a propensity score in each of ten equal bands spanning the
    scores seen (rounded out to hundredths): a histogram of each group's scores, whatever share of
    DSLs was trained. A band where one group has DSLs and the other none shows poor overlap."""
    low = math.floor(float(scores.min()) * 100) / 100
    high = max(math.ceil(float(scores.max()) * 100) / 100, low + 0.01)
    edges = np.linspace(low, high, SCORE_BANDS + 1)
    bands = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, SCORE_BANDS - 1)
    out = []
    for band in range(SCORE_BANDS):
        inside = bands == band
        out.append({"band": f"{edges[band]:.3f} to {edges[band + 1]:.3f}", "from": number(edges[band]),
                    "to": number(edges[band + 1]), "comparison": int((inside & ~treated).sum()),
                    "treatment": int((inside & treated).sum())})
    return out


def _weighted_rates(rows: pd.DataFrame, weights: np.ndarray, count: str) -> float | None:
    """(sum w*count / sum w*person_days) in treatment over the same in comparison."""
    rates = {}
    for group in GROUPS:
        chosen = (rows["group"] == group).to_numpy()
        days = float((weights[chosen] * rows["person_days"].to_numpy(float)[chosen]).sum())
        rates[group] = float((weights[chosen] * rows[count].to_numpy(float)[chosen]).sum()) / days if days else None
    if not rates[COMPARISON] or rates[TREATMENT] is None:
        return None
    return number(rates[TREATMENT] / rates[COMPARISON])


def _empty_weighted(note: str, balance=None, bands=None) -> dict:
    return {"method": "ATT odds weights from a logistic propensity model of treatment on pupils, FSM %, phase and "
                      "role", "balance": balance or [], "overlap": bands or [], "effective_comparison_dsls": None,
            "contacts_rate_ratio": None, "contacts_ci95": [None, None], "contacts_p_value": None,
            "referrals_rate_ratio": None, "referrals_ci95": [None, None], "referrals_p_value": None,
            "interval": "weighted " + CLUSTERED_MODEL + ", the weights taken as known", "note": note}


def weighted(per_dsl: pd.DataFrame) -> dict:
    """Propensity weighting (ATT odds weights) over the exposure-time rows, with weighted balance,
    the overlap of the scores, and weighted rate ratios of contacts and referrals per day at risk.

    The ratio is the contract's: weighted contacts over weighted person-days in treatment, over the
    same in comparison. Its interval comes from a Poisson GLM with the same weights (as statsmodels'
    var_weights; with treatment as its only regressor it gives exactly that ratio) and school-clustered
    sandwich standard errors, which take the weights as known.
    """
    rows = per_dsl[per_dsl["person_days"] >= 1].reset_index(drop=True)
    sizes = rows["group"].value_counts()
    if not sizes.get(TREATMENT) or not sizes.get(COMPARISON):
        return _empty_weighted(NOT_ESTIMATED + "a group has no DSLs with days at risk.")
    values = covariates(rows)
    treated = rows["group"].eq(TREATMENT).to_numpy()
    scores = propensity_scores(rows, values)
    if scores is None or (scores[~treated] >= 1).any():
        return _empty_weighted(NOT_ESTIMATED + "the propensity model could not be fitted: the trained and untrained "
                               "DSLs' schools do not overlap enough to weight one group like the other.")
    weights = np.where(treated, 1.0, scores / (1 - scores))
    comparison_weights = weights[~treated]
    out = _empty_weighted(None, weighted_balance(values, treated, weights), overlap(scores, treated))
    out["effective_comparison_dsls"] = number(comparison_weights.sum() ** 2 / (comparison_weights ** 2).sum()) \
        if comparison_weights.sum() > 0 else None
    estimates = []
    for prefix, count in (("contacts", "contacts_at_risk"), ("referrals", "referrals_at_risk")):
        estimate = group_rate_ratio(rows, count, "person_days", "school_urn", what=prefix, weights=weights)
        if estimate["ratio"] is not None:
            # The GLM's point estimate is this ratio; written out as the contract defines it.
            estimate["ratio"] = _weighted_rates(rows, weights, count)
        out.update(_prefixed(prefix, estimate))
        estimates.append((prefix.capitalize(), estimate))
    out["note"] = _notes(estimates)
    return out


# -- school level -----------------------------------------------------------------------------


def school_level(schools: pd.DataFrame) -> dict:
    """Schools with any trained DSL against schools with none: all of a school's MASH records in the
    outcome window (whoever called), per pupil, as a Poisson GLM with a log pupils offset and
    standard errors robust to overdispersion (each school its own cluster).

    ``schools``: school_urn, pupils, trained (bool), contacts, referrals.
    """
    rows = schools[schools["pupils"] > 0].assign(
        group=np.where(schools.loc[schools["pupils"] > 0, "trained"], TREATMENT, COMPARISON))
    estimates = {what: group_rate_ratio(rows, what, "pupils", "school_urn", who="schools with pupils on roll",
                                        what=what, where="in the outcome window")
                 for what in ("contacts", "referrals")}
    return {
        **_group_sums(rows, {"schools": None, "pupils": "pupils", "contacts": "contacts", "referrals": "referrals"}),
        "schools_without_pupils": int((schools["pupils"] <= 0).sum()),
        **_prefixed("contacts", estimates["contacts"]),
        **_prefixed("referrals", estimates["referrals"]),
        "model": "Poisson GLM of each school's records with a log pupils offset and robust (school-clustered) "
                 "standard errors",
        "note": _notes((("Contacts", estimates["contacts"]), ("Referrals", estimates["referrals"]))),
    }


# -- Early Help by group ----------------------------------------------------------------------


def early_help_groups(per_dsl: pd.DataFrame) -> dict:
    """Early Help consultations per day at risk by group (the secondary outcome), with the same
    model as the exposure-time figures."""
    rows = per_dsl[per_dsl["person_days"] >= 1]
    estimate = group_rate_ratio(rows, "consultations_at_risk", "person_days", "school_urn", what="consultations")
    return {**_group_sums(rows, {"dsls": None, "person_days": "person_days", "consultations": "consultations_at_risk"}),
            **_prefixed("consultations", estimate), "note": estimate["note"]}
