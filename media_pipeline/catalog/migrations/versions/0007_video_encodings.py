"""Video encodings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_encodings",
        sa.Column("content_hash", sa.String(32), primary_key=True),
        sa.Column("settings", sa.String(64), nullable=False),
        sa.Column("encoded_path", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("encoder", sa.String(32)),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("duration", sa.Float),
        sa.Column("bytes", sa.BigInteger),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("video_encodings")
