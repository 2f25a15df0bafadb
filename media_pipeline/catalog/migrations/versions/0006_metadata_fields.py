"""Caption, rating, keywords and state; Live Photo pairs and motion photo videos.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("state", sa.String(200)),
    ("description", sa.Text),
    ("rating", sa.Integer),
    ("keywords", sa.JSON),
    ("content_identifier", sa.String(64)),
    ("motion_video", sa.Text),
    ("paired_with", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("media_files") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind))
        batch.create_index("ix_media_files_content_identifier", ["content_identifier"])


def downgrade() -> None:
    with op.batch_alter_table("media_files") as batch:
        batch.drop_index("ix_media_files_content_identifier")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
