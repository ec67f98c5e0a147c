"""Who may use each route of the cohorts package. Read by tests/core/test_permissions.py."""

EVALUATORS = {"admin", "evaluator"}

POLICY = {
    "cohorts.cohorts": {"GET": EVALUATORS},
    "cohorts.cohort_new": {"GET": EVALUATORS, "POST": EVALUATORS},
    "cohorts.trial_cohort_new": {"GET": EVALUATORS, "POST": EVALUATORS},
    "cohorts.cohort_report": {"GET": EVALUATORS},
    "cohorts.cohort_export": {"GET": EVALUATORS},
    "cohorts.cohort_dsls": {"GET": EVALUATORS},
    "cohorts.cohort_membership": {"GET": EVALUATORS, "POST": EVALUATORS},
    "cohorts.linkage": {"GET": EVALUATORS},
    "cohorts.relink": {"POST": EVALUATORS},
    "cohorts.alias_new": {"GET": EVALUATORS, "POST": EVALUATORS},
    "cohorts.alias_create": {"POST": EVALUATORS},
    "cohorts.alias_remove": {"POST": EVALUATORS},
    "cohorts.demand": {"GET": EVALUATORS},
}
