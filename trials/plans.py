"""An analysis plan's choices, checked, and the canonical JSON its hash is taken of. Pure: no Flask,
no database."""

from __future__ import annotations

import hashlib
import json
from datetime import date

OUTCOMES = {
    "contacts": "MASH contacts per DSL",
    "referrals": "MASH referrals per DSL",
    "dsls_with_contact": "DSLs with at least one MASH contact",
    "early_help_consultations": "Early Help consultations",
}
MODELS = {
    "exposure-time": "Exposure time: contacts per day at risk, Poisson with school-clustered errors",
    "pre-post": "Pre-post: change from the pre window against the comparison arm (difference in differences)",
    "weighted": "Weighted: propensity-score weights on school characteristics",
}
COVARIATES = {
    "pupils": "School size (pupils)",
    "fsm_percent": "FSM %",
    "phase": "Phase",
    "district": "District",
    "role": "DSL or deputy DSL",
}
# The keys of a plan's content, stored while it is a draft and hashed when it is locked.
PLAN_KEYS = ("primary_outcome", "secondary_outcomes", "pre_window", "outcome_window", "model", "covariates",
             "min_dsls_per_arm", "min_schools_per_arm")
MAX_GROUP_SIZE = 1_000_000


class PlanError(ValueError):
    """A plan that cannot be saved as given, with a one-line message and the input it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _window(window, label: str, field: str) -> list[str] | None:
    if window is None:
        return None
    start, end = window
    if not isinstance(start, date) or not isinstance(end, date):
        raise PlanError(f"Give both days of the {label} window", field)
    if start > end:
        raise PlanError(f"The {label} window must end on or after its start", field)
    return [start.isoformat(), end.isoformat()]


def _whole(value, label: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_GROUP_SIZE:
        raise PlanError(f"The {label} must be a whole number from 1 to {MAX_GROUP_SIZE:,}", field)
    return value


def content(*, primary_outcome: str, secondary_outcomes, pre_window, outcome_window, model: str, covariates,
            min_dsls_per_arm: int, min_schools_per_arm: int) -> dict:
    """The plan's choices, checked and put in a canonical order (lists in the order of OUTCOMES and
    COVARIATES; windows as ISO dates, both ends included)."""
    if primary_outcome not in OUTCOMES:
        raise PlanError("Choose the primary outcome", "primary_outcome")
    secondary = set(secondary_outcomes or ())
    if secondary - set(OUTCOMES):
        raise PlanError("Choose secondary outcomes from the list", "secondary_outcomes")
    if primary_outcome in secondary:
        raise PlanError("The primary outcome cannot also be a secondary outcome", "secondary_outcomes")
    if outcome_window is None:
        raise PlanError("Give the outcome window", "outcome_start")
    outcome = _window(outcome_window, "outcome", "outcome_end")
    pre = _window(pre_window, "pre", "pre_end")
    if pre is not None and pre[1] >= outcome[0]:
        raise PlanError("The pre window must end before the outcome window starts", "pre_end")
    if model not in MODELS:
        raise PlanError("Choose the model", "model")
    if model == "pre-post" and pre is None:
        raise PlanError("A pre-post model needs a pre window", "pre_start")
    chosen = set(covariates or ())
    if chosen - set(COVARIATES):
        raise PlanError("Choose covariates from the list", "covariates")
    return {
        "primary_outcome": primary_outcome,
        "secondary_outcomes": [name for name in OUTCOMES if name in secondary],
        "pre_window": pre,
        "outcome_window": outcome,
        "model": model,
        "covariates": [name for name in COVARIATES if name in chosen],
        "min_dsls_per_arm": _whole(min_dsls_per_arm, "minimum DSLs in each arm", "min_dsls_per_arm"),
        "min_schools_per_arm": _whole(min_schools_per_arm, "minimum schools in each arm", "min_schools_per_arm"),
    }


def document(*, name: str, version: int, allocation: dict, choices: dict, amends: dict | None = None,
             amendment_reason: str | None = None) -> dict:
    """Everything a locked plan fixes: its name and version, the allocation it analyses (``name``,
    ``seed``, ``register_sha256``), what it amends and why, and its choices."""
    return {"plan": name, "version": version, "allocation": allocation, "amends": amends,
            "amendment_reason": amendment_reason, **{key: choices[key] for key in PLAN_KEYS}}


def canonical_json(data: dict) -> str:
    """JSON with keys sorted, no spaces, and non-ASCII characters escaped: one text for one plan."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def outcome_window(choices: dict) -> tuple[date, date]:
    start, end = choices["outcome_window"]
    return date.fromisoformat(start), date.fromisoformat(end)


def pre_window(choices: dict) -> tuple[date, date] | None:
    if not choices["pre_window"]:
        return None
    start, end = choices["pre_window"]
    return date.fromisoformat(start), date.fromisoformat(end)
