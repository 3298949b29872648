"""How F7 the access requests look, in English and Chinese (SVG snapshots; look at them when they
change: ../shared/tools/screenshot turns one into a PNG).

The manager of 城东支行 with an RM's request waiting for the decision and a request of their
own an administrator approved; and an RM's new request being typed, with the bank's maximum
hours beside the field (its refusals are asserted in tests/test_tui_access.py). Times are
shown in China Standard Time whatever the machine's zone.
"""

from __future__ import annotations

import pytest

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.access_requests import AccessRequestsScreen, NewRequestDialog
from ocrm_tui.services import access
from tests.test_customers import people  # noqa: F401  (the fixture)
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)

__all__ = ["china_time", "people"]


@pytest.fixture
def requests(db, people, clock, china_time):  # noqa: F811
    ids, a = people
    with db.session(write=True) as s:
        own = access.request_customers(s, a["M001"], reason="江北分行客户联合营销，需核对资产",
                                       customer_nos=["9100000105"], hours=24, clock=clock)
    clock.advance(minutes=20)
    with db.session(write=True) as s:
        access.approve(s, a["A001"], own.id, note="同意，仅限本次营销", clock=clock)
    clock.advance(minutes=25)
    with db.session(write=True) as s:
        access.request_customers(s, a["R001"], reason="处理客户投诉，需核对账户流水",
                                 customer_nos=["9100000104", "9100000106", "9100000103", "9100000199"], hours=8,
                                 clock=clock)
    clock.advance(minutes=40)


async def _until(pilot, predicate) -> None:
    for _ in range(100):
        await _ready(pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


async def _manager_screen(pilot) -> None:
    await _log_in(pilot, "M001")
    await pilot.press("f7")
    await _until(pilot, lambda: isinstance(pilot.app.screen, AccessRequestsScreen) and pilot.app.screen.drawn)
    await pilot.pause()


async def _new_request(pilot) -> None:
    app = pilot.app
    await _log_in(pilot, "R001")
    await pilot.press("f7")
    await _until(pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn)
    await pilot.press("n")
    await _until(pilot, lambda: isinstance(app.screen, NewRequestDialog) and app.screen.max_hours is not None)
    dialog = app.screen
    dialog.query_one("#new-customers").value = "9100000104, 9100000106"
    dialog.query_one("#new-reason").value = "处理客户投诉，需核对账户流水"
    dialog.query_one("#new-hours").value = "8"
    dialog.query_one("#new-hours").focus()
    await pilot.pause()


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_access_requests_of_a_manager(snap_compare, db_url, requests, clock, lang):
    """One request waiting for the decision (the oldest first), one of their own approved."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=_manager_screen)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_new_request_dialog(snap_compare, db_url, people, clock, china_time, lang):  # noqa: F811
    """Customer numbers, the reason, the hours with the maximum shown."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=_new_request)
