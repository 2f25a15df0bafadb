"""Duplicate groups per kind, and the content-hash index with the status.

A file may be in one exact and one near group. The table is a cache rebuilt by
`exact_duplicates` and `duplicates`, so it is recreated empty with the new key rather than
copied (the next run fills it). The scanner looks for missing rows of a hash (moves): with
the status in the index it reads only those, not every present copy.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def _create(primary_key: tuple[str, ...]) -> None:
    op.create_table(
        "duplicate_files",
        sa.Column("group_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("media_files.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("keeper", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name="duplicate_files_pkey"),
    )
    op.create_index("ix_duplicate_files_group", "duplicate_files", ["kind", "group_id"])


def upgrade() -> None:
    op.drop_table("duplicate_files")
    _create(("kind", "file_id"))
    op.create_index("ix_media_files_content_hash_status", "media_files", ["content_hash", "status"])
    op.drop_index("ix_media_files_content_hash", table_name="media_files")


def downgrade() -> None:
    op.create_index("ix_media_files_content_hash", "media_files", ["content_hash"])
    op.drop_index("ix_media_files_content_hash_status", table_name="media_files")
    op.drop_table("duplicate_files")
    _create(("file_id",))
