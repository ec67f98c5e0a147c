"""Trainer's notes published with each deck version

Revision ID: 0010_material_notes
Revises: 0009_aliases_and_audit_trail
Create Date: 2026-11-30 12:00:00

A deck's version now keeps its trainer's notes as a PDF built once when it is published, beside the
deck's own PDF (and the poster's A3). Versions published before have none; their PDFs and content
are left exactly as they were.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_material_notes"
down_revision = "0009_aliases_and_audit_trail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("material_versions") as batch:
        batch.add_column(sa.Column("notes_pdf", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("notes_pdf_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("notes_pdf_sha256", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("material_versions") as batch:
        batch.drop_column("notes_pdf_sha256")
        batch.drop_column("notes_pdf_size")
        batch.drop_column("notes_pdf")
