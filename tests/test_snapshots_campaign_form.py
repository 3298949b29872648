"""How the campaign form looks, in English and Chinese: filled in with its live count, and
with a filter that leaves nobody (the count after each condition).

SVG snapshots (look at them when they change: ../shared/tools/screenshot turns one into a
PNG). The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock and
the customers of tests/test_tui_campaign_form.py.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, TextArea

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.campaign_form import CampaignFormScreen
from ocrm_tui.widgets.campaign_filter_builder import KeyToggles
from tests.test_snapshots import SQLITE_ONLY, _log_in, _ready
from tests.test_tui_campaign_form import FORM_SIZE, clientele  # noqa: F401  (the fixture)


def filled(*, nobody: bool):
    """Log in as M001, open a new campaign and fill it in; ``nobody``: add a condition no one meets."""

    async def run_before(pilot) -> None:
        await _log_in(pilot, "M001")
        form = CampaignFormScreen()
        pilot.app.push_screen(form)
        await _ready(pilot)
        values = {"#in-name": "房贷客户理财回访", "#in-goal": "提升理财签约", "#in-starts_on": "2025-07-01",
                  "#in-ends_on": "2025-09-30", "#in-budget": "20000", "#fin-aum_min": "100000",
                  "#fin-aum_max": "500000", "#fin-tags_all": "房贷客户", "#fin-tags_none": "理财偏好"}
        for selector, text in values.items():
            form.query_one(selector, Input).value = text
        form.query_one("#in-type", KeyToggles).set_values(("salon",))
        form.query_one("#fin-tiers", KeyToggles).set_values(("vip", "wealth"))
        form.query_one("#in-product_code", Select).value = "WM-1Y"
        if nobody:
            gender = form.query_one("#fin-gender", KeyToggles)
            gender.set_values(("F",))
            gender.focus()
        else:
            form.query_one("#in-name", Input).focus()
        for _ in range(100):
            await pilot.pause(0.1)
            await _ready(pilot)
            if form.preview_settled:
                break
        if nobody:
            form.query_one("#form-body").scroll_end(animate=False)  # the filter's rows in view
        for field in form.query(Input):
            field.cursor_blink = False  # a blinking cursor would be drawn or not, by the clock
        for area in form.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_campaign_form_filled_in_with_its_live_count(snap_compare, db_url, clientele, clock, lang):  # noqa: F811
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=FORM_SIZE, run_before=filled(nobody=False))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_campaign_form_says_which_condition_leaves_nobody(snap_compare, db_url, clientele, clock, lang):  # noqa: F811
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=FORM_SIZE, run_before=filled(nobody=True))
