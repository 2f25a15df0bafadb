"""Thumbnails and previews, content-addressed by the original's hash.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thumbnails",
        sa.Column("content_hash", sa.String(32), primary_key=True),
        sa.Column("settings", sa.String(64), nullable=False),
        sa.Column("preview_path", sa.Text, nullable=False),
        sa.Column("preview_width", sa.Integer, nullable=False),
        sa.Column("preview_height", sa.Integer, nullable=False),
        sa.Column("preview_bytes", sa.Integer, nullable=False),
        sa.Column("thumbnail_path", sa.Text, nullable=False),
        sa.Column("thumbnail_width", sa.Integer, nullable=False),
        sa.Column("thumbnail_height", sa.Integer, nullable=False),
        sa.Column("thumbnail_bytes", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("thumbnails")
