"""The outcome report as one long ("tidy") table: a row per figure, for analysts. Pure.

Columns, in order: ``section``, ``measure``, ``group``, ``value``, ``low``, ``high``, ``unit``.
``group`` is "comparison", "treatment" or empty for a figure about both; ``low`` and ``high`` are
the 95% interval where the figure has one. ``value`` is a number, ``"c"`` where the figure is
suppressed for publication, or empty where it is not defined. The CSV export is this table and the
XLSX export's "Figures" sheet holds it too, so pandas reads either in one call.

Every row also has a *cell*, (section, key, group): the name of the figure in the JSON report.
:func:`cell_of` turns a row's section, measure and group back into it, so a table read from any
format can be checked (cohorts/attack.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from cohorts.estimators import GROUPS
from core.timefmt import month_name

COLUMNS = ("section", "measure", "group", "value", "low", "high", "unit")


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    interval: str | None = None  # the key of its 95% interval in the report, if any


def _m(key, label, unit, interval=None) -> Measure:
    return Measure(key, label, unit, interval)


GROUP_MEASURES = (
    _m("n", "DSLs", "DSLs"),
    _m("dsls_with_contact", "DSLs who made at least one non-urgent contact", "DSLs"),
    _m("pct_with_contact", "Made at least one non-urgent contact", "% of DSLs"),
    _m("pct_without_contact", "Made no non-urgent contact", "% of DSLs"),
    _m("calls", "Non-urgent contacts and urgent referrals", "records"),
    _m("contacts", "Non-urgent contacts", "contacts"),
    _m("referrals", "Urgent referrals", "referrals"),
    _m("mean_contacts", "Non-urgent contacts per DSL", "per DSL"),
    _m("mean_referrals", "Urgent referrals per DSL", "per DSL"),
    _m("contact_referral_ratio", "Non-urgent contacts for each urgent referral", "ratio"),
    _m("pct_calls_contacts", "Share of the records that were non-urgent contacts", "%"),
    _m("pct_calls_referrals", "Share of the records that were urgent referrals", "%"),
)
EFFECT_MEASURES = (
    _m("mean_difference", "Difference in non-urgent contacts per DSL (comparison minus treatment)", "per DSL", "ci95"),
    _m("pct_decrease", "Decrease in non-urgent contacts per DSL", "%"),
    _m("t", "Welch's t", "t"),
    _m("df", "Welch's degrees of freedom", "df"),
    _m("p_value", "Welch's p-value (two-sided)", "p"),
    _m("risk_ratio_with_contact", "Risk ratio of making at least one non-urgent contact (comparison over treatment)",
       "ratio", "risk_ratio_ci95"),
    _m("with_contact_p_value", "p-value of the difference in making at least one non-urgent contact", "p"),
    _m("hedges_g", "Hedges' g (comparison minus treatment)", "g", "hedges_g_ci95"),
)
PER_THOUSAND = "per 1,000 days at risk"
EXPOSURE_GROUP = (
    _m("dsls", "DSLs with at least one day at risk", "DSLs"),
    _m("person_days", "Days at risk", "days"),
    _m("contacts", "Non-urgent contacts on days at risk", "contacts"),
    _m("contacts_per_1000", "Non-urgent contacts per 1,000 days at risk", PER_THOUSAND),
    _m("referrals", "Urgent referrals on days at risk", "referrals"),
    _m("referrals_per_1000", "Urgent referrals per 1,000 days at risk", PER_THOUSAND),
)


def _ratio_rows(what: str, per: str) -> tuple[Measure, ...]:
    names = {"contacts": "non-urgent contacts", "referrals": "urgent referrals", "consultations": "consultations",
             "did": "non-urgent contacts, before and after (difference in differences)"}
    return (_m(f"{what}_rate_ratio", f"Rate ratio of {names[what]}{per} (treatment over comparison)", "ratio",
               f"{what}_ci95"),
            _m(f"{what}_p_value", f"p-value of the rate ratio of {names[what]}{per}", "p"))


EXPOSURE_BOTH = (_m("clusters", "Schools (clusters)", "schools"), *_ratio_rows("contacts", " per day at risk"),
                 *_ratio_rows("referrals", " per day at risk"))
PRE_POST_GROUP = (_m("dsls", "DSLs", "DSLs"), _m("pre_contacts", "Non-urgent contacts in the pre-period", "contacts"),
                  _m("post_contacts", "Non-urgent contacts in the outcome window", "contacts"))
PRE_POST_BOTH = (_m("pre_days", "Days in the pre-period", "days"), _m("post_days", "Days in the outcome window", "days"),
                 _m("clusters", "Schools (clusters)", "schools"), *_ratio_rows("did", ""))
SCHOOL_GROUP = (_m("schools", "Schools", "schools"), _m("pupils", "Pupils on roll", "pupils"),
                _m("contacts", "Non-urgent contacts naming the school", "contacts"),
                _m("contacts_per_1000", "Non-urgent contacts per 1,000 pupils", "per 1,000 pupils"),
                _m("referrals", "Urgent referrals naming the school", "referrals"),
                _m("referrals_per_1000", "Urgent referrals per 1,000 pupils", "per 1,000 pupils"))
SCHOOL_BOTH = (_m("schools_without_pupils", "Schools with no pupils on roll (left out)", "schools"),
               *_ratio_rows("contacts", " per pupil"), *_ratio_rows("referrals", " per pupil"))
WEIGHTED_BOTH = (_m("effective_comparison_dsls", "Effective number of comparison DSLs after weighting", "DSLs"),
                 *_ratio_rows("contacts", " per day at risk, weighted"),
                 *_ratio_rows("referrals", " per day at risk, weighted"))
EARLY_HELP_GROUP = (_m("dsls", "DSLs with at least one day at risk", "DSLs"), _m("person_days", "Days at risk", "days"),
                    _m("consultations", "Early Help consultations on days at risk", "consultations"),
                    _m("consultations_per_1000", "Early Help consultations per 1,000 days at risk", PER_THOUSAND))
EARLY_HELP_BOTH = (_m("total", "Early Help consultations in the outcome window", "consultations"),
                   *_ratio_rows("consultations", " per day at risk"))
LINKAGE = (_m("records_in_window", "MASH records in the outcome window", "records"),
           _m("linked", "Linked to a DSL", "records"), _m("unlinked", "Linked to no DSL (in no group)", "records"),
           _m("linked_outside_cohort", "Linked to a DSL outside the cohort", "records"),
           _m("stale_links", "Linked otherwise than the register now says", "records"))
MODEL_NAMES = {"unadjusted": "unadjusted", "adjusted": "adjusted for pupils, FSM % and phase"}
PROJECTION = (
    _m("annual_calls", "Non-urgent calls from schools a year (the base)", "calls"),
    _m("annual_cost", "Cost of those calls a year", "£"),
    _m("unit_cost", "Cost of one call", "£"),
    _m("optimism_bias_pct", "Optimism bias taken off", "%"),
    _m("pct_decrease_exposure_time", "Decrease in non-urgent contacts per day at risk", "%", "pct_decrease_ci95"),
    _m("calls_avoided_exposure_time", "Calls avoided a year", "calls", "calls_avoided_ci95"),
    _m("saving_exposure_time", "Saving a year (a negative saving is a cost increase)", "£", "saving_ci95"),
    _m("calls_avoided", "Calls avoided a year, worked out as the first evaluation did", "calls"),
    _m("saving", "Saving a year, worked out as the first evaluation did", "£"),
)
WITHHELD = "Projection withheld: "

INFOLINE_GROUP = (_m("dsls", "DSLs with at least one day at risk", "DSLs"), _m("person_days", "Days at risk", "days"),
                  _m("calls", "DSL Infoline calls on the days at risk", "calls"),
                  _m("mean_calls", "DSL Infoline calls per DSL", "per DSL"))
INFOLINE_BOTH = (_m("clusters", "Schools (clusters)", "schools"),
                 _m("rate_ratio", "Rate ratio of DSL Infoline calls per day at risk, trained over untrained", "ratio",
                    "ci95"),
                 _m("p_value", "p-value of the rate ratio of DSL Infoline calls", "p"))

# Sections whose measures are fixed, as (per group, about both).
FIXED = {
    "groups": (GROUP_MEASURES, ()), "effect": ((), EFFECT_MEASURES), "exposure_time": (EXPOSURE_GROUP, EXPOSURE_BOTH),
    "pre_post": (PRE_POST_GROUP, PRE_POST_BOTH), "school_level": (SCHOOL_GROUP, SCHOOL_BOTH),
    "weighted": ((), WEIGHTED_BOTH), "early_help": (EARLY_HELP_GROUP, EARLY_HELP_BOTH), "linkage": ((), LINKAGE),
    "projection": ((), PROJECTION), "infoline": (INFOLINE_GROUP, INFOLINE_BOTH),
}
LEFT_OUT = _m("dsls_without_days_at_risk", "DSLs with no day at risk (left out)", "DSLs")


def variable_name(variable: str) -> str:
    """A covariate as people read it: "Pupils on roll", "Phase: Primary (share of DSLs)"."""
    labels = {"pupils": "Pupils on roll", "fsm_percent": "Free school meals (%)"}
    if variable in labels:
        return labels[variable]
    kind, _, level = variable.partition(": ")
    return f"{kind.capitalize()}: {level} (share of DSLs)"


# -- building ---------------------------------------------------------------------------------


def _value(value):
    return None if value is None else value


def _row(section: str, cell_key: str, label: str, group: str, value, unit: str, interval=None) -> dict:
    low, high = interval if interval else (None, None)
    return {"section": section, "measure": label, "group": group, "value": _value(value), "low": low, "high": high,
            "unit": unit, "cell": (section, cell_key, group)}


def _per_thousand(figures: dict, top: str, bottom: str):
    a, b = figures.get(top), figures.get(bottom)
    if "c" in (a, b):
        return "c"
    return 1000 * a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def _group_value(figures: dict, key: str):
    if key.endswith("_per_1000"):
        top = key.removesuffix("_per_1000")
        return _per_thousand(figures, top, "pupils" if "pupils" in figures else "person_days")
    return figures.get(key)


def _fixed(section: str, block: dict) -> list[dict]:
    per_group, both = FIXED[section]
    rows = []
    for g in GROUPS if per_group and isinstance(block.get(GROUPS[0]), dict) else ():
        rows += [_row(section, m.key, m.label, g, _group_value(block[g], m.key), m.unit) for m in per_group]
    rows += [_row(section, m.key, m.label, "", block.get(m.key), m.unit, block.get(m.interval) if m.interval else None)
             for m in both if m.key in block]
    return rows


def _balance(rows_in: list[dict]) -> list[dict]:
    rows = []
    for row in rows_in:
        name, variable = variable_name(row["variable"]), row["variable"]
        for g in GROUPS:
            rows.append(_row("balance", f"mean:{variable}", f"{name}: mean", g, row[f"{g}_mean"], "mean"))
            rows.append(_row("balance", f"sd:{variable}", f"{name}: standard deviation", g, row[f"{g}_sd"], "SD"))
        rows.append(_row("balance", f"smd:{variable}", f"{name}: standardised mean difference", "", row["smd"], "SMD"))
    return rows


def _weighted(block: dict) -> list[dict]:
    rows = []
    for row in block["balance"]:
        name = variable_name(row["variable"])
        rows.append(_row("weighted", f"smd:{row['variable']}", f"{name}: standardised mean difference before weighting",
                         "", row["smd"], "SMD"))
        rows.append(_row("weighted", f"weighted_smd:{row['variable']}",
                         f"{name}: standardised mean difference after weighting", "", row["weighted_smd"], "SMD"))
    for band in block["overlap"]:
        rows += [_row("weighted", f"band:{band['band']}", f"DSLs with a propensity score from {band['band']}", g,
                      band[g], "DSLs") for g in GROUPS]
    return rows + _fixed("weighted", block)


def _models(models: dict) -> list[dict]:
    rows = []
    for name, model in models.items():
        what = MODEL_NAMES.get(name, name)
        rows += [_row("models", f"{name}:rate_ratio", f"Rate ratio of non-urgent contacts per DSL, {what}", "",
                      model["rate_ratio"], "ratio", model["ci95"]),
                 _row("models", f"{name}:p_value", f"p-value of the rate ratio of non-urgent contacts per DSL, {what}",
                      "", model["p_value"], "p"),
                 _row("models", f"{name}:n", f"DSLs in the model, {what}", "", model["n"], "DSLs")]
    return rows


def _early_help(eh: dict) -> list[dict]:
    rows = []
    for m in eh["per_month"]:
        label = f"Early Help consultations in {month_name(m['month'])}"
        if m.get("partial"):
            label += f" (part month: {m['days']} days in the outcome window)"
        rows.append(_row("early_help", f"month:{m['month']}", label, "", m["consultations"], "consultations"))
    if eh.get("first_whole_month"):
        first, last = eh["first_whole_month"], eh["last_whole_month"]
        rows.append(_row("early_help", f"pct_change:{first}:{last}",
                         f"Change in Early Help consultations from {month_name(first)} to {month_name(last)}", "",
                         eh["pct_change_first_to_last_month"], "%"))
    return rows + _fixed("early_help", eh)


def _projection(p: dict) -> list[dict]:
    rows = _fixed("projection", p)
    if p.get("withheld"):
        rows.insert(0, _row("projection", "withheld", WITHHELD + p["withheld"], "", None, ""))
    return rows


def _trial(block: dict) -> list[dict]:
    """A trial's outcomes, by intention to treat and per protocol, and who is in each arm."""
    rows = []
    for outcome in block.get("outcomes") or []:
        for analysis_key, analysis_name in (("intention_to_treat", "intention to treat"),
                                            ("per_protocol", "per protocol")):
            estimate = outcome.get(analysis_key) or {}
            label = f"{outcome['label']} ({outcome['role']}): ratio, {analysis_name}"
            rows.append(_row("trial", f"{outcome['outcome']}:{analysis_key}", label, "", estimate.get("ratio"),
                             "ratio", estimate.get("ci95")))
    for arm in (block.get("membership") or {}).get("arms", []):
        for key, words in (("schools", "Schools"), ("dsls", "DSLs"), ("attended", "DSLs who attended"),
                           ("did_not_attend", "DSLs who did not attend")):
            unit = "schools" if key == "schools" else "DSLs"
            rows.append(_row("trial", f"arm:{arm['arm']}:{key}", f"{words} in the {arm['arm']} arm", arm["group"],
                             arm.get(key), unit))
    return rows


