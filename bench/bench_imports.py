"""Importing the core banking system's transactions: 1,000,000 rows of a CSV extract.

Self-contained (it does not need the cached demo): a database of its own with 100,000
customers, each with a current account and a third of them a fund account, and a
generated transactions file of 1,000,000 rows (every channel, both directions, memos,
counterparties for card payments, posted over the last year) in a temporary folder. A smoke
run (``--quick``) uses 300 customers and 3,000 rows and leaves no PostgreSQL database behind.
Each run starts from a fresh copy of the database (SQLite: a file copy; PostgreSQL: CREATE
DATABASE … TEMPLATE).

- import_txn, "check + insert": ``core_import.import_file(…, "transactions", …)`` as `ocrm
  import transactions` runs it (``import_session``): reading and checking every row, looking
  up the accounts and the transaction ids on file, and writing the rows (on SQLite with the
  table's secondary indexes set aside and built again, as the import does when the file
  brings at least as many rows as the table holds; on PostgreSQL by COPY into the indexed
  table) — in µs per row, next to the raw driver writing the same rows, already as tuples,
  into the same table of another copy: ``sqlite3`` executemany with foreign keys and indexes
  as every connection of the product has them, or psycopg COPY. Neither side includes the
  commit. On SQLite the note also gives the same rows written by hand the way the import
  writes them (no foreign-key checks, indexes dropped and built again): the floor the import
  could reach with no Python work at all.
- "AUM refresh": the part of the same import that brings the monthly snapshots, AUM and
  tiers of the affected customers up to date (``aum.refresh_customers``), in seconds.
- "whole import": the same call end to end — check, insert, AUM refresh, the audit records
  (one per tier change) and the commit.
- "re-import, nothing changed": the same file again on the loaded database: every row
  checked and found unchanged, nothing written.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.core import Context, Result, benchmark, log, median, p95, remove_sqlite

TXNS = 1_000_000
CUSTOMERS = 100_000
QUICK_TXNS = 3_000
QUICK_CUSTOMERS = 300
TARGET_ROWS_PER_S = 100_000  # SQLite, check + insert
CHANNELS = ("counter", "atm", "pos", "phone", "online", "mobile")
MEMOS = ("工资", "消费", "转账", "取现", "理财赎回", "基金定投", "水电费", "还款")
MERCHANTS = ("联华超市", "中国石化加油站", "国美电器", "星巴克", "滴滴出行", "美团外卖")
PRODUCTS = (("DEP-CUR", "活期储蓄", "deposit", "R1"), ("FD-300", "沪深300指数基金", "fund", "R4"))
TXN_COLUMNS = ("txn_id", "account_id", "customer_id", "posted_at", "amount", "direction", "channel", "counterparty",
               "memo")


def _sizes(ctx: Context) -> tuple[int, int]:
    return (QUICK_CUSTOMERS, QUICK_TXNS) if ctx.quick else (CUSTOMERS, TXNS)


def _stamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


# -- the data ------------------------------------------------------------------------------------------

def _base_rows(customers: int, now: datetime) -> dict[str, list[tuple]]:
    """The organisation, products, customers and accounts, as tuples for both databases."""
    stamp = _stamp(now)
    rng = random.Random(20260105)
    rows: dict[str, list[tuple]] = {
        "organisation": [(1, "HO", "总行", "head", None, "/HO/", stamp)],
        "product": [(i, code, name, kind, risk) for i, (code, name, kind, risk) in enumerate(PRODUCTS, 1)],
        "customer": [], "account": [],
    }
    account_id = 0
    for cid in range(1, customers + 1):
        rows["customer"].append((cid, f"C{cid:09d}", "客户", "kehu", "kh", "客 户", "居民身份证", f"139{cid:08d}", 1,
                                 "mass", False, 0, 0, stamp, stamp, 1))
        for product_id in ((1, 2) if cid % 3 == 0 else (1,)):
            account_id += 1
            rows["account"].append((account_id, f"62220{account_id:011d}", cid, product_id, "CNY",
                                    rng.randrange(100, 2_000_000_00) / 100, (now - timedelta(days=900)).date(),
                                    "active"))
    return rows


BASE_COLUMNS = {
    "organisation": ("id", "code", "name", "level", "parent_id", "path", "created_at"),
    "product": ("id", "product_code", "name", "product_type", "risk_level"),
    "customer": ("id", "customer_no", "name", "name_pinyin", "name_initials", "name_chars", "id_type", "mobile",
                 "org_id", "tier", "tier_manual", "aum", "aum_daily_avg", "created_at", "updated_at", "version"),
    "account": ("id", "account_no", "customer_id", "product_id", "currency", "balance", "opened_on", "status"),
}


def _write_file(path: Path, n: int, accounts: list[tuple], now: datetime) -> list[tuple]:
    """The transactions file; returns the same rows as the raw baseline writes them (SQLite storage form)."""
    rng = random.Random(7)
    start = (now - timedelta(days=360)).timestamp()
    span = 359 * 86400
    raw = []
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["txn_id", "account_no", "posted_at", "amount", "direction", "channel", "counterparty", "memo"])
        for k in range(n):
            account = accounts[rng.randrange(len(accounts))]
            posted = datetime.fromtimestamp(int(start + rng.random() * span), timezone.utc)
            cents = rng.randrange(100, 5_000_000)
            amount = f"{cents // 100}.{cents % 100:02d}"
            direction = "in" if rng.random() < 0.5 else "out"
            channel = CHANNELS[rng.randrange(len(CHANNELS))]
            counterparty = MERCHANTS[rng.randrange(len(MERCHANTS))] if channel == "pos" else ""
            memo = MEMOS[rng.randrange(len(MEMOS))]
            txn_id = f"T{now:%Y%m%d}{k:09d}"
            out.writerow([txn_id, account[1], posted.strftime("%Y-%m-%dT%H:%M:%S"), amount, direction, channel,
                          counterparty, memo])
            raw.append((txn_id, account[0], account[2], _stamp(posted), cents / 100, direction, channel,
                        counterparty or None, memo))
    return raw


# -- SQLite ----------------------------------------------------------------------------------------------

def _sqlite_connect(path: Path) -> sqlite3.Connection:
    """A connection with the pragmas of the product's own (engine.py)."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL",
                   "cache_size=-16384"):
        con.execute(f"PRAGMA {pragma}")
    return con


