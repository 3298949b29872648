"""A tiny run of `python -m bench` so that the benchmark code cannot rot."""

from __future__ import annotations

import os
import re

import pytest

from bench.__main__ import main

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def row(report: str, benchmark: str, backend: str, item: str) -> list[str]:
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:3] == [benchmark, backend, item]:
            return cells
    raise AssertionError(f"no row {benchmark}/{backend}/{item} in\n{report}")


def test_a_tiny_benchmark_run_writes_the_report(tmp_path, monkeypatch):
    backends = ["sqlite"]
    pg = os.environ.get("OCRM_TEST_POSTGRES_URL")
    if pg:
        monkeypatch.setenv("OCRM_BENCH_POSTGRES_URL", pg)
        backends.append("postgres")
    out = tmp_path / "BENCHMARKS.md"
    # Every benchmark but the import's, which tests/test_bench_imports.py runs on its own.
    import importlib

    from bench import MODULES
    from bench.core import registry

    for module in MODULES:
        importlib.import_module(module)
    only = ",".join(b.name for b in registry() if b.name != "import_txn")
    assert main(["--customers", "200", "--quick", "--out", str(out), "--backends", ",".join(backends),
                 "--cache-dir", str(tmp_path / "cache"), "--only", only]) == 0
    report = out.read_text(encoding="utf-8")

    for label in ("CPU", "Cores", "RAM", "Python", "SQLite", "PostgreSQL", "Date"):
        assert re.search(rf"^\| {label} \| .+ \|$", report, re.M), label
    for backend in backends:
        for table in ("customer", "account", "txn", "aum_snapshot", "customer_tag"):
            cells = row(report, "demo", backend, table)
            median, p95, baseline, base_median, ratio = cells[4], cells[5], cells[6], cells[7], cells[9]
            assert re.fullmatch(NUMBER, median) and re.fullmatch(NUMBER, p95), cells
            assert baseline in ("sqlite3 executemany", "psycopg COPY")
            assert re.fullmatch(NUMBER, base_median), cells
            assert re.fullmatch(NUMBER + "×", ratio), cells
            assert "rows/s" in cells[11]
        whole = row(report, "demo", backend, "whole demo, 200 customers")
        assert re.fullmatch(NUMBER, whole[4]) and "rows/s end to end" in whole[11]
    startup = row(report, "startup", "sqlite", "ocrm tui → login screen")
    if "not measured yet" not in startup[11]:
        assert re.fullmatch(NUMBER, startup[4]) and re.fullmatch(NUMBER, startup[7]), startup
        assert "target" in startup[11]
    for backend in backends:
        for kind in ("ID number", "mobile", "customer number", "Chinese name prefix (2 characters)",
                     "2 characters inside the name", "pinyin initials", "full pinyin",
                     "mobile last 4 digits in the branch"):
            cells = row(report, "search", backend, kind)
            assert re.fullmatch(NUMBER, cells[4]) and re.fullmatch(NUMBER, cells[7]), cells
            assert cells[6] == "the same query in raw SQL" and "p95 < 20 ms" in cells[11]
    profile = row(report, "profile", "sqlite", "Enter → profile drawn (RM, exact customer number)")
    assert re.fullmatch(NUMBER, profile[4]) and re.fullmatch(NUMBER, profile[7]), profile
    batch = row(report, "batch_tag", "sqlite", "200 customers tagged (audit included)")
    assert re.fullmatch(NUMBER, batch[4]) and "0 rows left after" in batch[11], batch
    for backend in backends:
        wall = row(report, "ticket_claim", backend, "2 processes empty a pool of 100: wall time per claim")
        assert re.fullmatch(NUMBER, wall[4]) and re.fullmatch(NUMBER, wall[7]), wall
        assert "0 double claims, 0 lost (100 claims checked against the timeline)" in wall[11], wall
        one = row(report, "ticket_claim", backend, "2 processes: one claim as a terminal sees it")
        assert re.fullmatch(NUMBER, one[4]) and re.fullmatch(NUMBER, one[7]), one
        queue = row(report, "ticket_queue", backend, "counts of 7 views + first page (2,000 tickets, 100 queued)")
        assert re.fullmatch(NUMBER, queue[4]) and re.fullmatch(NUMBER, queue[7]), queue
        assert queue[6] == "the same queries in raw SQL" and "queue_counts + queue_page" in queue[11], queue
    f3 = row(report, "ticket_queue", "sqlite", "F3 → first page drawn (2,000 tickets, 100 queued)")
    assert re.fullmatch(NUMBER, f3[4]) and re.fullmatch(NUMBER, f3[7]), f3
    assert "p95 < 200 ms" in f3[11] and "rows drawn" in f3[11], f3
    for backend in backends:
        for item in ("4-condition count (房贷客户 in, 理财偏好 out), 200 customers",
                     "4-condition count, broad tags (中年客户 in, 保守型 out), 200 customers"):
            count = row(report, "campaign_preview", backend, item)
            assert re.fullmatch(NUMBER, count[4]) and re.fullmatch(NUMBER, count[7]), count
            shapes = r"(IN / NOT IN|EXISTS / NOT EXISTS|IN / NOT EXISTS)"
            assert re.fullmatch(rf"fastest raw SQL \({shapes}\)", count[6]), count
            assert "p95 < 200 ms and ≤ 1.5× the fastest raw SQL" in count[11], count
            assert re.search(r"\d+ customers match; raw SQL: IN / NOT IN .+, EXISTS / NOT EXISTS .+, IN / NOT EXISTS",
                             count[11]), count
        listed = row(report, "campaign_generate", backend, "list of ~10 % of 200 customers")
        assert re.fullmatch(NUMBER, listed[4]) and re.fullmatch(NUMBER, listed[7]), listed
        assert listed[6] == "hand-written INSERT … SELECT of the same rows", listed
        assert "the 3 s target" in listed[11] and "RM) pairs as by hand" in listed[11], listed
        live = row(report, "campaign_generate", backend, "live list regenerated: every match already on it")
        assert re.fullmatch(NUMBER, live[4]) and re.fullmatch(NUMBER, live[7]), live
        assert live[11].startswith("0 targets added"), live
    assert "<!-- recorded-runs:start -->" in report

    # a hand-kept section survives the next run
    out.write_text(report.replace("(none yet)", "kept by hand"), encoding="utf-8")
    assert main(["--customers", "200", "--quick", "--out", str(out), "--backends", "sqlite", "--only", "none",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert "kept by hand" in out.read_text(encoding="utf-8")


def test_bad_customer_count_is_refused(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["--customers", "0", "--out", str(tmp_path / "x.md")])
    assert exc.value.code == 2
