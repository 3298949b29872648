"""The benchmark registry, the shared context (cached databases, PostgreSQL) and statistics."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    """One measured line: the product next to a raw baseline of the same work."""

    benchmark: str
    backend: str  # sqlite / postgres / -
    item: str  # what exactly (a table, a screen)
    unit: str  # e.g. "µs/row", "s"
    median: float | None
    p95: float | None
    baseline: str = ""  # what the baseline is
    baseline_median: float | None = None
    baseline_p95: float | None = None
    note: str = ""
    samples: int = 0

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.baseline_median:
            return None
        return self.median / self.baseline_median


@dataclass
class Benchmark:
    name: str
    title: str
    func: Callable[["Context"], list[Result]]


_REGISTRY: list[Benchmark] = []


def benchmark(name: str, title: str):
    """Register a benchmark function ``f(ctx) -> list[Result]``."""

    def wrap(func):
        _REGISTRY.append(Benchmark(name, title, func))
        return func

    return wrap


def registry() -> list[Benchmark]:
    return list(_REGISTRY)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1)))))
    return ordered[k]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Context:
    customers: int
    seed: int
    quick: bool
    gen_customers: int | None = None
    backends: tuple[str, ...] = ("sqlite", "postgres")
    pg_admin_url: str = field(default_factory=lambda: os.environ.get("OCRM_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL))
    cache_dir: Path = CACHE_DIR
    notes: list[str] = field(default_factory=list)
    pg_problem: str | None = None
    _pg_checked: bool = False

    # -- PostgreSQL ------------------------------------------------------------------------
    def postgres_available(self) -> bool:
        if "postgres" not in self.backends:
            return False
        if not self._pg_checked:
            self._pg_checked = True
            try:
                from sqlalchemy import text

                from ocrm_tui.db.engine import single_connection_engine

                eng = single_connection_engine(self.pg_admin_url)
                with eng.connect() as conn:
                    conn.execute(text("SELECT 1"))
                eng.dispose()
            except Exception as exc:  # unreachable, no driver, refused: skip PostgreSQL
                self.pg_problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.notes.append(f"PostgreSQL skipped: {self.pg_admin_url} not reachable ({self.pg_problem}).")
        return self.pg_problem is None

    def pg_url(self, database: str) -> str:
        from ocrm_tui.db.engine import normalise_url

        return normalise_url(self.pg_admin_url).set(database=database).render_as_string(hide_password=False)

    def pg_create(self, database: str, *, replace: bool = True) -> str:
        """Create (or recreate) a benchmark database ``ocrm_bench_*`` at schema head; its URL."""
        from sqlalchemy import text

        from ocrm_tui.db import migrate
        from ocrm_tui.db.engine import Database, single_connection_engine

        assert database.startswith("ocrm_bench_"), database
        eng = single_connection_engine(self.pg_admin_url)
        with eng.connect() as conn:
            if replace:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        eng.dispose()
        url = self.pg_url(database)
        db = Database(url)
        migrate.upgrade(db.engine)
        db.dispose()
        return url

    def pg_drop(self, database: str) -> None:
        from sqlalchemy import text

        from ocrm_tui.db.engine import single_connection_engine

        assert database.startswith("ocrm_bench_"), database
        eng = single_connection_engine(self.pg_admin_url)
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        eng.dispose()

    # -- SQLite --------------------------------------------------------------------------------
    def fresh_sqlite(self, name: str) -> str:
        """A new SQLite file at schema head in the cache directory; its URL."""
        from ocrm_tui.db import migrate
        from ocrm_tui.db.engine import Database

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self.cache_dir / name
        remove_sqlite(path)
        db = Database(f"sqlite:///{path}")
        migrate.upgrade(db.engine)
        db.dispose()
        return f"sqlite:///{path}"

    def cached_sqlite(self) -> str:
        """The benchmark database of N customers (built once per N and seed, then reused)."""
        from ocrm_tui.db.engine import Database
        from ocrm_tui.services import demo

        path = self.cache_dir / f"demo_{self.customers}_{self.seed}.db"
        meta = path.with_suffix(".json")
        if path.exists() and not path.with_name(path.name + "-journal").exists() and _holds_demo(path):
            return f"sqlite:///{path}"
        log(f"building the cached SQLite database of {self.customers:,} customers ({path.name})")
        url = self.fresh_sqlite(path.name)
        db = Database(url)
        summary = demo.build_demo(db, customers=self.customers, seed=self.seed)
        db.dispose()
        meta.write_text(json.dumps({
            "customers": self.customers, "seed": self.seed, "built": time.strftime("%Y-%m-%d %H:%M"),
            "total_seconds": summary.total_seconds, "rows": summary.bulk_rows,
            "tables": {k: asdict(v) for k, v in summary.tables.items()},
        }, indent=1))
        return url

    def pg_demo_name(self) -> str:
        return f"ocrm_bench_demo_{self.customers}_{self.seed}"

    def cached_postgres(self) -> str:
        """The PostgreSQL benchmark database of N customers (built once per N and seed, then reused)."""
        from sqlalchemy import text

        from ocrm_tui.db import migrate
        from ocrm_tui.db.engine import Database
        from ocrm_tui.services import demo

        name = self.pg_demo_name()
        url = self.pg_url(name)
        try:
            db = Database(url)
            with db.engine.connect() as conn:
                complete = conn.execute(text(
                    "SELECT count(*) FROM audit_record WHERE event = 'demo.load'")).scalar()
            current = migrate.schema_status(db.engine).state == "current"
            db.dispose()
            if complete and current:
                return url
        except Exception:  # no such database yet, or a half-built one
            pass
        log(f"building the cached PostgreSQL database of {self.customers:,} customers ({name})")
        url = self.pg_create(name)
        db = Database(url)
        demo.build_demo(db, customers=self.customers, seed=self.seed)
        db.dispose()
        return url

    def cached_sqlite_meta(self) -> dict | None:
        meta = self.cache_dir / f"demo_{self.customers}_{self.seed}.json"
        return json.loads(meta.read_text()) if meta.exists() else None


def copy_sqlite_tables(src, cur, tables) -> None:
    """COPY whole tables from an SQLite connection ``src`` into PostgreSQL through the psycopg
    cursor ``cur`` (same schema on both sides), in rowid order; SQLite's 0/1 booleans become
    booleans, and each id sequence continues after the copied rows."""
    for table in tables:
        info = list(src.execute(f"PRAGMA table_info({table})"))
        cols = [r[1] for r in info]
        bools = [i for i, r in enumerate(info) if r[2].upper() == "BOOLEAN"]
        with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in src.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid"):
                if bools:
                    row = list(row)
                    for i in bools:
                        row[i] = None if row[i] is None else bool(row[i])
                copy.write_row(row)
        if "id" in cols:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)")


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            p.unlink()


def _holds_demo(path: Path) -> bool:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return bool(con.execute("SELECT count(*) FROM organisation").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return False
