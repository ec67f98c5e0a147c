"""DSL aliases for linkage, and the audit trail

Revision ID: 0009_aliases_and_audit_trail
Revises: 0008_trials
Create Date: 2026-12-02 10:00:00

An alias maps a referrer email that is not on the register to a DSL who is. The audit trail is
append-only: besides the app, which only ever adds rows, the database refuses to change or delete
one (a trigger on each database). Keeping records only for a set time (issue 13's retention) will
replace the delete trigger with one that lets through rows older than that time.

mash_records.referrer_email stays unindexed (see 0006_lean_mash_indexes). Relinking the emails of
one register edit reads the table once: 0.3 to 0.7 s at a million records, measured on a busy
2-core machine. An index would take about a second to build at the end of every million-row
contacts import, taking PostgreSQL's import from about 1.4 to about 1.75 times its baseline,
beyond the 1.5 the benchmark allows.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_aliases_and_audit_trail"
down_revision = "0008_trials"
branch_labels = None
depends_on = None

REFUSAL = "audit events are never changed or removed"


def upgrade():
    op.create_table(
        "dsl_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("dsl_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dsl_id"], ["dsls.id"], name=op.f("fk_dsl_aliases_dsl_id_dsls"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_dsl_aliases_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsl_aliases")),
        sa.UniqueConstraint("email", name=op.f("uq_dsl_aliases_email")),
    )
    op.create_index(op.f("ix_dsl_aliases_dsl_id"), "dsl_aliases", ["dsl_id"])
    op.create_index(op.f("ix_dsl_aliases_created_by_id"), "dsl_aliases", ["created_by_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=100), nullable=True),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.Column("old_values", sa.JSON(), nullable=True),
        sa.Column("new_values", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_events_user_id_users"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_occurred_at"), "audit_events", ["occurred_at"])
    op.create_index(op.f("ix_audit_events_user_id"), "audit_events", ["user_id"])
    op.create_index(op.f("ix_audit_events_event"), "audit_events", ["event"])
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL}';
            END $$""")
        for action in ("update", "delete"):
            op.execute(f"CREATE TRIGGER audit_events_no_{action} BEFORE {action.upper()} ON audit_events "
                       "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
    else:
        for action in ("update", "delete"):
            op.execute(f"CREATE TRIGGER audit_events_no_{action} BEFORE {action.upper()} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def downgrade():
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER audit_events_no_{action}"
                   + (" ON audit_events" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_index("ix_audit_events_object", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_event"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_user_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_occurred_at"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_dsl_aliases_created_by_id"), table_name="dsl_aliases")
    op.drop_index(op.f("ix_dsl_aliases_dsl_id"), table_name="dsl_aliases")
    op.drop_table("dsl_aliases")
