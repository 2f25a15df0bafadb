"""CLIP embeddings per content and model; duplicate groups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clip_embeddings",
        sa.Column("content_hash", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "duplicate_files",
        sa.Column("group_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("media_files.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("keeper", sa.Boolean, nullable=False),
    )
    op.create_index("ix_duplicate_files_group", "duplicate_files", ["group_id"])


def downgrade() -> None:
    op.drop_table("duplicate_files")
    op.drop_table("clip_embeddings")
