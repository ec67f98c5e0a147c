"""What a reader of the outcome report must bear in mind, worked out from its own figures.

Each caveat is raised by the data, not written once for every report: imbalanced covariates, too
few schools or DSLs in a group, links that no longer match the register, an interval that includes
no effect. The one exception is self-selection, which holds for every cohort, because a cohort's
groups are made by who attended training, never by chance. Pure: a report dict in, caveats out.
A suppressed figure (the string "c") counts as a small number, never as a large one.
"""

from __future__ import annotations

from dataclasses import dataclass

SMD_LIMIT = 0.1  # an absolute standardised mean difference above this is worth a reader's attention
FEW_CLUSTERS = 20  # schools in a group: fewer makes school-clustered intervals unreliable
SMALL_GROUP = 30  # DSLs in a group
SUPPRESSED = "c"
GROUP_WORDS = {"comparison": "untrained (comparison)", "treatment": "trained (treatment)"}


@dataclass(frozen=True)
class Caveat:
    key: str
    title: str
    text: str


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _below(value, limit: float) -> bool:
    """Whether a published count is below ``limit``; a suppressed count (1 to 4) always is."""
    if value == SUPPRESSED:
        return True
    number = _number(value)
    return number is not None and number < limit


def _shown(value) -> str:
    number = _number(value)
    return f"{number:,.0f}" if number is not None else str(value)


def _many(value, thing: str) -> str:
    """"1 school", "3 schools", "c schools" (a suppressed count is always read as plural)."""
    return f"{_shown(value)} {thing}" + ("" if _number(value) == 1 else "s")


def _variable(name: str) -> str:
    labels = {"pupils": "school size (pupils on roll)", "fsm_percent": "free school meals (%)"}
    if name in labels:
        return labels[name]
    kind, _, level = name.partition(": ")
    return f"share of {kind} {level}" if level else name


def self_selection(report: dict) -> Caveat:
    return Caveat("self_selection", "The groups chose themselves",
                  "DSLs were not put into the groups at random: the trained group is the DSLs who chose, or were "
                  "sent, to attend training. Whatever led them there (interest in safeguarding practice, a school's "
                  "culture, fewer concerns to raise) may also change how often they call the MASH, so the "
                  "difference between the groups cannot be read as caused by the training alone.")


def imbalance(report: dict) -> Caveat | None:
    flagged = [(row["variable"], _number(row.get("smd"))) for row in report.get("balance") or []]
    flagged = [(name, smd) for name, smd in flagged if smd is not None and abs(smd) > SMD_LIMIT]
    if not flagged:
        return None
    listed = "; ".join(f"{_variable(name)} (SMD {smd:+.2f})" for name, smd in flagged)
    return Caveat("imbalance", "The groups differ on some school characteristics",
                  f"The groups' schools differ by a standardised mean difference (SMD) of more than {SMD_LIMIT} on: "
                  f"{listed}. "
                  "The unweighted comparisons do not allow for this; the propensity-weighted estimate does, for "
                  "these measured characteristics only.")


def _schools_by_group(report: dict) -> dict:
    schools = report.get("school_level") or {}
    if schools.get("comparison") and schools.get("treatment"):
        return {group: schools[group].get("schools") for group in GROUP_WORDS}
    exposure = report.get("exposure_time") or {}
    return {"all": exposure.get("clusters")} if exposure else {}


def few_clusters(report: dict) -> Caveat | None:
    few = {group: value for group, value in _schools_by_group(report).items() if _below(value, FEW_CLUSTERS)}
    if not few:
        return None
    where = {group: f"the {GROUP_WORDS[group]} group" if group in GROUP_WORDS else "the whole cohort" for group in few}
    listed = "; ".join(f"{_many(value, 'school')} in {where[group]}" for group, value in few.items())
    return Caveat("few_clusters", "Few schools",
                  f"There are fewer than {FEW_CLUSTERS} schools in a group ({listed}). DSLs of one school tend to act "
                  "alike, and the intervals allow for that by school; with this few schools those intervals are "
                  "themselves uncertain and likely too narrow.")


def small_groups(report: dict) -> Caveat | None:
    groups = report.get("groups") or {}
    small = {group: groups[group].get("n") for group in GROUP_WORDS
             if group in groups and _below(groups[group].get("n"), SMALL_GROUP)}
    if not small:
        return None
    listed = "; ".join(f"{_many(value, 'DSL')} in the {GROUP_WORDS[group]} group" for group, value in small.items())
    return Caveat("small_groups", "Small groups",
                  f"A group has fewer than {SMALL_GROUP} DSLs ({listed}). A few DSLs' calls can move every figure a "
                  "long way, so the estimates are imprecise and the projection is withheld.")


def stale_linkage(report: dict) -> Caveat | None:
    stale = (report.get("linkage") or {}).get("stale_links")
    if not (stale == SUPPRESSED or (_number(stale) or 0) > 0):
        return None
    return Caveat("stale_linkage", "Some MASH records are linked out of date",
                  "MASH records or Early Help consultations in the outcome window linked to a DSL other than the "
                  f"one the register and its aliases give now, and so perhaps counted in the wrong group: {_shown(stale)}. "
                  "Relink them (the linkage page, or the relink command) and make the report again.")


def no_effect_in_interval(report: dict) -> Caveat | None:
    block = report.get("exposure_time") or {}
    interval = block.get("contacts_ci95")
    if block.get("contacts_rate_ratio") is None or not interval:
        reason = block.get("note") or (report.get("notes") or {}).get("exposure_time") or "it could not be estimated"
        return Caveat("no_estimate", "The main estimate was not made", f"The rate ratio of contacts per day at risk "
                      f"was not estimated: {reason.rstrip('.')}. Nothing in this report measures the training's effect.")
    low, high = (_number(bound) for bound in interval)
    if low is None or high is None or not low <= 1 <= high:
        return None
    return Caveat("no_effect_in_interval", "The interval includes no effect",
                  f"The 95% interval of the main rate ratio, {low:.2f} to {high:.2f}, includes 1 (no difference). "
                  "The data are consistent with the training making no difference to non-urgent contacts, or a "
                  "difference in either direction.")


CHECKS = (imbalance, few_clusters, small_groups, stale_linkage, no_effect_in_interval)


def caveats(report: dict) -> list[Caveat]:
    """Every caveat the report's figures raise, self-selection first."""
    found = [self_selection(report)]
    for check in CHECKS:
        caveat = check(report)
        if caveat:
            found.append(caveat)
    return found
