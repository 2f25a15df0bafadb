"""The asset checks by name, without importing the assets: `status` summarises them cheaply."""

from __future__ import annotations

# (asset, check) in the order `status` lists them.
CHECKS: tuple[tuple[str, str], ...] = (
    ("media_catalog", "content_hashes"),
    ("thumbnails", "previews_cover_files"),
    ("thumbnails", "derivative_files_match_catalog"),
    ("thumbnails", "derivatives_carry_no_metadata"),
    ("clip_embeddings", "embeddings_cover_previews"),
    ("face_detections", "face_scans_cover_previews"),
    ("search_index", "index_matches_embeddings"),
)
