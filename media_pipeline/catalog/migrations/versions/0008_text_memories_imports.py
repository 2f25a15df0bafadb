"""Recognised text in photos, "on this day" memories, import folders and their moves.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_text",
        sa.Column("content_hash", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "memories",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("for_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column(
            "cover_file_id",
            sa.Integer,
            sa.ForeignKey("media_files.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_memories_for_date", "memories", ["for_date"])
    op.create_table(
        "memory_files",
        sa.Column(
            "memory_id",
            sa.String(32),
            sa.ForeignKey("memories.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("media_files.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("libraries") as batch:
        batch.add_column(sa.Column("import_into", sa.Integer))
        batch.add_column(sa.Column("import_template", sa.Text))
    op.create_table(
        "import_moves",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("from_library_id", sa.Integer, nullable=False),
        sa.Column("from_path", sa.Text, nullable=False),
        sa.Column("to_library_id", sa.Integer, nullable=False),
        sa.Column("to_path", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("moved_at", sa.DateTime),
        sa.Column("undone_at", sa.DateTime),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_import_moves_run", "import_moves", ["run_id"])
    op.create_index("ix_import_moves_file", "import_moves", ["file_id"])


def downgrade() -> None:
    op.drop_table("import_moves")
    with op.batch_alter_table("libraries") as batch:
        batch.drop_column("import_template")
        batch.drop_column("import_into")
    op.drop_table("memory_files")
    op.drop_table("memories")
    op.drop_table("photo_text")
