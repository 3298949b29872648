"""The management reports for a tier-1 branch: each report as the screen and `ocrm report` compute it.

- reports: the demo's database (1,000,000 customers give ~10,000,000 transactions and
  12,000,000 monthly AUM snapshots; SQLite: the cached file itself, the reports only read;
  PostgreSQL: the tables the reports and the summaries read, copied with COPY). The actor is
  the first manager of the tier-1 branch JS (江苏省分行, half of the bank: ~500,000 customers),
  the period this year up to the demo's today (the widest of the periods the screen offers),
  each report run N times: ``reports.run`` as the screen's worker and the command call it.
  Baseline: the same SQL statements the report sends (captured from one run), replayed on the
  driver's connection with rows fetched — what the database itself costs; the ratio is what
  the service adds (SQLAlchemy, building the report's rows and charts). Target: under 2 s p95.
- reports_refresh: ``reports_data.refresh`` over the whole bank (after each import, and by
  ``ocrm report refresh``), next to its three statements replayed raw (rolled back).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime, timezone

from bench.core import Context, Result, benchmark, log, median, p95

TARGET_S = 2.0
BRANCH = "JS"
# What the reports and the summaries read, in an order that respects the foreign keys.
TABLES = ("organisation", "staff_user", "product", "customer", "account", "txn", "aum_snapshot", "tag",
          "customer_tag", "ticket", "ticket_event", "campaign", "campaign_target", "login_attempt", "setting",
          "audit_record", "report_txn_month", "report_aum_month", "report_falling")


def _pg_name(ctx: Context) -> str:
    return f"ocrm_bench_reports_{ctx.customers}_{ctx.seed}"


def reports_postgres(ctx: Context, sqlite_url: str) -> str:
    from bench.bench_alerts import copy_into_postgres

    return copy_into_postgres(ctx, sqlite_url, _pg_name(ctx), TABLES, "the reports' tables")


def _demo_today(url: str) -> date:
    from sqlalchemy import select

    from ocrm_tui.db.engine import Database
    from ocrm_tui.db.models import Customer

    db = Database(url)
    try:
        with db.session() as s:
            return s.scalar(select(Customer.created_at).order_by(Customer.id).limit(1)).astimezone(timezone.utc).date()
    finally:
        db.dispose()


class _Capture:
    """The statements a session sends, with their parameters as the driver receives them."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        self._listen = lambda conn, cursor, statement, parameters, context, many: self.statements.append(
            (statement, parameters))
        event.listen(engine, "before_cursor_execute", self._listen)

    def stop(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._listen)


def _replay(conn, statements, sqlite: bool) -> float:
    t0 = time.perf_counter()
    cur = conn.cursor()
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            continue  # the session's own BEGIN, PRAGMA, SET
        cur.execute(statement, parameters if parameters else ())
        if cur.description is not None:
            cur.fetchall()
    if not sqlite:
        conn.rollback()
    return time.perf_counter() - t0


def _raw_connection(url: str):
    if url.startswith("sqlite"):
        return sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _measure(ctx: Context, backend: str, url: str) -> list[Result]:
    from sqlalchemy import func, select

    from ocrm_tui.db.engine import Database
    from ocrm_tui.db.models import Customer, Organisation, StaffUser
    from ocrm_tui.services import reports
    from ocrm_tui.services.auth import actor_for

    runs = 2 if ctx.quick else 12
    today = _demo_today(url)
    period = reports.parse_period(None, today)
    db = Database(url)
    results = []
    try:
        with db.session() as s:
            manager = s.scalar(select(StaffUser).join(Organisation, Organisation.id == StaffUser.org_id)
                               .where(Organisation.code == BRANCH, StaffUser.role == "manager")
                               .order_by(StaffUser.employee_no).limit(1))
            actor = actor_for(s, manager)
            in_scope = s.scalar(select(func.count()).select_from(Customer)
                                .where(reports.resolve_scope(s, actor).customers()))
        raw = _raw_connection(url)
        try:
            for kind in reports.available(actor):
                timings, raw_timings = [], []
                replay_statements: list = []
                for run in range(runs + 1):  # the first run warms the caches and is not counted
                    capture = _Capture(db.engine) if run == 1 else None
                    t0 = time.perf_counter()
                    with db.session() as s:
                        report = reports.run(s, actor, kind.name, period, today=today)
                    seconds = time.perf_counter() - t0
                    if capture is not None:
                        capture.stop()
                        replay_statements = capture.statements
                    if run:
                        timings.append(seconds)
                for _ in range(runs):
                    raw_timings.append(_replay(raw, replay_statements, backend == "sqlite"))
                rows = sum(len(t.rows) for t in report.tables)
                verdict = "meets" if p95(timings) < TARGET_S else "misses"
                log(f"  {backend} {kind.name}: median {median(timings) * 1000:.0f} ms, p95 {p95(timings) * 1000:.0f} ms "
                    f"(raw {median(raw_timings) * 1000:.0f} ms), {rows} rows")
                results.append(Result(
                    "reports", backend, kind.name, "ms", median(timings) * 1000, p95(timings) * 1000,
                    "the report's own SQL statements replayed on the driver", median(raw_timings) * 1000,
                    p95(raw_timings) * 1000, samples=len(timings),
                    note=f"{verdict} the {TARGET_S:.0f} s p95 target; {manager.employee_no} at {BRANCH}, "
                         f"{in_scope:,} customers; period {period.label}; {len(replay_statements)} statements, "
                         f"{rows} rows"))
        finally:
            raw.close()
    finally:
        db.dispose()
    return results


