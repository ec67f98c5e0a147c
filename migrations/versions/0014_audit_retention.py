"""Audit trail retention: purges, the only way an audit event is ever deleted

Revision ID: 0014_audit_retention
Revises: 0013_infoline
Create Date: 2026-12-03 10:00:00

Audit events are kept for a set time (AUDIT_RETENTION_MONTHS) and then purged by
``flask audit purge``. The database still refuses every UPDATE of an event; it now lets a DELETE
through only for an event older than the cutoff of a recorded purge. A purge is a row of
``audit_purges`` (when, the cutoff, how many events went, who ran it), and that table is itself
append-only, so every deletion there has ever been can be traced to a purge that says so. The
database also refuses a purge whose cutoff is less than 28 days in the past: however the setting is
given (the app's shortest retention is one month), the last four weeks of the trail cannot be removed.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_audit_retention"
down_revision = "0013_infoline"
branch_labels = None
depends_on = None

REFUSAL = "audit events are never changed or removed"
PURGE_REFUSAL = "audit purges are never changed or removed"
TOO_RECENT = "an audit purge keeps at least the last 28 days of events"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table(
        "audit_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purged_at", sa.DateTime(), nullable=False),
        sa.Column("cutoff", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_purges_user_id_users"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_purges")),
    )
    if _postgresql():
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql():
    op.execute("DROP TRIGGER audit_events_no_delete ON audit_events")
    op.execute(f"""
        CREATE FUNCTION audit_events_purge_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.occurred_at < (SELECT max(cutoff) FROM audit_purges) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{REFUSAL}';
        END $$""")
    op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION audit_events_purge_only()")
    op.execute(f"""
        CREATE FUNCTION audit_purges_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{PURGE_REFUSAL}';
        END $$""")
    op.execute(f"""
        CREATE FUNCTION audit_purges_keep_a_month() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.cutoff > (now() AT TIME ZONE 'UTC') - interval '28 days' THEN
                RAISE EXCEPTION '{TOO_RECENT}';
            END IF;
            RETURN NEW;
        END $$""")
    for action in ("update", "delete"):
        op.execute(f"CREATE TRIGGER audit_purges_no_{action} BEFORE {action.upper()} ON audit_purges "
                   "FOR EACH ROW EXECUTE FUNCTION audit_purges_append_only()")
    op.execute("CREATE TRIGGER audit_purges_keep_a_month BEFORE INSERT ON audit_purges "
               "FOR EACH ROW EXECUTE FUNCTION audit_purges_keep_a_month()")


def _upgrade_sqlite():
    op.execute("DROP TRIGGER audit_events_no_delete")
    # Stored times are ISO text ('2026-12-03 10:00:00.000000'), which sorts as time does.
    op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
               "WHEN OLD.occurred_at >= coalesce((SELECT max(cutoff) FROM audit_purges), '') "
               f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
    for action in ("update", "delete"):
        op.execute(f"CREATE TRIGGER audit_purges_no_{action} BEFORE {action.upper()} ON audit_purges "
                   f"BEGIN SELECT RAISE(ABORT, '{PURGE_REFUSAL}'); END")
    op.execute("CREATE TRIGGER audit_purges_keep_a_month BEFORE INSERT ON audit_purges "
               "WHEN NEW.cutoff > datetime('now', '-28 days') "
               f"BEGIN SELECT RAISE(ABORT, '{TOO_RECENT}'); END")


def downgrade():
    postgresql = _postgresql()
    on = " ON audit_purges" if postgresql else ""
    for name in ("audit_purges_no_update", "audit_purges_no_delete", "audit_purges_keep_a_month"):
        op.execute(f"DROP TRIGGER {name}{on}")
    op.execute("DROP TRIGGER audit_events_no_delete" + (" ON audit_events" if postgresql else ""))
    if postgresql:
        for function in ("audit_purges_append_only", "audit_purges_keep_a_month", "audit_events_purge_only"):
            op.execute(f"DROP FUNCTION {function}()")
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
    op.drop_table("audit_purges")
