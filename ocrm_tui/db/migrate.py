"""Schema migrations (Alembic) shipped inside the package.

The schema changes only through these migrations: `ocrm db upgrade` applies them, a
new SQLite file is brought to head on first use, and the application refuses to run
on a schema older than its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    has_tables: bool

    @property
    def state(self) -> str:
        """empty / current / outdated / unknown (a revision this code does not know)."""
        if self.current is None:
            return "outdated" if self.has_tables else "empty"
        if self.current == self.head:
            return "current"
        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        return "outdated" if self.current in known else "unknown"


def schema_status(engine: Engine) -> SchemaStatus:
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        has_tables = bool(inspect(conn).get_table_names())
    return SchemaStatus(current=current, head=head_revision(), has_tables=has_tables)


def pending_revisions(engine: Engine) -> list[tuple[str, str]]:
    """(revision, message) of every migration not yet applied, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    revs = list(script.iterate_revisions("heads", current or "base"))
    return [(r.revision, (r.doc or "").strip()) for r in reversed(revs) if r.revision != current]


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
