"""Days at risk and the pre-period

Revision ID: 0012_days_at_risk
Revises: 0011_mail
Create Date: 2026-12-01 10:00:00

A cohort may have a pre-period. Each member keeps their register role and time zero: the day their
training ended (treatment) or the day a later training began (comparison), and the days at risk
in the outcome window that follow from it, as London dates and as the UTC instants the outcome
report counts MASH records between.

Cohorts made before this revision get the same fields worked out here from the attendance and the
register as they stand now. The rule is written out in this file rather than imported from the
app, so the migration keeps doing what it did when the app's code moves on.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0012_days_at_risk"
down_revision = "0011_mail"
branch_labels = None
depends_on = None

LONDON = ZoneInfo("Europe/London")
MEMBER_COLUMNS = (("role", sa.String(length=20)), ("trained_on", sa.Date()), ("next_session_on", sa.Date()),
                  ("at_risk_from", sa.Date()), ("at_risk_to", sa.Date()), ("at_risk_low", sa.DateTime()),
                  ("at_risk_high", sa.DateTime()), ("days_at_risk", sa.Integer()))

cohorts = sa.table("cohorts", sa.column("id", sa.Integer), sa.column("courses", sa.JSON),
                   sa.column("exposure_start", sa.Date), sa.column("exposure_end", sa.Date),
                   sa.column("outcome_start", sa.Date), sa.column("outcome_end", sa.Date))
members = sa.table("cohort_members", sa.column("id", sa.Integer), sa.column("cohort_id", sa.Integer),
                   sa.column("dsl_id", sa.Integer), sa.column("group_name", sa.String),
                   *(sa.column(name, kind) for name, kind in MEMBER_COLUMNS))
attendances = sa.table("attendances", sa.column("dsl_id", sa.Integer), sa.column("session_id", sa.Integer),
                       sa.column("status", sa.String))
sessions = sa.table("course_sessions", sa.column("id", sa.Integer), sa.column("course_type_id", sa.Integer),
                    sa.column("first_day", sa.Date))
course_types = sa.table("course_types", sa.column("id", sa.Integer), sa.column("code", sa.String))
parts = sa.table("session_parts", sa.column("session_id", sa.Integer), sa.column("starts_at", sa.DateTime))
dsls = sa.table("dsls", sa.column("id", sa.Integer), sa.column("role", sa.String))


def upgrade():
    _add_pre_period()
    with op.batch_alter_table("cohort_members") as batch_op:  # nothing refers to it, so rebuilding it is safe
        for name, kind in MEMBER_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    connection = op.get_bind()
    connection.execute(members.update().values(
        role=sa.select(dsls.c.role).where(dsls.c.id == members.c.dsl_id).scalar_subquery()))
    for cohort in connection.execute(sa.select(cohorts)).all():
        _freeze_time_zero(connection, cohort)


PRE_CHECKS = (("ck_cohorts_pre_in_order", "pre_start <= pre_end"),
              ("ck_cohorts_pre_both_or_neither", "(pre_start IS NULL) = (pre_end IS NULL)"))


def _add_pre_period() -> None:
    """Two columns and their checks, without rebuilding the table: on SQLite a batch rebuild drops
    the old cohorts table, and its foreign keys would delete every cohort's members with it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cohorts ADD COLUMN pre_start DATE")
        checks = " ".join(f"CONSTRAINT {name} CHECK ({rule})" for name, rule in PRE_CHECKS)
        op.execute(f"ALTER TABLE cohorts ADD COLUMN pre_end DATE {checks}")
        return
    op.add_column("cohorts", sa.Column("pre_start", sa.Date(), nullable=True))
    op.add_column("cohorts", sa.Column("pre_end", sa.Date(), nullable=True))
    for name, rule in PRE_CHECKS:
        op.create_check_constraint(op.f(name), "cohorts", rule)


def _london_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


def _freeze_time_zero(connection, cohort) -> None:
    """Time zero and days at risk of one cohort's members (see the module's docstring)."""
    last_part = sa.func.max(parts.c.starts_at)
    attended = connection.execute(
        sa.select(attendances.c.dsl_id, sessions.c.first_day, course_types.c.code, last_part)
        .join(sessions, sessions.c.id == attendances.c.session_id)
        .join(course_types, course_types.c.id == sessions.c.course_type_id)
        .outerjoin(parts, parts.c.session_id == sessions.c.id)
        .where(attendances.c.status == "attended", course_types.c.code.in_(list(cohort.courses)),
               sessions.c.first_day >= cohort.exposure_start)
        .group_by(attendances.c.dsl_id, sessions.c.id, sessions.c.first_day, course_types.c.code)).all()
    first = {}
    for dsl_id, first_day, code, last_start in sorted(attended, key=lambda row: (row[1], row[2])):
        if dsl_id not in first:
            last_day = first_day if last_start is None else \
                last_start.replace(tzinfo=timezone.utc).astimezone(LONDON).date()
            first[dsl_id] = (first_day, last_day)
    updates = []
    for member_id, dsl_id, group in connection.execute(
            sa.select(members.c.id, members.c.dsl_id, members.c.group_name)
            .where(members.c.cohort_id == cohort.id)).all():
        first_day, last_day = first.get(dsl_id, (None, None))
        if group == "treatment":
            row = {"trained_on": last_day, "next_session_on": None,
                   "from": max(cohort.outcome_start, last_day + timedelta(days=1)) if last_day else cohort.outcome_start,
                   "to": cohort.outcome_end}
        else:
            row = {"trained_on": None, "next_session_on": first_day, "from": cohort.outcome_start,
                   "to": min(cohort.outcome_end, first_day - timedelta(days=1)) if first_day else cohort.outcome_end}
        if row["to"] < row["from"]:
            row["from"] = row["to"] = None
        updates.append({
            "member_id": member_id, "trained_on": row["trained_on"], "next_session_on": row["next_session_on"],
            "at_risk_from": row["from"], "at_risk_to": row["to"],
            "at_risk_low": _london_midnight_utc(row["from"]) if row["from"] else None,
            "at_risk_high": _london_midnight_utc(row["to"] + timedelta(days=1)) if row["to"] else None,
            "days_at_risk": (row["to"] - row["from"]).days + 1 if row["to"] else 0})
    if updates:
        connection.execute(
            members.update().where(members.c.id == sa.bindparam("member_id")).values(
                {name: sa.bindparam(name) for name in ("trained_on", "next_session_on", "at_risk_from", "at_risk_to",
                                                       "at_risk_low", "at_risk_high", "days_at_risk")}), updates)


def downgrade():
    with op.batch_alter_table("cohort_members") as batch_op:
        for name, _kind in reversed(MEMBER_COLUMNS):
            batch_op.drop_column(name)
    if op.get_bind().dialect.name == "sqlite":
        # pre_end carries both checks, so it goes first; then nothing names pre_start.
        op.execute("ALTER TABLE cohorts DROP COLUMN pre_end")
        op.execute("ALTER TABLE cohorts DROP COLUMN pre_start")
        return
    for name, _rule in reversed(PRE_CHECKS):
        op.drop_constraint(op.f(name), "cohorts", type_="check")
    op.drop_column("cohorts", "pre_end")
    op.drop_column("cohorts", "pre_start")
