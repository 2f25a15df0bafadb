"""The library's integrity as Dagster asset checks, run after their assets in every run.

Each looks at the whole catalog (every library: derivatives are shared between libraries),
except that a pipeline run compares only the derivative files it wrote with their rows (the
full comparison walks every file: `media-pipeline check`), and fails with a count and
examples; a failed check fails nothing else, it shows on the asset's "Asset checks" row, the
Checks tab and in `media-pipeline status`. The checks of the per-library assets are one step
(a multi-asset check): each step of a daemon-launched run costs seconds of process start.

Dagster reads the annotations of check parameters: no `from __future__ import annotations`.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline.catalog import integrity
from media_pipeline.catalog.embeddings import STAGE as CLIP_STAGE
from media_pipeline.catalog.embeddings import embedded
from media_pipeline.catalog.faces import STAGE as FACES_STAGE
from media_pipeline.catalog.faces import scanned
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.thumbnails import STAGE as THUMBNAILS_STAGE
from media_pipeline.catalog.thumbnails import has_preview
from media_pipeline.checks.metadata import embedded_metadata
from media_pipeline.clip.assets import clip_embeddings, search_index
from media_pipeline.faces.assets import face_detections
from media_pipeline.home import THUMBS
from media_pipeline.paths import MediaPaths
from media_pipeline.runtime.runs import recorded_model
from media_pipeline.scan.assets import media_catalog
from media_pipeline.thumbnails.assets import thumbnails

METADATA_SAMPLE = 20  # derivative files read per run: enough to catch a renderer regression
INTEGRITY_JOB = "integrity_checks"  # `media-pipeline check`: every check in full


def _run_created(context: dg.AssetCheckExecutionContext) -> datetime:
    """When this run was created, as naive UTC like the catalog's timestamps."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    created = record.create_timestamp if record is not None else datetime.now(UTC)
    return created.astimezone(UTC).replace(tzinfo=None)


def _result(findings: integrity.Findings, what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=findings.count == 0,
        description=f"{findings.count} {what}" if findings.count else None,
        metadata={"count": findings.count, "examples": "\n".join(findings.examples)},
    )


