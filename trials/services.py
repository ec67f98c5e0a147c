"""Trials: the power page's starting values, allocations of schools, analysis plans. Functions
flush, never commit.

Schools and DSLs come through people's services, cohorts and MASH records through cohorts'.
"""

from __future__ import annotations

from people import services as people

BASELINE_DECIMALS = 3
DISPERSION_DECIMALS = 2


def power_defaults() -> dict:
    """Starting values for the power page: the latest cohort's mean contacts per DSL in its
    comparison group and the dispersion (alpha) of its unadjusted negative binomial model, and the
    register's DSLs per school. A figure that is not known is None."""
    from cohorts import services as cohorts

    out = {"alpha": 0.05, "power": 0.8, "baseline": None, "dispersion": None, "cohort": None,
           "dsls_per_school": None}
    schools, dsls = people.register_counts()
    if schools:
        out["dsls_per_school"] = dsls / schools
    listed = cohorts.all_cohorts()
    if not listed:
        return out
    cohort = listed[0][0]
    figures = cohorts.cohort_report(cohort).figures
    mean = figures["groups"]["comparison"]["mean_contacts"]
    dispersion = figures["models"]["unadjusted"]["alpha"]
    out["cohort"] = cohort.name
    if mean is not None and mean > 0:
        out["baseline"] = round(mean, BASELINE_DECIMALS)
    if dispersion is not None and dispersion >= 0:
        out["dispersion"] = round(dispersion, DISPERSION_DECIMALS)
    return out
