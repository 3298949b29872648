"""Alembic environment: runs on the connection that ocrm_tui.db.migrate hands in."""

from alembic import context
from sqlmodel import SQLModel

from ocrm_tui.db import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=models.in_models,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported; run `ocrm db upgrade`")
run_migrations_online()