def long_rows(figures: dict) -> list[dict]:
    """Every figure of the report as a row (with its cell), in the order the report shows them; a
    trial's own figures first."""
    rows = _trial(figures["trial"]) if figures.get("trial") else []
    rows += _fixed("groups", figures["groups"]) + _fixed("effect", figures["effect"])
    for section in ("exposure_time", "pre_post", "school_level"):
        if figures.get(section):
            rows += _fixed(section, figures[section])
    block = figures.get("exposure_time")
    if block and block.get("dsls_without_days_at_risk"):
        rows += [_row("exposure_time", LEFT_OUT.key, LEFT_OUT.label, g, block[LEFT_OUT.key][g], LEFT_OUT.unit)
                 for g in GROUPS]
    if figures.get("weighted"):
        rows += _weighted(figures["weighted"])
    rows += _models(figures["models"]) + _balance(figures["balance"])
    if figures.get("early_help"):
        rows += _early_help(figures["early_help"])
    rows += _fixed("linkage", figures["linkage"])
    if figures.get("projection"):
        rows += _projection(figures["projection"])
    for section in figures.get("sections") or []:
        if figures.get(section) and section in FIXED:
            rows += _fixed(section, figures[section])
    return rows


def long_table(figures: dict) -> pd.DataFrame:
    """The report as the long table (see the module's docstring)."""
    return pd.DataFrame([{k: row[k] for k in COLUMNS} for row in long_rows(figures)], columns=list(COLUMNS),
                        dtype=object)


