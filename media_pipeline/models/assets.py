""" "Download Models" (the `ml_models` group): `clip_model` and `face_model`, each fetched once
and checksummed, so a library's runs never download and a damaged file is found before use.

One asset per model: a model that cannot be had fails only the assets that need it (no CLIP
model: embeddings, search and near duplicates; faces still run).

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import dagster as dg

from media_pipeline.models.ensure import ModelFiles, ensure_model, face_model_files
from media_pipeline.models.errors import ModelError
from media_pipeline.models.specs import clip_spec, face_backend_from_env, offline_from_env
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import MODELS_GROUP


def clip_files(paths: MediaPaths) -> ModelFiles:
    """The configured CLIP model, downloaded once and verified; one clear error otherwise."""
    try:
        return ensure_model(clip_spec(), paths.folders().models, offline_from_env())
    except ModelError as exc:
        raise dg.Failure(str(exc)) from exc


def _files_table(files: ModelFiles) -> str:
    rows = "\n".join(
        f"| `{entry.name}` | {entry.size:,} | `{entry.sha256[:16]}…` |" for entry in files.files
    )
    return f"| file | bytes | sha256 |\n|---|---|---|\n{rows}"


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"python"},
    description="The CLIP model (MEDIA_PIPELINE_CLIP_MODEL: a hub id or a local folder), "
    "downloaded once and checksummed.",
)
def clip_model(context: dg.AssetExecutionContext, paths: MediaPaths) -> dg.MaterializeResult:
    files = clip_files(paths)
    context.log.info(f"{files.name} ready at {files.path}")
    return dg.MaterializeResult(
        metadata={
            "clip_model": files.name,
            "path": dg.MetadataValue.path(str(files.path)),
            "bytes": sum(entry.size for entry in files.files),
            "files": dg.MetadataValue.md(_files_table(files)),
            "licence": files.licence,
        }
    )


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"python"},
    description="The face backend (MEDIA_PIPELINE_FACE_BACKEND) and, for insightface, its "
    "model pack (MEDIA_PIPELINE_FACE_MODEL), checksummed; dlib's weights come with PyPI.",
)
def face_model(context: dg.AssetExecutionContext, paths: MediaPaths) -> dg.MaterializeResult:
    try:
        backend = face_backend_from_env()
        # Only on request: the insightface packs are licensed for non-commercial use only.
        faces = face_model_files(paths.folders().models) if backend == "insightface" else None
    except (ModelError, ValueError) as exc:
        raise dg.Failure(str(exc)) from exc
    metadata: dict[str, dg.RawMetadataValue] = {"face_backend": backend}
    if faces is not None:
        context.log.info(f"{faces.name} ready at {faces.path}")
        metadata["face_model"] = faces.name
        metadata["face_model_path"] = dg.MetadataValue.path(str(faces.path))
        metadata["face_model_files"] = dg.MetadataValue.md(_files_table(faces))
        metadata["face_model_licence"] = faces.licence
    return dg.MaterializeResult(metadata=metadata)
