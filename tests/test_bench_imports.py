"""A smoke run of the import benchmark (bench/bench_imports.py), so that its code cannot rot: a
small self-contained database and file, every row of the report filled in."""

from __future__ import annotations

import os
import re

from bench.bench_imports import QUICK_TXNS, bench_import_txn
from bench.core import Context
from bench.report import table_lines

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def test_the_import_benchmark_reports_check_and_insert_the_aum_refresh_and_a_re_import(tmp_path):
    backends = ("sqlite", "postgres") if os.environ.get("OCRM_TEST_POSTGRES_URL") else ("sqlite",)
    ctx = Context(customers=300, seed=1, quick=True, backends=backends, cache_dir=tmp_path / "cache")
    if "postgres" in backends:
        ctx.pg_admin_url = os.environ["OCRM_TEST_POSTGRES_URL"]
    results = bench_import_txn(ctx)
    assert [(r.backend, r.item) for r in results] == [
        (backend, f"{QUICK_TXNS:,} transactions: {what}") for backend in backends
        for what in ("check + insert", "AUM refresh", "whole import", "re-import, nothing changed")]
    for insert, refresh, whole, again in zip(*[iter(results)] * 4):
        assert insert.unit == "µs/row" and insert.median > 0 and insert.baseline_median > 0 and insert.ratio > 0
        assert insert.baseline in ("sqlite3 executemany (foreign keys and indexes on)", "psycopg COPY")
        assert re.search(rf"{NUMBER} rows/s vs {NUMBER} rows/s raw", insert.note)
        assert f"{QUICK_TXNS:,} inserted" in insert.note
        assert refresh.unit == "s" and re.match(r"\d[\d,]* customers, [\d,]+ monthly snapshots written", refresh.note)
        assert whole.unit == "s" and whole.median >= insert.median * QUICK_TXNS / 1e6 and "end to end" in whole.note
        assert again.note.endswith(f"0 inserted, 0 updated, {QUICK_TXNS:,} unchanged")
    lines = table_lines(results)
    assert len(lines) == 2 + len(results) and all(line.count("|") == 13 for line in lines[2:])
