"""SQLAlchemy Core tables of the catalog. Alembic migrations (catalog/migrations) create them.

Paths are stored relative to their library's root (`rel_path`, with `dir` its parent folder) so a
library folder can be moved or mounted elsewhere without rewriting rows, and so the scanner can
compare one folder at a time through an index instead of loading the whole library.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Alembic's record of the schema version. Dagster's own PostgreSQL storage keeps its state in
# `alembic_version`: the catalog may share that database, so it keeps its own.
VERSION_TABLE = "media_pipeline_schema_version"

libraries = Table(
    "libraries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("root", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_scan_at", DateTime),
)

media_files = Table(
    "media_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("library_id", Integer, ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("rel_path", Text, nullable=False),
    Column("dir", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("status", String(16), nullable=False, default="present"),
    Column("missing_since", DateTime),
    Column("first_seen", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("metadata_version", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("mime", String(64)),
    Column("width", Integer),
    Column("height", Integer),
    Column("orientation", Integer),
    Column("taken_at", DateTime),
    Column("time_zone", String(64)),
    Column("taken_at_utc", DateTime),
    Column("taken_at_source", String(40)),
    Column("make", String(200)),
    Column("model", String(200)),
    Column("lens_model", String(200)),
    Column("exposure_time", String(32)),
    Column("f_number", Float),
    Column("iso", Integer),
    Column("focal_length", Float),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("city", String(200)),
    Column("country", String(200)),
    Column("duration", Float),
    UniqueConstraint("library_id", "rel_path", name="uq_media_files_library_path"),
    Index("ix_media_files_library_dir", "library_id", "dir"),
    Index("ix_media_files_content_hash", "content_hash"),
    Index("ix_media_files_taken_at_utc", "taken_at_utc"),
)

processing_errors = Table(
    "processing_errors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("library_id", Integer, ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False),
    Column("rel_path", Text, nullable=False),
    Column("stage", String(32), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    # The file's (size, mtime) when it failed: an unchanged file is not retried on every scan.
    Column("size", BigInteger),
    Column("mtime_ns", BigInteger),
    UniqueConstraint("library_id", "rel_path", "stage", name="uq_processing_errors_file_stage"),
)

# Derivatives are content-addressed: one row per content hash, shared by every copy of the
# file and kept when the file moves, so neither is ever rendered again.
thumbnails = Table(
    "thumbnails",
    metadata,
    Column("content_hash", String(32), primary_key=True),
    Column("settings", String(64), nullable=False),
    Column("preview_path", Text, nullable=False),
    Column("preview_width", Integer, nullable=False),
    Column("preview_height", Integer, nullable=False),
    Column("preview_bytes", Integer, nullable=False),
    Column("thumbnail_path", Text, nullable=False),
    Column("thumbnail_width", Integer, nullable=False),
    Column("thumbnail_height", Integer, nullable=False),
    Column("thumbnail_bytes", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Auto-albums (events), rebuilt by `auto_albums`; ids survive re-runs (albums/identity.py).
albums = Table(
    "albums",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text),
    Column("place", Text),
    Column("start_at", DateTime, nullable=False),
    Column("end_at", DateTime, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("cover_file_id", Integer, ForeignKey("media_files.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

album_files = Table(
    "album_files",
    metadata,
    Column("album_id", String(32), ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True),
    Column("file_id", Integer, ForeignKey("media_files.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_album_files_file", "file_id"),
)

# CLIP image embeddings, content-addressed like derivatives, one row per content and model:
# L2-normalised float32 vectors as bytes (changing the model re-embeds; old rows stay).
clip_embeddings = Table(
    "clip_embeddings",
    metadata,
    Column("content_hash", String(32), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Duplicate groups, rebuilt by the `duplicates` asset: exact (same content) or near.
duplicate_files = Table(
    "duplicate_files",
    metadata,
    Column("group_id", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("similarity", Float, nullable=False),
    Column("file_id", Integer, ForeignKey("media_files.id", ondelete="CASCADE"), primary_key=True),
    Column("keeper", Boolean, nullable=False),
    Index("ix_duplicate_files_group", "group_id"),
)

# Faces: which contents a face model has analysed (zero faces included), each face found,
# and the people they are grouped into. Content-addressed like derivatives; faces are per
# model (a different backend re-detects), people are not (names outlive a model change).
face_scans = Table(
    "face_scans",
    metadata,
    Column("content_hash", String(32), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("face_count", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text),
    Column("cover_face_id", Integer),  # no FK: faces refer to persons, and SQLite dislikes cycles
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # The user merged another person into this one: regrouping keeps it, as a named person.
    Column("merged_at", DateTime),
    sqlite_autoincrement=True,  # ids users type (`people name 3`) are never reused
)

# Which grouping algorithm and settings made a face model's people (faces/cluster.py
# fingerprint): another fingerprint regroups the unnamed people once.
face_groupings = Table(
    "face_groupings",
    metadata,
    Column("model", String(200), primary_key=True),
    Column("fingerprint", String(100), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

faces = Table(
    "faces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("content_hash", String(32), nullable=False),
    Column("model", String(200), nullable=False),
    # Box and landmarks in pixels of the upright original at full size (what a viewer shows).
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("x2", Float, nullable=False),
    Column("y2", Float, nullable=False),
    Column("landmarks", Text, nullable=False),  # JSON [[x, y], ...]
    Column("score", Float, nullable=False),
    Column("embedding", LargeBinary, nullable=False),  # float32, unit length
    Column("crop_path", Text),  # relative to MEDIA_PIPELINE_HOME
    Column("person_id", Integer, ForeignKey("persons.id", ondelete="SET NULL")),
    # Who placed the face: "cluster", "recognition", "user" (never moved by the algorithms
    # again; with person_id NULL: the user said "not this person"), NULL: nobody yet.
    Column("assigned_by", String(16)),
    Column("certainty", Float),
    Column("created_at", DateTime, nullable=False),
    Index("ix_faces_content_model", "content_hash", "model"),
    Index("ix_faces_person", "person_id"),
    sqlite_autoincrement=True,
)

# Columns of media_files that metadata extraction fills (the `info --json` fields it owns).
METADATA_COLUMNS: tuple[str, ...] = (
    "kind",
    "mime",
    "width",
    "height",
    "orientation",
    "taken_at",
    "time_zone",
    "taken_at_utc",
    "taken_at_source",
    "make",
    "model",
    "lens_model",
    "exposure_time",
    "f_number",
    "iso",
    "focal_length",
    "latitude",
    "longitude",
    "city",
    "country",
    "duration",
)
