"""Model downloads: checksums, manifests, offline behaviour, repair. No test reaches the internet:
URL downloads come from a local HTTP server, the hub download is replaced by a fake that writes
files like ``snapshot_download(local_dir=...)`` does, and the real one only runs in offline mode.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from media_pipeline.models.download import download_url, sha256_file
from media_pipeline.models.ensure import ensure_model
from media_pipeline.models.errors import (
    ChecksumError,
    DownloadError,
    ModelCorrupt,
    ModelMissing,
)
from media_pipeline.models.manifest import MANIFEST_NAME, read_manifest, verify
from media_pipeline.models.specs import (
    BUFFALO_L,
    CLIP_SETTING,
    clip_spec,
    offline_from_env,
)

GOOD = b"model weights " * 5000  # 70 kB: more than one read chunk of the server
FIX = "media-pipeline run --select ml_models"


@dataclass
class Server:
    root: Path
    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub reads HF_HUB_OFFLINE at import: set both the variable and the constant;
    keep proxies away from the local server."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        import huggingface_hub.constants
    except ImportError:
        return
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A static HTTP server on 127.0.0.1 (random port) serving ``served/``."""
    root = tmp_path / "served"
    root.mkdir()
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            hits.append(self.path)

    handler = functools.partial(Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{httpd.server_address[1]}", hits)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- download_url ------------------------------------------------------------------------


def test_download_verifies_and_places_the_file(server: Server, tmp_path: Path) -> None:
    (server.root / "model.bin").write_bytes(GOOD)
    seen: list[int] = []
    target = tmp_path / "models" / "model.bin"
    result = download_url(
        f"{server.url}/model.bin", _sha(GOOD), target, progress=lambda done, _: seen.append(done)
    )
    assert result == target
    assert target.read_bytes() == GOOD
    assert sha256_file(target) == _sha(GOOD)
    assert seen[-1] == len(GOOD)
    assert [p.name for p in target.parent.iterdir()] == ["model.bin"]  # no .part left


def test_corrupted_download_is_refused_and_leaves_nothing(server: Server, tmp_path: Path) -> None:
    corrupted = bytearray(GOOD)
    corrupted[1000] ^= 0xFF
    (server.root / "corrupt.bin").write_bytes(bytes(corrupted))
    folder = tmp_path / "models"
    with pytest.raises(ChecksumError) as caught:
        download_url(f"{server.url}/corrupt.bin", _sha(GOOD), folder / "model.bin")
    message = str(caught.value)
    assert "checksum mismatch" in message and _sha(GOOD) in message
    assert _sha(bytes(corrupted)) in message and "discarded" in message
    assert list(folder.iterdir()) == []


def test_http_errors_are_download_errors(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="404"):
        download_url(f"{server.url}/nothing.bin", _sha(GOOD), tmp_path / "out" / "x.bin")
    assert list((tmp_path / "out").iterdir()) == []


# --- URL model packs (insightface's buffalo_l shape) -----------------------------------------


def _model_pack(server: Server) -> tuple[bytes, str]:
    """A zip shaped like buffalo_l.zip, with everything in one top-level folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("buffalo_l/det_10g.onnx", b"detector" * 100)
        archive.writestr("buffalo_l/w600k_r50.onnx", b"recognizer" * 100)
        archive.writestr("buffalo_l/genderage.onnx", b"gender and age")
    data = buffer.getvalue()
    (server.root / "buffalo_l.zip").write_bytes(data)
    return data, _sha(data)


def test_model_pack_downloads_unpacks_and_writes_a_manifest(server: Server, tmp_path: Path) -> None:
    _, sha = _model_pack(server)
    spec = replace(BUFFALO_L, url=f"{server.url}/buffalo_l.zip", sha256=sha)
    folder = tmp_path / "models"

    files = ensure_model(spec, folder, offline=False)
    assert files.downloaded and files.path == folder / "buffalo_l"
    assert sorted(f.name for f in files.files) == [
        "det_10g.onnx",
        "genderage.onnx",
        "w600k_r50.onnx",
    ]
    assert (files.path / "det_10g.onnx").read_bytes() == b"detector" * 100
    assert "NON-COMMERCIAL RESEARCH" in files.licence
    manifest = json.loads((files.path / MANIFEST_NAME).read_text())
    assert manifest["archive_sha256"] == sha
    assert manifest["source"] == spec.url
    assert "non-commercial" in manifest["licence"].lower()
    assert manifest["files"]["w600k_r50.onnx"] == {
        "sha256": _sha(b"recognizer" * 100),
        "size": 1000,
    }
    assert [p.name for p in folder.iterdir()] == ["buffalo_l"]  # no staging left behind

    # Later loads verify and use it, offline, without a request.
    hits = len(server.hits)
    again = ensure_model(spec, folder, offline=True)
    assert not again.downloaded and again.files == files.files
    assert len(server.hits) == hits


def test_model_pack_with_a_wrong_checksum_is_not_installed(server: Server, tmp_path: Path) -> None:
    _model_pack(server)
    spec = replace(BUFFALO_L, url=f"{server.url}/buffalo_l.zip", sha256=_sha(b"other"))
    folder = tmp_path / "models"
    with pytest.raises(ChecksumError):
        ensure_model(spec, folder, offline=False)
    assert list(folder.iterdir()) == []


def test_a_modified_file_is_caught_and_repaired_online(server: Server, tmp_path: Path) -> None:
    _, sha = _model_pack(server)
    spec = replace(BUFFALO_L, url=f"{server.url}/buffalo_l.zip", sha256=sha)
    folder = tmp_path / "models"
    path = ensure_model(spec, folder, offline=False).path
    assert verify(path) == []

    # Same size, one byte changed: only the hash can tell.
    damaged = bytearray((path / "w600k_r50.onnx").read_bytes())
    damaged[10] ^= 1
    (path / "w600k_r50.onnx").write_bytes(bytes(damaged))
    problems = verify(path)
    assert [p.file for p in problems] == ["w600k_r50.onnx"]
    assert "SHA-256" in str(problems[0])
    (path / "genderage.onnx").unlink()
    assert [str(p) for p in verify(path)] == ["genderage.onnx: missing", str(problems[0])]

    with pytest.raises(ModelCorrupt) as caught:
        ensure_model(spec, folder, offline=True)
    message = str(caught.value)
    assert "w600k_r50.onnx" in message and "genderage.onnx: missing" in message
    assert FIX in message and "MEDIA_PIPELINE_FACE_MODEL" in message

    repaired = ensure_model(spec, folder, offline=False)
    assert repaired.downloaded and verify(repaired.path) == []
    assert (path / "w600k_r50.onnx").read_bytes() == b"recognizer" * 100


def test_unreachable_url_is_model_missing(tmp_path: Path) -> None:
    spec = replace(BUFFALO_L, url="http://127.0.0.1:9/buffalo_l.zip", sha256=_sha(b""))
    with pytest.raises(ModelMissing, match="could not download") as caught:
        ensure_model(spec, tmp_path, offline=False)
    assert FIX in str(caught.value)


# --- hub models ----------------------------------------------------------------------------

HUB_FILES = {
    "config.json": b'{"model_type": "clip"}',
    "preprocessor_config.json": b"{}",
    "tokenizer.json": b"{}",
    "merges.txt": b"#version: 0.2\n",
    "vocab.json": b"{}",
    "model.safetensors": b"weights" * 1000,
    "tf_model.h5": b"not wanted",
    "flax_model.msgpack": b"not wanted",
}


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replaces snapshot_download: writes the repo's files that match allow_patterns into
    local_dir, like the real one (with its bookkeeping under .cache/)."""
    huggingface_hub = pytest.importorskip("huggingface_hub")
    import fnmatch

    calls: list[dict] = []

    def snapshot_download(repo_id: str, **kwargs: object) -> str:
        calls.append({"repo_id": repo_id, **kwargs})
        local_dir = Path(str(kwargs["local_dir"]))
        patterns = list(kwargs["allow_patterns"] or ["*"])  # type: ignore[call-overload]
        (local_dir / ".cache" / "huggingface").mkdir(parents=True, exist_ok=True)
        for name, data in HUB_FILES.items():
            if any(fnmatch.fnmatch(name, p) for p in patterns) and not (local_dir / name).exists():
                (local_dir / name).write_bytes(data)
        return str(local_dir)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_hub_model_downloads_only_what_transformers_needs(
    fake_hub: list[dict], tmp_path: Path
) -> None:
    spec = clip_spec("openai/clip-vit-base-patch32")
    files = ensure_model(spec, tmp_path, offline=False)
    assert files.path == tmp_path / "openai--clip-vit-base-patch32"
    assert files.name == "openai/clip-vit-base-patch32"
    assert fake_hub[0]["repo_id"] == "openai/clip-vit-base-patch32"
    assert fake_hub[0]["local_dir"] == files.path
    names = sorted(f.name for f in files.files)
    assert names == sorted(set(HUB_FILES) - {"tf_model.h5", "flax_model.msgpack"})
    manifest = read_manifest(files.path)
    assert manifest is not None and "MIT" in manifest.licence
    assert manifest.source == "https://huggingface.co/openai/clip-vit-base-patch32"

    # A damaged weights file: offline it is an error, online only that file is fetched again.
    (files.path / "model.safetensors").write_bytes(b"x" * len(HUB_FILES["model.safetensors"]))
    with pytest.raises(ModelCorrupt, match=r"model\.safetensors: SHA-256"):
        ensure_model(spec, tmp_path, offline=True)
    repaired = ensure_model(spec, tmp_path, offline=False)
    assert repaired.downloaded and len(fake_hub) == 2
    assert (files.path / "model.safetensors").read_bytes() == HUB_FILES["model.safetensors"]
    assert verify(files.path) == []


def test_offline_and_missing_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as caught:
        ensure_model(clip_spec("openai/clip-vit-base-patch32"), tmp_path, offline=True)
    message = str(caught.value)
    assert "openai/clip-vit-base-patch32" in message and "offline" in message
    assert f"Set {CLIP_SETTING} to a local directory, or run `{FIX}` with internet access" in (
        message
    )
    assert list(tmp_path.iterdir()) == []


def test_a_failing_hub_download_is_model_missing(tmp_path: Path) -> None:
    """The real snapshot_download, which cannot reach anything here (HF_HUB_OFFLINE)."""
    pytest.importorskip("huggingface_hub")
    with pytest.raises(
        ModelMissing, match=r"it is not on disk and https://huggingface\.co/\S+ cannot be reached"
    ) as caught:
        ensure_model(clip_spec("openai/clip-vit-base-patch32"), tmp_path, offline=False)
    assert FIX in str(caught.value)


def test_an_interrupted_hub_download_is_missing_offline(
    fake_hub: list[dict], tmp_path: Path
) -> None:
    spec = clip_spec("openai/clip-vit-base-patch32")
    files = ensure_model(spec, tmp_path, offline=False)
    (files.path / MANIFEST_NAME).unlink()  # as if it had stopped before the manifest
    with pytest.raises(ModelMissing):
        ensure_model(spec, tmp_path, offline=True)
    assert ensure_model(spec, tmp_path, offline=False).downloaded


# --- local directories and settings --------------------------------------------------------


def test_a_configured_local_directory_is_used_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "my-clip"
    monkeypatch.setenv(CLIP_SETTING, str(local))
    spec = clip_spec()
    assert spec.kind == "local" and spec.local_path == local

    with pytest.raises(ModelMissing, match="which is not a directory") as caught:
        ensure_model(spec, tmp_path / "models", offline=False)
    assert CLIP_SETTING in str(caught.value)

    local.mkdir()
    (local / "config.json").write_text("{}")
    with pytest.raises(ModelMissing, match=r"has no model\.safetensors or"):
        ensure_model(spec, tmp_path / "models", offline=True)

    (local / "model.safetensors").write_bytes(b"w")
    files = ensure_model(spec, tmp_path / "models", offline=True)
    assert files.path == local and files.name == str(local)
    assert [f.name for f in files.files] == ["config.json", "model.safetensors"]
    assert not (tmp_path / "models").exists()


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLIP_SETTING, raising=False)
    assert clip_spec().name == "openai/clip-vit-base-patch32"
    monkeypatch.setenv(CLIP_SETTING, "laion/CLIP-ViT-B-32-laion2B-s34B-b79K")
    assert clip_spec().folder_name == "laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "MEDIA_PIPELINE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    assert not offline_from_env()
    monkeypatch.setenv("MEDIA_PIPELINE_OFFLINE", "1")
    assert offline_from_env()
