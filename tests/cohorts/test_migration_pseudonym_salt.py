"""The pseudonym-salt migration on a database that already holds cohorts: each gets its own random salt,
the members stay, and the downgrade takes the column away again."""

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from core.extensions import db
from tests.core.test_migrations import empty_app  # noqa: F401 (a fixture: a fresh, empty database)

BEFORE = "0012_days_at_risk"
ROWS = """
INSERT INTO schools (id, urn, name, pupils, fsm_percent, phase, created_at, updated_at)
    VALUES (1, 100001, 'Old School', 300, 12.5, 'Primary', :now, :now);
INSERT INTO dsls (id, email, name, school_id, role, created_at, updated_at) VALUES (1, 'a@x.org', 'A', 1, 'DSL', :now, :now);
INSERT INTO cohorts (id, name, courses, exposure_start, exposure_end, outcome_start, outcome_end, created_at) VALUES
    (1, 'old', '["induction"]', '2020-09-01', '2020-09-30', '2020-09-01', '2020-12-31', :now),
    (2, 'older', '["induction"]', '2019-09-01', '2019-09-30', '2019-09-01', '2019-12-31', :now);
INSERT INTO cohort_members (cohort_id, dsl_id, group_name, school_urn, pupils, fsm_percent, phase) VALUES
    (1, 1, 'comparison', 100001, 300, 12.5, 'Primary'), (2, 1, 'comparison', 100001, 300, 12.5, 'Primary');
"""


def test_existing_cohorts_each_get_a_salt(empty_app):  # noqa: F811 (the fixture imported above)
    with empty_app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in filter(str.strip, ROWS.split(";")):
                connection.execute(text(statement), {"now": datetime(2020, 12, 1)})
        upgrade()
        with db.engine.connect() as connection:
            salts = [row[0] for row in connection.execute(text("SELECT pseudonym_salt FROM cohorts ORDER BY id"))]
            assert connection.execute(text("SELECT count(*) FROM cohort_members")).scalar() == 2
        assert all(len(salt) == 64 for salt in salts) and salts[0] != salts[1]
        db.session.remove()
        downgrade(revision=BEFORE)
        assert "pseudonym_salt" not in {c["name"] for c in inspect(db.engine).get_columns("cohorts")}
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM cohort_members")).scalar() == 2
