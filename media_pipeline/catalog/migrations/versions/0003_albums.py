"""Auto-albums and their files.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "albums",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("place", sa.Text),
        sa.Column("start_at", sa.DateTime, nullable=False),
        sa.Column("end_at", sa.DateTime, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column(
            "cover_file_id", sa.Integer, sa.ForeignKey("media_files.id", ondelete="SET NULL")
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "album_files",
        sa.Column(
            "album_id",
            sa.String(32),
            sa.ForeignKey("albums.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("media_files.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_album_files_file", "album_files", ["file_id"])


def downgrade() -> None:
    op.drop_table("album_files")
    op.drop_table("albums")
