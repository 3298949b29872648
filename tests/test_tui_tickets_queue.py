"""F3 My tickets, driven through Pilot: the queue's order and views, opening a ticket, batch
close and reassign with their confirmations and per-ticket results, taking from the pool."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from textual.widgets import ContentSwitcher, Static, TextArea

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Ticket
from ocrm_tui.screens.dialogs import ConfirmDialog
from ocrm_tui.screens.help import HelpScreen
from ocrm_tui.screens.panes.tickets import MyTicketsPane, QueueTable, ViewTab
from ocrm_tui.screens.ticket_batch import BatchConfirmDialog, BatchResultDialog
from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog, StaffTable, TextDialog
from ocrm_tui.services import tickets
from tests.conftest import PASSWORD
from tests.test_tickets import desk, raise_ticket  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text

__all__ = ["desk"]


def build_queue(db, desk, clock) -> dict[str, int]:
    """R001's queue at the clock's time: two overdue tickets, one nearly due, two fresh ones,
    one in progress, one closed today; two tickets in the O1 pool; one of R002's (O2)."""
    ids, a = desk
    start = clock.now
    made: dict[str, int] = {}

    def at(hours_before: float, name: str, customer: str = "张伟", **values) -> None:
        clock.now = start - timedelta(hours=hours_before)
        made[name] = raise_ticket(db, a["T001"] if customer == "张伟" else a["M001"], ids[customer], clock,
                                  **values)

    at(30, "overdue_medium", priority="medium", type="complaint", subject="信用卡年费重复扣收")
    at(5, "overdue_high", priority="high", type="complaint", subject="手机银行转账失败，资金未到账")
    at(3, "due_soon_high", priority="high", subject="大额存单利率咨询")
    at(2, "in_progress", priority="medium", subject="理财产品到期赎回")
    at(1.5, "closed", priority="low", type="suggestion", subject="建议增加自助设备")
    at(1, "fresh_medium", priority="medium", subject="网点营业时间咨询")
    at(0, "fresh_low", priority="low", type="suggestion", subject="希望增加英文服务")
    at(4.5, "pool_high", customer="李娜", priority="high", subject="保险退保流程咨询", required_skill="insurance")
    at(0.5, "pool_low", customer="李娜", priority="low", subject="保单信息变更", required_skill="insurance")
    at(0.5, "other_branch", customer="王芳", priority="medium", subject="异地取款手续费")
    clock.now = start - timedelta(minutes=30)
    with db.session(write=True) as s:
        tickets.start(s, a["R001"], made["in_progress"], clock=clock)
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], made["closed"], "已增加一台自助设备", clock=clock)
    with db.session(write=True) as s:
        tickets.request_help(s, a["R001"], made["fresh_medium"], "请核对营业时间公告", to_user="R002", clock=clock)
    clock.now = start
    return made


@pytest.fixture
def queue(db, desk, clock) -> dict[str, int]:
    return build_queue(db, desk, clock)


async def open_queue(app, pilot, employee_no: str) -> MyTicketsPane:
    await log_in(app, pilot, employee_no, PASSWORD)
    await pilot.press("f3")
    pane = app.screen.query_one(MyTicketsPane)
    await wait_for(app, pilot, lambda: pane.drawn)
    return pane