# -- reading back -----------------------------------------------------------------------------


def _static_index() -> dict[tuple[str, str], str]:
    index = {}
    for section, (per_group, both) in FIXED.items():
        for m in (*per_group, *both):
            index[(section, m.label)] = m.key
    index[("exposure_time", LEFT_OUT.label)] = LEFT_OUT.key
    for name, what in MODEL_NAMES.items():
        index[("models", f"Rate ratio of non-urgent contacts per DSL, {what}")] = f"{name}:rate_ratio"
        index[("models", f"p-value of the rate ratio of non-urgent contacts per DSL, {what}")] = f"{name}:p_value"
        index[("models", f"DSLs in the model, {what}")] = f"{name}:n"
    return index


STATIC = _static_index()
MONTH = re.compile(r"Early Help consultations in (\w+ \d{4})")
CHANGE = re.compile(r"Change in Early Help consultations from (\w+ \d{4}) to (\w+ \d{4})")
BAND = re.compile(r"DSLs with a propensity score from (.+)")


def _month_key(text: str) -> str:
    return pd.Timestamp(pd.to_datetime(text, format="%B %Y")).strftime("%Y-%m")


def _dynamic_key(section: str, measure: str) -> str | None:
    if section == "early_help" and (found := CHANGE.fullmatch(measure)):
        return f"pct_change:{_month_key(found[1])}:{_month_key(found[2])}"
    if section == "early_help" and (found := MONTH.match(measure)):
        return f"month:{_month_key(found[1])}"
    if section == "weighted" and (found := BAND.fullmatch(measure)):
        return f"band:{found[1]}"
    if section == "projection" and measure.startswith(WITHHELD):
        return "withheld"
    return None


def cell_of(section: str, measure: str, group) -> tuple[str, str, str] | None:
    """The cell a long-table row stands for, or None for a row not read back (the balance rows and the
    weighted SMDs: no count can be worked out from them)."""
    group = group if isinstance(group, str) else ""
    key = STATIC.get((section, measure)) or _dynamic_key(section, measure)
    return (section, key, group) if key else None
