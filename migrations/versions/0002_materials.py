"""materials: the poster, slides and follow-up sheet, their numbered versions with the PDF built at
publish time, downloads and the materials settings

Revision ID: 0003_materials
Revises: 0001
Create Date: 2026-11-26 18:22:30.772769

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
# Files are numbered in chain order; this id is older than that numbering and stays, because
# databases already upgraded record it.
revision = '0003_materials'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('poster', 'induction-slides', 'refresher-slides', 'follow-up')", name=op.f('ck_materials_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('kind', name=op.f('uq_materials_kind'))
    )
    op.create_table('material_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poster_public', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_material_settings_single_row')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_material_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_settings'))
    )
    op.create_table('material_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_size', sa.Integer(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf_a3', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_a3_size', sa.Integer(), nullable=True),
    sa.Column('pdf_a3_sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status = 'draft' OR (published_at IS NOT NULL AND pdf IS NOT NULL AND pdf_sha256 IS NOT NULL)", name=op.f('ck_material_versions_published_has_pdf')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_material_versions_status_known')),
    sa.CheckConstraint('number > 0', name=op.f('ck_material_versions_number_positive')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_versions_material_id_materials'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_material_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_material_versions_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_versions')),
    sa.UniqueConstraint('material_id', 'number', name=op.f('uq_material_versions_material_id'))
    )
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_versions_material_id'), ['material_id'], unique=False)

    op.create_table('material_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.String(length=4), nullable=False),
    sa.Column('downloaded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("size IN ('A4', 'A3')", name=op.f('ck_material_downloads_size_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_material_downloads_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_material_downloads_version_id_material_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_downloads'))
    )
    with op.batch_alter_table('material_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_downloads_downloaded_at'), ['downloaded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_downloads_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_downloads_version_id'), ['version_id'], unique=False)



def downgrade():
    with op.batch_alter_table('material_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_downloads_version_id'))
        batch_op.drop_index(batch_op.f('ix_material_downloads_user_id'))
        batch_op.drop_index(batch_op.f('ix_material_downloads_downloaded_at'))

    op.drop_table('material_downloads')
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_versions_material_id'))

    op.drop_table('material_versions')
    op.drop_table('material_settings')
    op.drop_table('materials')
