"""`face_detections` per library ("Scan Faces"), then across libraries `person_recognition`
("Train Faces": named people claim the faces they are sure of) and `face_clusters` ("Cluster
All Faces": the rest join existing people or form new ones).

Recognition runs before clustering so a new photo of someone the user named goes to that
person with a certainty, instead of seeding an unnamed look-alike group first.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, nullcontext
from pathlib import Path

import dagster as dg
import numpy as np
from sqlalchemy import ColumnElement

from media_pipeline.catalog.faces import (
    CLUSTER,
    RECOGNITION,
    STAGE,
    FoundFace,
    create_people,
    drop_empty_people,
    face_counts,
    face_sources,
    grouping_fingerprint,
    kept_people,
    load_faces,
    named_people,
    people_rebuild,
    place_faces,
    record_grouping,
    release_faces,
    save_face_scans,
    scanned,
)
from media_pipeline.catalog.pending import PendingContent, in_pages
from media_pipeline.catalog.people import list_people, person_crops
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.thumbnails import has_preview
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.faces.backends import FaceBackendError
from media_pipeline.faces.cluster import fingerprint, group_faces, inherit_ids, max_distance_for
from media_pipeline.faces.config import resolve_face_settings
from media_pipeline.faces.detect import (
    DETECTOR,
    FaceScan,
    FaceSettings,
    cached_backend,
    to_original,
)
from media_pipeline.faces.recognize import calibration_for, recognise
from media_pipeline.faces.suggest import merge_suggestions
from media_pipeline.home import FACE_CROPS
from media_pipeline.models.assets import face_model
from media_pipeline.models.errors import ModelError
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP, LIBRARY_GROUP
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.settings import available_cores, env_int
from media_pipeline.stages.graph import run_stage, stage_config
from media_pipeline.stages.pool import work_many
from media_pipeline.stages.runner import BatchConfig, Made, Stage, StageWork
from media_pipeline.thumbnails.assets import thumbnails
from media_pipeline.thumbnails.storage import write_atomically

SHEET_PEOPLE = 12  # people shown in the clustering's contact sheets
SHEET_FACES = 8  # faces per person in a sheet
# Faces a new person needs (as Immich's default): a face seen once or twice is more often a
# stranger in the background than someone to name.
MIN_FACES_SETTING = "MEDIA_PIPELINE_FACE_MIN_FACES"
DEFAULT_MIN_FACES = 3


class FaceConfig(BatchConfig):
    """Detection settings. The backend and its model are not here but in the environment
    (MEDIA_PIPELINE_FACE_BACKEND, MEDIA_PIPELINE_FACE_MODEL): recognition and clustering must
    read the same model's faces as detection wrote."""

    min_size: int = 32  # px on the 1440 px preview (faces/detect.py says why)
    min_score: float = -1.0  # < 0: the backend's default (dlib 0.0, insightface 0.7)
    upsample: int = 1  # dlib
    det_size: int = 640  # insightface
    device: str = "auto"
    workers: int = 0  # detection processes; 0: one per core (dlib), one (insightface)

    def base(self) -> FaceSettings:
        return FaceSettings(
            min_size=self.min_size,
            min_score=None if self.min_score < 0 else self.min_score,
            upsample=self.upsample,
            det_size=self.det_size,
            device=self.device,
        )


def face_settings(paths: MediaPaths, config: FaceConfig | None = None) -> FaceSettings:
    """The configured backend and model, or a dg.Failure that says what to fix."""
    config = config or FaceConfig()
    try:
        return resolve_face_settings(paths.folders().models, config.base())
    except (ModelError, ValueError) as exc:
        raise dg.Failure(str(exc)) from exc


def _model_and_distance(paths: MediaPaths, configured: float) -> tuple[str, float]:
    """The face model recognition and clustering work on (the one detection records), and
    the distance within which two of its faces are one person (``configured`` < 0: the
    backend's default)."""
    model = face_settings(paths).model
    return model, max_distance_for(model, None if configured < 0 else configured)


