"""How many DSLs a trial needs, and the smallest effect a given number can detect. Pure: numbers in,
numbers out; no Flask, no database.

Contacts per DSL are negative binomial with mean mu and variance mu + k * mu ** 2 (k is the NB2
dispersion, the ``alpha`` an outcome report's models print). The intervention arm's mean is
mu1 = mu0 * (1 - reduction / 100). A two-sided Wald test of the log rate ratio at level ``alpha``
with power ``power`` then needs, in each arm,

    per_arm = ceil((z(1 - alpha / 2) + z(power)) ** 2 * (1 / mu0 + k + 1 / mu1 + k) / ln(mu1 / mu0) ** 2)

DSLs, where z is the standard normal quantile: the variance of the log of an arm's mean contacts is
(1 / mu + k) / n. Schools share a DSL's habits, so a trial that randomises schools needs
per_arm_clustered = ceil(per_arm * design_effect), design_effect = 1 + (cluster_size - 1) * icc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

# A product within this of a whole number counts as that number before rounding up, so that
# floating-point dust (1978 * 1.25 giving 2472.5000000000005) never adds a DSL.
WHOLE_TOLERANCE = 1e-9
# The minimum detectable reduction is searched on this grid of percentage points.
MDR_STEP = 0.01
ALTERNATIVE_REDUCTIONS = (10, 20, 30, 40, 50, 60, 70)


class PowerError(ValueError):
    """Inputs the formula cannot use, with a one-line message for the person and the input it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Design:
    """Everything the calculation needs except the effect: the baseline and the trial's settings."""

    baseline: float  # mean contacts per DSL without the training (mu0)
    dispersion: float  # k: variance mu + k * mu ** 2
    alpha: float = 0.05  # two-sided significance level
    power: float = 0.8
    icc: float | None = None  # intra-class correlation of DSLs in a school
    cluster_size: float | None = None  # DSLs per school

    def check(self) -> None:
        """Raise PowerError naming the first input the formula cannot use."""
        if not _finite(self.baseline) or self.baseline <= 0:
            raise PowerError("The baseline must be a number of contacts per DSL above 0, like 0.57", "baseline")
        if not _finite(self.dispersion) or self.dispersion < 0:
            raise PowerError("The dispersion must be 0 or more, like 4.3", "dispersion")
        if not _finite(self.alpha) or not 0 < self.alpha <= 0.5:
            raise PowerError("The significance level must be above 0 and at most 0.5, like 0.05", "alpha")
        if not _finite(self.power) or not 0.5 <= self.power < 1:
            raise PowerError("The power must be at least 0.5 and below 1, like 0.8", "power")
        if (self.icc is None) != (self.cluster_size is None):
            raise PowerError("Give both the ICC and the cluster size, or neither",
                             "icc" if self.icc is None else "cluster_size")
        if self.icc is not None and (not _finite(self.icc) or not 0 <= self.icc <= 1):
            raise PowerError("The ICC must be between 0 and 1, like 0.05", "icc")
        if self.cluster_size is not None and (not _finite(self.cluster_size) or self.cluster_size < 1):
            raise PowerError("The cluster size must be 1 or more DSLs per school, like 4.6", "cluster_size")

    @property
    def design_effect(self) -> float:
        if self.icc is None:
            return 1.0
        return 1 + (self.cluster_size - 1) * self.icc


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _ceil(values):
    """Round up, treating anything within WHOLE_TOLERANCE of a whole number as that number."""
    return np.ceil(np.asarray(values, dtype=float) - WHOLE_TOLERANCE)


def _check_reduction(reduction) -> None:
    if not _finite(reduction) or not 0 < reduction < 100:
        raise PowerError("The reduction must be a percentage above 0 and below 100, like 20", "reduction")


