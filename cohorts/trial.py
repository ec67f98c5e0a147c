"""A randomised trial's report: intention to treat, per protocol, and the locked analysis plan it
follows. Pure: DataFrames and dicts in, dicts out; nothing here knows Flask or the database.

- **Intention to treat (ITT).** The cohort's groups are the arms its schools were allocated to:
  treatment is every DSL of an intervention school, whether or not they attended; comparison every
  DSL of a control school, whether or not they attended. Control DSLs who attended are *crossovers*:
  they stay in comparison and are counted as such. Everyone is at risk for the whole outcome window.
- **Per protocol (PP).** Those who did as allocated: intervention DSLs who attended (at risk from
  the day after their training, as in a cohort defined by attendance) against control DSLs who did
  not. Intervention DSLs who never attended and crossovers are left out. The same estimators
  (cohorts/estimators.py) give its figures; randomisation no longer protects it, so the report
  labels it as the secondary, less robust analysis.
- **The plan.** When a locked analysis plan analyses the allocation, the outcomes come in its order
  (primary first, then the secondary ones, each marked), estimated by its model, with its hash; any
  way the report cannot follow it is listed as a deviation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohorts import analysis, disclosure, estimators
from cohorts.estimators import COMPARISON, TREATMENT, number

# The columns of a trial cohort's per-DSL frame that the per-protocol analysis reads.
PROTOCOL_COUNTS = {"contacts_at_risk": "contacts_protocol_at_risk", "referrals_at_risk": "referrals_protocol_at_risk",
                   "consultations_at_risk": "consultations_protocol_at_risk", "person_days": "protocol_days_at_risk"}
PROTOCOL_KEYS = ("groups", "effect", "models", "exposure_time", "pre_post", "weighted", "balance", "early_help", "notes")
# The covariates the weighted (propensity) model adjusts for (estimators.covariates).
WEIGHTED_COVARIATES = ("pupils", "fsm_percent", "phase", "role")
DEFAULT_MODEL = "exposure-time"
DEFAULT_OUTCOMES = ("contacts", "referrals")  # without a plan: contacts, and referrals as the safety outcome
ITT_LABEL = "Intention to treat: DSLs in the arm their school was allocated to, whether or not they attended"
PP_LABEL = ("Per protocol: intervention DSLs who attended against control DSLs who did not. Not protected by "
            "randomisation: read it beside the intention-to-treat estimate, not instead of it")


def assign_groups(members: pd.DataFrame, comparison_arm: str) -> pd.DataFrame:
    """``members`` (arm, and reason and trained_on for those who attended) with the ITT group
    (``group_name``), the per-protocol group (``protocol_group``, None when left out) and a reason."""
    attended = members["reason"].notna()
    control = members["arm"].eq(comparison_arm)
    out = members.copy()
    out["group_name"] = np.where(control, COMPARISON, TREATMENT)
    allocated = "school allocated to " + out["arm"].astype(str)
    out["reason"] = np.where(attended, allocated + "; " + members["reason"].fillna(""),
                             allocated + "; did not attend")
    out["reason"] = out["reason"].where(~control, np.where(attended, "crossover: " + out["reason"], None))
    protocol = np.where(~control & attended, TREATMENT, np.where(control & ~attended, COMPARISON, None))
    out["protocol_group"] = pd.Series(protocol, index=out.index, dtype=object)
    return out


def membership(per_dsl: pd.DataFrame, arms: list[str], comparison_arm: str) -> dict:
    """Each arm's DSLs, how many attended and how many did not; the crossovers (control DSLs who
    attended, kept in comparison); and who the per-protocol analysis leaves out."""
    attended = per_dsl["trained_on"].notna()
    by_arm = []
    for arm in arms:
        in_arm = per_dsl["arm"].eq(arm)
        by_arm.append({"arm": arm, "group": COMPARISON if arm == comparison_arm else TREATMENT,
                       "dsls": int(in_arm.sum()), "attended": int((in_arm & attended).sum()),
                       "did_not_attend": int((in_arm & ~attended).sum()),
                       "schools": int(per_dsl.loc[in_arm, "school_urn"].nunique())})
    control = per_dsl["group"].eq(COMPARISON)
    return {"arms": by_arm, "crossovers": int((control & attended).sum()),
            "never_attended": int((~control & ~attended).sum()),
            "per_protocol_left_out": {"intervention_did_not_attend": int((~control & ~attended).sum()),
                                      "control_attended": int((control & attended).sum())}}


def protocol_rows(per_dsl: pd.DataFrame) -> pd.DataFrame:
    """The per-protocol analysis's per-DSL frame: those it keeps, in their per-protocol group, with
    their per-protocol days at risk and the counts on them."""
    rows = per_dsl[per_dsl["protocol_group"].notna()].copy()
    rows["group"] = rows["protocol_group"]
    for column, source in PROTOCOL_COUNTS.items():
        if source in rows:
            rows[column] = rows[source].fillna(0).astype("int64")
    return rows.reset_index(drop=True)


def per_protocol(per_dsl: pd.DataFrame, *, cohort: str, definition: dict) -> dict:
    """The per-protocol figures, with the same estimators and keys as the ITT report."""
    rows = protocol_rows(per_dsl)
    report = analysis.outcome_report(rows, cohort=cohort, definition=definition, linkage_counts={})
    rows_with_days = rows[rows["person_days"] >= 1]
    report["early_help"] = estimators.early_help_groups(rows_with_days) if "consultations_at_risk" in rows else None
    return {"label": PP_LABEL, **{key: report.get(key) for key in PROTOCOL_KEYS}}


# -- one outcome's estimate --------------------------------------------------------------------


def _ratio(ratio, ci95, p_value, note) -> dict:
    return {"ratio": number(ratio), "ci95": [number(ci95[0]), number(ci95[1])] if ci95 else [None, None],
            "p_value": number(p_value), "note": note}


def _from_block(block: dict | None, prefix: str, ratio_key: str | None = None) -> dict | None:
    if block is None:
        return None
    ratio_key = ratio_key or f"{prefix}_rate_ratio"
    ratio = block.get(ratio_key)
    # The block's note may be about its other figure: it is kept only when this one is missing.
    return _ratio(ratio, block.get(f"{prefix}_ci95"), block.get(f"{prefix}_p_value"),
                  block.get("note") if ratio is None else None)


def _with_contact(report: dict) -> dict:
    """The risk ratio of making at least one contact, turned to treatment over comparison (the
    report's own figure is comparison over treatment) so every row of the table reads one way."""
    effect = report.get("effect") or {}
    ratio, (low, high) = effect.get("risk_ratio_with_contact"), effect.get("risk_ratio_ci95") or (None, None)
    inverse = [1 / high if high else None, 1 / low if low else None]
    return _ratio(1 / ratio if ratio else None, inverse, effect.get("with_contact_p_value"),
                  None if ratio else "Not estimated: a group has no DSL with a contact.")


# Which block of a report estimates each outcome under each model; None: the model does not
# estimate that outcome, and the exposure-time estimate is given instead (a deviation).
SOURCES = {
    ("contacts", "exposure-time"): ("exposure_time", "contacts", None),
    ("contacts", "pre-post"): ("pre_post", "did", "did_rate_ratio"),
    ("contacts", "weighted"): ("weighted", "contacts", None),
    ("referrals", "exposure-time"): ("exposure_time", "referrals", None),
    ("referrals", "weighted"): ("weighted", "referrals", None),
    ("early_help_consultations", "exposure-time"): ("early_help", "consultations", None),
}
RISK_RATIO = "Risk ratio of making at least one contact in the outcome window (treatment over comparison)"


def estimate(report: dict, outcome: str, model: str) -> tuple[dict | None, str]:
    """The estimate of ``outcome`` under ``model`` from ``report`` (the ITT report or the
    per-protocol block), and the model that gave it."""
    if outcome == "dsls_with_contact":
        return _with_contact(report), "risk ratio"
    used = model if (outcome, model) in SOURCES else DEFAULT_MODEL
    block, prefix, ratio_key = SOURCES[(outcome, used)]
    return _from_block(report.get(block), prefix, ratio_key), used


# -- following the plan ------------------------------------------------------------------------


def _window_deviation(label: str, planned, used) -> str | None:
    planned, used = list(planned or []) or None, list(used or []) or None
    if planned == used:
        return None
    describe = (lambda w: f"{w[0]} to {w[1]}" if w else "none")
    return f"The {label} window is {describe(used)}; the plan's is {describe(planned)}."


def _covariate_deviation(plan: dict, labels: dict) -> str | None:
    chosen = list(plan["content"].get("covariates") or [])
    model = plan["content"]["model"]
    names = labels.get("covariates", {})
    say = (lambda keys: ", ".join(names.get(k, k) for k in keys))
    if model != "weighted":
        if not chosen:
            return None
        return (f"The plan names covariates ({say(chosen)}), but its {model} model adjusts for none; only the "
                f"weighted model adjusts (for {say(WEIGHTED_COVARIATES)}).")
    missing = [c for c in chosen if c not in WEIGHTED_COVARIATES]
    extra = [c for c in WEIGHTED_COVARIATES if c not in chosen]
    parts = []
    if missing:
        parts.append(f"the weighted model does not adjust for {say(missing)}, which the plan names")
    if extra:
        parts.append(f"it also adjusts for {say(extra)}, which the plan does not name")
    return ("Covariates: " + "; ".join(parts) + ".") if parts else None


def _size_deviations(plan: dict, sizes: dict, exact: bool) -> list[str]:
    out = []
    for key, label in (("min_dsls_per_arm", "DSLs"), ("min_schools_per_arm", "schools")):
        wanted = plan["content"].get(key)
        for arm in sizes["arms"]:
            if wanted and arm[label.lower()] < wanted:
                has = f"{arm[label.lower()]:,} {label}" if exact else f"fewer {label}"
                out.append(f"The {arm['arm']} arm has {has}; the plan asks for at least {wanted:,} in each arm.")
    return out


def deviations(plan: dict, definition: dict, sizes: dict, outcomes: list[dict], labels: dict,
               exact: bool = True) -> list[str]:
    """Every way this report differs from the locked plan, in plain English (without the arms'
    sizes when not ``exact``: a suppressed report does not give them away)."""
    content = plan["content"]
    out = [d for d in (_window_deviation("outcome", content.get("outcome_window"), definition.get("outcome")),
                       _window_deviation("pre", content.get("pre_window"), definition.get("pre")),
                       _covariate_deviation(plan, labels)) if d]
    for row in outcomes:
        if row["model"] != content["model"] and row["model"] != "risk ratio":
            out.append(f"{row['label']}: the plan's {content['model']} model does not estimate it, so the "
                       f"{row['model']} estimate is given.")
    if content["model"] == "pre-post" and not definition.get("pre"):
        out.append("The plan's model is pre-post, but the cohort has no pre window: its estimate cannot be made.")
    out.extend(_size_deviations(plan, sizes, exact))
    if plan.get("mash_records_at_lock"):
        out.append(f"The plan was locked when {plan['mash_records_at_lock']:,} MASH records in its outcome window "
                   "already existed: it was not made before outcome data existed.")
    return out


def outcomes(itt: dict, pp: dict, plan: dict | None, labels: dict) -> list[dict]:
    """One row per outcome, the primary first: its role, the model used, and the ITT and
    per-protocol estimates (treatment over comparison)."""
    if plan is None:
        wanted = [(name, "not pre-specified") for name in DEFAULT_OUTCOMES]
        model = DEFAULT_MODEL
    else:
        content = plan["content"]
        wanted = [(content["primary_outcome"], "primary")] + [(name, "secondary")
                                                               for name in content.get("secondary_outcomes") or []]
        model = content["model"]
    rows = []
    for name, role in wanted:
        itt_estimate, used = estimate(itt, name, model)
        pp_estimate, _ = estimate(pp, name, model)
        rows.append({"outcome": name, "label": labels.get("outcomes", {}).get(name, name), "role": role,
                     "model": used, "estimator": RISK_RATIO if used == "risk ratio" else None,
                     "intention_to_treat": itt_estimate, "per_protocol": pp_estimate})
    return rows


def plan_summary(plan: dict | None, definition: dict, sizes: dict, rows: list[dict], labels: dict,
                 exact: bool = True) -> dict | None:
    if plan is None:
        return None
    content = plan["content"]
    return {"name": plan["name"], "version": plan["version"], "sha256": plan["sha256"],
            "locked_at": plan["locked_at"], "mash_records_at_lock": plan["mash_records_at_lock"],
            "primary_outcome": content["primary_outcome"],
            "secondary_outcomes": list(content.get("secondary_outcomes") or []), "model": content["model"],
            "covariates": list(content.get("covariates") or []),
            "deviations": deviations(plan, definition, sizes, rows, labels, exact)}


def _suppressed_membership(sizes: dict) -> dict:
    out = {**sizes, "arms": [dict(arm) for arm in sizes["arms"]],
           "per_protocol_left_out": dict(sizes["per_protocol_left_out"])}
    for arm in out["arms"]:
        _publish_counts(arm, ("dsls", "attended", "did_not_attend", "schools"))
    _publish_counts(out, ("crossovers", "never_attended"))
    _publish_counts(out["per_protocol_left_out"], ("intervention_did_not_attend", "control_attended"))
    return out


def _publish_counts(figures: dict, keys) -> None:
    for key in keys:
        figures[key] = disclosure.publish_count(figures[key])


def _suppressed_protocol(pp: dict) -> dict:
    """The per-protocol block with its counts suppressed as the ITT report's are."""
    shaped = {key: value for key, value in pp.items() if key != "early_help"}
    out = disclosure.published({**shaped, "linkage": {}})
    early_help = dict(pp["early_help"]) if pp.get("early_help") else None
    for group in (COMPARISON, TREATMENT) if early_help else ():
        early_help[group] = dict(early_help[group])
        _publish_counts(early_help[group], ("dsls", "person_days", "consultations"))
    if early_help and "consultations_rate_ratio" in early_help:
        disclosure.rate_block(early_help, "consultations", "consultations", "person_days")
    out["early_help"] = early_help
    del out["linkage"], out["suppressed"], out["suppression"]
    return out


def trial_report(per_dsl: pd.DataFrame, itt: dict, *, allocation: dict, plan: dict | None, labels: dict,
                 suppress: bool = False) -> dict:
    """The ``trial`` block of a trial cohort's report. ``per_dsl``: the ITT frame with arm,
    trained_on, protocol_group and the per-protocol counts; ``itt``: the report's figures so far;
    ``allocation``: name, arms, comparison_arm, seed; ``plan``: the locked plan or None.
    ``suppress``: counts suppressed for publication, as analysis.suppressed does the rest."""
    sizes = membership(per_dsl, allocation["arms"], allocation["comparison_arm"])
    pp = per_protocol(per_dsl, cohort=itt["cohort"], definition=itt["definition"])
    rows = outcomes(itt, pp, plan, labels)
    summary = plan_summary(plan, itt["definition"], sizes, rows, labels, exact=not suppress)
    if suppress:
        sizes, pp = _suppressed_membership(sizes), _suppressed_protocol(pp)
    return {
        "allocation": allocation,
        "analysis": ITT_LABEL,
        "membership": sizes,
        "plan": summary,
        "plan_note": None if plan else ("No locked analysis plan analyses this allocation: these estimates were not "
                                        "pre-specified."),
        "outcomes": rows,
        "per_protocol": pp,
    }
