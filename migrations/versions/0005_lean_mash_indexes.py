"""MASH records keep only the indexes reports and imports use

Revision ID: 0006_lean_mash_indexes
Revises: 0002_courses
Create Date: 2026-11-26 18:50:00

Million-row contact imports spent most of their time updating indexes that no query needed:
the referrer email, DSL and import batch of a record are read by whole-table scans (linkage,
relinking, tracing), never by index look-ups.
"""
from alembic import op

# Files are numbered in chain order; this id is older than that numbering and stays, because
# databases already upgraded record it.
revision = "0006_lean_mash_indexes"
down_revision = "0002_courses"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mash_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mash_records_referrer_email"))
        batch_op.drop_index(batch_op.f("ix_mash_records_dsl_id"))
        batch_op.drop_index(batch_op.f("ix_mash_records_import_batch_id"))


def downgrade():
    with op.batch_alter_table("mash_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mash_records_import_batch_id"), ["import_batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mash_records_dsl_id"), ["dsl_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mash_records_referrer_email"), ["referrer_email"], unique=False)