def content_hashes(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    return _result(integrity.without_content_hash(catalog.open()), "present files lack a hash")


def previews_cover_files(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    found = integrity.uncovered(catalog.open(), THUMBNAILS_STAGE, has_preview())
    return _result(found, "present files have no preview and no ledger row")


def derivative_files_match_catalog(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    """Every file against every row in `media-pipeline check` (the integrity_checks job); in a
    run that materialized thumbnails, only the rows that run wrote. The whole comparison walks
    every derivative file (2.1 s at 100,000 photos), which a run that rendered 50 photos, or
    none, should not pay; a run's crash can leave orphans, which the next full check finds."""
    if context.run.job_name != INTEGRITY_JOB:
        since = _run_created(context)  # hosts' clocks in step (NTP); a lagging one's rows: `check`
        missing, written = integrity.derivatives_written_since(catalog.open(), paths.root(), since)
        return dg.AssetCheckResult(
            passed=not missing.count,
            description=(
                f"{missing.count} derivative files written by this run are missing"
                if missing.count
                else None
            ),
            metadata={
                "scope": f"the {written} rows this run wrote (`media-pipeline check`: every file)",
                "missing": missing.count,
                "missing_examples": "\n".join(missing.examples),
            },
        )
    missing, orphans = integrity.derivative_files(catalog.open(), paths.root(), THUMBS)
    problems = []
    if missing.count:
        problems.append(f"{missing.count} derivative files of catalog rows are missing")
    if orphans.count:
        problems.append(f"{orphans.count} files under {THUMBS}/ have no catalog row")
    return dg.AssetCheckResult(
        passed=not problems,
        description="; ".join(problems) or None,
        metadata={
            "scope": "every derivative file and row",
            "missing": missing.count,
            "orphans": orphans.count,
            "missing_examples": "\n".join(missing.examples),
            "orphan_examples": "\n".join(orphans.examples),
        },
    )


def derivatives_carry_no_metadata(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    home = paths.root()
    sample = integrity.sample_derivatives(catalog.open(), METADATA_SAMPLE)
    found = integrity.Findings()
    for rel_path in sample:
        try:
            kinds = embedded_metadata(home / rel_path)
        except OSError:
            continue  # a missing or unreadable file is derivative_files_match_catalog's finding
        if kinds:
            found.add(f"{rel_path}: {', '.join(kinds)}")
    result = _result(found, f"of {len(sample)} sampled derivatives carry metadata")
    return dg.AssetCheckResult(
        passed=result.passed,
        description=result.description,
        metadata={**result.metadata, "sampled": len(sample)},
    )


def _model_coverage(
    context: dg.AssetCheckExecutionContext,
    catalog: CatalogResource,
    asset: str,
    stage: str,
    done: Callable[[str], ColumnElement[bool]],
) -> dg.AssetCheckResult:
    """Previewed present files the stage's current model has not done, outside the ledger."""
    model = recorded_model(context.instance, asset)
    if model is None:
        return dg.AssetCheckResult(passed=True, description=f"{asset} has not run yet")
    found = integrity.uncovered(catalog.open(), stage, done(model), has_preview())
    return _result(found, f"previewed files have no {stage} result by {model} and no ledger row")


def embeddings_cover_previews(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    return _model_coverage(context, catalog, "clip_embeddings", CLIP_STAGE, embedded)


def face_scans_cover_previews(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    return _model_coverage(context, catalog, "face_detections", FACES_STAGE, scanned)


@dg.asset_check(
    asset=search_index,
    description="The search index holds exactly the embeddings of present files.",
)
def index_matches_embeddings(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.AssetCheckResult:
    from media_pipeline.clip.index import SearchIndex

    model = recorded_model(context.instance, "search_index")
    folder = paths.folders().search_index
    if model is None:
        return dg.AssetCheckResult(passed=True, description="no search index built yet")
    if not folder.exists():
        return dg.AssetCheckResult(passed=False, description=f"no search index at {folder}")
    try:
        index = SearchIndex.load(folder)
    except (OSError, ValueError) as exc:
        return dg.AssetCheckResult(passed=False, description=f"unreadable search index: {exc}")
    indexed, expected = set(index.rows), integrity.embedded_keys(catalog.open(), model)
    absent, stale = sorted(expected - indexed), sorted(indexed - expected)
    problems = []
    if index.model_name != model:
        problems.append(f"the index is of {index.model_name}, the embeddings of {model}")
    if absent:
        problems.append(f"{len(absent)} embeddings are not in the index")
    if stale:
        problems.append(f"{len(stale)} index rows have no embedding of a present file")
    return dg.AssetCheckResult(
        passed=not problems,
        description="; ".join(problems) or None,
        metadata={
            "indexed": len(indexed),
            "embeddings": len(expected),
            "absent_examples": "\n".join(map(str, absent[:10])),
            "stale_examples": "\n".join(map(str, stale[:10])),
        },
    )


LIBRARY_CHECKS = [
    (
        dg.AssetCheckSpec(
            "content_hashes",
            asset=media_catalog,
            description="No present file without a content hash.",
        ),
        content_hashes,
    ),
    (
        dg.AssetCheckSpec(
            "previews_cover_files",
            asset=thumbnails,
            description="Every present file has a preview and a thumbnail, or a row in the errors "
            "ledger.",
        ),
        previews_cover_files,
    ),
    (
        dg.AssetCheckSpec(
            "derivative_files_match_catalog",
            asset=thumbnails,
            description="No derivative file without a catalog row, no row without its files.",
        ),
        derivative_files_match_catalog,
    ),
    (
        dg.AssetCheckSpec(
            "derivatives_carry_no_metadata",
            asset=thumbnails,
            description=f"No derivative carries EXIF, GPS, XMP or IPTC ({METADATA_SAMPLE} sampled "
            "per run).",
        ),
        derivatives_carry_no_metadata,
    ),
    (
        dg.AssetCheckSpec(
            "embeddings_cover_previews",
            asset=clip_embeddings,
            description="Every previewed present file has an embedding of the current model, or a "
            "row in the errors ledger.",
        ),
        embeddings_cover_previews,
    ),
    (
        dg.AssetCheckSpec(
            "face_scans_cover_previews",
            asset=face_detections,
            description="Every previewed present file was scanned for faces by the current model, "
            "or has a row in the errors ledger.",
        ),
        face_scans_cover_previews,
    ),
]
_BY_KEY = {spec.key: check for spec, check in LIBRARY_CHECKS}


@dg.multi_asset_check(
    specs=[spec for spec, _ in LIBRARY_CHECKS], can_subset=True, name="library_checks"
)
def library_checks(
    context: dg.AssetCheckExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> Iterator[dg.AssetCheckResult]:
    """The checks of the assets this run materialized."""
    for key in sorted(context.selected_asset_check_keys, key=lambda key: key.name):
        result = _BY_KEY[key](context, catalog, paths)
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=result.passed,
            description=result.description,
            metadata=result.metadata,
        )


asset_checks = [library_checks, index_matches_embeddings]

integrity_checks = dg.define_asset_job(
    INTEGRITY_JOB,
    selection=dg.AssetSelection.all_asset_checks(),
    description="Every asset check, without materializing anything (`media-pipeline check`).",
)
