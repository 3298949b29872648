"""AUM (assets under management, 资产) and daily-average AUM (日均AUM), kept up to date from
the core banking system's balances and transactions, and the tiers that follow from them.

What the figures mean (the demo builds its customers by the same definition, and the
profile reads them):

- A customer's assets are the balances of their accounts in asset products — deposits,
  wealth management, funds, insurance and precious metals; loans and credit cards are
  not assets — held in CNY (the product keeps no exchange rates, so an account in another
  currency is left out). A closed account counts as zero today.
- The AUM of a day is the sum of those balances at the end of the day (UTC). The accounts
  extract gives today's balance; an earlier day's balance follows from it through the
  transactions posted after that day: balance(day) = balance today − money in after the
  day + money out after it. Transactions on other accounts (a loan, a card) change no AUM.
- A month's snapshot (``aum_snapshot``, ``month`` = its first day): ``aum`` is the AUM at
  the end of the month's last day (today, for the current month) and ``aum_daily_avg``
  the mean of the AUM of each of the month's days (up to today, for the current month).
- The customer's ``aum`` is today's AUM and ``aum_daily_avg`` the current month's daily
  average: the figure the bank's tier rule reads (``tiers.tier_for``). The profile's month,
  quarter and year figures are means of the snapshots' daily averages.
- The months kept up to date are the current month and the 11 before it (the demo's
  year); older snapshots are history and are left as they are. A month before the one in
  which the customer's first asset account was opened (when every account's opening day
  is known) gets no snapshot, and neither does any month of a customer without asset
  accounts. A figure below zero (transactions that do not reconcile with the balance)
  counts as zero.

``refresh_customers`` recomputes all of that for the customers named (after an import of
accounts or transactions: those whose accounts or transactions changed), then gives each
of them the tier of their new daily-average AUM, except where a manager set the tier by
hand. A tier that changes is audited as in ``tiers.recompute_tiers`` (``customer.tier_recompute``,
the version goes up); the refresh itself is one ``aum.refresh`` event with the counts.

How: per chunk of customers, two grouped queries (balances per customer; money moved per
customer and month, with the day-weighted sum that gives the daily average without
walking day by day), the arithmetic in whole cents in Python, the chunk's snapshots in the
window deleted and written again with the bulk writer of the imports, and the changed
customers updated with one executemany.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time as day_time, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import BigInteger, Integer, bindparam, case, cast, delete, extract, func, select, text, update
from sqlmodel import Session

from ocrm_tui.db.models import Account, AumSnapshot, Customer, ProductType, Product, Transaction
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, tiers
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied

# Products whose balances are the customer's assets (loans and credit cards are not).
ASSET_TYPES = (ProductType.DEPOSIT.value, ProductType.WEALTH.value, ProductType.FUND.value,
               ProductType.INSURANCE.value, ProductType.METAL.value)
CURRENCY = "CNY"
HISTORY_MONTHS = 12  # the current month and the 11 before it
CHUNK = 5000  # customers per round of queries (SQLite allows some 32,000 bound values)

_customer = Customer.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]
_product = Product.__table__  # type: ignore[attr-defined]
_txn = Transaction.__table__  # type: ignore[attr-defined]
_snapshot = AumSnapshot.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AumResult:
    customers: int = 0  # customers refreshed
    changed: int = 0  # … whose AUM or daily-average AUM changed
    snapshots: int = 0  # monthly snapshots written
    tier_moves: dict[tuple[str, str], int] = field(default_factory=dict)  # (old, new) → customers
    overrides_kept: int = 0  # refreshed customers whose manual tier was left alone
    seconds: float = 0.0

    @property
    def tiers_changed(self) -> int:
        return sum(self.tier_moves.values())


# -- the months -----------------------------------------------------------------------------------

def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, 1)


def window(today: date) -> list[date]:
    """The first days of the months kept up to date, oldest first; the last is today's month."""
    current = month_start(today)
    return [add_months(current, -k) for k in range(HISTORY_MONTHS - 1, -1, -1)]


