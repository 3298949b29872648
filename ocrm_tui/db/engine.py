"""Engine and session factory for the embedded SQLite file and for PostgreSQL.

SQLite: WAL, a 5 s busy timeout, foreign keys on, and write transactions that begin
IMMEDIATE (a deferred transaction that later writes can fail at once with "database
is locked"; an immediate one waits its turn). Reads stay deferred so that workers on
several threads read at the same time.
PostgreSQL: psycopg 3; the password is handed in by the caller (from the keyring),
never taken from a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 5000


def normalise_url(url: str | URL) -> URL:
    """Accept the URL spellings people type and pick our drivers for them."""
    u = make_url(url) if isinstance(url, str) else url
    if u.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername == "sqlite+pysqlite":
        u = u.set(drivername="sqlite")
    return u


def display_url(url: str | URL) -> str:
    """The URL as it may be shown or logged: never with a password in it."""
    return normalise_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str | URL) -> bool:
    return normalise_url(url).get_backend_name() == "sqlite"


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Read a large file through memory mapping rather than a read() per page: a search
        # that walks an index touches thousands of pages.
        cur.execute("PRAGMA mmap_size=1073741824")
        cur.execute("PRAGMA cache_size=-16384")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get("ocrm_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(url: str | URL, *, password: str | None = None, echo: bool = False) -> Engine:
    u = normalise_url(url)
    if password is not None and u.password is None:
        u = u.set(password=password)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, echo=echo, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _install_sqlite_pragmas(engine)
        return engine
    # prepare_threshold=None: no server-side prepared statements. After five runs psycopg
    # would prepare a query, and PostgreSQL may then plan it once for any value (a generic
    # plan): a name search that needs its GIN index would scan it whole.
    connect_args = {"connect_timeout": 5, "application_name": "ocrm_tui", "prepare_threshold": None}
    return create_engine(u, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)


class Database:
    """One database the product works on: an engine and short-lived sessions from it.

    Use one session per unit of work::

        with db.session(write=True) as s:
            ...
            s.commit()
    """

    def __init__(self, url: str | URL, *, password: str | None = None, engine: Engine | None = None):
        self.url = normalise_url(url)
        self.engine = engine if engine is not None else make_engine(self.url, password=password)
        self._write_engine = self.engine.execution_options(ocrm_write=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        bind = self._write_engine if write else self.engine
        with Session(bind, expire_on_commit=False) as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({display_url(self.url)!r})"


def single_connection_engine(url: str | URL, *, password: str | None = None) -> Engine:
    """An engine without a pool, for one-off admin work (creating databases in tests)."""
    u = normalise_url(url)
    if password is not None and u.password is None:
        u = u.set(password=password)
    return create_engine(u, poolclass=NullPool, isolation_level="AUTOCOMMIT")
