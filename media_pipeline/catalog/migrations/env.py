"""Alembic environment: the connection comes from Catalog.migrate, else the configured URL."""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from media_pipeline import settings
from media_pipeline.catalog.schema import VERSION_TABLE, metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    url = context.config.get_main_option("sqlalchemy.url") or settings.database_url()
    with create_engine(url).connect() as conn:
        run_migrations(conn)
