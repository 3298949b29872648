"""AUM, daily-average AUM and tiers after core-banking imports (`services/aum.py`), on SQLite and
PostgreSQL: the monthly figures worked out by hand from balances and transactions, only the
affected customers refreshed, manual tiers kept, tier changes audited; what counts as assets."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from ocrm_tui.db.models import AumSnapshot, Customer
from ocrm_tui.services import aum, auth, customers
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.errors import PermissionDenied
from ocrm_tui.services.users import get_user
from tests.test_core_import import (
    ACCOUNT_HEADER,
    TXN_HEADER,
    audit_events,
    customer,
    load_samples,
    run_import,
    write_csv,
)

TODAY = date(2026, 1, 5)  # the FakeClock's day
NOV, DEC, JAN = date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)


def snapshots(db, number: str) -> dict[date, tuple[Decimal, Decimal]]:
    with db.session() as s:
        cid = s.scalar(select(Customer.id).where(Customer.customer_no == number))
        return {r.month: (r.aum, r.aum_daily_avg) for r in s.scalars(
            select(AumSnapshot).where(AumSnapshot.customer_id == cid).order_by(AumSnapshot.month))}


def money(value: str) -> Decimal:
    return Decimal(value)


# -- the arithmetic ---------------------------------------------------------------------------------------

def test_month_figures_walk_back_from_today_s_balance():
    months = [NOV, DEC, JAN]
    days = [30, 31, 5]
    # Today 420,000.00. In December +15,000.00 on the 1st and −2,300.00 on the 5th; in January −1,000.00 on the 2nd.
    flows = {DEC: [1_270_000, -230_000 * 4], JAN: [-100_000, -100_000 * 1]}
    figures = aum.month_figures(42_000_000, flows, months, days)
    assert [(f.month, f.aum, f.aum_daily_avg) for f in figures] == [
        (NOV, money("408300.00"), money("408300.00")),
        # days 1–4 at 423,300, days 5–31 at 421,000
        (DEC, money("421000.00"), money("421296.77")),
        # day 1 at 421,000, days 2–5 at 420,000
        (JAN, money("420000.00"), money("420200.00")),
    ]
    assert [f.month for f in aum.month_figures(42_000_000, flows, months, days, first_month=DEC)] == [DEC, JAN]
    # Money out that the balance cannot have held counts as no assets, not as debt.
    assert [f.aum for f in aum.month_figures(0, {JAN: [50_000, 0]}, months, days)] == [money("0.00")] * 2 + [
        money("0.00")]
    assert aum.window(TODAY)[0] == date(2025, 2, 1) and aum.window(TODAY)[-1] == JAN and len(aum.window(TODAY)) == 12


# -- after the sample extracts ----------------------------------------------------------------------------

def test_imports_bring_snapshots_aum_and_tiers_up_to_date(db, branch, clock):
    results = load_samples(db, clock)
    assert results["accounts"].aum.customers == 5 and results["transactions"].aum.customers == 4

    zhang = snapshots(db, "C0001")
    assert len(zhang) == 12 and min(zhang) == date(2025, 2, 1)
    assert {m: zhang[m] for m in (NOV, DEC, JAN)} == {
        NOV: (money("408300.00"), money("408300.00")), DEC: (money("421000.00"), money("421296.77")),
        JAN: (money("420000.00"), money("420200.00"))}
    c1 = customer(db, "C0001")
    assert (c1.aum, c1.aum_daily_avg, c1.tier) == (money("420000.00"), money("420200.00"), "vip")

    # The mortgage is not an asset; the fixed deposit was opened in March 2025: no snapshot before.
    liu = snapshots(db, "C0003")
    assert min(liu) == date(2025, 3, 1) and len(liu) == 11
    # +50,000.00 on 20 December: days 1–19 at 600,000
    assert liu[DEC] == (money("650000.00"), money("619354.84")) and liu[NOV] == (money("600000.00"),) * 2
    assert customer(db, "C0003").tier == "wealth"
    # A credit card only: no assets, no snapshots.
    assert snapshots(db, "C0005") == {} and customer(db, "C0005").aum == money("0.00")

    # Tier changes are audited like `ocrm tiers recompute`'s, and the version goes up.
    moves = {e.entity_id: json.loads(e.changes) for e in audit_events(db, "customer.tier_recompute")}
    assert moves == {str(c1.id): {"tier": ["mass", "vip"]}, str(customer(db, "C0003").id): {"tier": ["mass", "wealth"]},
                     str(customer(db, "C0004").id): {"tier": ["mass", "vip"]}}
    assert (c1.version, customer(db, "C0002").version) == (2, 1)
    refreshes = [json.loads(e.changes) for e in audit_events(db, "aum.refresh")]
    assert [(r["customers"], r["tiers_changed"], r["months"]) for r in refreshes] == [
        (5, 3, ["2025-02-01", "2026-01-01"]), (4, 0, ["2025-02-01", "2026-01-01"])]


def test_only_the_affected_customers_are_refreshed_and_a_manual_tier_is_kept(db, branch, clock, tmp_path):
    load_samples(db, clock)
    nana = customer(db, "C0004")
    with db.session(write=True) as s:
        # Something else wrote C0004's figures (a month-end batch, say): an import about others leaves them be.
        s.execute(update(AumSnapshot).where(AumSnapshot.customer_id == nana.id, AumSnapshot.month == DEC)
                  .values(aum=Decimal("1.00")))
        s.execute(update(Customer).where(Customer.id == nana.id).values(aum=Decimal("7.00")))
        s.commit()
        manager = auth.actor_for(s, get_user(s, "M001"))
        customers.override_tier(s, manager, customer(db, "C0001").id, "mass", "客户要求按大众客户服务", clock=clock)
    untouched = snapshots(db, "C0004")
    version = customer(db, "C0001").version
    recomputed = len(audit_events(db, "customer.tier_recompute"))

    path = write_csv(tmp_path, "t.csv", TXN_HEADER,
                     ["T9001,6222000000000002,2026-01-03T10:00:00,200000.00,in,online,,"])
    result = run_import(db, "transactions", path, clock)
    assert (result.aum.customers, result.aum.overrides_kept, result.aum.tier_moves) == (1, 1, {})
    assert snapshots(db, "C0004") == untouched and customer(db, "C0004").aum == Decimal("7.00")
    c1 = customer(db, "C0001")
    # 200,000 came in on the 3rd: the balance today is the same, days 1–2 were 200,000 lower.
    assert snapshots(db, "C0001")[JAN] == (money("420000.00"), money("340200.00"))
    assert snapshots(db, "C0001")[DEC] == (money("221000.00"), money("221296.77"))
    assert (c1.aum_daily_avg, c1.tier, c1.tier_manual, c1.version) == (money("340200.00"), "mass", True, version)
    assert len(audit_events(db, "customer.tier_recompute")) == recomputed


def test_what_counts_as_assets(db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers"))
    accounts = write_csv(tmp_path, "a.csv", ACCOUNT_HEADER, [
        "6222500000000001,C0005,DEP-CUR,USD,1000.00,2019-01-01,,active",  # another currency: no exchange rate
        "6222500000000002,C0005,DEP-1Y,CNY,5000.00,2019-01-01,,closed",  # closed: nothing today
        "6222500000000003,C0005,CC-GOLD,CNY,9000.00,2019-01-01,,active",  # a card is not an asset
        "6222500000000004,C0005,WM-90,CNY,3000.00,2019-01-01,2026-03-01,dormant",  # held, even if dormant
    ])
    run_import(db, "accounts", accounts, clock)
    txns = write_csv(tmp_path, "t.csv", TXN_HEADER, [
        "T1,6222500000000002,2025-12-20T09:00:00,5000.00,out,counter,,销户",  # the closed account's last money
        "T2,6222500000000003,2025-12-21T09:00:00,8000.00,out,pos,,",  # card spending
        "T3,6222500000000001,2025-12-22T09:00:00,900.00,in,online,,",  # dollars
    ])
    run_import(db, "transactions", txns, clock)
    chen = snapshots(db, "C0005")
    assert chen[JAN] == (money("3000.00"), money("3000.00"))
    # Until 20 December the closed deposit still held 5,000: (19 × 8,000 + 12 × 3,000) / 31
    assert chen[DEC] == (money("3000.00"), money("6064.52"))
    assert chen[NOV] == (money("8000.00"), money("8000.00"))
    assert customer(db, "C0005").aum == money("3000.00")


def test_the_refresh_is_an_administrator_s_job_and_can_be_run_on_its_own(db, branch, clock):
    load_samples(db, clock)
    c3 = customer(db, "C0003")
    with db.session(write=True) as s:
        rm = auth.actor_for(s, get_user(s, "R002"))
        with pytest.raises(PermissionDenied):
            aum.refresh_customers(s, rm, [c3.id], clock=clock)
    with db.session(write=True) as s:
        s.execute(update(Customer).where(Customer.id == c3.id).values(aum_daily_avg=Decimal("0.00"), tier="mass"))
        s.commit()
        result = aum.refresh_customers(s, Actor.system(), [c3.id], clock=clock)
    assert (result.customers, result.changed, result.snapshots, result.tier_moves) == (
        1, 1, 11, {("mass", "wealth"): 1})
    assert (customer(db, "C0003").aum_daily_avg, customer(db, "C0003").tier) == (money("650000.00"), "wealth")
    with db.session(write=True) as s:
        empty = aum.refresh_customers(s, Actor.system(), [], clock=clock)
    assert (empty.customers, empty.snapshots) == (0, 0)
