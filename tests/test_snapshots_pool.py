"""How the customer pool looks, in English and Chinese (SVG snapshots; look at them when they
change: ../shared/tools/screenshot turns one into a PNG).

The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock and the pool
of tests/test_pool.py and a few more customers of 人民路网点; dates are shown in China Standard
Time whatever the machine's zone.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from textual.widgets import Input

from ocrm_tui.app import create_app
from ocrm_tui.commands import open_pool
from ocrm_tui.db.models import Customer
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.customer_pool import PoolScreen
from ocrm_tui.screens.pool_dialogs import RmPickerDialog
from ocrm_tui.services import pool
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from tests.test_pool import actors_of, build_pool
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)

__all__ = ["china_time"]

# More customers of 人民路网点 (O1) without an RM: name, tier, daily-average AUM, days on file.
MORE = [("欧阳娜娜", "private", 6_800_000, 12), ("司马光明", "wealth", 560_000, 75), ("李雷", "mass", 8_000, 1),
        ("韩梅梅", "vip", 95_000, 200)]


@pytest.fixture
def branch_pool(db, branch, clock, china_time) -> dict[str, int]:  # noqa: F811
    ids = build_pool(db, clock)
    with db.session(write=True) as s:
        o1 = get_org_by_code(s, "O1").id
        for i, (name, tier, aum, age) in enumerate(MORE):
            c = Customer(customer_no=f"92000001{i:02d}", name=name, **name_keys(name), mobile=f"1390002{i:04d}",
                         birth_date=date(1985, 3, 1 + i), org_id=o1, tier=tier, aum=Decimal(aum),
                         aum_daily_avg=Decimal(aum), created_at=clock() - timedelta(days=age))
            s.add(c)
            s.flush()
            ids[name] = c.id
        s.commit()
    a = actors_of(db)
    clock.advance(days=-3)  # R001 claimed two of them three days ago
    with db.session(write=True) as s:
        pool.claim(s, a["R001"], [ids["王二"], ids["韩梅梅"]], clock=clock)
    clock.advance(days=3)
    return ids


async def _until(pilot, predicate) -> None:
    for _ in range(100):
        await _ready(pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def pool_of(employee_no: str, *, keys: tuple = (), book_of: str | None = None):
    """Log in, open the pool; pick the book of ``book_of``; press ``keys``."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await _log_in(pilot, employee_no)
        open_pool(app)
        await _until(pilot, lambda: isinstance(app.screen, PoolScreen) and app.screen.drawn)
        screen = app.screen
        if book_of is not None:
            await pilot.press("b")
            await _until(pilot, lambda: isinstance(app.screen, RmPickerDialog))
            app.screen.query_one("#staff-search", Input).value = book_of
            await _until(pilot, lambda: len(app.screen._choices) == 1)
            await pilot.press("enter")
            await _until(pilot, lambda: app.screen is screen and screen.drawn)
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pool_of_an_rm_with_two_selected(snap_compare, db_url, branch_pool, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=pool_of("R001", keys=("space", "space")))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_book_of_an_rm_as_a_manager_sees_it(snap_compare, db_url, branch_pool, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=pool_of("M001", book_of="R001"))
