"""Where data lives and the knobs users set: one settings file, environment variables over it.

`MEDIA_PIPELINE_HOME/settings.toml` (or the file MEDIA_PIPELINE_SETTINGS names) holds settings
by their short name (`clip_model = "/srv/models/clip"` sets MEDIA_PIPELINE_CLIP_MODEL). Every
process that resolves a setting reads it here — the CLI, the code server, the daemon's
sensors, every run worker — so what a user set once holds everywhere, not only in the shell
that exported it. An environment variable still wins over the file. Values are read at call
time (not import time) so tests and the CLI can point one process at different homes; the
file is parsed again only when it changes.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from media_pipeline.home import Home

DEFAULT_HOME = "~/.local/share/media-pipeline"
PREFIX = "MEDIA_PIPELINE_"
FILE_NAME = "settings.toml"
Source = Literal["environment", "file", "default"]


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    default: str | None
    help: str
    in_file: bool = True  # False: only the environment (it says where the file is)

    @property
    def key(self) -> str:
        """Its name in the settings file."""
        return self.name.removeprefix(PREFIX).lower()


SETTINGS: tuple[Setting, ...] = (
    Setting("MEDIA_PIPELINE_HOME", DEFAULT_HOME, "catalog (SQLite), thumbnails, faces, models, "
            "index, backups, this settings file", in_file=False),
    Setting("MEDIA_PIPELINE_SETTINGS", None, "the settings file (default "
            "$MEDIA_PIPELINE_HOME/settings.toml)", in_file=False),
    Setting("MEDIA_PIPELINE_DATABASE_URL", None, "the catalog on PostgreSQL (default: SQLite "
            "$MEDIA_PIPELINE_HOME/catalog.db)"),
    Setting("MEDIA_PIPELINE_CLIP_MODEL", "openai/clip-vit-base-patch32", "CLIP model: a hub "
            "id, or a local folder used as is"),
    Setting("MEDIA_PIPELINE_FACE_BACKEND", "auto", "auto, dlib, dlib-cnn or insightface"),
    Setting("MEDIA_PIPELINE_FACE_MODEL", "buffalo_l", "the insightface pack, or a local folder "
            "of its ONNX files"),
    Setting("MEDIA_PIPELINE_FACE_MIN_FACES", "3", "faces a new person needs"),
    Setting("MEDIA_PIPELINE_OFFLINE", "0", "1: never download a model (also HF_HUB_OFFLINE)"),
    Setting("MEDIA_PIPELINE_SAMPLE_QUERIES", "", "searches whose top hits the search index "
            "shows in the UI, separated by ';'"),
    Setting("MEDIA_PIPELINE_SCAN_BATCH_SIZE", "200", "files per committed scan batch"),
    Setting("MEDIA_PIPELINE_SENSOR_INTERVAL", "60", "seconds between the change sensor's "
            "looks at the library folders"),
    Setting("MEDIA_PIPELINE_TIMEZONE", "UTC", "time zone of the nightly and periodic scans"),
    Setting("MEDIA_PIPELINE_AUTOSCAN_CRON", "0 */6 * * *", "the periodic scan's schedule"),
    Setting("MEDIA_PIPELINE_BATCH_FILES", None, "files per batch step of a per-file stage "
            "(default: the stage's, a few minutes of work)"),
    Setting("MEDIA_PIPELINE_CELERY_BROKER", None, "a Celery broker URL: batch steps run on "
            "dagster-celery workers (default: in this process)"),
    Setting("MEDIA_PIPELINE_CELERY_BACKEND", "rpc://", "the Celery result backend"),
    Setting("MEDIA_PIPELINE_EXECUTOR", "in_process", "without a broker, how launched runs "
            "execute their steps: in_process (in the run's process, as the CLI does) or "
            "multiprocess (each step in a new process)"),
    Setting("MEDIA_PIPELINE_OCR", "on", "on or off: read text in photos (photo_text)"),
    Setting("MEDIA_PIPELINE_VIDEO_ACCEL", "none", "video encoder hardware: none, nvenc, qsv, "
            "vaapi or rkmpp (software when absent)"),
    Setting("MEDIA_PIPELINE_CODE_SERVER_HOST", None, "where deploy/postgres/workspace.yaml finds "
            "the code server (read by Dagster)", in_file=False),
)  # fmt: skip
_BY_NAME = {setting.name: setting for setting in SETTINGS}
_BY_KEY = {setting.key: setting for setting in SETTINGS if setting.in_file}
_parsed: dict[Path, tuple[int, dict[str, str]]] = {}


def media_home() -> Path:
    """MEDIA_PIPELINE_HOME: catalog (SQLite), thumbnails, models, backups."""
    return Path(os.environ.get("MEDIA_PIPELINE_HOME", DEFAULT_HOME)).expanduser().resolve()


def settings_file() -> Path:
    """MEDIA_PIPELINE_SETTINGS, else $MEDIA_PIPELINE_HOME/settings.toml (it may not exist)."""
    named = os.environ.get("MEDIA_PIPELINE_SETTINGS")
    return Path(named).expanduser().resolve() if named else media_home() / FILE_NAME


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def file_values() -> dict[str, str]:
    """The settings file's values by environment name; a malformed file or an unknown key is
    an error naming the file (a typo must not be silently ignored)."""
    path = settings_file()
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    cached = _parsed.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(key for key in document if key not in _BY_KEY)
    if unknown:
        raise ValueError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_BY_KEY))}"
        )
    values = {_BY_KEY[key].name: _as_text(value) for key, value in document.items()}
    _parsed[path] = (stamp, values)
    return values


def lookup(name: str) -> tuple[str | None, Source]:
    """A setting's value and where it came from: the environment, the file, or the default."""
    setting = _BY_NAME.get(name)
    if setting is None:
        raise KeyError(f"{name} is not a media_pipeline setting")
    if name in os.environ:
        return os.environ[name], "environment"
    if setting.in_file:
        values = file_values()
        if name in values:
            return values[name], "file"
    return setting.default, "default"


def get(name: str) -> str:
    """A setting's value ('' when it has none)."""
    return lookup(name)[0] or ""


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to $MEDIA_PIPELINE_HOME/dagster (the environment only: Dagster's
    own processes read it before any code of ours)."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).expanduser().resolve() if configured else Home(media_home()).dagster


def database_url() -> str:
    """MEDIA_PIPELINE_DATABASE_URL (PostgreSQL in production) or the SQLite file in the home."""
    url = get("MEDIA_PIPELINE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Home(media_home()).catalog_file}"


def env_int(name: str, default: int) -> int:
    """An integer setting; a malformed value is an error naming the setting."""
    raw = get(name)
    if raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