async def wait_for(app, pilot, predicate, tries: int = 100) -> None:
    for _ in range(tries):
        await settle(app, pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def rows(pane) -> list[dict[str, str]]:
    """The table as shown: one {column key: text} per row."""
    table = pane.query_one(QueueTable)
    keys = [column.key.value for column in table.ordered_columns]
    return [dict(zip(keys, (str(c) for c in table.get_row_at(i)))) for i in range(table.row_count)]


def numbers(pane) -> list[str]:
    return [r["no"] for r in rows(pane)]


def no(ticket_id: int) -> str:
    return tickets.ticket_number(ticket_id)


def tab_labels(pane) -> list[str]:
    """The tabs as shown, without the number each has when there is room for it."""
    return [re.sub(r"^[1-8] ", "", str(t.render())) for t in pane.query(ViewTab) if t.display]


def record_notices(app) -> list[str]:
    """Every notification the app shows from now on (their text)."""
    shown: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        shown.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return shown


def status(pane) -> str:
    return str(pane.query_one("#queue-status", Static).render())


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_an_rm_sees_the_queue_overdue_first_then_priority_then_due(db_url, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        assert app.screen.query_one("#panes", ContentSwitcher).current == "tickets"
        assert numbers(pane) == [no(queue[k]) for k in
                                 ("overdue_high", "overdue_medium", "due_soon_high", "fresh_medium", "fresh_low")]
        marks = {r["no"]: r["marks"] for r in rows(pane)}
        assert marks[no(queue["overdue_high"])] == "●‼ "
        assert marks[no(queue["due_soon_high"])] == "●! "
        assert marks[no(queue["fresh_medium"])] == "● ⚑"  # help asked of R002
        assert marks[no(queue["fresh_low"])] == "●  "
        due = {r["no"]: r["due"] for r in rows(pane)}
        assert due[no(queue["overdue_high"])].endswith(" −1h")
        assert due[no(queue["overdue_medium"])].endswith(" −6h")
        labels = tab_labels(pane)
        assert labels == ["New/unread 5", "In progress 1", "Waiting for others 1", "Help requested 0", "Overdue 2",
                          "Closed today 1", "Unassigned 2"]  # an RM takes from the pool; only managers have a team
        assert "New/unread: 5 tickets" in status(pane)


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_switching_views_with_keys_and_the_empty_state(db_url, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        await pilot.press("5")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "overdue")
        assert numbers(pane) == [no(queue["overdue_high"]), no(queue["overdue_medium"])]
        await pilot.press("right")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "closed_today")
        assert numbers(pane) == [no(queue["closed"])]
        await pilot.press("tab")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "pool")
        assert numbers(pane) == [no(queue["pool_high"]), no(queue["pool_low"])]
        await pilot.press("4")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "help")
        assert rows(pane) == []
        assert "Nobody has asked for your help" in str(pane.query_one("#queue-empty", Static).render())
        await pilot.press("shift+tab", "left")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "in_progress")
        assert numbers(pane) == [no(queue["in_progress"])]
        assert isinstance(app.focused, QueueTable)
        await pilot.click("#view-tab-4")  # the mouse works too
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "overdue")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_the_unread_marker_goes_once_the_ticket_is_opened(db_url, queue, clock):
    TicketScreen = pytest.importorskip("ocrm_tui.screens.ticket_view").TicketScreen
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        first = no(queue["overdue_high"])
        assert rows(pane)[0]["no"] == first and rows(pane)[0]["marks"].startswith("●")
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.drawn)
        await pilot.press("escape")
        await wait_for(app, pilot, lambda: not isinstance(app.screen, TicketScreen) and pane.drawn)
        assert rows(pane)[0]["no"] == first and not rows(pane)[0]["marks"].startswith("●")


