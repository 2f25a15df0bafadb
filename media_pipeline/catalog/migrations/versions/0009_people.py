"""People: which grouping made a model's people, and people the user merged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No row for a model: its people were grouped before fingerprints (DBSCAN), so the next
    # `face_clusters` regroups its unnamed people once.
    op.create_table(
        "face_groupings",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("merged_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("merged_at")
    op.drop_table("face_groupings")
