"""Who may use each route of the core package. Read by tests/core/test_permissions.py."""

IMPORTERS = {"admin", "evaluator", "trainer"}

POLICY = {
    "static": {"GET": "public"},
    "govuk_assets": {"GET": "public"},
    "govuk_script": {"GET": "public"},
    "core.home": {"GET": "public"},
    "core.accessibility": {"GET": "public"},
    "core.favicon": {"GET": "public"},
    "core.health": {"GET": "public"},
    "imports.upload": {"GET": IMPORTERS, "POST": IMPORTERS},
    "imports.confirm": {"POST": IMPORTERS},
    "audit.trail": {"GET": {"admin"}},
    "audit.trail_csv": {"GET": {"admin"}},
    "mail.outbox": {"GET": {"admin"}},
    "mail.retry": {"POST": {"admin"}},
    "mail.development": {"GET": {"admin"}},
    "mail.development_message": {"GET": {"admin"}},
}
