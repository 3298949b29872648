"""How each management report looks on the reports screen (F6), in English and Chinese (SVG
snapshots; look at them when they change: ../shared/tools/screenshot turns one into a PNG).

The app is built by the same factory as `ocrm tui`, on a copy of the small demo bank of
tests/test_tui_reports.py (built once per run at a fixed time), with the fake clock at that
time; the manager of 江苏省分行 reads this year's figures, as a chart where the report's first
table has one; times are shown in China Standard Time whatever the machine's zone.
"""

from __future__ import annotations

import pytest

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.reports import ReportsScreen
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_tui_reports import MANAGER, china_time, demo_clock, demo_template, demo_url  # noqa: F401

__all__ = ["china_time", "demo_clock", "demo_template", "demo_url"]

REPORTS = ["assets", "losing-assets", "campaigns", "service", "staff", "branches", "channels"]


async def _until(pilot, predicate) -> None:
    for _ in range(100):
        await _ready(pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def report_of(name: str):
    """Log in as the manager, F6, move to the report in the list and open it."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await _log_in(pilot, MANAGER)
        await pilot.press("f6")
        await _until(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.drawn)
        screen = app.screen
        await pilot.press(*(["down"] * [k.name for k in screen.kinds].index(name)), "enter")
        await _until(pilot, lambda: screen.drawn and screen.report is not None and screen.report.name == name)
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", REPORTS)
def test_a_report(snap_compare, demo_url, demo_clock, name, lang):  # noqa: F811
    set_language(lang)
    assert snap_compare(create_app(demo_url, clock=demo_clock), terminal_size=SIZE, run_before=report_of(name))
