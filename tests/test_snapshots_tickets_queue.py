"""How F3 My tickets looks, in English and Chinese (SVG snapshots; look at them when they change:
../shared/tools/screenshot turns one into a PNG).

The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock and the
queue of tests/test_tui_tickets_queue.py; due times are shown in China Standard Time whatever
the machine's zone, so nothing on screen depends on where or when it runs.
"""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.panes.tickets import MyTicketsPane, QueueTable
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)
from tests.test_tickets import desk  # noqa: F401  (the fixture)
from tests.test_tui_tickets_queue import build_queue

__all__ = ["china_time", "desk"]


@pytest.fixture
def queue(db, desk, clock, china_time) -> dict[str, int]:  # noqa: F811
    return build_queue(db, desk, clock)


def queue_of(employee_no: str, *keys: str):
    """Log in, F3, press ``keys`` (each answered before the next)."""

    async def run_before(pilot) -> None:
        await _log_in(pilot, employee_no)
        await pilot.press("f3")
        await _ready(pilot)
        assert pilot.app.screen.query_one(MyTicketsPane).drawn
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False  # a blinking cursor would be drawn or not, by the clock
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_queue_of_an_rm(snap_compare, db_url, queue, clock, lang):
    """New/unread: two overdue tickets first, one nearly due; the second row selected."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=queue_of("R001", "down", "space"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_team_view_of_a_manager(snap_compare, db_url, queue, clock, lang):
    """The manager's team: every open ticket of the branch, with who works it."""
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=queue_of("M001", "8"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_view(snap_compare, db_url, queue, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=queue_of("R001", "4"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_closing_the_selection_asks_for_one_solution(snap_compare, db_url, queue, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=queue_of("R001", "ctrl+a", "c"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_result_of_a_batch_close_lists_what_could_not_be_closed(snap_compare, db_url, db, desk, queue, clock,
                                                                    lang):  # noqa: F811
    """Five selected; meanwhile the manager closed one of them at another terminal."""
    from ocrm_tui.screens.ticket_batch import BatchResultDialog
    from ocrm_tui.services import tickets

    set_language(lang)
    _, actors = desk

    async def close_all(pilot) -> None:
        await queue_of("R001", "ctrl+a")(pilot)
        pane = pilot.app.screen.query_one(MyTicketsPane)
        with db.session(write=True) as s:
            tickets.close(s, actors["M001"], queue["due_soon_high"], "经理已电话回复", clock=clock)
        await pilot.press("c")
        await _ready(pilot)
        pilot.app.screen.query_one(TextArea).insert("已统一回复客户")
        await pilot.press("ctrl+s")
        await _ready(pilot)
        await pilot.press("y")
        for _ in range(100):  # the result dialog over the queue read again
            await _ready(pilot)
            if pane.drawn and isinstance(pilot.app.screen, BatchResultDialog):
                break
            await pilot.pause(0.05)
        # The emptied queue drops its vertical scrollbar on a later refresh than its rows (the
        # header is two cells narrower until it does): let the screen under the dialog settle.
        table = pane.query_one(QueueTable)
        for _ in range(100):
            await _ready(pilot)
            if not table.show_vertical_scrollbar and table.virtual_size.height <= table.size.height:
                break
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=close_all)