def _per_arm(design: Design, reductions) -> np.ndarray:
    """per_arm for each of ``reductions`` (percent, a numpy array): the contract's formula, unrounded."""
    mu0 = design.baseline
    mu1 = mu0 * (1 - np.asarray(reductions, dtype=float) / 100)
    z = stats.norm.ppf(1 - design.alpha / 2) + stats.norm.ppf(design.power)
    k = design.dispersion
    return z ** 2 * (1 / mu0 + k + 1 / mu1 + k) / np.log(mu1 / mu0) ** 2


def _clustered(design: Design, per_arm) -> np.ndarray:
    return _ceil(np.asarray(per_arm) * design.design_effect)


def sample_size(design: Design, reduction: float) -> dict:
    """DSLs needed in each arm to detect ``reduction`` percent fewer contacts."""
    design.check()
    _check_reduction(reduction)
    per_arm = int(_ceil(_per_arm(design, [reduction]))[0])
    return {"per_arm": per_arm, "design_effect": design.design_effect,
            "per_arm_clustered": int(_clustered(design, per_arm))}


def min_detectable_reduction(design: Design, per_arm_available: int) -> float | None:
    """The smallest reduction, in percent and a multiple of MDR_STEP, whose per_arm_clustered is at
    most ``per_arm_available``; None when no reduction below 100% is detectable with that many.

    Every reduction from 0.01% to 99.99% is tried in one vectorised pass: the search is exact on
    that grid, so the answer is never more than 0.01 points above the continuous minimum.
    """
    design.check()
    if not isinstance(per_arm_available, int) or isinstance(per_arm_available, bool) or per_arm_available < 2:
        raise PowerError("The DSLs in each arm must be a whole number, 2 or more", "per_arm")
    steps = np.arange(1, round(100 / MDR_STEP))
    reductions = steps * MDR_STEP
    clustered = _clustered(design, _ceil(_per_arm(design, reductions)))
    enough = np.flatnonzero(clustered <= per_arm_available)
    if not len(enough):
        return None
    return round(float(reductions[enough[0]]), 2)


def alternatives(design: Design, reductions=ALTERNATIVE_REDUCTIONS) -> list[dict]:
    """The sample size for each of a few reductions, for a table beside the answer."""
    rows = []
    for reduction in reductions:
        row = {"reduction": reduction, **sample_size(design, reduction)}
        if design.cluster_size:
            row["schools"] = int(_ceil(row["per_arm_clustered"] / design.cluster_size))
        rows.append(row)
    return rows


def answer(design: Design, *, reduction: float | None = None, per_arm_available: int | None = None) -> dict:
    """The JSON ``trials power`` prints: the inputs, then either the sample size for ``reduction``
    or the minimum detectable reduction for ``per_arm_available`` DSLs in each arm."""
    if (reduction is None) == (per_arm_available is None):
        raise PowerError("Give either the reduction hoped for or the DSLs available in each arm, not both")
    out = {"baseline": design.baseline, "dispersion": design.dispersion, "alpha": design.alpha,
           "power": design.power, "icc": design.icc, "cluster_size": design.cluster_size}
    if reduction is not None:
        return {**out, "reduction": reduction, **sample_size(design, reduction)}
    smallest = min_detectable_reduction(design, per_arm_available)
    return {**out, "design_effect": design.design_effect, "per_arm_available": per_arm_available,
            "min_detectable_reduction": smallest, "precision": MDR_STEP,
            "note": None if smallest is not None else
            f"No reduction below 100% can be detected with {per_arm_available:,} DSLs in each arm"}


def plan(design: Design, reduction: float, per_arm_available: int | None = None) -> dict:
    """What the power page shows: the sample size for ``reduction``, the table of alternatives and,
    when ``per_arm_available`` is given, the smallest reduction that many DSLs could detect."""
    needed = sample_size(design, reduction)
    if design.cluster_size:
        needed["schools"] = int(_ceil(needed["per_arm_clustered"] / design.cluster_size))
    return {"needed": needed, "clustered": design.icc is not None, "alternatives": alternatives(design),
            "per_arm_available": per_arm_available,
            "min_detectable_reduction": (min_detectable_reduction(design, per_arm_available)
                                         if per_arm_available is not None else None)}
