"""Libraries, media files with their metadata, and the per-file errors ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "libraries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_scan_at", sa.DateTime),
    )
    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "library_id",
            sa.Integer,
            sa.ForeignKey("libraries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rel_path", sa.Text, nullable=False),
        sa.Column("dir", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("missing_since", sa.DateTime),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("metadata_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(64)),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("orientation", sa.Integer),
        sa.Column("taken_at", sa.DateTime),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("taken_at_utc", sa.DateTime),
        sa.Column("taken_at_source", sa.String(40)),
        sa.Column("make", sa.String(200)),
        sa.Column("model", sa.String(200)),
        sa.Column("lens_model", sa.String(200)),
        sa.Column("exposure_time", sa.String(32)),
        sa.Column("f_number", sa.Float),
        sa.Column("iso", sa.Integer),
        sa.Column("focal_length", sa.Float),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("city", sa.String(200)),
        sa.Column("country", sa.String(200)),
        sa.Column("duration", sa.Float),
        sa.UniqueConstraint("library_id", "rel_path", name="uq_media_files_library_path"),
    )
    op.create_index("ix_media_files_library_dir", "media_files", ["library_id", "dir"])
    op.create_index("ix_media_files_content_hash", "media_files", ["content_hash"])
    op.create_index("ix_media_files_taken_at_utc", "media_files", ["taken_at_utc"])
    op.create_table(
        "processing_errors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "library_id",
            sa.Integer,
            sa.ForeignKey("libraries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rel_path", sa.Text, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("size", sa.BigInteger),
        sa.Column("mtime_ns", sa.BigInteger),
        sa.UniqueConstraint(
            "library_id", "rel_path", "stage", name="uq_processing_errors_file_stage"
        ),
    )


def downgrade() -> None:
    op.drop_table("processing_errors")
    op.drop_table("media_files")
    op.drop_table("libraries")
