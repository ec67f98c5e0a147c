"""Foreign keys to users and import batches indexed

Revision ID: 0007_foreign_key_indexes
Revises: 0007_name_order_indexes
Create Date: 2026-11-30 11:00:00

Removing a user or an import batch makes the database find every row that points at it (to set it
to null, or to refuse the delete). Without an index on the pointing column that is a read of the
whole table for each removal. The MASH records' links (dsl_id, import_batch_id) stay unindexed on
purpose: every index slows a million-row import, and the reports read that table whole anyway.
"""
from alembic import op

revision = "0007_foreign_key_indexes"
down_revision = "0007_name_order_indexes"
branch_labels = None
depends_on = None

INDEXED = (
    ("attendances", "import_batch_id"),
    ("attendances", "recorded_by_id"),
    ("bookings", "booked_by_id"),
    ("cohorts", "created_by_id"),
    ("course_sessions", "trainer_id"),
    ("import_batches", "user_id"),
    ("invitations", "created_by_id"),
    ("material_settings", "updated_by_id"),
    ("material_versions", "published_by_id"),
    ("material_versions", "updated_by_id"),
)


def upgrade():
    for table, column in INDEXED:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade():
    for table, column in reversed(INDEXED):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
