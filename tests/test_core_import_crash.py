"""A transactions import killed half-way (SIGKILL while its write transaction is open) leaves the
database as it was; the same import run again gives, table by table, what an uninterrupted run
gives on a copy of the same database — on SQLite and PostgreSQL, through the `ocrm` command (the
killed one in a process of its own, as cron runs it)."""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.engine import Database
from ocrm_tui.services import audit
from tests.conftest import _pg_url_for, create_pg_database, drop_pg_database
from tests.test_core_import import TXN_HEADER, load_samples

ROWS = 30_000  # three write chunks (of 10,000): the kill lands after the first
ACCOUNTS = ("6222000000000001", "6222000000000002", "6222000000000003", "6222000000000004", "6222000000000006",
            "6222000000000007")


def transactions_file(path: Path) -> Path:
    """ROWS transactions over the sample accounts in the last 300 days (the command runs on today's clock)."""
    rng = random.Random(6)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(TXN_HEADER.split(","))
        for k in range(ROWS):
            posted = now - timedelta(seconds=rng.randrange(60, 300 * 86400))
            out.writerow([f"K{k:08d}", rng.choice(ACCOUNTS), posted.strftime("%Y-%m-%dT%H:%M:%S"),
                          f"{rng.randrange(1, 2_000_000) / 100:.2f}", rng.choice(("in", "out")),
                          rng.choice(("counter", "atm", "mobile", "online")), "", rng.choice(("", "工资", "转账"))])
    return path


def command(path: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "ocrm_tui", "import", "transactions", str(path), "--db", url, "--progress-every",
            "10000"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "OCRM_LANG": "en"}


def state(url: str) -> dict[str, list]:
    """Every table the import writes, by natural keys (surrogate ids of a rolled-back attempt may
    differ on PostgreSQL, whose sequences do not roll back), plus the audit chain and the indexes."""
    db = Database(url)
    try:
        with db.session() as s:
            conn = s.connection()
            found = {name: conn.execute(text(sql)).all() for name, sql in {
                "customer": "SELECT customer_no, name, rm_id IS NULL, aum, aum_daily_avg, tier, tier_manual, version "
                            "FROM customer ORDER BY customer_no",
                "account": "SELECT a.account_no, c.customer_no, a.balance, a.status FROM account a "
                           "JOIN customer c ON c.id = a.customer_id ORDER BY a.account_no",
                "txn": "SELECT t.txn_id, a.account_no, c.customer_no, t.posted_at, t.amount, t.direction, t.channel, "
                       "t.counterparty, t.memo FROM txn t JOIN account a ON a.id = t.account_id "
                       "JOIN customer c ON c.id = t.customer_id ORDER BY t.txn_id",
                "aum_snapshot": "SELECT c.customer_no, s.month, s.aum, s.aum_daily_avg FROM aum_snapshot s "
                                "JOIN customer c ON c.id = s.customer_id ORDER BY c.customer_no, s.month",
                "audit_events": "SELECT event, count(*) FROM audit_record GROUP BY event ORDER BY event",
                "alerts": "SELECT kind, count(*) FROM alert GROUP BY kind ORDER BY kind",
            }.items()}
            chain = audit.verify_chain(s)
            found["audit_chain"] = [chain.ok]
            if conn.dialect.name == "sqlite":
                found["schema"] = conn.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ('txn', 'customer', 'aum_snapshot') "
                    "ORDER BY type, name").all()
                found["integrity"] = conn.exec_driver_sql("PRAGMA integrity_check").all()
            else:
                found["schema"] = conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('txn', 'customer', 'aum_snapshot') "
                    "ORDER BY indexname").all()
        return found
    finally:
        db.dispose()


def copy_database(url: str, backend: str, tmp_path: Path) -> str:
    """A second database holding what ``url`` holds now (nobody connected to it)."""
    if backend == "sqlite":
        target = tmp_path / "clean.db"
        source = sqlite3.connect(make_url(url).database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        return f"sqlite:///{target}"
    return _pg_url_for(create_pg_database(template=make_url(url).database))


def test_a_killed_import_leaves_the_database_as_it_was_and_running_it_again_equals_a_clean_run(
        backend, db_url, db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers", "accounts"))
    db.dispose()
    path = transactions_file(tmp_path / "transactions.csv")
    clean_url = copy_database(db_url, backend, tmp_path)
    try:
        before = state(db_url)
        assert before["txn"] == [] and before["audit_chain"] == [True]

        process = subprocess.Popen(command(path, db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=environment())
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("Loading transactions: 10,000 of 30,000 rows"):
                assert process.poll() is None  # still inside its write transaction
                os.kill(process.pid, signal.SIGKILL)
                break
        rest, _err = process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL, "".join(seen) + rest
        assert not any("inserted" in line for line in seen + rest.splitlines()), "the import finished before the kill"
        assert state(db_url) == before

        # The same command again, and on the copy without interruption (in this process: same code, no start-up).
        again = CliRunner().invoke(app, command(path, db_url)[3:])
        assert again.exit_code == 0, again.output
        assert "Transactions: 30,000 inserted, 0 updated, 0 unchanged, 0 rejected;" in again.stdout
        clean = CliRunner().invoke(app, command(path, clean_url)[3:])
        assert clean.exit_code == 0, clean.output

        rerun, uninterrupted = state(db_url), state(clean_url)
        assert len(rerun["txn"]) == ROWS and rerun["aum_snapshot"] and rerun["audit_chain"] == [True]
        for table in rerun:
            assert rerun[table] == uninterrupted[table], table
        assert rerun["schema"] == before["schema"]  # the indexes set aside for the load are back
    finally:
        if backend == "postgres":
            drop_pg_database(make_url(clean_url).database)