def crop_path(content_hash: str, model: str, index: int) -> str:
    """Content-addressed like the thumbnails, with the model's tag (faces are per model)."""
    tag = hashlib.sha1(model.encode()).hexdigest()[:8]
    folder = os.path.join(FACE_CROPS, content_hash[:2], content_hash[2:4])
    return os.path.join(folder, f"{content_hash}-{tag}-{index}.jpg")


def _with_sources(
    store: Catalog, home: Path, pending: Iterator[PendingContent], page: int = 200
) -> Iterator[tuple[tuple[PendingContent, tuple[int, int] | None], str]]:
    """((pending, upright size), preview path) jobs, one catalog query per page."""
    for chunk in in_pages(pending, page):
        sources = face_sources(store, [item.content_hash for item in chunk])
        for item in chunk:
            source = sources.get(item.content_hash)
            if source is not None:
                yield (item, source.upright), str(home / source.preview_path)


def _found_faces(
    home: Path, content_hash: str, model: str, scan: FaceScan, upright: tuple[int, int] | None
) -> list[FoundFace]:
    """The scan's faces in the original's frame, their crops written to disk."""
    found = []
    for index, (face, crop) in enumerate(zip(scan.faces, scan.crops, strict=True)):
        analysed = (scan.width, scan.height)
        corners = to_original(np.array(face.box).reshape(2, 2), analysed, upright)
        points = to_original(np.array(face.landmarks), analysed, upright)
        path = crop_path(content_hash, model, index)
        write_atomically(home, path, crop)
        found.append(
            FoundFace(
                box=tuple(round(float(v), 1) for v in corners.ravel()),  # type: ignore[arg-type]
                landmarks=[[round(float(x), 1), round(float(y), 1)] for x, y in points],
                score=round(face.score, 4),
                embedding=face.embedding,
                crop_path=path,
            )
        )
    return found


class _Detecting(StageWork):
    def __init__(self, store: Catalog, home: Path, settings: FaceSettings, workers: int) -> None:
        self.store, self.home, self.settings, self.workers = store, home, settings, workers
        self.info = {"backend": settings.backend, "model": settings.model, "workers": workers}

    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, object]]:
        jobs = _with_sources(self.store, self.home, items)
        model = self.settings.model
        with closing(work_many(jobs, self.settings, self.workers, DETECTOR)) as results:
            for (pending, upright), result in results:
                if not isinstance(result, FaceScan):
                    yield pending, result
                    continue
                found = _found_faces(self.home, pending.content_hash, model, result, upright)
                crops = [face.crop_path for face in found[:2] if face.crop_path]
                made = Made((pending.content_hash, found), {"faces_found": len(found)}, crops)
                yield pending, made

    def save(self, rows: Sequence[tuple[str, Sequence[FoundFace]]]) -> None:
        save_face_scans(self.store, self.settings.model, rows)


class FaceDetections(Stage[FaceConfig]):
    name = "face_detections"
    ledger = STAGE
    progress = "faces"
    config = FaceConfig
    done_key = "files_scanned"
    rate_key = "files_per_second"
    batch_files = 1000  # ~2 minutes on 2 CPU cores with dlib
    queue = "gpu"
    pool = "ml"
    sheet = ("new_faces", 24)
    counters = ("faces_found",)

    def done(self, config: FaceConfig, paths: MediaPaths) -> ColumnElement[bool]:
        return scanned(face_settings(paths, config).model) | ~has_preview()

    def open(self, context, config, paths, store) -> StageWork:
        settings = face_settings(paths, config)
        try:
            cached_backend(settings)  # one clear error, not one per file
        except FaceBackendError as exc:
            raise dg.Failure(str(exc)) from exc
        workers = config.workers or (available_cores() if settings.backend == "dlib" else 1)
        return _Detecting(store, paths.root(), settings, workers)


FACE_DETECTIONS = FaceDetections()


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    ins={
        "thumbnails": dg.AssetIn(thumbnails.key, dagster_type=dg.Nothing),
        "face_model": dg.AssetIn(face_model.key, dagster_type=dg.Nothing),
    },
    config=stage_config(FACE_DETECTIONS),
    kinds={"python", "onnx"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Scan Faces: faces (box, landmarks, score, embedding, crop) found in the "
    "previews by the configured backend (insightface or dlib), per content and model.",
)
def face_detections(thumbnails, face_model):
    return run_stage(FACE_DETECTIONS, thumbnails, face_model)


