"""`imported_files`: an import folder's files moved into their library by its template.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import dagster as dg

from media_pipeline.catalog.imports import import_folder
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.imports.mover import run_imports
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.runtime.partitions import library_partitions, partition_library
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.scan.assets import media_catalog


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    deps=[media_catalog],
    kinds={"python"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Storage template: files arriving in an import folder are copied into the "
    "target library's tree, verified, then removed; every move is recorded and can be undone.",
)
def imported_files(
    context: dg.AssetExecutionContext, catalog: CatalogResource
) -> dg.MaterializeResult:
    with retry_transient(context):
        store = catalog.open()
        library = partition_library(context, store)
        folder = import_folder(store, library)
        if folder is None:
            return dg.MaterializeResult(metadata={"import_folder": False})
        report = run_imports(store, folder, context.run.run_id)
    context.log.info(
        f"{library.name} -> {folder.target.name}: {report.moved} moved, {report.migrated} "
        f"migrated, {report.waiting} still being written, {report.failed} failed"
    )
    return dg.MaterializeResult(
        metadata={
            "import_folder": True,
            "target": folder.target.name,
            "template": folder.template,
            "moved": report.moved,
            "migrated": report.migrated,
            "waiting": report.waiting,
            "recovered": report.recovered,
            "failed": report.failed,
            "undo": f"media-pipeline import undo {context.run.run_id}",
        }
    )
