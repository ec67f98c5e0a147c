"""The DSL Infoline: calls, the topics an admin manages, and the infoline role

Revision ID: 0013_infoline
Revises: 0012_days_at_risk
Create Date: 2026-12-01 10:00:00

Advisers who answer the Infoline sign in with a role of their own, so the users table's check on
roles gains ``infoline``. On PostgreSQL the check is dropped and made again. On SQLite a check
cannot be altered, and rebuilding the users table would run every foreign key's ON DELETE action
against the accounts (audit rows refuse, invitations would go): the stored table definition is
edited in place instead, the procedure SQLite documents for changes that leave the stored rows
valid (a wider list of allowed values does). The downgrade narrows it again, and refuses while an
account still has the role.
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0013_infoline"
down_revision = "0012_days_at_risk"
branch_labels = None
depends_on = None

ROLES_BEFORE = ("admin", "trainer", "evaluator", "dsl")
ROLES_AFTER = ROLES_BEFORE + ("infoline",)
ADVICE = ("handled", "early-help", "mash", "other")


def _quoted(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _set_user_roles(roles) -> None:
    bind = op.get_bind()
    rule = f"role IN ({_quoted(roles)})"
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_users_role_known"), "users", type_="check")
        op.create_check_constraint(op.f("ck_users_role_known"), "users", rule)
        return
    definition = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    changed, found = re.subn(r"role IN \([^)]*\)", rule, definition)
    if found != 1:
        raise RuntimeError("the users table's check on roles was not found where expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (changed,))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _set_user_roles(ROLES_AFTER)
    op.create_table(
        "infoline_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infoline_topics")),
        sa.UniqueConstraint("name", name=op.f("uq_infoline_topics_name")),
    )
    op.create_table(
        "infoline_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("advice", sa.String(length=12), nullable=False),
        sa.Column("caller_email", sa.String(length=254), nullable=True),
        sa.Column("school_urn", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("dsl_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"advice IN ({_quoted(ADVICE)})", name=op.f("ck_infoline_calls_advice_known")),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0",
                           name=op.f("ck_infoline_calls_duration_not_negative")),
        sa.CheckConstraint("school_urn IS NULL OR school_urn > 0", name=op.f("ck_infoline_calls_urn_positive")),
        sa.ForeignKeyConstraint(["dsl_id"], ["dsls.id"], name=op.f("fk_infoline_calls_dsl_id_dsls"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_infoline_calls_recorded_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batches.id"],
                                name=op.f("fk_infoline_calls_import_batch_id_import_batches"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infoline_calls")),
        sa.UniqueConstraint("call_id", name=op.f("uq_infoline_calls_call_id")),
    )
    with op.batch_alter_table("infoline_calls", schema=None) as batch_op:
        for column in ("received_at", "dsl_id", "school_urn", "recorded_by_id", "import_batch_id"):
            batch_op.create_index(batch_op.f(f"ix_infoline_calls_{column}"), [column], unique=False)


def downgrade():
    users = op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE role = 'infoline'")).scalar()
    if users:
        raise RuntimeError(f"{users} accounts have the infoline role: give them another role before downgrading")
    op.drop_table("infoline_calls")
    op.drop_table("infoline_topics")
    _set_user_roles(ROLES_BEFORE)
