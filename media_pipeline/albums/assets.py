"""`auto_albums` and `auto_album_titles` ("Generate Auto Albums" / "… Titles"), across libraries.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from datetime import timedelta

import dagster as dg

from media_pipeline.albums.events import EventSettings, group_events, sort_time
from media_pipeline.albums.identity import assign_album_ids
from media_pipeline.albums.titles import album_place, album_title
from media_pipeline.catalog.albums import (
    AlbumRecord,
    album_count,
    album_members,
    album_photos,
    album_writes,
    named_in_albums,
    photo_rows,
    photos_of,
    replace_albums,
    set_titles,
)
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.thumbnails import derivatives_of
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.faces.assets import face_clusters
from media_pipeline.paths import MediaPaths
from media_pipeline.photo import Photo
from media_pipeline.pipeline import COLLECTION_GROUP
from media_pipeline.runtime.inputs import inputs_digest, latest_data_version, unchanged_metadata
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.scan.assets import media_catalog

SHEET_SIZE = 12
# Once a night after the nightly scan, not after every scan: a burst of imports must not
# regroup the whole collection each time.
NIGHTLY = dg.AutomationCondition.on_cron("30 1 * * *")
# Versions of the grouping and of the titles: another one recomputes them when no input changed.
ALBUMS_ALGORITHM = 1
TITLES_ALGORITHM = 1


class AlbumConfig(dg.Config):
    max_gap_hours: float = 36.0
    split_distance_km: float = 100.0
    split_gap_hours: float = 4.0
    min_size: int = 3

    def event_settings(self) -> EventSettings:
        return EventSettings(
            max_gap=timedelta(hours=self.max_gap_hours),
            split_distance_km=self.split_distance_km,
            split_gap=timedelta(hours=self.split_gap_hours),
            min_size=self.min_size,
        )


def _cover(event: list[Photo]) -> Photo:
    """The photo in the middle of the event: rarely the blurry first shot."""
    ordered = sorted(event, key=sort_time)
    return ordered[len(ordered) // 2]


@dg.asset(
    deps=[media_catalog],
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=NIGHTLY,
    description="Events: photos grouped by capture time, split where the place changes.",
)
def auto_albums(
    context: dg.AssetExecutionContext,
    config: AlbumConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    with retry_transient(context):
        store = catalog.open()
        rows = photo_rows(store)
        version = inputs_digest((ALBUMS_ALGORITHM, *config.model_dump().items()), rows)
        kept = unchanged_metadata(context, version)
        if kept is not None and kept["albums"].value == album_count(store):
            context.log.info(f"inputs unchanged: the {kept['albums'].value} albums stand")
            return dg.MaterializeResult(metadata=kept, data_version=dg.DataVersion(version))
        events = group_events(photos_of(rows), config.event_settings())
        previous = album_members(store)
        assigned = assign_album_ids(events, previous)
        records = []
        for album_id, event in assigned.items():
            # Local wall-clock times: what people saw, as in the titles.
            times = [photo.taken_at or sort_time(photo) for photo in event]
            records.append(
                AlbumRecord(
                    album_id,
                    sorted(photo.file_id for photo in event),
                    min(times),
                    max(times),
                    _cover(event).file_id,
                )
            )
        replace_albums(store, records)
    kept = sum(1 for record in records if record.id in previous)
    context.log.info(f"{len(records)} albums: {len(records) - kept} new, {kept} kept")
    metadata: dict[str, dg.RawMetadataValue] = {
        "albums": len(records),
        "new": len(records) - kept,
        "kept": kept,
        "removed": len(set(previous) - {record.id for record in records}),
        "photos_in_albums": sum(len(record.file_ids) for record in records),
        "inputs_unchanged": False,
    }
    home = paths.root()
    covers = []
    for record in sorted(records, key=lambda r: r.start_at, reverse=True)[:SHEET_SIZE]:
        content = store.content_hash_of(record.cover_file_id)
        made = derivatives_of(store, content) if content else None
        if made:
            covers.append(home / made["thumbnail_path"])
    sheet = contact_sheet(covers)
    if sheet is not None:
        metadata["covers"] = dg.MetadataValue.md(markdown_image(sheet, "latest album covers"))
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(version))


@dg.asset(
    deps=[auto_albums, face_clusters],
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Titles from place, dates and named people, e.g. 'Munich, 12–15 March 2023'.",
)
def auto_album_titles(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    titles, changed = [], []
    with retry_transient(context):
        store = catalog.open()
        named = named_in_albums(store)
        # The albums' data version stands for their photos' dates and places; the albums'
        # own rows for what was last grouped (new ids, new members), as titles are not.
        albums_version = latest_data_version(context, auto_albums.key)
        settings = (TITLES_ALGORITHM, albums_version, *album_writes(store))
        version = inputs_digest(settings, named.items())
        kept = unchanged_metadata(context, version)
        if kept is not None and albums_version is not None:
            context.log.info(f"inputs unchanged: the {kept['albums'].value} titles stand")
            return dg.MaterializeResult(metadata=kept, data_version=dg.DataVersion(version))
        for album in album_photos(store, named):
            title, place = album_title(album.photos), album_place(album.photos)
            if (title, place) != (album.title, album.place):
                changed.append((album.id, title, place))
            titles.append(title)
        set_titles(store, changed)
    context.log.info(f"titled {len(titles)} albums, {len(changed)} of them anew")
    sample = "\n".join(f"- {title}" for title in titles[:20])
    return dg.MaterializeResult(
        metadata={
            "albums": len(titles),
            "sample": dg.MetadataValue.md(sample or "(none)"),
            "inputs_unchanged": False,
        },
        data_version=dg.DataVersion(version),
    )