def _days_counted(month: date, today: date) -> int:
    """Days of ``month`` that have ended or are today: the whole month, or up to today."""
    if month == month_start(today):
        return today.day
    return calendar.monthrange(month.year, month.month)[1]


def _money(cents: int) -> Decimal:
    return Decimal(max(cents, 0)).scaleb(-2).quantize(Decimal("0.01"))


class MonthFigure(NamedTuple):
    month: date
    aum_cents: int  # at the end of the month (today, for the current month)
    average_cents: int  # the mean of the month's days

    @property
    def aum(self) -> Decimal:
        return _money(self.aum_cents)

    @property
    def aum_daily_avg(self) -> Decimal:
        return _money(self.average_cents)


def month_figures(balance_cents: int, flows: dict[date, list[int]], months: list[date], days: list[int],
                  first_month: date | None = None) -> list[MonthFigure]:
    """The snapshots of one customer, oldest first (the module's definition, in whole cents).

    ``days`` are the days counted of each month (``_days_counted``). ``flows`` maps a month
    to [net money in, Σ net money in × (day of the month − 1)] of the transactions posted in
    it up to today. Walking back from today, the money that came in after a month is taken
    off today's balance to give the month's end; the day-weighted sum is, day by day, the
    money that came in later in the month, so the month's mean is its end less that sum
    over the number of days. Below zero counts as zero.
    """
    return [MonthFigure(months[k], end, mean)
            for k, end, mean in _month_cents(balance_cents, flows, months, days, first_month)]


def _month_cents(balance_cents: int, flows: dict[date, list[int]], months: list[date], days: list[int],
                 first_month: date | None) -> list[tuple[int, int, int]]:
    """``month_figures`` as (index of the month, end, mean) in cents: plain tuples for the refresh of
    many customers."""
    figures: list[tuple[int, int, int]] = []
    after = 0  # net money in after the month being looked at
    for index in range(len(months) - 1, -1, -1):
        month = months[index]
        if first_month is not None and month < first_month:
            break
        net, weighted = flows.get(month, (0, 0))
        n = days[index]
        end = balance_cents - after
        quotient, remainder = divmod(end * n - weighted, n)  # the mean, rounded half up
        mean = quotient + (1 if 2 * remainder >= n else 0)
        figures.append((index, end if end > 0 else 0, mean if mean > 0 else 0))
        after += net
    figures.reverse()
    return figures


# -- the queries ------------------------------------------------------------------------------------

def _month_and_day(dialect: str):
    """SQL for the UTC month (a 'YYYY-MM' text) and day of the month of a transaction."""
    posted = _txn.c.posted_at
    if dialect == "postgresql":
        utc = func.timezone("UTC", posted)
        return func.to_char(utc, "YYYY-MM"), cast(extract("day", utc), Integer)
    # SQLite keeps times as UTC text "YYYY-MM-DD HH:MM:SS.ffffff".
    return func.substr(posted, 1, 7), cast(func.substr(posted, 9, 2), Integer)


def _asset_accounts(session: Session, ids: list[int]) -> tuple[dict[int, int], dict[int, list]]:
    """(asset account id → customer id, customer id → [today's balance in cents, first month
    an asset account was held or None when an opening day is unknown])."""
    cents = cast(func.round(_account.c.balance * 100), BigInteger)
    rows = session.execute(
        select(_account.c.id, _account.c.customer_id, case((_account.c.status == "closed", 0), else_=cents),
               _account.c.opened_on)
        .join(_product, _product.c.id == _account.c.product_id)
        .where(_account.c.customer_id.in_(bindparam("ids", expanding=True)),
               _product.c.product_type.in_(ASSET_TYPES), _account.c.currency == CURRENCY), {"ids": ids}).all()
    owner: dict[int, int] = {}
    held: dict[int, list] = {}
    for account_id, customer_id, balance, opened in rows:
        owner[account_id] = customer_id
        first = month_start(opened) if opened is not None else None
        entry = held.get(customer_id)
        if entry is None:
            held[customer_id] = [int(balance or 0), first, first is None]
        else:
            entry[0] += int(balance or 0)
            if first is None:
                entry[2] = True
            elif entry[1] is None or first < entry[1]:
                entry[1] = first
    return owner, {cid: [balance, None if unknown else first] for cid, (balance, first, unknown) in held.items()}


