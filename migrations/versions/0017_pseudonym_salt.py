"""A random salt per cohort for its export pseudonyms

Revision ID: 0017_pseudonym_salt
Revises: 0016_trial_cohorts
Create Date: 2026-12-02 10:00:00

Each cohort keeps a random salt, so the pseudonyms of its DSLs and schools in an unsuppressed export
differ from those of every other cohort: two exports of different cohorts cannot be joined on them.
Cohorts made before this revision are given a salt here.

On SQLite the column is added and dropped in place: a batch rebuild of cohorts would delete every
cohort's members through their foreign key.
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0017_pseudonym_salt"
down_revision = "0016_trial_cohorts"
branch_labels = None
depends_on = None

cohorts = sa.table("cohorts", sa.column("id", sa.Integer), sa.column("pseudonym_salt", sa.String))


def upgrade():
    op.add_column("cohorts", sa.Column("pseudonym_salt", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (cohort_id,) in connection.execute(sa.select(cohorts.c.id)).all():
        connection.execute(cohorts.update().where(cohorts.c.id == cohort_id)
                           .values(pseudonym_salt=secrets.token_hex(32)))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cohorts DROP COLUMN pseudonym_salt")
        return
    op.drop_column("cohorts", "pseudonym_salt")
