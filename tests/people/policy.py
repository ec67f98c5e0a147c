"""Who may use each route of the people package. Read by tests/core/test_permissions.py."""

ADMIN_ONLY = {"admin"}
EVERYONE = {"admin", "trainer", "evaluator", "dsl", "infoline"}

POLICY = {
    "people.login": {"GET": "public", "POST": "public"},
    "people.logout": {"GET": "public", "POST": "public"},
    "people.set_password": {"GET": "public", "POST": "public"},
    "people.login_code": {"GET": "public", "POST": "public"},
    "people.login_enrol": {"GET": "public", "POST": "public"},
    "people.change_password": {"GET": EVERYONE, "POST": EVERYONE},
    "people.two_step": {"GET": EVERYONE},
    "people.two_step_set_up": {"GET": EVERYONE, "POST": EVERYONE},
    "people.two_step_recovery_codes": {"GET": EVERYONE, "POST": EVERYONE},
    "people.two_step_turn_off": {"GET": EVERYONE, "POST": EVERYONE},
    "people.schools": {"GET": ADMIN_ONLY},
    "people.edit_school": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "people.dsls": {"GET": ADMIN_ONLY},
    "people.edit_dsl": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "people.users": {"GET": ADMIN_ONLY},
    "people.new_user": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "people.edit_user": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "people.invite_user": {"POST": ADMIN_ONLY},
    "people.reset_two_step": {"POST": ADMIN_ONLY},
}