def _flows(session: Session, ids: list[int], owner: dict[int, int], months: list[date],
           today: date) -> dict[int, dict[date, list[int]]]:
    """customer id → month → [net money in, day-weighted net money in], in cents, of the
    transactions on their asset accounts posted from the first month of the window up to today.
    Grouped by account, so that the database reads the transactions alone (no join)."""
    month_text, day = _month_and_day(session.connection().dialect.name)
    cents = cast(func.round(_txn.c.amount * 100), BigInteger)
    signed = case((_txn.c.direction == "in", cents), else_=-cents)
    start = datetime.combine(months[0], day_time(0), tzinfo=timezone.utc)
    end = datetime.combine(today + timedelta(days=1), day_time(0), tzinfo=timezone.utc)
    rows = session.execute(
        select(_txn.c.account_id, month_text, func.sum(signed), func.sum(signed * (day - 1)))
        .where(_txn.c.customer_id.in_(bindparam("ids", expanding=True)), _txn.c.posted_at >= start,
               _txn.c.posted_at < end)
        .group_by(_txn.c.account_id, month_text), {"ids": ids}).all()
    by_text = {m.isoformat()[:7]: m for m in months}
    flows: dict[int, dict[date, list[int]]] = {}
    for account_id, month, net, weighted in rows:
        customer_id = owner.get(account_id)
        if customer_id is None:
            continue  # a loan, a card, another currency
        per_month = flows.setdefault(customer_id, {})
        entry = per_month.get(by_text[month])
        if entry is None:
            per_month[by_text[month]] = [int(net or 0), int(weighted or 0)]
        else:
            entry[0] += int(net or 0)
            entry[1] += int(weighted or 0)
    return flows


# -- the refresh ------------------------------------------------------------------------------------

@dataclass
class _Refresh:
    """One refresh: the months, the rule, and what it has done so far."""

    now: datetime
    months: list[date]
    days: list[int]  # days counted of each month
    stored_months: list  # the months as the driver writes a date
    thresholds: dict
    moves: Counter = field(default_factory=Counter)
    changed: int = 0
    snapshots: int = 0
    overrides: int = 0


def refresh_customers(session: Session, actor: Actor, customer_ids: Iterable[int], *, clock: Clock = system_clock,
                      commit: bool = True) -> AumResult:
    """Bring the monthly snapshots, AUM, daily-average AUM and tier of these customers up to
    date (see the module's description); other customers are not touched.

    Runs in the caller's transaction and commits it, unless ``commit`` is False (an import
    that refreshes as part of its own transaction).
    """
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can recompute tiers"))
    started = time.perf_counter()
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    today = now.astimezone(timezone.utc).date()
    months = window(today)
    sqlite = session.connection().dialect.name == "sqlite"
    state = _Refresh(now=now, months=months, days=[_days_counted(m, today) for m in months],
                     stored_months=[m.isoformat() if sqlite else m for m in months],
                     thresholds=tiers.tier_thresholds(session))
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        _refresh_chunk(session, ids[start:start + CHUNK], state, today)
    result = AumResult(customers=len(ids), changed=state.changed, snapshots=state.snapshots,
                       tier_moves=dict(sorted(state.moves.items())), overrides_kept=state.overrides,
                       seconds=time.perf_counter() - started)
    if ids:
        audit.log_event(session, "aum.refresh", "customer", None, {
            "customers": result.customers, "changed": result.changed, "snapshots": result.snapshots,
            "tiers_changed": result.tiers_changed, "overrides_kept": result.overrides_kept,
            "moves": {f"{old}→{new}": n for (old, new), n in result.tier_moves.items()},
            "months": [months[0].isoformat(), months[-1].isoformat()]})
    if commit:
        session.commit()
    return result


