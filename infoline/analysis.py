"""What the Infoline's calls show: by month, advice, district and topic; who calls; repeat
callers; schools that call the MASH but never the Infoline; and the outcome report's block.
Pure: DataFrames in, plain tables (lists of dicts) out.

Inputs:
- ``calls``: received_at (UTC, naive), advice, topic, school_urn, dsl_id (missing when the caller
  is not on the register), duration_minutes; one row per call;
- ``dsls``: dsl_id, school_urn, trained_on (the first day of the first training course the DSL
  attended, missing when never);
- ``schools``: urn, name, phase, district.

A call counts as from a trained DSL when the caller is on the register and had attended a training
course on or before the day of the call (London dates).
"""

from __future__ import annotations

import pandas as pd

from cohorts.estimators import COMPARISON, GROUPS, TREATMENT, group_rate_ratio, number

ADVICE = ("handled", "early-help", "mash", "other")
NOT_KNOWN = "Not known"
NO_TOPIC = "No topic recorded"
REPEAT_BANDS = ((1, 1, "1 call"), (2, 2, "2 calls"), (3, 4, "3 or 4 calls"), (5, None, "5 or more calls"))
EXPECTED = ("The training asks DSLs to phone the Infoline for advice instead of the MASH, so trained DSLs "
            "should make more Infoline calls per day at risk than untrained DSLs: a rate ratio above 1.")


def _pct(part, whole) -> float | None:
    return number(100 * part / whole) if whole else None


def london_days(stamps: pd.Series) -> pd.Series:
    """UTC time stamps (naive) as Europe/London dates (datetime64, at midnight)."""
    local = pd.to_datetime(stamps).dt.tz_localize("UTC").dt.tz_convert("Europe/London")
    return local.dt.tz_localize(None).dt.normalize()


def london_months(stamps: pd.Series) -> pd.Series:
    return london_days(stamps).dt.strftime("%Y-%m")


