"""The boundary with the file system: sync partitions, request scans of changed libraries."""

import json

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.pipeline import library_pipeline
from media_pipeline.runtime.partitions import library_partitions, partition_changes
from media_pipeline.runtime.tags import library_run_tags
from media_pipeline.scan.fingerprint import library_fingerprint


@dg.sensor(
    job=library_pipeline,
    minimum_interval_seconds=settings.env_int("MEDIA_PIPELINE_SENSOR_INTERVAL", 60),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Lists each library's folders (no hashing) and requests a run of the library's "
        "pipeline (scan, then what derives from it) when its folders changed; also keeps the "
        "library partitions in step with the catalog."
    ),
)
def library_change_sensor(
    context: dg.SensorEvaluationContext, catalog: CatalogResource
) -> dg.SensorResult:
    libraries = catalog.open().libraries()
    added, removed = partition_changes(context.instance, [lib.name for lib in libraries])
    previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    fingerprints: dict[str, str] = {}
    requests = []
    for library in libraries:
        fingerprint = library_fingerprint(library.root)
        if fingerprint is None:
            context.log.warning(f"library {library.name}: folder {library.root} is unavailable")
            if library.name in previous:
                fingerprints[library.name] = previous[library.name]
            continue
        fingerprints[library.name] = fingerprint
        if previous.get(library.name) != fingerprint:
            requests.append(
                dg.RunRequest(
                    partition_key=library.name,
                    run_key=f"{library.name}:{fingerprint}",
                    tags=library_run_tags(library.name, "sensor"),
                )
            )
    partition_requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]
    partition_requests = []
    if added:
        partition_requests.append(library_partitions.build_add_request(added))
    if removed:
        partition_requests.append(library_partitions.build_delete_request(removed))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=partition_requests,
        cursor=json.dumps(fingerprints, sort_keys=True),
    )
