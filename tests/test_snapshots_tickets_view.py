"""How the ticket screen, its rating step and the new-ticket form look, in English and Chinese.

SVG snapshots (look at them when they change: ../shared/tools/screenshot turns one into a
PNG). The app is built by the same factory as `ocrm tui`, on SQLite, with the fake clock
and the staff and customers of tests/test_tickets.py; times are shown in China Standard
Time whatever the machine's zone.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.ticket_form import TicketFormScreen
from ocrm_tui.screens.ticket_view import TicketScreen
from ocrm_tui.services import tickets
from tests.test_snapshots import SIZE, SQLITE_ONLY, _log_in, _ready
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)
from tests.test_tickets import desk, raise_ticket  # noqa: F401  (the fixture)


@pytest.fixture
def worked_ticket(db, desk, clock, china_time) -> int:  # noqa: F811
    """A complaint R001 has worked on for five hours: started, a note, help asked of R002 and
    answered, a response; now overdue (high priority: four hours)."""
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock, type="complaint", priority="high",
                       subject="信用卡年费重复扣收", description="客户反映本月信用卡年费被扣收两次（各300元），要求退还多扣部分并说明原因。")
    help_id = None

    def ask(s):
        nonlocal help_id
        help_id = tickets.request_help(s, a["R001"], tid, "请调取客户近三个月的信用卡流水", to_user="R002", clock=clock)

    steps = [
        lambda s: tickets.start(s, a["R001"], tid, clock=clock),
        lambda s: tickets.add_note(s, a["R001"], tid, "已电话联系客户，确认两笔扣款时间。", clock=clock),
        ask,
        lambda s: tickets.answer_help(s, a["R002"], help_id, "流水已发至您的邮箱，第二笔为系统重复扣收。", clock=clock),
        lambda s: tickets.respond(s, a["R001"], tid, "已告知客户将在3个工作日内退还300元。", clock=clock),
    ]
    for step in steps:
        clock.advance(minutes=55)
        with db.session(write=True) as s:
            step(s)
    clock.advance(minutes=30)
    return tid


def opening(employee_no: str, screen_factory, *keys: str, text: str | None = None):
    """Log in, push the screen, press ``keys`` (each answered before the next), type ``text``."""

    async def run_before(pilot) -> None:
        await _log_in(pilot, employee_no)
        screen = screen_factory()
        pilot.app.push_screen(screen)
        await _ready(pilot)
        for key in keys:
            await pilot.press(key)
            await _ready(pilot)
        if text is not None:
            pilot.app.focused.insert_text_at_cursor(text)
            for _ in range(20):  # the search answers once typing has paused
                await pilot.pause(0.05)
                await _ready(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would be drawn or not, by the clock
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    return run_before


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ticket_screen_of_an_overdue_complaint(snap_compare, db_url, worked_ticket, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("R001", lambda: TicketScreen(worked_ticket)))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_closing_asks_for_the_rating(snap_compare, db_url, worked_ticket, clock, lang):
    set_language(lang)

    async def run_before(pilot) -> None:
        await opening("R001", lambda: TicketScreen(worked_ticket), "c")(pilot)
        pilot.app.focused.insert("已退还重复扣收的年费300元。")
        await pilot.press("ctrl+s")
        await _ready(pilot)
        await pilot.press("4")
        await _ready(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=run_before)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_new_ticket_form_from_the_profile_with_a_missing_subject(snap_compare, db_url, desk, clock, lang):  # noqa: F811
    set_language(lang)
    ids, _a = desk
    label = "张伟  " + ("客户号" if lang == "zh" else "Customer no.") + " 9100000200"
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("R001", lambda: TicketFormScreen(ids["张伟"], customer_label=label),
                                           "2", "ctrl+s"))


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_new_ticket_form_finds_the_customer(snap_compare, db_url, desk, clock, lang):  # noqa: F811
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE,
                        run_before=opening("M001", TicketFormScreen, text="王"))
