"""SQLAlchemy Core tables of the catalog. Alembic migrations (catalog/migrations) create them.

Paths are stored relative to their library's root (`rel_path`, with `dir` its parent folder) so a
library folder can be moved or mounted elsewhere without rewriting rows, and so the scanner can
compare one folder at a time through an index instead of loading the whole library.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
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
    # An import folder: files arriving here move into library `import_into` by the template.
    Column("import_into", Integer),
    Column("import_template", Text),
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
    Column("state", String(200)),
    Column("description", Text),
    Column("rating", Integer),
    Column("keywords", JSON),
    # Apple's content identifier, shared by a Live Photo's still and its video
    Column("content_identifier", String(64)),
    # A motion photo's embedded video, extracted once, relative to MEDIA_PIPELINE_HOME
    Column("motion_video", Text),
    # On a Live Photo's video: the still it belongs to (the pair is one item, the still)
    Column("paired_with", Integer),
    UniqueConstraint("library_id", "rel_path", name="uq_media_files_library_path"),
    Index("ix_media_files_library_dir", "library_id", "dir"),
    # Copies and moves by content; with the status, finding the missing rows a new copy may
    # have moved from reads only those, however many present copies share the hash.
    Index("ix_media_files_content_hash_status", "content_hash", "status"),
    Index("ix_media_files_taken_at_utc", "taken_at_utc"),
    Index("ix_media_files_content_identifier", "content_identifier"),
    # What a stage still has to do (catalog/pending.py), read from the index alone, in
    # content order: 3x faster than through the rows at 100,000 files, for every stage's
    # count and pages in every run.
    Index(
        "ix_media_files_pending",
        "library_id",
        "content_hash",
        "status",
        "paired_with",
        "rel_path",
        "size",
        "mtime_ns",
    ),
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

# Browser-playable encodings of videos (`video_encodings`), content-addressed like the
# derivatives: one row per content, the decision of the current settings; a video that plays
# as it is has no encoded_path.
video_encodings = Table(
    "video_encodings",
    metadata,
    Column("content_hash", String(32), primary_key=True),
    Column("settings", String(64), nullable=False),
    Column("encoded_path", Text),  # relative to MEDIA_PIPELINE_HOME
    Column("reason", Text, nullable=False),  # why it was encoded, or why not
    Column("encoder", String(32)),
    Column("width", Integer),
    Column("height", Integer),
    Column("duration", Float),
    Column("bytes", BigInteger),
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

# Duplicate groups: exact (same content; rebuilt by `exact_duplicates`) and near (rebuilt by
# `duplicates`); a file is in at most one group of each kind.
duplicate_files = Table(
    "duplicate_files",
    metadata,
    Column("group_id", Integer, nullable=False),
    Column("kind", String(8), primary_key=True),
    Column("similarity", Float, nullable=False),
    Column("file_id", Integer, ForeignKey("media_files.id", ondelete="CASCADE"), primary_key=True),
    Column("keeper", Boolean, nullable=False),
    Index("ix_duplicate_files_group", "kind", "group_id"),
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

# Text recognised in a content's preview, per OCR model (a new model reads again): the lines
# as JSON (text, score, box as fractions of the upright image), the text itself, and a
# case- and accent-folded copy that `search` matches words against.
photo_text = Table(
    "photo_text",
    metadata,
    Column("content_hash", String(32), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("text", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("lines", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# "On this day" memories of one date, rebuilt by `memories`; ids derive from the date, the
# kind and the year, so a memory keeps its id when made again.
memories = Table(
    "memories",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("for_date", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # "day" or "week"
    Column("year", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("cover_file_id", Integer, ForeignKey("media_files.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Index("ix_memories_for_date", "for_date"),
)

memory_files = Table(
    "memory_files",
    metadata,
    Column(
        "memory_id", String(32), ForeignKey("memories.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("file_id", Integer, ForeignKey("media_files.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)

# Every move of an import folder (and of template migrations), a journal written before the
# file is touched: state "planned" until the copy is verified and the source removed, then
# "done"; a crashed move is finished by the next run. `file_id` is the catalog row that moved.
import_moves = Table(
    "import_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # "import", "migrate" or "undo"
    Column("file_id", Integer, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("from_library_id", Integer, nullable=False),
    Column("from_path", Text, nullable=False),  # relative to the library's root
    Column("to_library_id", Integer, nullable=False),
    Column("to_path", Text, nullable=False),
    Column("state", String(16), nullable=False),  # "planned", "done"
    Column("created_at", DateTime, nullable=False),
    Column("moved_at", DateTime),
    Column("undone_at", DateTime),
    Index("ix_import_moves_run", "run_id"),
    Index("ix_import_moves_file", "file_id"),
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
    "state",
    "description",
    "rating",
    "keywords",
    "content_identifier",
    "motion_video",
)
