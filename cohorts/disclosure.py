"""Disclosure control for a published outcome report. Pure: a report dict in, a report dict out.

The rule (docs/formats.md, "Suppression"): a count from 1 to 4 is shown as ``"c"`` and every other
count is rounded to the nearest 5. Every figure worked out from counts (a percentage, a mean, a
ratio, a difference, a test statistic, a projection) is worked out again from the published counts,
or shown as ``"c"`` when one of its counts is, so that no figure carries what the rounding hid.
Where a suppressed count could be worked out from a total and the other counts, a second count is
suppressed too. Balance figures (means and shares over DSLs) are shown coarsely.

A count is addressed by a *cell*: (section, key, group), group being "comparison", "treatment" or
"" for a figure about both. The same cells name the rows of the long table (cohorts/tidy.py), so the
attack in :mod:`cohorts.attack` reads any format back into them.
"""

from __future__ import annotations

import copy
import math

from scipy import stats

from cohorts import analysis
from cohorts.estimators import COMPARISON, GROUPS, TREATMENT, number

C = "c"  # how a suppressed figure is shown in every format
ROUND_TO = 5
SMALL = range(1, 5)
NOT_WITH_SUPPRESSION = "Not published when small numbers are suppressed: it needs the unrounded counts."

Cell = tuple[str, str, str]


