"""The monthly summaries the management reports read, rebuilt from the detail.

A tier-1 branch holds half a million customers and five million transactions: summing them
each time a manager opens a report would take many seconds. ``refresh`` sums them once —
after each import of accounts or transactions (``core_import``), at the end of the demo,
and when an administrator or cron runs ``ocrm report refresh`` — into three tables:

- ``report_txn_month``: transactions (count, amount) by UTC month, owner (branch, RM),
  channel and direction;
- ``report_aum_month``: the AUM snapshots by month, owner and tier, with each customer's
  tier the month before (the movement between tiers; none after a month without a snapshot); the tier of a month is the bank's
  rule (``tiers.tier_for``, thresholds in settings) applied to that month's daily-average
  AUM, so a manual override does not rewrite history;
- ``report_falling``: the customers whose monthly daily-average AUM fell at least two
  months in a row up to the last complete month.

The owner is the customer's branch and RM at the time of the refresh: a customer moved to
another RM takes their history with them at the next refresh. Each refresh replaces the
three tables in one transaction (readers see the old figures until it commits) and is one
``report.refresh`` audit event with the row counts; ``last_refresh`` tells the reports when.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlmodel import Session

from ocrm_tui.db.models import AuditRecord
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.settings import get_setting

FALLING_MONTHS = 11  # the longest fall recorded (12 monthly snapshots are kept up to date)
EVENT = "report.refresh"


@dataclass(frozen=True)
class RefreshResult:
    txn_rows: int
    aum_rows: int
    falling: int
    through: date  # the last complete month of the falling customers
    seconds: float


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _txn_month(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(date_trunc('month', timezone('UTC', t.posted_at)) AS DATE)"
    return "substr(t.posted_at, 1, 7) || '-01'"  # SQLite keeps times as UTC text


def _month_before(dialect: str) -> str:
    """The first day of the month before a snapshot's: a tier "the month before" is only
    that month's, not that of an earlier snapshot across a gap."""
    if dialect == "postgresql":
        return "CAST(month - INTERVAL '1 month' AS DATE)"
    return "date(month, '-1 month')"


def _tier_case(column: str) -> str:
    return (f"CASE WHEN {column} >= :private THEN 'private' WHEN {column} >= :wealth THEN 'wealth' "
            f"WHEN {column} >= :vip THEN 'vip' ELSE 'mass' END")


def _falling_sql(dialect: str) -> str:
    """One row per customer with the daily averages of the last 12 complete months (m0 the
    newest), then the length of the run of falls ending at m0."""
    n = FALLING_MONTHS
    pivot = ", ".join(f"max(CASE WHEN month = :m{k} THEN aum_daily_avg END) AS m{k}" for k in range(n + 1))
    streak = "CASE " + " ".join(
        f"WHEN m{k} IS NULL OR m{k + 1} IS NULL OR m{k} >= m{k + 1} THEN {k}" for k in range(n)) + f" ELSE {n} END"
    start = "CASE s.months " + " ".join(f"WHEN {k} THEN s.m{k}" for k in range(2, n + 1)) + " END"
    return (f"INSERT INTO report_falling (customer_id, through, months, aum_from, aum_to) "
            f"SELECT s.customer_id, :m0, s.months, {start}, s.m0 FROM ("
            f"  SELECT p.*, {streak} AS months FROM ("
            f"    SELECT customer_id, {pivot} FROM aum_snapshot WHERE month >= :m{n} AND month <= :m0 "
            f"    GROUP BY customer_id) p) s "
            f"WHERE s.months >= 2")


def refresh(session: Session, actor: Actor, *, clock: Clock = system_clock) -> RefreshResult:
    """Rebuild the report summaries from the transactions and AUM snapshots (commits)."""
    started = time.perf_counter()
    audit.acting_as(session, actor, clock=clock)
    dialect = session.get_bind().dialect.name
    thresholds = get_setting(session, "tier.thresholds")
    today = clock().date()
    through = _months_back(today.replace(day=1), 1)
    params = {k: float(thresholds[k]) for k in ("vip", "wealth", "private")}
    for table in ("report_txn_month", "report_aum_month", "report_falling"):
        session.execute(text(f"DELETE FROM {table}"))
    month = _txn_month(dialect)
    txn_rows = session.execute(text(
        f"INSERT INTO report_txn_month (month, org_id, rm_id, channel, direction, txn_count, amount) "
        f"SELECT m, org_id, rm_id, channel, direction, count(*), round(sum(amount), 2) FROM ("
        f"  SELECT {month} AS m, c.org_id, c.rm_id, t.channel, t.direction, t.amount "
        f"  FROM txn t JOIN customer c ON c.id = t.customer_id) x "
        f"GROUP BY m, org_id, rm_id, channel, direction")).rowcount
    aum_rows = session.execute(text(
        f"INSERT INTO report_aum_month (month, org_id, rm_id, tier, prev_tier, customers, aum, aum_daily_avg) "
        f"SELECT s.month, c.org_id, c.rm_id, s.tier, s.prev_tier, count(*), round(sum(s.aum), 2), "
        f"       round(sum(s.aum_daily_avg), 2) FROM ("
        f"  SELECT customer_id, month, aum, aum_daily_avg, {_tier_case('aum_daily_avg')} AS tier, "
        f"         CASE WHEN LAG(month) OVER w = {_month_before(dialect)} "
        f"              THEN LAG({_tier_case('aum_daily_avg')}) OVER w END AS prev_tier "
        f"  FROM aum_snapshot WINDOW w AS (PARTITION BY customer_id ORDER BY month)) s "
        f"JOIN customer c ON c.id = s.customer_id "
        f"GROUP BY s.month, c.org_id, c.rm_id, s.tier, s.prev_tier"), params).rowcount
    months = {f"m{k}": _months_back(through, k) for k in range(FALLING_MONTHS + 1)}
    falling = session.execute(text(_falling_sql(dialect)), months).rowcount
    seconds = time.perf_counter() - started
    audit.log_event(session, EVENT, "report", None, {
        "txn_rows": txn_rows, "aum_rows": aum_rows, "falling": falling, "through": through.isoformat()})
    session.commit()
    return RefreshResult(txn_rows, aum_rows, falling, through, seconds)


def last_refresh(session: Session) -> datetime | None:
    """When the summaries were last rebuilt (None: never, the reports on them are empty)."""
    return session.scalar(select(AuditRecord.at).where(AuditRecord.event == EVENT)
                          .order_by(AuditRecord.seq.desc()).limit(1))
