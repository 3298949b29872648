"""How F4 Campaigns looks, in English and Chinese (SVG snapshots; look at them when they change:
../shared/tools/screenshot turns one into a PNG).

The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock and the
campaigns of tests/test_tui_campaigns.py; times are shown in China Standard Time whatever the
machine's zone.
"""

from __future__ import annotations

import pytest

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.campaign_targets import TargetListScreen
from ocrm_tui.screens.campaign_view import CampaignScreen
from ocrm_tui.screens.panes.campaigns import CampaignsPane, CampaignTable
from tests.test_customers import people  # noqa: F401  (the fixture)
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)
from tests.test_tui_campaigns import build_campaigns

__all__ = ["china_time", "people"]


@pytest.fixture
def plan(db, people, clock, china_time) -> dict[str, int]:  # noqa: F811
    return build_campaigns(db, people, clock)


async def _until(pilot, predicate) -> None:
    for _ in range(100):
        await _ready(pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def campaigns_of(employee_no: str, *, campaign: str | None = None, targets: bool = False, keys: tuple = ()):
    """Log in, F4; open ``campaign`` (and its target list); press ``keys``."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await _log_in(pilot, employee_no)
        await pilot.press("f4")
        pane = app.screen.query_one(CampaignsPane)
        await _until(pilot, lambda: pane.drawn)
        if campaign is not None:
            table = pane.query_one(CampaignTable)
            names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            table.move_cursor(row=names.index(campaign))
            await pilot.press("enter")
            await _until(pilot, lambda: isinstance(app.screen, CampaignScreen) and app.screen.drawn)
            if targets:
                await pilot.press("t")
                await _until(pilot, lambda: isinstance(app.screen, TargetListScreen) and app.screen.drawn)
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_campaigns_of_a_manager(snap_compare, db_url, plan, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=campaigns_of("M001"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_campaigns_of_an_rm(snap_compare, db_url, plan, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=campaigns_of("R001"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_campaign_with_its_metrics(snap_compare, db_url, plan, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=campaigns_of("M001", campaign="信用卡激活季"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_target_list_of_a_manager(snap_compare, db_url, plan, clock, lang):
    """Every target of the branch, two of them selected."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=campaigns_of("M001", campaign="信用卡激活季", targets=True,
                                                keys=("1", "space", "down", "space")))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_amount_of_a_conversion_is_asked(snap_compare, db_url, plan, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=campaigns_of("R001", campaign="信用卡激活季", targets=True, keys=("v",)))
