"""Schools and DSLs indexed by name, the order the admin lists page through

Revision ID: 0007_name_order_indexes
Revises: 0006_lean_mash_indexes
Create Date: 2026-11-27 20:20:00

The schools and DSL register pages show 50 at a time in name order. Without an index on the name,
every page read and sorted the whole table (25,000 schools, 60,000 DSLs in a region); with one, a
page reads its 50 rows in order (checked with EXPLAIN in tests/core/test_query_plans.py).
"""
from alembic import op

# Files are numbered in chain order; this id is older than that numbering and stays, because
# databases already upgraded record it.
revision = "0007_name_order_indexes"
down_revision = "0006_lean_mash_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schools_name"), ["name"], unique=False)
    with op.batch_alter_table("dsls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dsls_name"), ["name"], unique=False)


def downgrade():
    with op.batch_alter_table("dsls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dsls_name"))
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schools_name"))