def _refresh(ctx: Context, backend: str, url: str) -> list[Result]:
    from ocrm_tui.db.engine import Database
    from ocrm_tui.services import reports_data
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.clock import FakeClock

    today = _demo_today(url)
    clock = FakeClock(datetime.combine(today, datetime.min.time(), timezone.utc).replace(hour=12))
    db = Database(url)
    runs = 1 if ctx.quick else 2
    timings, raw_timings = [], []
    try:
        for _ in range(runs):
            capture = _Capture(db.engine)
            with db.session(write=True) as s:
                result = reports_data.refresh(s, Actor.system(), clock=clock)
            capture.stop()
            timings.append(result.seconds)
            work = [(st, p) for st, p in capture.statements if st.lstrip().upper().startswith(("DELETE FROM REPORT",
                                                                                               "INSERT INTO REPORT"))]
            conn = sqlite3.connect(url.removeprefix("sqlite:///")) if backend == "sqlite" else _raw_connection(url)
            try:
                t0 = time.perf_counter()
                cur = conn.cursor()
                for statement, parameters in work:
                    cur.execute(statement, parameters if parameters else ())
                raw_timings.append(time.perf_counter() - t0)
                conn.rollback()
            finally:
                conn.close()
            log(f"  {backend} refresh: {result.seconds:.1f} s (raw {raw_timings[-1]:.1f} s): {result.txn_rows:,} "
                f"transaction rows, {result.aum_rows:,} asset rows, {result.falling:,} falling")
    finally:
        db.dispose()
    return [Result("reports_refresh", backend, "refresh the monthly summaries, whole bank", "s", median(timings),
                   p95(timings), "its statements replayed on the driver, rolled back", median(raw_timings),
                   p95(raw_timings), samples=len(timings),
                   note=f"{result.txn_rows:,} transaction rows, {result.aum_rows:,} asset rows, "
                        f"{result.falling:,} customers falling, through {result.through:%Y-%m}")]


@benchmark("reports", "Each management report for a tier-1 branch")
def bench_reports(ctx: Context) -> list[Result]:
    results = []
    sqlite_url = ctx.cached_sqlite()
    if "sqlite" in ctx.backends:
        results += _measure(ctx, "sqlite", sqlite_url)
    if ctx.postgres_available():
        results += _measure(ctx, "postgres", reports_postgres(ctx, sqlite_url))
        if ctx.quick:
            ctx.pg_drop(_pg_name(ctx))
    return results


@benchmark("reports_refresh", "Rebuilding the reports' monthly summaries (after imports)")
def bench_reports_refresh(ctx: Context) -> list[Result]:
    results = []
    sqlite_url = ctx.cached_sqlite()
    if "sqlite" in ctx.backends:
        results += _refresh(ctx, "sqlite", sqlite_url)
    if ctx.postgres_available():
        results += _refresh(ctx, "postgres", reports_postgres(ctx, sqlite_url))
        if ctx.quick:
            ctx.pg_drop(_pg_name(ctx))
    return results
