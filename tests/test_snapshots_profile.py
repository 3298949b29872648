"""How the customer profile, its tag editor and the tier dialog look, in English and Chinese.

SVG snapshots (look at them when they change: ../shared/tools/screenshot turns one into a
PNG). The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock
and the customers of tests/test_tui_profile.py; times are shown in China Standard Time
whatever the machine's zone, so nothing on screen depends on where or when it runs.
"""

from __future__ import annotations

import time

import pytest
from textual.widgets import Input

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.customer_profile import ProfileScreen
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_tui_profile import build_customers


@pytest.fixture
def china_time(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def customers(branch, db, china_time) -> dict[str, int]:
    return build_customers(db)


def opening(employee_no: str, customer_id: int, *keys: str):
    """Log in, open the profile, press ``keys`` (each answered before the next)."""

    async def run_before(pilot) -> None:
        await _log_in(pilot, employee_no)
        screen = ProfileScreen(customer_id)
        pilot.app.push_screen(screen)
        await _ready(pilot)
        assert screen.drawn
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would be drawn or not, by the clock
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_profile_of_an_rms_customer(snap_compare, db_url, customers, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("R001", customers["zhang"]))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_profile_as_a_teller_sees_it(snap_compare, db_url, customers, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("T001", customers["zhang"]))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tag_editor(snap_compare, db_url, customers, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("R001", customers["zhang"], "t"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tier_override_dialog(snap_compare, db_url, customers, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("M001", customers["zhang"], "o"))