async def test_select_all_and_close_with_one_solution_reports_the_ticket_closed_meanwhile(db_url, db, desk, queue,
                                                                                          clock):
    _, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        await pilot.press("space")  # the first, and the cursor moves down
        assert "1 selected" in status(pane)
        assert pane.query_one(QueueTable).cursor_row == 1
        await pilot.press("ctrl+a")
        await wait_for(app, pilot, lambda: "5 selected" in status(pane))
        assert "C Close tickets" in status(pane) and "R Mark read" in status(pane)
        assert "A Reassign" not in status(pane)  # an RM does not assign
        assert all(r["sel"] == "✓" for r in rows(pane))
        # Meanwhile the manager closes one of them at another terminal.
        with db.session(write=True) as s:
            tickets.close(s, a["M001"], queue["due_soon_high"], "经理已电话回复", clock=clock)
        await pilot.press("c")
        await wait_for(app, pilot, lambda: isinstance(app.screen, TextDialog))
        app.screen.query_one(TextArea).insert("已统一回复客户")
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, BatchConfirmDialog))
        question = str(app.screen.query_one("#batch-question", Static).render())
        assert question == "Close 5 tickets with this solution?"
        await pilot.press("y")
        await wait_for(app, pilot, lambda: isinstance(app.screen, BatchResultDialog))
        result = app.screen
        assert result.lines() == [f"{no(queue['due_soon_high'])} already closed by 王经理"]
        assert "Closed 4 of 5 tickets; 1 could not be closed" in str(result.query_one("#result-summary").render())
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: not isinstance(app.screen, BatchResultDialog) and pane.drawn)
        assert rows(pane) == []  # nothing new or unread left
        assert "New/unread 0" in tab_labels(pane)[0]
        assert "Closed today 6" in tab_labels(pane)[5]
    with db.session() as s:
        closed = dict(s.execute(select(Ticket.id, Ticket.solution).where(Ticket.status == "closed")).all())
    for key in ("overdue_high", "overdue_medium", "fresh_medium", "fresh_low"):
        assert closed[queue[key]] == "已统一回复客户"
    assert closed[queue["due_soon_high"]] == "经理已电话回复"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_no_at_the_confirmation_goes_back_to_the_solution_and_nothing_is_closed(db_url, db, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(app, pilot, "R001")
        await pilot.press("c")  # nothing selected: the highlighted ticket
        await wait_for(app, pilot, lambda: isinstance(app.screen, TextDialog))
        app.screen.query_one(TextArea).insert("已回复")
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, BatchConfirmDialog))
        assert str(app.screen.query_one("#batch-question", Static).render()) == \
            f"Close {no(queue['overdue_high'])} with this solution?"
        await pilot.press("n")
        await wait_for(app, pilot, lambda: isinstance(app.screen, TextDialog))
        assert app.screen.query_one(TextArea).text == "已回复"  # kept
        await pilot.press("escape")
        await wait_for(app, pilot, lambda: not isinstance(app.screen, TextDialog))
    with db.session() as s:
        assert s.get(Ticket, queue["overdue_high"]).status == "new"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_mark_read_clears_the_markers_of_the_selection(db_url, db, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        await pilot.press("space", "space", "r")
        await wait_for(app, pilot, lambda: pane.drawn and not pane.selected_ids)
        marks = [r["marks"][0] for r in rows(pane)]
        assert marks == [" ", " ", "●", "●", "●"]  # still new, no longer unread
        assert "New/unread 5" in tab_labels(pane)[0]
    with db.session() as s:
        assert not s.get(Ticket, queue["overdue_high"]).unread


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_a_manager_reassigns_through_the_staff_picker(db_url, db, desk, queue, clock):
    _, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "M001")
        assert [t.split(" ")[0] for t in tab_labels(pane)][-2:] == ["Unassigned", "Team"]
        assert pane.current_view == "team"  # nothing of their own: the team's tickets come first
        team = numbers(pane)
        assert no(queue["other_branch"]) in team and no(queue["closed"]) not in team
        assert [r["assignee"] for r in rows(pane)][:2] == ["李客户经理", "—"]  # who works each one
        await pilot.press("space", "space")  # R001's overdue ticket and the pool's
        picked = [r["no"] for r in rows(pane) if r["sel"] == "✓"]
        await pilot.press("a")
        await wait_for(app, pilot, lambda: isinstance(app.screen, StaffPickerDialog))
        await type_text(pilot, "R002")
        await wait_for(app, pilot, lambda: app.screen.query_one(StaffTable).row_count == 1)
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, BatchConfirmDialog))
        assert str(app.screen.query_one("#batch-question", Static).render()) == "Assign 2 tickets to 赵客户经理?"
        await pilot.press("y")
        await wait_for(app, pilot, lambda: isinstance(app.screen.focused, QueueTable) and pane.drawn
                       and not pane.selected_ids)
        assert not isinstance(app.screen, BatchResultDialog)
    with db.session() as s:
        assignees = {tickets.ticket_number(t.id): t.assignee_id for t in s.scalars(select(Ticket)).all()}
    assert [assignees[n] for n in picked] == [a["R002"].id, a["R002"].id]


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_reassign_is_not_offered_to_an_rm(db_url, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(app, pilot, "R001")
        keys = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "tickets.reassign" not in keys and "tickets.take_next" in keys
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, StaffPickerDialog)


async def test_g_takes_the_most_urgent_ticket_from_the_pool(db_url, db, desk, queue, clock):
    _, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        notices = record_notices(app)
        await pilot.press("g")
        await wait_for(app, pilot, lambda: pane.drawn and "Unassigned 1" in tab_labels(pane)[6])
        assert "In progress 2" in tab_labels(pane)[1]
        assert f"You took ticket {no(queue['pool_high'])}" in notices
    with db.session() as s:
        taken = s.get(Ticket, queue["pool_high"])
        assert (taken.assignee_id, taken.status) == (a["R001"].id, "in_progress")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_a_teller_has_no_pool_and_no_take_key(db_url, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "T001")
        assert len(tab_labels(pane)) == 6
        keys = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "tickets.take_next" not in keys and "tickets.reassign" not in keys


