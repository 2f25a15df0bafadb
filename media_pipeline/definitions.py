"""The code location: only assembles what the domain packages define."""

import dagster as dg

from media_pipeline.albums.assets import auto_album_titles, auto_albums
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.checks.assets import asset_checks, integrity_checks
from media_pipeline.clip.assets import clip_embeddings, search_index
from media_pipeline.distributed.executor import configured_executor
from media_pipeline.duplicates.assets import duplicates, exact_duplicates
from media_pipeline.faces.assets import face_clusters, face_detections, person_recognition
from media_pipeline.imports.assets import imported_files
from media_pipeline.maintenance.jobs import (
    backup_catalog_job,
    delete_missing_photos,
    nightly_backup,
)
from media_pipeline.memories.assets import memories_asset
from media_pipeline.models.assets import clip_model, face_model
from media_pipeline.ocr.assets import photo_text
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import (
    collection_pipeline,
    follow_scans,
    library_pipeline,
    models_pipeline,
    scan_job,
)
from media_pipeline.runtime.reaper import dead_run_sensor
from media_pipeline.scan.assets import media_catalog
from media_pipeline.scan.schedules import nightly_library_scan, periodic_library_scan
from media_pipeline.scan.sensors import library_change_sensor
from media_pipeline.thumbnails.assets import thumbnails
from media_pipeline.video.assets import video_encodings

defs = dg.Definitions(
    assets=[
        media_catalog,
        imported_files,
        thumbnails,
        clip_model,
        face_model,
        video_encodings,
        clip_embeddings,
        search_index,
        exact_duplicates,
        duplicates,
        face_detections,
        photo_text,
        person_recognition,
        face_clusters,
        auto_albums,
        auto_album_titles,
        memories_asset,
    ],
    asset_checks=asset_checks,
    jobs=[
        models_pipeline,
        library_pipeline,
        collection_pipeline,
        scan_job,
        delete_missing_photos,
        backup_catalog_job,
        integrity_checks,
    ],
    sensors=[library_change_sensor, follow_scans, dead_run_sensor],
    schedules=[nightly_library_scan, periodic_library_scan, nightly_backup],
    resources={"catalog": CatalogResource(), "paths": MediaPaths()},
    executor=configured_executor(),
)