def _sqlite_base(ctx: Context, folder: Path, rows: dict[str, list[tuple]]) -> Path:
    url = ctx.fresh_sqlite(f"imports_base_{os.getpid()}.db")
    path = Path(url.removeprefix("sqlite:///"))
    con = _sqlite_connect(path)
    try:
        con.execute("BEGIN")
        for table, columns in BASE_COLUMNS.items():
            con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            rows[table])
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    target = folder / "base.db"
    shutil.copy(path, target)
    remove_sqlite(path)
    return target


def _copy_sqlite(base: Path, folder: Path, name: str) -> Path:
    target = folder / name
    remove_sqlite(target)
    shutil.copy(base, target)
    return target


def _product_run(url: str, csv_path: Path):
    """`ocrm import transactions` without the command line: (result, seconds of the whole import)."""
    from ocrm_tui.db.engine import Database
    from ocrm_tui.services import core_import
    from ocrm_tui.services.actor import Actor

    db = Database(url)
    try:
        t0 = time.perf_counter()
        with core_import.import_session(db) as s:
            result = core_import.import_file(s, Actor.system(), "transactions", csv_path)
        return result, time.perf_counter() - t0
    finally:
        db.dispose()


def _sqlite_raw_run(path: Path, raw: list[tuple]) -> float:
    con = _sqlite_connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        t0 = time.perf_counter()
        con.executemany(f"INSERT INTO txn ({', '.join(TXN_COLUMNS)}) VALUES ({', '.join('?' * len(TXN_COLUMNS))})",
                        raw)
        seconds = time.perf_counter() - t0
        con.execute("COMMIT")
        return seconds
    finally:
        con.close()


