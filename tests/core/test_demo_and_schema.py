"""The demo county, and the migrations as the only source of the schema."""

import statistics

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from core.demo import database_is_empty, load_demo
from core.extensions import db
from people.models import Dsl, School, User


def test_migrations_match_the_models(app, db_session):
    context = MigrationContext.configure(db_session.connection(), opts={"render_as_batch": True})
    differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_demo_county_is_plausible(app, db_session):
    assert database_is_empty()
    load_demo()
    schools = db.session.execute(select(School.district, School.pupils, School.fsm_percent, School.phase)).all()
    assert 240 <= len(schools) <= 260
    assert len({s.district for s in schools}) == 5
    primary = [s.pupils for s in schools if s.phase == "Primary"]
    secondary = [s.pupils for s in schools if s.phase == "Secondary"]
    assert 200 < statistics.median(primary) < 450 and 800 < statistics.median(secondary) < 1500
    assert all(0 <= s.fsm_percent <= 100 for s in schools)
    dsls = db.session.scalar(select(func.count()).select_from(Dsl))
    assert 1100 <= dsls <= 1200
    assert {u.email for u in db.session.scalars(select(User))} >= {
        "admin@demo.test", "trainer@demo.test", "evaluator@demo.test", "dsl@demo.test"}
    assert db.session.scalar(select(User).where(User.email == "dsl@demo.test")).dsl is not None
    assert not database_is_empty()


def test_demo_command_refuses_a_database_with_data(runner, make_school):
    make_school()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1 and "already holds data" in result.output
    assert runner.invoke(args=["demo", "--skip-if-loaded"]).exit_code == 0


def test_check_constraints_quote_their_values(app, db_session):
    from sqlalchemy import text

    from core.models import quoted

    assert quoted(["DSL", "Deputy DSL"]) == "'DSL', 'Deputy DSL'"
    assert quoted(["O'Brien"]) == "'O''Brien'"
    # The quoted list is valid SQL on the database in use, and means what it says.
    values = quoted(["x", "O'Brien"])
    assert db_session.execute(text(f"SELECT 'O''Brien' IN ({values})")).scalar() in (1, True)
    assert db_session.execute(text(f"SELECT 'y' IN ({values})")).scalar() in (0, False)