def _refresh_chunk(session: Session, chunk: list[int], state: _Refresh, today: date) -> None:
    from ocrm_tui.services.core_import import insert_tuples

    customers = session.execute(
        select(_customer.c.id, _customer.c.aum, _customer.c.aum_daily_avg, _customer.c.tier, _customer.c.tier_manual)
        .where(_customer.c.id.in_(bindparam("ids", expanding=True))).with_for_update(), {"ids": chunk}).all()
    owner, held = _asset_accounts(session, chunk)
    flows = _flows(session, chunk, owner, state.months, today)
    rows: list[tuple] = []
    figures_changed: list[dict] = []
    tier_changed: list[dict] = []
    for c in customers:
        figures = (_month_cents(held[c.id][0], flows.get(c.id, {}), state.months, state.days, held[c.id][1])
                   if c.id in held else [])  # no asset account: no AUM
        rows.extend((c.id, state.stored_months[k], end / 100, mean / 100) for k, end, mean in figures)
        aum = _money(figures[-1][1]) if figures else _money(0)
        average = _money(figures[-1][2]) if figures else _money(0)
        moved = aum != c.aum or average != c.aum_daily_avg
        state.changed += moved
        tier = str(tiers.tier_for(average, state.thresholds))
        if c.tier_manual:
            state.overrides += 1
            tier = c.tier
        if tier != c.tier:
            state.moves[(c.tier, tier)] += 1
            audit.log_event(session, "customer.tier_recompute", "customer", c.id, {"tier": [c.tier, tier]})
            tier_changed.append({"b_id": c.id, "b_aum": aum, "b_avg": average, "b_tier": tier})
        elif moved:
            figures_changed.append({"b_id": c.id, "b_aum": aum, "b_avg": average})
    session.execute(delete(_snapshot).where(_snapshot.c.customer_id.in_(bindparam("ids", expanding=True)),
                                            _snapshot.c.month >= state.months[0]), {"ids": chunk})
    insert_tuples(session, _snapshot, ("customer_id", "month", "aum", "aum_daily_avg"), rows)
    state.snapshots += len(rows)
    _update_customers(session, figures_changed, None)
    _update_customers(session, tier_changed, state.now)


def _update_customers(session: Session, rows: list[dict], now: datetime | None) -> None:
    """New figures (and, with ``now``, a new tier: a change staff see, so the version goes up as
    with `ocrm tiers recompute`). PostgreSQL takes the chunk as one UPDATE … FROM unnest(arrays),
    planned once (a statement per customer costs five times as much); SQLite an executemany."""
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        tiered = now is not None
        session.execute(text(
            "UPDATE customer SET aum = v.aum, aum_daily_avg = v.avg"
            + (", tier = v.tier, updated_at = :now, version = customer.version + 1" if tiered else "")
            + " FROM unnest(CAST(:ids AS integer[]), CAST(:aums AS numeric[]), CAST(:avgs AS numeric[]), "
              "CAST(:tiers AS text[])) AS v(id, aum, avg, tier) WHERE customer.id = v.id"),
            {"ids": [r["b_id"] for r in rows], "aums": [r["b_aum"] for r in rows], "avgs": [r["b_avg"] for r in rows],
             "tiers": [r.get("b_tier") for r in rows], "now": now})
        return
    values = {"aum": bindparam("b_aum"), "aum_daily_avg": bindparam("b_avg")}
    if now is not None:
        values.update(tier=bindparam("b_tier"), updated_at=now, version=_customer.c.version + 1)
    session.execute(update(_customer).where(_customer.c.id == bindparam("b_id")).values(**values)
                    .execution_options(synchronize_session=False), rows)