class RecognitionConfig(dg.Config):
    min_certainty: float = 0.6  # calibrated: the chance the face is the person's (recognize.py)


@dg.asset(
    deps=[face_detections],
    group_name=COLLECTION_GROUP,
    kinds={"scikitlearn"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Train Faces: faces nobody has placed yet go to the named person they are "
    "close to as a whole, with a calibrated certainty; below the threshold they stay unknown.",
)
def person_recognition(
    context: dg.AssetExecutionContext,
    config: RecognitionConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    model = face_settings(paths).model
    calibration = calibration_for(model)
    with retry_transient(context):
        store = catalog.open()
        names = named_people(store)
        table = load_faces(store, model)
        by_recognition = np.array([by == RECOGNITION for by in table.assigned_by], dtype=bool)
        training = np.isin(table.people, list(names)) & ~by_recognition
        candidates = (table.people < 0) & ~table.by_user
        results = recognise(
            table.embeddings[training],
            table.people[training],
            table.embeddings[candidates],
            calibration,
            config.min_certainty,
        )
        rows = table.ids[candidates]
        assigned = [
            (int(rows[r.face]), r.person_id, RECOGNITION, r.certainty)
            for r in results
            if r.person_id is not None
        ]
        place_faces(store, assigned)
    per_person: dict[str, int] = {}
    for _, person, _, _ in assigned:
        per_person[names[person]] = per_person.get(names[person], 0) + 1
    context.log.info(
        f"recognised {len(assigned)} of {int(candidates.sum())} unplaced faces "
        f"({len(names)} named people, {int(training.sum())} training faces)"
    )
    table_md = "\n".join(f"| {name} | {count} |" for name, count in sorted(per_person.items()))
    return dg.MaterializeResult(
        metadata={
            "model": model,
            "named_people": len(names),
            "training_faces": int(training.sum()),
            "candidates": int(candidates.sum()),
            "recognised": len(assigned),
            "certainty_midpoint": calibration[0],
            "min_certainty": config.min_certainty,
            "recognised_per_person": dg.MetadataValue.md(
                f"| person | faces |\n|---|---|\n{table_md}" if table_md else "(none)"
            ),
        }
    )


class ClusterConfig(dg.Config):
    min_faces: int = 0  # faces a new person needs, fewer stay unknown; 0: MIN_FACES_SETTING
    max_distance: float = -1.0  # < 0: the backend's default (faces/cluster.py)
    recluster: bool = False  # regroup unnamed people now (named and merged people, and the
    # user's own placements, stay); a new grouping fingerprint does it once by itself


@dg.asset(
    deps=[person_recognition],
    group_name=COLLECTION_GROUP,
    kinds={"scikitlearn"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Cluster All Faces: faces nobody claimed join the existing person they are "
    "close to as a whole, the rest are grouped into new people (average linkage); ids are "
    "stable; a changed algorithm regroups unnamed people once; suggested merges.",
)
def face_clusters(
    context: dg.AssetExecutionContext,
    config: ClusterConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    model, distance = _model_and_distance(paths, config.max_distance)
    min_faces = config.min_faces or env_int(MIN_FACES_SETTING, DEFAULT_MIN_FACES)
    current = fingerprint(distance, min_faces)
    started = time.monotonic()
    with retry_transient(context):
        store = catalog.open()
        before = grouping_fingerprint(store, model)
        regroup = config.recluster or before != current
        # A regrouping is one transaction under the writer's lock over persons and faces:
        # a concurrent assignment waits instead of landing between release and placement.
        rebuild = people_rebuild(store) if regroup else nullcontext(store)
        with rebuild as target:
            previous: dict[int, int] = {}
            if regroup:
                previous = release_faces(target, [CLUSTER], keep_people=kept_people(target))
                why = "asked" if config.recluster else f"grouped by {before or 'an older version'}"
                context.log.info(
                    f"regrouping unnamed people ({why}, now {current}): {len(previous)} faces "
                    "taken out, their people's ids go to the new groups that hold most of them"
                )
            table = load_faces(target, model)
            # People being regrouped are no one to join: what is left of them (faces the user
            # placed there) would pull in whatever looks like those faces.
            placed = (table.people >= 0) & ~np.isin(table.people, list(set(previous.values())))
            free = (table.people < 0) & ~table.by_user
            grouping = group_faces(
                table.embeddings[placed],
                table.people[placed],
                table.embeddings[free],
                distance,
                min_faces,
            )
            free_ids = table.ids[free]
            place_faces(
                target,
                [
                    (int(free_ids[face]), person, CLUSTER, None)
                    for face, person in grouping.joined.items()
                ],
            )
            members = [[int(free_ids[face]) for face in cluster] for cluster in grouping.clusters]
            inherited = inherit_ids(members, previous)
            pairs = zip(members, inherited, strict=True)
            covers = [cluster[0] for cluster, old in pairs if old is None]
            fresh = create_people(target, covers)
            fresh_ids = iter(fresh)
            people_ids = [old if old is not None else next(fresh_ids) for old in inherited]
            place_faces(
                target,
                [
                    (face, person, CLUSTER, None)
                    for person, cluster in zip(people_ids, members, strict=True)
                    for face in cluster
                ],
            )
            # A concurrent run that placed the same faces first leaves these people empty; so
            # does a regrouping that no longer finds a released person.
            created = len(fresh) - drop_empty_people(target, fresh)
            drop_empty_people(target, sorted(set(previous.values())))
            record_grouping(target, model, current)
        counts = face_counts(store, model)
        people = list_people(store)
        suggestions = merge_suggestions(store)  # the measured cut, as the CLI lists them
    seconds = time.monotonic() - started
    unknown = int(free.sum()) - len(grouping.joined) - sum(map(len, grouping.clusters))
    context.log.info(
        f"{len(grouping.joined)} faces joined existing people, {created} new people, "
        f"{unknown} faces unknown"
    )
    metadata: dict[str, dg.RawMetadataValue] = {
        "model": model,
        "people": counts["people"],
        "new_people": created,
        "joined_existing": len(grouping.joined),
        "faces": counts["faces"],
        "faces_in_people": counts["in_people"],
        "unknown_faces": counts["faces"] - counts["in_people"],
        "max_distance": distance,
        "min_faces": min_faces,
        "fingerprint": current,
        "regrouped": bool(previous),
        "suggested_merges": len(suggestions),
        "seconds": round(seconds, 3),
    }
    home = paths.root()
    sections = []
    for person in people[:SHEET_PEOPLE]:
        sheet = contact_sheet(_person_crops(store, person.id, home), cell=96)
        if sheet is not None:
            label = person.name or "unnamed"
            title = f"{label} (person {person.id}, {person.face_count} faces)"
            sections.append(f"**{title}**\n\n{markdown_image(sheet, title)}")
    sections.extend(_suggestion_sections(store, suggestions, home))
    if sections:
        metadata["people_faces"] = dg.MetadataValue.md("\n\n".join(sections))
    return dg.MaterializeResult(metadata=metadata)


def _suggestion_sections(store: Catalog, suggestions: list[dict], home: Path) -> list[str]:
    """The people sheet's suggested merges: both people's faces side by side, with the
    command that confirms the merge."""
    sections = []
    for pair in suggestions[:SHEET_PEOPLE]:
        half = SHEET_FACES // 2
        crops = _person_crops(store, pair["keep"], home)[:half]
        crops += _person_crops(store, pair["other"], home)[:half]
        sheet = contact_sheet(crops, cell=96)
        title = (
            f"suggested merge: person {pair['other']} ({pair['other_name'] or 'unnamed'}) into "
            f"person {pair['keep']} ({pair['keep_name'] or 'unnamed'}), distance "
            f"{pair['distance']:.3f}: `media-pipeline people merge {pair['keep']} {pair['other']}`"
        )
        image = markdown_image(sheet, f"merge {pair['other']} into {pair['keep']}") if sheet else ""
        sections.append(f"**{title}**\n\n{image}".rstrip())
    return sections


def _person_crops(store: Catalog, person_id: int, home: Path) -> list[Path]:
    return [home / path for path in person_crops(store, person_id, SHEET_FACES)]
