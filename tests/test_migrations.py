"""The schema comes only from the migrations, on both databases."""

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel

from ocrm_tui.config import ensure_schema, open_database
from ocrm_tui.db import migrate
from ocrm_tui.db.engine import Database
from ocrm_tui.services.errors import SchemaOutdated


def test_upgrade_from_empty_creates_every_table_at_head(empty_db_url):
    db = Database(empty_db_url)
    assert migrate.schema_status(db.engine).state == "empty"
    migrate.upgrade(db.engine)
    status = migrate.schema_status(db.engine)
    assert status.state == "current" and status.current == migrate.head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    db.dispose()


# The mobile-tail expression index exists only in the database (models.DATABASE_ONLY).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrated_schema_matches_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ocrm_tui.db.models import in_models

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False, "include_object": in_models}), SQLModel.metadata)
    assert diff == []


def test_a_new_sqlite_file_is_created_at_head(tmp_path):
    path = tmp_path / "sub" / "new.db"
    db = open_database(f"sqlite:///{path}")
    assert path.exists()
    assert migrate.schema_status(db.engine).state == "current"
    db.dispose()


def test_an_outdated_schema_is_refused_naming_the_command(empty_db_url):
    db = Database(empty_db_url)
    migrate.upgrade(db.engine)
    with db.engine.begin() as conn:  # tables without a recorded revision: older than the code
        conn.exec_driver_sql("DELETE FROM alembic_version")
    with pytest.raises(SchemaOutdated, match="ocrm db upgrade"):
        ensure_schema(db, create=True)
    db.dispose()


def test_a_schema_from_a_newer_version_is_refused(empty_db_url):
    db = Database(empty_db_url)
    migrate.upgrade(db.engine)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    with pytest.raises(SchemaOutdated, match="newer"):
        ensure_schema(db, create=True)
    db.dispose()


def test_server_database_is_not_migrated_silently(empty_db_url, backend):
    if backend == "sqlite":
        pytest.skip("an empty SQLite file is created at head on purpose")
    db = Database(empty_db_url)
    with pytest.raises(SchemaOutdated, match="ocrm db upgrade"):
        ensure_schema(db, create=False)
    db.dispose()
