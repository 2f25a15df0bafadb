"""`memories` ("On this day"), across libraries, made nightly.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from datetime import date

import dagster as dg

from media_pipeline.catalog.memories import (
    candidate_rows,
    describe,
    replace_memories,
    thumbnails_of,
)
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.duplicates.assets import exact_duplicates
from media_pipeline.faces.assets import face_clusters
from media_pipeline.memories.build import build_memories, today
from media_pipeline.memories.onthisday import MemorySettings
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP
from media_pipeline.runtime.inputs import inputs_digest, unchanged_metadata
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.scan.assets import media_catalog
from media_pipeline.scan.schedules import TIMEZONE

# Shortly after midnight where the user lives (the nightly scan's zone): a new day's memories.
MEMORIES_VERSION = 1  # make_memories' rules: another version makes the day's memories again
NIGHTLY = dg.AutomationCondition.on_cron("15 2 * * *", cron_timezone=TIMEZONE)


class MemoriesConfig(dg.Config):
    date: str = ""  # YYYY-MM-DD; empty: today in MEDIA_PIPELINE_TIMEZONE
    max_photos: int = 12
    min_photos: int = 3  # a day with fewer photos widens to its week
    week_days: int = 3

    def day(self) -> date:
        return date.fromisoformat(self.date) if self.date else today()


@dg.asset(
    name="memories",
    deps=[media_catalog, exact_duplicates, face_clusters],  # no wait for CLIP's near ones
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=NIGHTLY,
    description='"On this day": photos of today\'s date in earlier years, one memory a year, '
    "best photos first.",
)
def memories_asset(
    context: dg.AssetExecutionContext,
    config: MemoriesConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    day = config.day()
    settings = MemorySettings(config.max_photos, config.min_photos, config.week_days)
    home = paths.root()
    with retry_transient(context):
        store = catalog.open()
        rows = candidate_rows(store, day, settings.week_days)
        version = inputs_digest((MEMORIES_VERSION, day, settings), rows)
        kept = unchanged_metadata(context, version)
        if kept is not None:  # the day's memories stand (and their previews' sharpness)
            context.log.info(f"inputs unchanged: the memories for {day.isoformat()} stand")
            return dg.MaterializeResult(metadata=kept, data_version=dg.DataVersion(version))
        made = build_memories(store, day, home, settings, rows)
        replace_memories(store, day, made)
    context.log.info(f"{len(made)} memories for {day.isoformat()}")
    sections = []
    thumbs = thumbnails_of(store, [file_id for memory in made for file_id in memory.file_ids])
    for memory in made:
        sheet = contact_sheet([home / thumbs[f] for f in memory.file_ids if f in thumbs])
        if sheet is not None:
            sections.append(f"**{memory.title}** ({memory.date.isoformat()})\n\n")
            sections[-1] += markdown_image(sheet, memory.title)
    return dg.MaterializeResult(
        metadata={
            "date": day.isoformat(),
            "memories": len(made),
            "photos": sum(len(memory.file_ids) for memory in made),
            "contact_sheets": dg.MetadataValue.md("\n\n".join(sections) or "(no memories today)"),
            "listing": dg.MetadataValue.json(describe(store, made)),
            "inputs_unchanged": False,
        },
        data_version=dg.DataVersion(version),
    )
