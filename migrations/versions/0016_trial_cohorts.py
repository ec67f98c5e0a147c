"""A trial's cohorts and invitations

Revision ID: 0016_trial_cohorts
Revises: 0015_sign_in_security
Create Date: 2026-11-30 15:00:00

A cohort may be a trial's intention-to-treat cohort: a trial_cohorts row ties it to the allocation
its groups come from. Each member of such a cohort keeps their school's arm and their place in the per-protocol
analysis (treatment: an intervention school's DSL who attended; comparison: a control school's DSL
who did not; null: left out), with the per-protocol days at risk as London dates and as the UTC
instants MASH records are counted between.

An invitation to book is recorded once per DSL and allocation, so a second click sends nothing more.
Cohorts made before this revision are not trial cohorts: the new columns stay null.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_trial_cohorts"
down_revision = "0015_sign_in_security"
branch_labels = None
depends_on = None

MEMBER_COLUMNS = (("arm", sa.String(length=40)), ("protocol_group", sa.String(length=12)),
                  ("protocol_at_risk_from", sa.Date()), ("protocol_at_risk_to", sa.Date()),
                  ("protocol_at_risk_low", sa.DateTime()), ("protocol_at_risk_high", sa.DateTime()),
                  ("protocol_days_at_risk", sa.Integer()))


def upgrade():
    # A table of its own rather than a column of cohorts: SQLite would have to rebuild cohorts to
    # give it a foreign key, and the pre-period's checks do not survive that rebuild's downgrade.
    op.create_table(
        "trial_cohorts",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_trial_cohorts_cohort_id_cohorts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["allocation_id"], ["trial_allocations.id"],
                                name=op.f("fk_trial_cohorts_allocation_id_trial_allocations"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_trial_cohorts")),
    )
    op.create_index("ix_trial_cohorts_allocation_id", "trial_cohorts", ["allocation_id"], unique=False)
    with op.batch_alter_table("cohort_members") as batch_op:
        for name, kind in MEMBER_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_cohort_members_protocol_group_known"), "protocol_group IS NULL OR protocol_group IN ('comparison', 'treatment')")
    op.create_table(
        "trial_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("dsl_id", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("queued_by_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["allocation_id"], ["trial_allocations.id"],
                                name=op.f("fk_trial_invitations_allocation_id_trial_allocations"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["dsl_id"], ["dsls.id"], name=op.f("fk_trial_invitations_dsl_id_dsls"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queued_by_id"], ["users.id"], name=op.f("fk_trial_invitations_queued_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_invitations")),
        sa.UniqueConstraint("allocation_id", "dsl_id", name="one_invitation_per_dsl"),
    )
    with op.batch_alter_table("trial_invitations") as batch_op:
        batch_op.create_index("ix_trial_invitations_dsl_id", ["dsl_id"], unique=False)
        batch_op.create_index("ix_trial_invitations_queued_by_id", ["queued_by_id"], unique=False)


def downgrade():
    op.drop_table("trial_invitations")
    with op.batch_alter_table("cohort_members") as batch_op:
        batch_op.drop_constraint(op.f("ck_cohort_members_protocol_group_known"), type_="check")
        for name, _kind in reversed(MEMBER_COLUMNS):
            batch_op.drop_column(name)
    op.drop_index("ix_trial_cohorts_allocation_id", table_name="trial_cohorts")
    op.drop_table("trial_cohorts")
