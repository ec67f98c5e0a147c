"""Who may use each route of the infoline package. Read by tests/core/test_permissions.py."""

ADVISERS = {"admin", "infoline"}
READERS = {"admin", "evaluator"}
ADMIN_ONLY = {"admin"}

POLICY = {
    "infoline.record": {"GET": ADVISERS, "POST": ADVISERS},
    "infoline.remove": {"POST": ADVISERS},
    "infoline.topics": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "infoline.topic_active": {"POST": ADMIN_ONLY},
    "infoline.figures": {"GET": READERS},
    "infoline.figures_export": {"GET": READERS},
}