@SQLITE_ONLY
async def test_f1_lists_the_queue_keys(db_url, queue, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_queue(app, pilot, "M001")
        await pilot.press("f1")
        await wait_for(app, pilot, lambda: isinstance(app.screen, HelpScreen))
        here = dict(app.screen.keys_here)
        assert here["Space"] == "Select" and here["Ctrl+A"] == "Select all"
        assert here["R"] == "Mark read" and here["A"] == "Reassign" and here["C"] == "Close tickets"
        assert here["N"] == "New ticket" and here["G"] == "Take next"
        assert here["1–8"] == "Show a view by its number"
        assert here["Tab / →"] == "Next view" and here["Shift+Tab / ←"] == "Previous view"
        assert list(here)[:5] == ["Space", "Ctrl+A", "R", "A", "C"]


@SQLITE_ONLY
async def test_a_refused_batch_is_a_notification_not_a_crash(db_url, db, desk, queue, clock, system):
    from ocrm_tui.services import users

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "M001")
        notices = record_notices(app)
        await pilot.press("8")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "team")
        await pilot.press("a")
        await wait_for(app, pilot, lambda: isinstance(app.screen, StaffPickerDialog))
        await type_text(pilot, "R004")
        await wait_for(app, pilot, lambda: app.screen.query_one(StaffTable).row_count == 1)
        with db.session(write=True) as s:  # disabled while the picker was open
            users.disable_user(s, system, "R004", clock=clock)
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(app, pilot, lambda: app.screen.focused is pane.query_one(QueueTable) and pane.drawn)
        assert any("disabled" in n for n in notices)


@SQLITE_ONLY
async def test_the_overdue_view_holds_only_overdue_tickets_once_sqlite_has_statistics(db_url, db, desk, clock):
    """SQLite 3.40 with ANALYZE statistics (the demo runs ANALYZE) once answered the overdue view
    with a SeekScan that skipped the due-time bound: a ticket not yet due showed as overdue."""
    ids, a = desk
    started = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="medium", subject="理财产品到期赎回")
    with db.session(write=True) as s:
        tickets.start(s, a["R001"], started, clock=clock)
    raise_ticket(db, a["T001"], ids["张伟"], clock, priority="low", subject="网点营业时间咨询")
    with db.engine.begin() as conn:  # the statistics of the demo's 158 tickets
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'ticket'")
        conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('ticket', 'ix_ticket_assignee_status_due', '158 4 2 1'),"
                             " ('ticket', 'ix_ticket_status_due', '158 40 1')")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        assert "Overdue 0" in tab_labels(pane)
        await pilot.press("5")
        await wait_for(app, pilot, lambda: pane.drawn and pane.current_view == "overdue")
        assert rows(pane) == []


@SQLITE_ONLY
async def test_select_all_beyond_the_limit_says_so_and_selects_nothing(db_url, queue, clock, monkeypatch):
    monkeypatch.setattr(tickets, "MAX_SELECTION", 3)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        notices = record_notices(app)
        await pilot.press("ctrl+a")
        await wait_for(app, pilot, lambda: notices)
        assert notices == ["This view holds more than 3 tickets: act on fewer at a time"]
        assert not pane.selected_ids


@SQLITE_ONLY
async def test_n_raises_a_ticket_and_the_queue_shows_it(db_url, db, desk, queue, clock):
    TicketFormScreen = pytest.importorskip("ocrm_tui.screens.ticket_form").TicketFormScreen
    ids, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_queue(app, pilot, "R001")
        await pilot.press("n")
        await wait_for(app, pilot, lambda: isinstance(app.screen, TicketFormScreen))
        # The form saves through the service (and says so itself) and answers with the new ticket's id.
        made = raise_ticket(db, a["R001"], ids["张伟"], clock, priority="high", subject="挂失补卡进度查询")
        app.screen.dismiss(made)
        await wait_for(app, pilot, lambda: not isinstance(app.screen, TicketFormScreen) and pane.drawn)
        assert "New/unread 6" in tab_labels(pane)
        assert no(made) in [row["no"] for row in rows(pane)]
