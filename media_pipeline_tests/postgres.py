"""A throwaway database on the local PostgreSQL server (127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"


def postgres_environment(database: str) -> dict[str, str]:
    """The catalog and Dagster's storage (deploy/*/dagster.yaml) on ``database``."""
    return {
        "MEDIA_PIPELINE_DATABASE_URL": f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{database}",
        "DAGSTER_PG_HOST": HOST,
        "DAGSTER_PG_PORT": str(PORT),
        "DAGSTER_PG_USER": USER,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": database,
    }


@pytest.fixture
def postgres_database() -> Iterator[str]:
    try:
        admin = psycopg2.connect(
            host=HOST, port=PORT, user=USER, dbname="postgres", connect_timeout=5
        )
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL is not reachable on {HOST}:{PORT}: {exc}"
        if os.environ.get("MEDIA_PIPELINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    admin.autocommit = True
    name = f"media_pipeline_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
