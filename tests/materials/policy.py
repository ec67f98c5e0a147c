"""Who may use each route of the materials package. Read by tests/core/test_permissions.py."""

ADMIN_ONLY = {"admin"}
EVERYONE = {"admin", "trainer", "evaluator", "dsl", "infoline"}

POLICY = {
    "materials.static": {"GET": "public"},
    "materials.index": {"GET": EVERYONE},
    "materials.read": {"GET": EVERYONE},
    "materials.download": {"GET": EVERYONE},
    "materials.download_version": {"GET": EVERYONE},
    # Public routes that check the admin's setting themselves: 404 while the poster is not public.
    "materials.public_poster": {"GET": "public"},
    "materials.public_poster_pdf": {"GET": "public"},
    "materials_admin.index": {"GET": ADMIN_ONLY},
    "materials_admin.settings": {"POST": ADMIN_ONLY},
    "materials_admin.edit": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "materials_admin.preview": {"GET": ADMIN_ONLY},
    "materials_admin.publish": {"POST": ADMIN_ONLY},
    "materials_admin.versions": {"GET": ADMIN_ONLY},
}
