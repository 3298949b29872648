"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import time


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def postgres_version(ctx) -> str:
    if not ctx.postgres_available():
        return f"not reachable ({ctx.pg_problem})"
    from sqlalchemy import text

    from ocrm_tui.db.engine import single_connection_engine

    eng = single_connection_engine(ctx.pg_admin_url)
    with eng.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    eng.dispose()
    return str(version)


def describe(ctx) -> list[tuple[str, str]]:
    ram = ram_gib()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return [
        ("Date", time.strftime("%Y-%m-%d %H:%M %Z")),
        ("CPU", cpu_model()),
        ("Cores", str(os.cpu_count())),
        ("RAM", f"{ram:.1f} GiB" if ram else "unknown"),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version(ctx)),
        ("Load average at start (1/5/15 min)", " / ".join(f"{x:.2f}" for x in load) if load else "unknown"),
    ]
