"""The days-at-risk migration on a database that already holds a cohort: the members stay (on SQLite a table
rebuild of cohorts would have deleted them through their foreign key), and each gets the role,
time zero and days at risk that a cohort made now would freeze."""

from datetime import date, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from cohorts import services
from core.extensions import db
from tests.core.test_migrations import empty_app  # noqa: F401 (a fixture: a fresh, empty database)

BEFORE = "0011_mail"


ROWS = """
INSERT INTO schools (id, urn, name, pupils, fsm_percent, phase, created_at, updated_at)
    VALUES (1, 100001, 'Old School', 300, 12.5, 'Primary', :now, :now);
INSERT INTO dsls (id, email, name, school_id, role, created_at, updated_at) VALUES
    (1, 'a@x.org', 'A', 1, 'DSL', :now, :now), (2, 'b@x.org', 'B', 1, 'Deputy DSL', :now, :now),
    (3, 'c@x.org', 'C', 1, 'DSL', :now, :now);
INSERT INTO course_sessions (id, course_type_id, first_day, mode, capacity, cancelled, created_at, updated_at)
    SELECT 1, id, '2020-09-14', 'online', 20, false, :now, :now FROM course_types WHERE code = 'induction';
INSERT INTO course_sessions (id, course_type_id, first_day, mode, capacity, cancelled, created_at, updated_at)
    SELECT 2, id, '2020-11-02', 'online', 20, false, :now, :now FROM course_types WHERE code = 'refresher';
INSERT INTO session_parts (session_id, starts_at, ends_at) VALUES
    (1, '2020-09-14 08:30:00', '2020-09-14 11:30:00'), (1, '2020-09-15 08:30:00', '2020-09-15 11:30:00'),
    (2, '2020-11-02 09:30:00', '2020-11-02 12:30:00');
INSERT INTO attendances (session_id, dsl_id, status, recorded_at) VALUES
    (1, 1, 'attended', :now), (2, 2, 'attended', :now);
INSERT INTO cohorts (id, name, courses, exposure_start, exposure_end, outcome_start, outcome_end, created_at)
    VALUES (1, 'old', '["induction", "refresher"]', '2020-09-01', '2020-09-30', '2020-09-01', '2020-12-31', :now);
INSERT INTO cohort_members (cohort_id, dsl_id, group_name, reason, school_urn, pupils, fsm_percent, phase) VALUES
    (1, 1, 'treatment', 'attended induction on 2020-09-14', 100001, 300, 12.5, 'Primary'),
    (1, 2, 'comparison', NULL, 100001, 300, 12.5, 'Primary'),
    (1, 3, 'comparison', NULL, 100001, 300, 12.5, 'Primary');
"""

FIELDS = ("dsl_id", "group_name", "role", "trained_on", "next_session_on", "at_risk_from", "at_risk_to",
          "at_risk_low", "at_risk_high", "days_at_risk")


def test_an_existing_cohort_gains_its_days_at_risk(empty_app):  # noqa: F811 (the fixture imported above)
    with empty_app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in filter(str.strip, ROWS.split(";")):
                connection.execute(text(statement), {"now": datetime(2020, 12, 1)})
        upgrade()
        cohort = services.cohort_by_name("old")
        frozen = services.frozen_members(cohort, FIELDS).set_index("dsl_id")
        assert len(frozen) == 3
        assert frozen.loc[1, "role"] == "DSL" and frozen.loc[2, "role"] == "Deputy DSL"
        assert (frozen.loc[1, "trained_on"], frozen.loc[1, "at_risk_from"]) == (date(2020, 9, 15), date(2020, 9, 16))
        assert (frozen.loc[2, "next_session_on"], frozen.loc[2, "at_risk_to"]) == (date(2020, 11, 2), date(2020, 11, 1))
        assert frozen.loc[1, "at_risk_low"] == datetime(2020, 9, 15, 23)
        assert list(frozen["days_at_risk"]) == [107, 62, 122]
        # What creating the cohort now would freeze.
        now = services.compute_membership(["induction", "refresher"], (date(2020, 9, 1), date(2020, 9, 30)),
                                          (date(2020, 9, 1), date(2020, 12, 31))).set_index("dsl_id")
        for column in FIELDS[1:]:
            assert list(frozen[column].astype(object).where(frozen[column].notna(), None)) == \
                list(now[column].astype(object).where(now[column].notna(), None)), column
        db.session.remove()  # its open transaction would hold locks the downgrade waits for
        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM cohort_members")).scalar() == 3
