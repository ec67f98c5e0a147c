"""Trials: allocations of schools to arms or waves, and analysis plans

Revision ID: 0008_trials
Revises: 0007_foreign_key_indexes
Create Date: 2026-12-01 10:00:00

An allocation is written once and never changed, and a locked analysis plan never changes.
Triggers make the database itself refuse an UPDATE or DELETE of an allocation's rows or of a locked
plan, on SQLite and on PostgreSQL, whatever code path tries. On SQLite a later
migration that rebuilds one of these tables (batch mode copies it into a new table) must create its
triggers again.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_trials"
down_revision = "0007_foreign_key_indexes"
branch_labels = None
depends_on = None

# (table, trigger, condition on the old row or None for always, message)
GUARDS = (
    ("trial_allocations", "trial_allocations_never_change", None, "an allocation is never changed"),
    ("trial_allocation_schools", "trial_allocation_schools_never_change", None, "an allocation is never changed"),
    ("analysis_plans", "analysis_plans_locked", "OLD.locked_at IS NOT NULL", "a locked analysis plan never changes"),
)


def create_guards(guards) -> None:
    """Triggers that refuse an UPDATE or DELETE of a row (when ``condition`` holds of the old row)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION trials_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
            END $$""")
        for table, trigger, condition, message in guards:
            when = f"WHEN ({condition}) " if condition else ""
            op.execute(f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW {when}"
                       f"EXECUTE FUNCTION trials_refuse_change('{message}')")
        return
    for table, trigger, condition, message in guards:
        when = f"WHEN {condition} " if condition else ""
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {trigger}_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW {when}"
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade():
    op.create_table(
        "trial_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("design", sa.String(length=20), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=60), nullable=False),
        sa.Column("algorithm_version", sa.Integer(), nullable=False),
        sa.Column("app_version", sa.String(length=40), nullable=False),
        sa.Column("register_sha256", sa.String(length=64), nullable=False),
        sa.Column("schools", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("design IN ('parallel', 'stepped-wedge')", name=op.f("ck_trial_allocations_design_known")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_trial_allocations_created_by_id_users"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_allocations")),
        sa.UniqueConstraint("name", name=op.f("uq_trial_allocations_name")),
    )
    with op.batch_alter_table("trial_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trial_allocations_created_by_id"), ["created_by_id"], unique=False)

    op.create_table(
        "trial_allocation_schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=40), nullable=True),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("fsm_percent", sa.Float(), nullable=False),
        sa.Column("size_band", sa.String(length=20), nullable=False),
        sa.Column("stratum", sa.String(length=500), nullable=False),
        sa.Column("arm", sa.String(length=40), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["allocation_id"], ["trial_allocations.id"],
                                name=op.f("fk_trial_allocation_schools_allocation_id_trial_allocations"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_allocation_schools")),
        sa.UniqueConstraint("allocation_id", "school_urn", name="one_place_per_school"),
    )
    op.create_table(
        "analysis_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("canonical_json", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("mash_records_at_lock", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_analysis_plans_version_positive")),
        sa.ForeignKeyConstraint(["allocation_id"], ["trial_allocations.id"],
                                name=op.f("fk_analysis_plans_allocation_id_trial_allocations"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["amends_id"], ["analysis_plans.id"],
                                name=op.f("fk_analysis_plans_amends_id_analysis_plans"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_analysis_plans_created_by_id_users"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["locked_by_id"], ["users.id"], name=op.f("fk_analysis_plans_locked_by_id_users"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_plans")),
        sa.UniqueConstraint("name", "version", name="one_row_per_version"),
    )
    with op.batch_alter_table("analysis_plans", schema=None) as batch_op:
        for column in ("allocation_id", "amends_id", "created_by_id", "locked_by_id"):
            batch_op.create_index(batch_op.f(f"ix_analysis_plans_{column}"), [column], unique=False)
    create_guards(GUARDS)


def downgrade():
    # Dropping a table drops its indexes and triggers.
    op.drop_table("analysis_plans")
    op.drop_table("trial_allocation_schools")
    op.drop_table("trial_allocations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION trials_refuse_change()")
