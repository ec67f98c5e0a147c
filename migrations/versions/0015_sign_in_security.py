"""Two-step sign-in and hashed calendar feed tokens

Revision ID: 0015_sign_in_security
Revises: 0014_audit_retention
Create Date: 2026-12-02 10:00:00

Accounts get a TOTP secret, when they enrolled and the last time step a code was accepted for, and
single-use recovery codes (hashes only). Calendar feeds keep a SHA-256 hash of their token instead of
the token: feeds that exist keep their address (their hash is worked out here), but as the token
cannot be made again from its hash, their DSLs see a button to make a new address instead of the old one.
Going back, the old tokens are gone: each feed gets a new random token (its old address stops working).
"""
import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0015_sign_in_security"
down_revision = "0014_audit_retention"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("mfa_enrolled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"], unique=False)

    with op.batch_alter_table("calendar_feeds") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("salt", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    feeds = sa.table("calendar_feeds", sa.column("id", sa.Integer), sa.column("token", sa.String),
                     sa.column("token_hash", sa.String))
    for feed_id, token in connection.execute(sa.select(feeds.c.id, feeds.c.token)).all():
        connection.execute(feeds.update().where(feeds.c.id == feed_id)
                           .values(token_hash=hashlib.sha256(token.encode()).hexdigest()))
    with op.batch_alter_table("calendar_feeds") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_calendar_feeds_token", type_="unique")
        batch.drop_column("token")
        batch.create_unique_constraint("uq_calendar_feeds_token_hash", ["token_hash"])


def downgrade():
    with op.batch_alter_table("calendar_feeds") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    feeds = sa.table("calendar_feeds", sa.column("id", sa.Integer), sa.column("token", sa.String))
    for (feed_id,) in connection.execute(sa.select(feeds.c.id)).all():
        connection.execute(feeds.update().where(feeds.c.id == feed_id).values(token=secrets.token_urlsafe(32)))
    with op.batch_alter_table("calendar_feeds") as batch:
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_calendar_feeds_token_hash", type_="unique")
        batch.drop_column("token_hash")
        batch.drop_column("salt")
        batch.create_unique_constraint("uq_calendar_feeds_token", ["token"])

    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("mfa_enrolled_at")
        batch.drop_column("totp_secret")