def with_schools(calls: pd.DataFrame, dsls: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """``calls`` with the caller's school (the DSL's school when on the register, else the school
    given), its phase and district, and whether the caller was trained on the day of the call."""
    out = calls.merge(dsls[["dsl_id", "school_urn", "trained_on"]].rename(columns={"school_urn": "dsl_school"}),
                      on="dsl_id", how="left")
    out["school"] = out["dsl_school"].astype("Int64").fillna(out["school_urn"].astype("Int64"))
    out = out.merge(schools[["urn", "phase", "district"]].astype({"urn": "Int64"}), left_on="school",
                    right_on="urn", how="left")
    out["phase"] = out["phase"].fillna(NOT_KNOWN)
    out["district"] = out["district"].fillna(NOT_KNOWN)
    trained_on = pd.to_datetime(out["trained_on"])
    out["trained"] = out["dsl_id"].notna() & trained_on.notna() & (trained_on <= london_days(out["received_at"]))
    return out


def by_month(calls: pd.DataFrame) -> list[dict]:
    """Calls per London month, split by the advice given: every month from the first call's to the
    last call's, months without a call included."""
    if calls.empty:
        return []
    months = london_months(calls["received_at"])
    every = pd.period_range(months.min(), months.max(), freq="M").strftime("%Y-%m")
    table = pd.crosstab(months, calls["advice"]).reindex(index=every, columns=list(ADVICE), fill_value=0)
    return [{"month": month, "calls": int(row.sum()), **{advice: int(row[advice]) for advice in ADVICE}}
            for month, row in table.sort_index().iterrows()]


def _shares(counts: pd.Series, name: str) -> list[dict]:
    total = int(counts.sum())
    ordered = counts.sort_values(ascending=False, kind="stable")
    return [{name: key, "calls": int(n), "pct": _pct(n, total)} for key, n in ordered.items()]


def by_advice(calls: pd.DataFrame) -> list[dict]:
    counts = calls["advice"].value_counts().reindex(list(ADVICE), fill_value=0)
    total = int(counts.sum())
    return [{"advice": advice, "calls": int(n), "pct": _pct(n, total)} for advice, n in counts.items()]


def by_topic(calls: pd.DataFrame) -> list[dict]:
    return _shares(calls["topic"].fillna(NO_TOPIC).value_counts(), "topic")


def by_district(placed: pd.DataFrame) -> list[dict]:
    """Calls per district of the caller's school, with how many schools they came from."""
    if placed.empty:
        return []
    grouped = placed.groupby("district").agg(calls=("advice", "size"), schools=("school", "nunique"))
    total = int(grouped["calls"].sum())
    grouped = grouped.sort_values(["calls"], ascending=False, kind="stable")
    return [{"district": district, "calls": int(row.calls), "schools": int(row.schools), "pct": _pct(row.calls, total)}
            for district, row in grouped.iterrows()]


def who_calls(placed: pd.DataFrame, dsls: pd.DataFrame, schools: pd.DataFrame, on) -> list[dict]:
    """By phase: DSLs trained (by ``on``) and untrained, how many of each called at least once, and
    the calls from trained DSLs, untrained DSLs and callers not on the register."""
    register = dsls.merge(schools[["urn", "phase"]], left_on="school_urn", right_on="urn", how="left")
    register["phase"] = register["phase"].fillna(NOT_KNOWN)
    trained_on = pd.to_datetime(register["trained_on"])
    register["trained"] = trained_on.notna() & (trained_on <= pd.Timestamp(on))
    register["called"] = register["dsl_id"].isin(placed["dsl_id"].dropna())
    on_register = placed["dsl_id"].notna()
    rows = []
    phases = sorted(set(register["phase"]) | set(placed["phase"]), key=lambda p: (p == NOT_KNOWN, p))
    for phase in phases + ["All phases"]:
        people = register if phase == "All phases" else register[register["phase"] == phase]
        calls = placed if phase == "All phases" else placed[placed["phase"] == phase]
        known = on_register.loc[calls.index]
        row = {"phase": phase}
        for label, chosen in (("trained", people["trained"]), ("untrained", ~people["trained"])):
            group = people[chosen]
            row[f"{label}_dsls"] = int(len(group))
            row[f"{label}_callers"] = int(group["called"].sum())
            row[f"{label}_pct_calling"] = _pct(group["called"].sum(), len(group))
        row["calls_trained"] = int((known & calls["trained"]).sum())
        row["calls_untrained"] = int((known & ~calls["trained"]).sum())
        row["calls_not_on_register"] = int((~known).sum())
        rows.append(row)
    return rows


def register_share(calls: pd.DataFrame, dsls: pd.DataFrame) -> dict:
    """How many calls came from DSLs on the register, from a named school only, or from no one known."""
    total = len(calls)
    linked = calls["dsl_id"].notna()
    school_only = ~linked & calls["school_urn"].notna()
    callers = calls.loc[linked, "dsl_id"].nunique()
    return {"calls": int(total), "on_register": int(linked.sum()), "pct_on_register": _pct(linked.sum(), total),
            "school_only": int(school_only.sum()), "unknown": int((~linked & ~school_only).sum()),
            "callers_on_register": int(callers), "dsls_on_register": int(len(dsls)),
            "pct_of_register_calling": _pct(callers, len(dsls))}


def repeat_callers(calls: pd.DataFrame) -> dict:
    """DSLs on the register by how many calls they made; repeat callers made two or more."""
    per_caller = calls["dsl_id"].dropna().value_counts()
    repeat = per_caller[per_caller >= 2]
    bands = []
    for low, high, label in REPEAT_BANDS:
        chosen = per_caller[(per_caller >= low) & ((per_caller <= high) if high else True)]
        bands.append({"band": label, "callers": int(len(chosen)), "calls": int(chosen.sum())})
    return {"callers": int(len(per_caller)), "repeat_callers": int(len(repeat)),
            "pct_repeat": _pct(len(repeat), len(per_caller)), "calls_by_repeat_callers": int(repeat.sum()),
            "pct_calls_by_repeat_callers": _pct(repeat.sum(), per_caller.sum()), "bands": bands}


def mash_not_infoline(placed: pd.DataFrame, schools: pd.DataFrame, mash: pd.DataFrame) -> list[dict]:
    """Schools with MASH records (``mash``: school_urn, records) and no Infoline call at all, most
    MASH records first."""
    calling = set(placed["school"].dropna().astype("int64"))
    frame = mash[~mash["school_urn"].isin(calling) & (mash["records"] > 0)].merge(
        schools, left_on="school_urn", right_on="urn", how="inner")
    frame = frame.sort_values(["records", "urn"], ascending=[False, True])
    return [{"urn": int(r.urn), "name": r.name, "phase": r.phase or NOT_KNOWN, "district": r.district or NOT_KNOWN,
             "mash_records": int(r.records)} for r in frame.itertuples()]


def figures(calls: pd.DataFrame, dsls: pd.DataFrame, schools: pd.DataFrame, mash: pd.DataFrame, on) -> dict:
    """Every table of the Infoline page."""
    placed = with_schools(calls, dsls, schools)
    durations = pd.to_numeric(calls["duration_minutes"], errors="coerce").dropna()
    return {
        "calls": int(len(calls)),
        "first": calls["received_at"].min() if len(calls) else None,
        "last": calls["received_at"].max() if len(calls) else None,
        "median_minutes": number(durations.median()) if len(durations) else None,
        "by_month": by_month(calls),
        "by_advice": by_advice(calls),
        "by_district": by_district(placed),
        "by_topic": by_topic(calls),
        "who_calls": who_calls(placed, dsls, schools, on),
        "register": register_share(calls, dsls),
        "repeat": repeat_callers(calls),
        "mash_not_infoline": mash_not_infoline(placed, schools, mash),
    }


# -- the outcome report's block -----------------------------------------------------------------


def report_block(per_dsl: pd.DataFrame) -> dict:
    """Infoline calls per day at risk by group and their rate ratio, with the same rows and model
    as the report's exposure-time figures.

    ``per_dsl``: group, school_urn, person_days, calls (on the DSL's days at risk); rows with
    fewer than one day at risk are left out."""
    rows = per_dsl[per_dsl["person_days"] >= 1]
    estimate = group_rate_ratio(rows, "calls", "person_days", "school_urn", what="Infoline calls")
    out = {}
    for group in GROUPS:
        part = rows[rows["group"] == group]
        calls, dsls = int(part["calls"].sum()), int(len(part))
        out[group] = {"dsls": dsls, "person_days": int(part["person_days"].sum()), "calls": calls,
                      "mean_calls": number(calls / dsls) if dsls else None}
    return {
        "title": "DSL Infoline calls on each DSL's days at risk",
        "events": "Infoline calls",
        **out,
        "clusters": int(rows["school_urn"].nunique()),
        "rate_ratio": estimate["ratio"], "ci95": estimate["ci95"], "p_value": estimate["p_value"],
        "expected_direction": "increase",
        "expectation": EXPECTED,
        "model": "Poisson GLM with a log person-days offset and school-clustered standard errors, as exposure_time",
        "note": estimate["note"],
    }


def suppress_block(block: dict, disclosure) -> None:
    """Suppress the block's counts in place for publication with ``disclosure`` (cohorts.disclosure):
    each mean and the rate ratio from the published counts, the interval moved to that ratio."""
    for group in (COMPARISON, TREATMENT):
        figures = block[group]
        for key in ("dsls", "person_days", "calls"):
            figures[key] = disclosure.publish_count(figures[key])
        figures["mean_calls"] = disclosure.div(figures["calls"], figures["dsls"])
    block["clusters"] = disclosure.publish_count(block["clusters"])
    t, c = block[TREATMENT], block[COMPARISON]
    ratio = disclosure.ratio_of_rates(t["calls"], t["person_days"], c["calls"], c["person_days"])
    block["rate_ratio"], block["ci95"], block["p_value"] = disclosure.recentred(block["rate_ratio"], block["ci95"], ratio)
