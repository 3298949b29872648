"""How F5 the work platform looks, in English and Chinese (SVG snapshots; look at them when
they change: ../shared/tools/screenshot turns one into a PNG).

R001's day: the ticket queue of tests/test_tui_tickets_queue.py, a large outflow from a
wealth customer, a product maturing and a birthday, all raised by the real alert scan at
the fake clock's time, shown in China Standard Time.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Account, Customer, Product, Transaction
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.panes.work_platform import WorkPlatformPane
from ocrm_tui.services import alerts
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)
from tests.test_tickets import desk  # noqa: F401  (the fixture)
from tests.test_tui_tickets_queue import build_queue

__all__ = ["china_time", "desk"]


@pytest.fixture
def day(db, desk, clock, system, china_time):  # noqa: F811
    ids, a = desk
    build_queue(db, desk, clock)
    today = clock.now.astimezone().date()
    with db.session(write=True) as s:
        s.execute(update(Customer).where(Customer.id == ids["张伟"]).values(
            tier="wealth", aum=Decimal("1200000.00"), aum_daily_avg=Decimal("1150000.00"),
            birth_date=date(1980, today.month, today.day) + timedelta(days=2)))
        wm = Product(product_code="WM-90D", name="稳盈90天理财", product_type="wealth", risk_level="R2")
        s.add(wm)
        s.flush()
        deposit = Account(account_no="6222020000001234", customer_id=ids["张伟"], product_id=wm.id,
                          balance=Decimal("300000.00"), opened_on=today - timedelta(days=85),
                          matures_on=today + timedelta(days=5))
        s.add(deposit)
        s.flush()
        s.add(Transaction(txn_id="TX202611230001", account_id=deposit.id, customer_id=ids["张伟"],
                          posted_at=clock.now - timedelta(hours=20), amount=Decimal("800000.00"), direction="out",
                          channel="mobile", counterparty="上海某证券公司"))
        s.commit()
    with db.session(write=True) as s:
        alerts.scan(s, system, clock=clock)


def platform_of(employee_no: str, *keys: str):
    async def run_before(pilot) -> None:
        await _log_in(pilot, employee_no)
        await _ready(pilot)
        assert pilot.app.screen.query_one(WorkPlatformPane).drawn
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_work_platform_of_an_rm(snap_compare, db_url, day, clock, lang):
    """All of today's work, the urgent first."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=platform_of("R001"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_handling_an_alert(snap_compare, db_url, day, clock, lang):
    """Alerts, then H on the first: what was done, and a note."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=platform_of("R001", "3", "h", "2"))
