"""Who may use each route of the trials package. Read by tests/core/test_permissions.py."""

PLANNERS = {"admin", "evaluator"}
READERS = {"admin", "evaluator", "trainer"}
INVITERS = {"admin", "trainer"}

POLICY = {
    "trials.index": {"GET": READERS},
    "trials.power_page": {"GET": PLANNERS},
    "trials.allocation_new": {"GET": PLANNERS, "POST": PLANNERS},
    "trials.allocation": {"GET": READERS},
    "trials.allocation_csv": {"GET": READERS},
    "trials.arm_dsls": {"GET": INVITERS},
    "trials.arm_addresses": {"GET": INVITERS},
    "trials.arm_invite": {"POST": INVITERS},
    "trials.plan_new": {"GET": PLANNERS, "POST": PLANNERS},
    "trials.plan": {"GET": PLANNERS},
    "trials.plan_edit": {"GET": PLANNERS, "POST": PLANNERS},
    "trials.plan_lock": {"POST": PLANNERS},
    "trials.plan_amend": {"GET": PLANNERS, "POST": PLANNERS},
    "trials.plan_json": {"GET": PLANNERS},
}