def _sqlite_raw_bulk_run(path: Path, raw: list[tuple]) -> float:
    """The same rows written the way the import writes them, by hand: no foreign-key checks, the
    secondary indexes dropped, the rows inserted, the indexes built again (the floor for the import)."""
    con = _sqlite_connect(path)
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("PRAGMA cache_size=-262144")
        con.execute("BEGIN IMMEDIATE")
        t0 = time.perf_counter()
        ddl = [sql for name, sql in con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txn' AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%'").fetchall()]
        for name in [d.split()[2] for d in ddl]:
            con.execute(f"DROP INDEX {name}")
        con.executemany(f"INSERT INTO txn ({', '.join(TXN_COLUMNS)}) VALUES ({', '.join('?' * len(TXN_COLUMNS))})",
                        raw)
        for statement in ddl:
            con.execute(statement)
        seconds = time.perf_counter() - t0
        con.execute("COMMIT")
        return seconds
    finally:
        con.close()


def _sqlite(ctx: Context, folder: Path, rows, csv_path: Path, raw: list[tuple], runs: int) -> list[Result]:
    base = _sqlite_base(ctx, folder, rows)
    product, aum, whole, baseline, floor, last = [], [], [], [], [], None
    for k in range(runs):
        path = _copy_sqlite(base, folder, "run.db")
        result, seconds = _product_run(f"sqlite:///{path}", csv_path)
        product.append(result.seconds)
        aum.append(result.aum.seconds if result.aum else 0.0)
        whole.append(seconds)
        last = (path, result)
        log(f"  sqlite run {k + 1}: check + insert {result.seconds:.2f} s (check {result.check_seconds:.2f} s), "
            f"AUM {aum[-1]:.2f} s, whole import {seconds:.2f} s")
        path = _copy_sqlite(base, folder, "raw.db")
        baseline.append(_sqlite_raw_run(path, raw))
        remove_sqlite(path)
        path = _copy_sqlite(base, folder, "raw.db")
        floor.append(_sqlite_raw_bulk_run(path, raw))
        remove_sqlite(path)
        log(f"  sqlite raw executemany {baseline[-1]:.2f} s; by hand as the import writes {floor[-1]:.2f} s")
    path, result = last
    again, _seconds = _product_run(f"sqlite:///{path}", csv_path)
    remove_sqlite(path)
    return _results(ctx, "sqlite", "sqlite3 executemany (foreign keys and indexes on)", len(raw), product, baseline,
                    aum, whole, result, again, floor)


# -- PostgreSQL -----------------------------------------------------------------------------------------

def _pg_names(ctx: Context) -> tuple[str, str]:
    suffix = f"_{os.getpid()}" if ctx.quick else ""
    return f"ocrm_bench_imports_base{suffix}", f"ocrm_bench_imports_run{suffix}"


def _pg_base(ctx: Context, rows) -> str:
    from ocrm_tui.db.engine import Database

    base, _run = _pg_names(ctx)
    url = ctx.pg_create(base)
    db = Database(url)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, columns in BASE_COLUMNS.items():
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)")
        raw.commit()
        raw.driver_connection.autocommit = True
        cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
        db.dispose()
    return base


def _pg_copy_of(ctx: Context, base: str, name: str) -> str:
    from sqlalchemy import text

    from ocrm_tui.db.engine import single_connection_engine

    ctx.pg_drop(name)
    eng = single_connection_engine(ctx.pg_admin_url)
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base}"'))
    eng.dispose()
    return ctx.pg_url(name)


def _pg_raw_run(url: str, raw_rows: list[tuple]) -> float:
    import psycopg

    from ocrm_tui.db.engine import normalise_url

    dsn = normalise_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as con:
        cur = con.cursor()
        cur.execute("SET TIME ZONE 'UTC'")
        t0 = time.perf_counter()
        with cur.copy(f"COPY txn ({', '.join(TXN_COLUMNS)}) FROM STDIN") as copy:
            for row in raw_rows:
                copy.write_row(row)
        seconds = time.perf_counter() - t0
        con.commit()
        return seconds


