"""Demo generation: rows/s per table with `ocrm demo`'s generator and writer (SQLAlchemy
``exec_driver_sql`` of tuples on SQLite, Core ``insert()`` on PostgreSQL),
next to a raw insert of the very same rows (sqlite3 ``executemany`` of tuples; psycopg
``COPY`` on PostgreSQL)."""

from __future__ import annotations

import time

from bench.core import Context, Result, benchmark, log, median, p95, remove_sqlite

TABLES = ("customer", "account", "txn", "aum_snapshot", "customer_tag")


class _Sampling:
    """Records (table, rows, seconds) of every write; only the database call is timed."""

    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[int, float]]] = {}

    def record(self, table: str, rows: int, seconds: float) -> None:
        self.samples.setdefault(table, []).append((rows, seconds))


class ProductSampling(_Sampling):
    """The writer `ocrm demo` uses on this backend (tuples on SQLite, Core insert() on PostgreSQL),
    timed with its value conversion included."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        from ocrm_tui.services import demo

        self._writer = demo.SqliteTupleWriter() if backend == "sqlite" else demo.CoreWriter()

    def write(self, conn, table, rows) -> None:
        t0 = time.perf_counter()
        self._writer.write(conn, table, rows)
        self.record(table.name, len(rows), time.perf_counter() - t0)


class RawSqliteWriter(_Sampling):
    """sqlite3 executemany of tuples, values already in the stored form (conversion not timed)."""

    def __init__(self) -> None:
        super().__init__()
        self._plans: dict[str, tuple[str, list]] = {}

    def _plan(self, conn, table, keys):
        plan = self._plans.get(table.name)
        if plan is None:
            dialect = conn.dialect
            cols = [table.c[k] for k in keys]
            procs = [c.type._cached_bind_processor(dialect) for c in cols]
            sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})"
            plan = self._plans[table.name] = (sql, list(zip(keys, procs)))
        return plan

    def write(self, conn, table, rows) -> None:
        sql, procs = self._plan(conn, table, list(rows[0].keys()))
        tuples = [tuple(p(r[k]) if p and r[k] is not None else r[k] for k, p in procs) for r in rows]
        raw = conn.connection.driver_connection
        t0 = time.perf_counter()
        raw.executemany(sql, tuples)
        self.record(table.name, len(rows), time.perf_counter() - t0)


class CopyPostgresWriter(_Sampling):
    """psycopg COPY FROM STDIN of tuples (tuple building not timed)."""

    def write(self, conn, table, rows) -> None:
        keys = list(rows[0].keys())
        tuples = [tuple(r[k] for k in keys) for r in rows]
        raw = conn.connection.driver_connection
        t0 = time.perf_counter()
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(keys)}) FROM STDIN") as copy:
            for t in tuples:
                copy.write_row(t)
        self.record(table.name, len(rows), time.perf_counter() - t0)


def _build(url: str, customers: int, seed: int, writer, chunk: int):
    from ocrm_tui.db.engine import Database
    from ocrm_tui.services import demo

    db = Database(url)
    try:
        return demo.build_demo(db, customers=customers, seed=seed, writer=writer, chunk=chunk)
    finally:
        db.dispose()


def generation_customers(ctx: Context) -> int:
    if ctx.gen_customers:
        return ctx.gen_customers
    return min(ctx.customers, 5_000 if ctx.quick else 100_000)


@benchmark("demo", "Demo generation (rows/s per table)")
def bench_demo_generation(ctx: Context) -> list[Result]:
    n = generation_customers(ctx)
    chunk = max(100, min(5_000, n // 10))
    results: list[Result] = []
    backends = [b for b in ctx.backends if b == "sqlite" or ctx.postgres_available()]
    for backend in backends:
        core, raw = ProductSampling(backend), (RawSqliteWriter() if backend == "sqlite" else CopyPostgresWriter())
        runs = {}
        for label, writer in (("core", core), ("raw", raw)):
            if backend == "sqlite":
                url = ctx.fresh_sqlite(f"gen_{label}_{n}_{ctx.seed}.db")
            else:
                name = f"ocrm_bench_gen_{label}_{n}"
                url = ctx.pg_create(name)
            log(f"demo generation on {backend}, {n:,} customers, {label} inserts")
            try:
                runs[label] = _build(url, n, ctx.seed, writer, chunk)
            finally:
                if backend == "sqlite":
                    remove_sqlite(ctx.cache_dir / f"gen_{label}_{n}_{ctx.seed}.db")
                else:
                    ctx.pg_drop(f"ocrm_bench_gen_{label}_{n}")
        baseline = "sqlite3 executemany" if backend == "sqlite" else "psycopg COPY"
        for table in TABLES:
            c = [s / r * 1e6 for r, s in core.samples.get(table, []) if r]
            b = [s / r * 1e6 for r, s in raw.samples.get(table, []) if r]
            c_rows = sum(r for r, _s in core.samples.get(table, []))
            c_secs = sum(s for _r, s in core.samples.get(table, []))
            b_secs = sum(s for _r, s in raw.samples.get(table, []))
            results.append(Result(
                "demo", backend, table, "µs/row", median(c), p95(c), baseline, median(b), p95(b), samples=len(c),
                note=f"{c_rows:,} rows; {c_rows / c_secs:,.0f} rows/s vs {c_rows / b_secs:,.0f} rows/s" if c_secs and b_secs else "",
            ))
        s = runs["core"]
        results.append(Result(
            "demo", backend, f"whole demo, {n:,} customers", "s", s.total_seconds, None, baseline,
            runs["raw"].total_seconds, None, samples=1,
            note=f"{s.bulk_rows:,} rows, {s.bulk_rows / s.total_seconds:,.0f} rows/s end to end "
                 f"(generation {s.generate_seconds:.1f} s, indexes {s.index_seconds:.1f} s)",
        ))
    meta = ctx.cached_sqlite_meta()
    if meta:
        results.append(Result(
            "demo", "sqlite", f"cached database, {meta['customers']:,} customers", "s", meta["total_seconds"], None,
            samples=1, note=f"{meta['rows']:,} rows, {meta['rows'] / meta['total_seconds']:,.0f} rows/s end to end "
                             f"(built {meta['built']})",
        ))
    return results
