"""Who may use each route of the courses package. Read by tests/core/test_permissions.py."""

ADMIN_ONLY = {"admin"}
STAFF = {"admin", "trainer"}
DSL_ONLY = {"dsl"}
CERTIFICATE_READERS = {"dsl", "trainer", "admin"}

POLICY = {
    "courses.course_types": {"GET": ADMIN_ONLY},
    "courses.course_type_edit": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "courses.course_type_settings": {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY},
    "courses.sessions": {"GET": STAFF},
    "courses.session_edit": {"GET": STAFF, "POST": STAFF},
    "courses.session_detail": {"GET": STAFF},
    "courses.session_cancel": {"GET": STAFF, "POST": STAFF},
    "courses.session_book": {"POST": STAFF},
    "courses.session_booking_cancel": {"GET": STAFF, "POST": STAFF},
    "courses.session_register": {"GET": STAFF, "POST": STAFF},
    "courses.session_walk_in": {"POST": STAFF},
    "courses.session_attendees": {"POST": STAFF},
    "courses.session_attendees_confirm": {"POST": STAFF},
    "courses.clock": {"GET": STAFF},
    "courses.clock_csv": {"GET": STAFF},
    "courses.clock_schools": {"GET": STAFF},
    "courses.clock_schools_csv": {"GET": STAFF},
    "courses.my_training": {"GET": DSL_ONLY},
    "courses.my_book": {"POST": DSL_ONLY},
    "courses.my_cancel": {"GET": DSL_ONLY, "POST": DSL_ONLY},
    "courses.my_booking_ics": {"GET": DSL_ONLY},
    "courses.my_calendar_regenerate": {"POST": DSL_ONLY},
    "courses.calendar_feed": {"GET": "public"},
    "courses.certificate": {"GET": CERTIFICATE_READERS},
}