def _postgres(ctx: Context, rows, csv_path: Path, raw: list[tuple], runs: int) -> list[Result]:
    base = _pg_base(ctx, rows)
    _b, run_name = _pg_names(ctx)
    product, aum, whole, baseline, last = [], [], [], [], None
    try:
        for k in range(runs):
            url = _pg_copy_of(ctx, base, run_name)
            result, seconds = _product_run(url, csv_path)
            product.append(result.seconds)
            aum.append(result.aum.seconds if result.aum else 0.0)
            whole.append(seconds)
            last = (url, result)
            log(f"  postgres run {k + 1}: check + insert {result.seconds:.2f} s (check {result.check_seconds:.2f} s), "
                f"AUM {aum[-1]:.2f} s, whole import {seconds:.2f} s")
            raw_url = _pg_copy_of(ctx, base, run_name + "_raw")
            baseline.append(_pg_raw_run(raw_url, raw))
            ctx.pg_drop(run_name + "_raw")
            log(f"  postgres raw COPY {baseline[-1]:.2f} s")
        url, result = last
        again, _seconds = _product_run(url, csv_path)
    finally:
        ctx.pg_drop(run_name)
        ctx.pg_drop(base)  # built again by every run: nothing to keep
    return _results(ctx, "postgres", "psycopg COPY", len(raw), product, baseline, aum, whole, result, again)


# -- the report -----------------------------------------------------------------------------------------

def _results(ctx: Context, backend: str, baseline_name: str, n: int, product: list[float], baseline: list[float],
             aum: list[float], whole: list[float], result, again, floor: list[float] | None = None) -> list[Result]:
    per_row = [s / n * 1e6 for s in product]
    raw_per_row = [s / n * 1e6 for s in baseline]
    rate = n / median(product)
    raw_rate = n / median(baseline)
    note = f"{n:,} rows; {rate:,.0f} rows/s vs {raw_rate:,.0f} rows/s raw"
    if floor:
        note += (f" ({n / median(floor):,.0f} rows/s raw without foreign-key checks and with the indexes set aside "
                 f"and built again, as the import writes)")
    if backend == "sqlite":
        verdict = "meets" if rate >= TARGET_ROWS_PER_S else "misses"
        note += f"; {verdict} the {TARGET_ROWS_PER_S:,} rows/s target"
    note += (f"; checking {result.check_seconds:.1f} s, writing {result.write_seconds:.1f} s "
             f"(last run); {result.inserted:,} inserted")
    aum_note = (f"{result.aum.customers:,} customers, {result.aum.snapshots:,} monthly snapshots written, "
                f"{result.aum.tiers_changed:,} tier changes" if result.aum else "no customer affected")
    again_rate = again.rows / max(again.seconds, 1e-9)
    return [
        Result("import_txn", backend, f"{n:,} transactions: check + insert", "µs/row", median(per_row), p95(per_row),
               baseline_name, median(raw_per_row), p95(raw_per_row), note, len(per_row)),
        Result("import_txn", backend, f"{n:,} transactions: AUM refresh", "s", median(aum), p95(aum),
               note=aum_note, samples=len(aum)),
        Result("import_txn", backend, f"{n:,} transactions: whole import", "s", median(whole), p95(whole),
               note=f"{n / median(whole):,.0f} rows/s end to end: check, insert, AUM refresh, audit, commit",
               samples=len(whole)),
        Result("import_txn", backend, f"{n:,} transactions: re-import, nothing changed", "s", again.seconds, None,
               note=f"{again_rate:,.0f} rows/s; {again.inserted:,} inserted, {again.updated:,} updated, "
                    f"{again.unchanged:,} unchanged", samples=1),
    ]


@benchmark("import_txn", "Importing a transactions extract (check + insert, AUM refresh, re-import)")
def bench_import_txn(ctx: Context) -> list[Result]:
    customers, n = _sizes(ctx)
    runs = 1 if ctx.quick else 3
    now = datetime.now(timezone.utc)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="ocrm-bench-imports-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        rows = _base_rows(customers, now)
        csv_path = folder / "transactions.csv"
        raw = _write_file(csv_path, n, rows["account"], now)
        log(f"  {customers:,} customers, {len(rows['account']):,} accounts, {n:,} transactions written "
            f"({csv_path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
        if "sqlite" in ctx.backends:
            results += _sqlite(ctx, folder, rows, csv_path, raw, runs)
        if ctx.postgres_available():
            results += _postgres(ctx, rows, csv_path, raw, 1 if ctx.quick else 2)
    return results