def publish_count(value):
    """A count as published: "c" for 1 to 4, otherwise the nearest multiple of 5 (None stays None)."""
    if value is None or value == C:
        return value
    value = int(value)
    if value in SMALL:
        return C
    return (value + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def possible(published, widest: int = 4) -> range:
    """The true counts a published count can stand for: 1 to ``widest`` for "c" (4 unless a second
    suppression may have hidden a larger count), 0 for 0, 5 to 7 for 5 (3 and 4 would be "c"), and
    otherwise the published count give or take 2."""
    if published == C:
        return range(1, max(widest, 4) + 1)
    published = int(published)
    if published == 0:
        return range(0, 1)
    if published == ROUND_TO:
        return range(ROUND_TO, ROUND_TO + 3)
    return range(published - 2, published + 3)


# -- where the counts are ---------------------------------------------------------------------

GROUP_COUNTS = ("n", "dsls_with_contact", "calls", "contacts", "referrals")
BLOCK_GROUP_COUNTS = {
    "exposure_time": ("dsls", "person_days", "contacts", "referrals"),
    "pre_post": ("dsls", "pre_contacts", "post_contacts"),
    "school_level": ("schools", "pupils", "contacts", "referrals"),
    "early_help": ("dsls", "person_days", "consultations"),
}
BLOCK_COUNTS = {"exposure_time": ("clusters",), "pre_post": ("clusters",),
                "school_level": ("schools_without_pupils",), "early_help": ("total",)}


def _block_cells(figures: dict, out: dict) -> None:
    for section, keys in BLOCK_GROUP_COUNTS.items():
        block = figures.get(section) or {}
        for group in GROUPS if group_in(block) else ():
            out.update({(section, key, group): (section, group, key) for key in keys})
        out.update({(section, key, ""): (section, key) for key in BLOCK_COUNTS[section] if key in block})
    left_out = (figures.get("exposure_time") or {}).get("dsls_without_days_at_risk")
    if left_out:
        out.update({("exposure_time", "dsls_without_days_at_risk", g): ("exposure_time", "dsls_without_days_at_risk", g)
                    for g in GROUPS})


def group_in(block: dict) -> bool:
    return all(isinstance(block.get(group), dict) for group in GROUPS)


def count_cells(figures: dict) -> dict[Cell, tuple]:
    """Every count of the report: its cell and its path in the report dict."""
    out = {("groups", key, g): ("groups", g, key) for g in GROUPS for key in GROUP_COUNTS}
    out.update({("linkage", key, ""): ("linkage", key) for key in figures["linkage"]})
    _block_cells(figures, out)
    for index, band in enumerate((figures.get("weighted") or {}).get("overlap", [])):
        out.update({("weighted", f"band:{band['band']}", g): ("weighted", "overlap", index, g) for g in GROUPS})
    if (figures.get("weighted") or {}).get("effective_comparison_dsls") is not None:
        out[("weighted", "effective_comparison_dsls", "")] = ("weighted", "effective_comparison_dsls")
    for index, month in enumerate((figures.get("early_help") or {}).get("per_month", [])):
        out[("early_help", f"month:{month['month']}", "")] = ("early_help", "per_month", index, "consultations")
    for name in figures.get("models", {}):
        out[("models", f"{name}:n", "")] = ("models", name, "n")
    return out


def relations(cells) -> list[tuple[Cell, tuple[Cell, ...]]]:
    """The sums that hold between counts of one report: (total, parts). Only those whose cells are
    all present."""
    have = set(cells)
    out = []

    def add(total, parts):
        if parts and total in have and all(part in have for part in parts):
            out.append((total, tuple(parts)))

    for g in GROUPS:
        add(("groups", "calls", g), [("groups", "contacts", g), ("groups", "referrals", g)])
        add(("groups", "n", g), [("exposure_time", "dsls", g), ("exposure_time", "dsls_without_days_at_risk", g)])
        add(("groups", "n", g), [("pre_post", "dsls", g)])
        add(("groups", "contacts", g), [("pre_post", "post_contacts", g)])
        add(("exposure_time", "dsls", g), [("early_help", "dsls", g)])
        add(("exposure_time", "person_days", g), [("early_help", "person_days", g)])
        add(("exposure_time", "dsls", g), sorted(c for c in have if c[0] == "weighted" and c[1].startswith("band:")
                                                 and c[2] == g))
    add(("linkage", "records_in_window", ""), [("linkage", "linked", ""), ("linkage", "unlinked", "")])
    add(("linkage", "linked", ""), [("groups", "calls", COMPARISON), ("groups", "calls", TREATMENT),
                                    ("linkage", "linked_outside_cohort", "")])
    for cell in have:
        if cell[0] == "models" and cell[1].endswith(":n"):
            add(cell, [("groups", "n", g) for g in GROUPS])
    add(("early_help", "total", ""), sorted(c for c in have if c[0] == "early_help" and c[1].startswith("month:")))
    return out


# -- second suppression -----------------------------------------------------------------------


def widest(values: dict, rules) -> dict:
    """How large a count each "c" may hide. A second suppression hides a count of any size, and
    nothing published says which "c" is which, so a "c" is bounded only by the sums it is in: a part
    by its total's largest possible value, a total by its parts' (carried along chains of sums). A
    "c" no sum bounds is taken as at most the largest count published (and never less than 4)."""
    infinite = float("inf")
    high = {cell: (infinite if value == C else possible(value).stop - 1) for cell, value in values.items()}
    for _ in range(len(rules) + 1):
        changed = False
        for total, parts in rules:
            bound = sum(high[p] for p in parts)
            if bound < high[total]:
                high[total], changed = bound, True
            for part in parts:
                if high[total] < high[part]:
                    high[part], changed = high[total], True
        if not changed:
            break
    fallback = max([4] + [v + 2 for v in values.values() if isinstance(v, int)])
    return {cell: max(4, int(min(bound, fallback))) for cell, bound in high.items()}


MAX_SECOND = 50  # second suppressions in one report at most (each makes another "c")


def _neighbours(cell: Cell, rules) -> set[Cell]:
    return {c for total, parts in rules if cell in (total, *parts) for c in (total, *parts)} - {cell}


def _second_choice(exposed: Cell, values: dict, true: dict, rules) -> Cell | None:
    """The count to suppress so that ``exposed`` is no longer given away: the count itself when it is
    only rounded, else the smallest count (never a zero) in a sum with it, else in a sum with those,
    and so on outwards."""
    seen, layer = {exposed}, [exposed]
    while layer:
        open_ = [c for c in layer if values[c] not in (C, 0)]
        if open_:
            return min(open_, key=lambda c: (true[c], c))
        layer = sorted({n for c in layer for n in _neighbours(c, rules)} - seen)
        seen.update(layer)
    return None


def second_suppression(values: dict, true: dict) -> set[Cell]:
    """Suppress, in ``values``, more counts wherever the sums between counts would give one away (leave
    it one possible value: cohorts.attack searches them all). Returns the cells suppressed this way."""
    from cohorts.attack import exposed_by_sums  # the attack searches what the sums give away

    rules = relations(values)
    added = set()
    for _ in range(MAX_SECOND):
        exposed = exposed_by_sums(values, rules)
        chosen = _second_choice(exposed[0], values, true, rules) if exposed else None
        if chosen is None:
            break
        values[chosen] = C
        added.add(chosen)
    return added


# -- figures from published counts ------------------------------------------------------------


def _any_c(*values) -> bool:
    return any(v == C for v in values)


def div(top, bottom, scale: float = 1.0):
    """scale x top / bottom, "c" when either is, None over zero."""
    if _any_c(top, bottom):
        return C
    if top is None or not bottom:
        return None
    return number(scale * top / bottom)


def _get(tree, path):
    for step in path:
        tree = tree[step]
    return tree


def _set(tree, path, value) -> None:
    for step in path[:-1]:
        tree = tree[step]
    tree[path[-1]] = value


def _groups(out: dict) -> None:
    for g in GROUPS:
        f = out["groups"][g]
        n, with_contact, calls = f["n"], f["dsls_with_contact"], f["calls"]
        without = C if _any_c(n, with_contact) else n - with_contact
        f.update({"pct_with_contact": div(with_contact, n, 100), "pct_without_contact": div(without, n, 100),
                  "mean_contacts": div(f["contacts"], n), "mean_referrals": div(f["referrals"], n),
                  "contact_referral_ratio": div(f["contacts"], f["referrals"]),
                  "pct_calls_contacts": div(f["contacts"], calls, 100), "pct_calls_referrals": div(f["referrals"], calls, 100)})


def ratio_of_rates(events_t, exposure_t, events_c, exposure_c):
    """(events_t / exposure_t) over (events_c / exposure_c), from published figures."""
    if _any_c(events_t, exposure_t, events_c, exposure_c):
        return C
    if not exposure_t or not exposure_c or not events_c:
        return None
    return number((events_t / exposure_t) / (events_c / exposure_c))


def recentred(ratio, ci, published_ratio) -> tuple:
    """A published ratio with the model's 95% interval moved to it: the interval keeps its width on the
    log scale (the model's standard error, which rests on the spread between schools), and is centred on
    the ratio of the published counts, so that its middle gives back nothing the rounding hid. The
    p-value follows from the same standard error."""
    if published_ratio == C:
        return C, [C, C], C
    if ratio is None or published_ratio is None or None in (ci or [None, None]) or published_ratio <= 0:
        return None, [None, None], None
    se = (math.log(ci[1]) - math.log(ci[0])) / (2 * analysis.Z95)
    centre = math.log(published_ratio)
    p_value = number(2 * stats.norm.sf(abs(centre) / se)) if se > 0 else None
    return published_ratio, [number(math.exp(centre - analysis.Z95 * se)), number(math.exp(centre + analysis.Z95 * se))], \
        p_value


def rate_block(block: dict, prefix: str, events: str, exposure: str) -> None:
    if not block:
        return
    t, c = block[TREATMENT], block[COMPARISON]
    published = ratio_of_rates(t[events], t[exposure], c[events], c[exposure])
    ratio, ci, p = recentred(block[f"{prefix}_rate_ratio"], block[f"{prefix}_ci95"], published)
    block.update({f"{prefix}_rate_ratio": ratio, f"{prefix}_ci95": ci, f"{prefix}_p_value": p})


def _welch(effect: dict, difference, df) -> dict:
    """Welch's t and interval around the published difference in means, with the test's standard
    error (from the spread of each DSL's contacts)."""
    low, high = effect["ci95"]
    if difference == C:
        return {"t": C, "df": C, "p_value": C, "ci95": [C, C]}
    if difference is None or df is None or low is None or high is None:
        return {"t": None, "df": None, "p_value": None, "ci95": [None, None]}
    critical = stats.t.ppf(0.975, df)
    se = (high - low) / (2 * critical)
    if se <= 0:
        return {"t": None, "df": None, "p_value": None, "ci95": [None, None]}
    t = difference / se
    return {"t": number(t), "df": round(df), "p_value": number(2 * stats.t.sf(abs(t), df)),
            "ci95": [number(difference - critical * se), number(difference + critical * se)]}


def _effect(out: dict) -> None:
    c, t = out["groups"][COMPARISON], out["groups"][TREATMENT]
    e = out["effect"]
    difference = C if _any_c(c["mean_contacts"], t["mean_contacts"]) else (
        None if None in (c["mean_contacts"], t["mean_contacts"]) else number(c["mean_contacts"] - t["mean_contacts"]))
    e.update({"mean_difference": difference, "pct_decrease": div(difference, c["mean_contacts"], 100)
              if difference is not None else None, **_welch(e, difference, e["df"]),
              "hedges_g": None, "hedges_g_ci95": [None, None], "hedges_g_note": NOT_WITH_SUPPRESSION})
    counts = (c["dsls_with_contact"], c["n"], t["dsls_with_contact"], t["n"])
    if _any_c(*counts):
        e.update({"risk_ratio_with_contact": C, "risk_ratio_ci95": [C, C], "with_contact_p_value": C})
        return
    ratio = analysis.risk_ratio(*counts)
    e.update({"risk_ratio_with_contact": ratio["risk_ratio"], "risk_ratio_ci95": ratio["ci95"],
              "with_contact_test": ratio["test"], "with_contact_p_value": ratio["p_value"]})


def _rounded(value, places: int):
    return round(value, places) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _models(out: dict) -> None:
    c, t = out["groups"][COMPARISON], out["groups"][TREATMENT]
    hidden = _any_c(c["contacts"], t["contacts"], c["n"], t["n"])
    for name, model in out["models"].items():
        model["alpha"] = _rounded(model.get("alpha"), 2)  # the dispersion rests on each DSL's counts
        if hidden:
            model.update({"rate_ratio": C, "ci95": [C, C], "p_value": C})
        elif name == "unadjusted":
            published = ratio_of_rates(t["contacts"], t["n"], c["contacts"], c["n"])
            ratio, ci, p = recentred(model["rate_ratio"], model["ci95"], published)
            model.update({"rate_ratio": ratio, "ci95": ci, "p_value": p})
        else:  # adjusted for the schools' figures: not a function of the table's counts; shown coarsely
            model.update({"rate_ratio": _rounded(model["rate_ratio"], 2),
                          "ci95": [_rounded(v, 2) for v in model["ci95"]], "p_value": _rounded(model["p_value"], 3)})


COARSE = {"pupils": 0, "fsm_percent": 0}  # decimal places of the means and SDs shown with suppression


def coarse_balance(rows: list[dict], hidden: bool) -> list[dict]:
    """The balance table shown with suppression: left out when a group's size is suppressed; else
    means and SDs of pupils (whole pupils) and FSM (whole percentage points), SMDs to one decimal
    place, and the phase shares left out (a share over DSLs to full precision gives a group's size
    away), their SMDs kept."""
    if hidden:
        return []
    out = []
    for row in rows:
        places = COARSE.get(row["variable"])
        coarse = dict(row, smd=_rounded(row["smd"], 1))
        for key in ("comparison_mean", "treatment_mean", "comparison_sd", "treatment_sd"):
            coarse[key] = _rounded(row[key], places) if places is not None else None
        out.append(coarse)
    return out


def _weighted(out: dict, hidden: bool) -> None:
    block = out.get("weighted")
    if not block:
        return
    for row in block["balance"]:
        row.update(smd=_rounded(row["smd"], 1), weighted_smd=_rounded(row["weighted_smd"], 1))
    for prefix in ("contacts", "referrals"):
        if hidden and block[f"{prefix}_rate_ratio"] is not None:
            block.update({f"{prefix}_rate_ratio": C, f"{prefix}_ci95": [C, C], f"{prefix}_p_value": C})
            continue
        block.update({f"{prefix}_rate_ratio": _rounded(block[f"{prefix}_rate_ratio"], 2),
                      f"{prefix}_ci95": [_rounded(v, 2) for v in block[f"{prefix}_ci95"]],
                      f"{prefix}_p_value": _rounded(block[f"{prefix}_p_value"], 3)})


def _pre_post(block: dict | None) -> None:
    if not block:
        return
    t, c = block[TREATMENT], block[COMPARISON]
    published = ratio_of_rates(t["post_contacts"], t["pre_contacts"], c["post_contacts"], c["pre_contacts"])
    block["did_rate_ratio"], block["did_ci95"], block["did_p_value"] = recentred(
        block["did_rate_ratio"], block["did_ci95"], published)


def _early_help(eh: dict | None) -> None:
    if not eh:
        return
    months = {m["month"]: m["consultations"] for m in eh["per_month"]}
    first, last = eh.get("first_whole_month"), eh.get("last_whole_month")
    if first:
        change = C if _any_c(months[first], months[last]) else (
            div(months[last] - months[first], months[first], 100))
        eh["pct_change_first_to_last_month"] = change
    if "comparison" in eh:
        rate_block(eh, "consultations", "consultations", "person_days")


def _projection(out: dict) -> None:
    p = out.get("projection")
    if not p:
        return
    pct = out["effect"]["pct_decrease"]
    fresh = analysis.projection(p["annual_calls"], p["annual_cost"], None if pct == C else pct,
                                out.get("exposure_time"), p.get("optimism_bias_pct", 0))
    out["projection"] = fresh


def published(report: dict) -> dict:
    """A copy of ``report`` fit for publication (see the module's docstring)."""
    out = copy.deepcopy(report)
    cells = count_cells(out)
    true = {cell: _get(out, path) for cell, path in cells.items()}
    values = {cell: publish_count(value) for cell, value in true.items()}
    second = second_suppression(values, true)
    for cell, path in cells.items():
        _set(out, path, values[cell])
    _groups(out)
    _effect(out)
    _models(out)
    hidden = _any_c(*(out["groups"][g]["n"] for g in GROUPS))
    out["balance"] = coarse_balance(out["balance"], hidden)
    rate_block(out.get("exposure_time"), "contacts", "contacts", "person_days")
    rate_block(out.get("exposure_time"), "referrals", "referrals", "person_days")
    rate_block(out.get("school_level"), "contacts", "contacts", "pupils")
    rate_block(out.get("school_level"), "referrals", "referrals", "pupils")
    _pre_post(out.get("pre_post"))
    _weighted(out, _any_c(*((out.get("exposure_time") or {}).get(g, {}).get("contacts") for g in GROUPS)))
    _early_help(out.get("early_help"))
    _projection(out)
    out["suppressed"] = True
    out["suppression"] = {"rule": "Counts of 1 to 4 are shown as c and other counts are rounded to the nearest 5; "
                                  "every figure worked out from counts is worked out from the published counts.",
                          "second_suppressions": len(second), "suppressed_value": C}
    return out
