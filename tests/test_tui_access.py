"""F7 access requests, driven through Pilot as staff use them: an RM refused a customer outside
their book asks for access; their manager finds the request on the work platform and approves
it; the RM opens the customer until the access expires. And the refusals on screen: no A on
one's own request, a wrong number of hours shown at its field, a rejection without a note.
The rules behind them run on both databases in tests/test_access.py: SQLite is enough here."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, Static

from ocrm_tui.app import create_app
from ocrm_tui.commands import palette_commands
from ocrm_tui.db.models import AccessRequest, AuditRecord
from ocrm_tui.screens.access_requests import (
    AccessRequestsScreen,
    DecisionDialog,
    NewRequestDialog,
    RequestDetailsDialog,
    RequestTable,
)
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.help import HelpScreen
from ocrm_tui.screens.lock import LockScreen
from ocrm_tui.screens.panes.work_platform import SectionCard, WorkPlatformPane, WorkTable
from ocrm_tui.screens.shell import ShellScreen
from ocrm_tui.services import access
from tests.conftest import PASSWORD
from tests.test_customers import people  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text
from tests.test_tui_tickets_queue import record_notices, wait_for

__all__ = ["people"]

OUTSIDE = "9100000104"  # 李张伟: a customer of 人民路网点 with no RM — outside R001's book, in M001's branch


def rows(screen: AccessRequestsScreen, which: str) -> list[dict[str, str]]:
    """A list of the screen as shown: one {column: text} per row."""
    table = screen.query_one(f"#{which}-table", RequestTable)
    keys = [column.key.value for column in table.ordered_columns]
    return [dict(zip(keys, (str(c) for c in table.get_row_at(i)))) for i in range(table.row_count)]


def usable(app) -> set[str]:
    """The ids of the keys that can be pressed now."""
    return {b.binding.id for b in app.screen.active_bindings.values() if b.enabled and b.binding.id}


async def open_access(app, pilot) -> AccessRequestsScreen:
    await pilot.press("f7")
    await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn)
    return app.screen


async def open_customer(app, pilot, customer_id: int) -> ProfileScreen:
    """Open a customer's profile as Enter on a list does, and wait for the answer."""
    app.push_screen(ProfileScreen(customer_id))
    await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen)
                   and (app.screen.drawn or app.screen.error is not None))
    return app.screen


async def ask(app, pilot, numbers: str, reason: str, hours: str) -> NewRequestDialog:
    """N, then the three fields (Enter moves to the next; Enter on the last sends)."""
    await pilot.press("n")
    await wait_for(app, pilot, lambda: isinstance(app.screen, NewRequestDialog) and app.screen.max_hours is not None)
    dialog = app.screen
    await type_text(pilot, numbers)
    await pilot.press("enter")
    await type_text(pilot, reason)
    await pilot.press("enter")
    dialog.query_one("#new-hours", Input).value = ""
    await type_text(pilot, hours)
    await pilot.press("enter")
    await settle(app, pilot)
    return dialog


async def switch_user(app, pilot, employee_no: str) -> None:
    app.end_session()
    await log_in(app, pilot, employee_no, PASSWORD)
    assert isinstance(app.screen, ShellScreen) and app.actor.employee_no == employee_no


@SQLITE_ONLY
async def test_an_rm_asks_the_manager_approves_on_the_work_platform_and_the_access_ends_by_itself(
        db_url, db, people, clock):
    ids, _ = people
    outside = ids["李张伟"]
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        profile = await open_customer(app, pilot, outside)
        assert profile.error == "No such customer, or not in your customers"
        await pilot.press("escape")
        await settle(app, pilot)

        screen = await open_access(app, pilot)
        assert screen.query_one("#decide-table").display is False  # an RM decides nothing
        assert "You have asked for no access" in str(screen.query_one("#mine-empty", Static).render())
        dialog = await ask(app, pilot, OUTSIDE, "处理客户投诉 需核对账户", "8")
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn
                       and bool(app.screen.mine_rows))
        assert dialog.is_attached is False
        [mine] = rows(screen, "mine")
        assert mine["status"] == "pending" and mine["what"] == f"1: {OUTSIDE}" and mine["term"] == "8 h"
        assert mine["reason"] == "处理客户投诉 需核对账户" and mine["decided"] == "—"
        request_id = screen.mine_rows[0].id
        # still refused: nobody has decided yet
        profile = await open_customer(app, pilot, outside)
        assert profile.error == "No such customer, or not in your customers"

        # the manager: the request waits on the work platform
        await switch_user(app, pilot, "M001")
        pane = app.screen.query_one(WorkPlatformPane)
        await wait_for(app, pilot, lambda: pane.drawn)
        cards = {card.section: str(card.render()) for card in app.screen.query(SectionCard) if card.section}
        assert list(cards) == ["all", "tickets", "alerts", "reminders", "campaigns", "access"]
        assert "To decide 1" in cards["access"] and "1 for customers" in cards["access"]
        await pilot.press("6")
        await settle(app, pilot)
        table = app.screen.query_one(WorkTable)
        [item] = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert item[1] == "Access request" and "李客户经理 (R001)" in item[3] and "处理客户投诉" in item[3]
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn)
        screen = app.screen
        assert screen.front == "decide" and screen.current.id == request_id
        assert rows(screen, "decide")[0]["requester"] == "李客户经理 (R001)"
        assert {"access.approve", "access.reject"} <= usable(app) and "access.withdraw" not in usable(app)

        await pilot.press("a")
        await wait_for(app, pilot, lambda: isinstance(app.screen, DecisionDialog)
                       and "Found in your scope: 1 of 1" in str(app.screen.query_one("#decision-preview").render()))
        await type_text(pilot, "同意，限处理投诉")
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn)
        decided = rows(screen, "decide")
        assert [r["status"] for r in decided] == ["approved"]  # decided here: stays in the list, V revokes it
        assert decided[0]["decided"] == "M001"
        assert "access.revoke" in usable(app) and "access.approve" not in usable(app)
        await pilot.press("f5")  # back to the work platform: nothing waits any more
        await wait_for(app, pilot, lambda: isinstance(app.screen, ShellScreen) and pane.drawn)
        assert "To decide 0" in str(app.screen.query_one("#work-card-5", SectionCard).render())

        # the RM opens the customer now
        await switch_user(app, pilot, "R001")
        profile = await open_customer(app, pilot, outside)
        assert profile.error is None and profile.drawn
        assert profile.profile.customer_no == OUTSIDE and profile.profile.name == "李张伟"
        await pilot.press("escape")
        await settle(app, pilot)

        # … until the access expires: the RM comes back to the terminal (locked meanwhile) after the hours
        clock.advance(hours=8, minutes=1)
        app.action_lock()  # as the idle lock does (it may have done it already)
        await wait_for(app, pilot, lambda: isinstance(app.screen, LockScreen))
        app.screen.query_one("#unlock-password", Input).focus()
        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ShellScreen))
        profile = await open_customer(app, pilot, outside)
        assert profile.error == "No such customer, or not in your customers"
        await pilot.press("escape")
        await settle(app, pilot)
        screen = await open_access(app, pilot)
        [mine] = rows(screen, "mine")
        assert mine["status"] == "expired" and mine["decided"] == "M001"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RequestDetailsDialog)
        details = app.screen.rows
        assert ("Customers granted", "1") in details and ("Note", "同意，限处理投诉") in details
        assert ("Status", "expired") in details and ("Customers asked for", f"1: {OUTSIDE}") in details
    with db.session() as s:
        events = s.scalars(select(AuditRecord.event).where(AuditRecord.entity == "access_request")).all()
        assert {"access.request", "access.approve"} <= set(events)


@SQLITE_ONLY
async def test_one_cannot_decide_ones_own_request_and_wrong_input_is_shown_where_it_was_typed(
        db_url, db, people, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        notices = record_notices(app)
        screen = await open_access(app, pilot)
        assert screen.query_one("#decide-table").display is True
        assert "No request waits for your decision" in str(screen.query_one("#decide-empty", Static).render())

        # hours above the bank's maximum: said at the field, and nothing typed is lost
        dialog = await ask(app, pilot, f"{OUTSIDE}, 9100000105", "年度客户复核", "999")
        assert isinstance(app.screen, NewRequestDialog)
        assert dialog.max_hours == 72
        assert "at most 72 hours" in str(dialog.query_one("#hours-max", Static).render())
        assert dialog.field_error("hours") == "Access is asked for 1–72 hours (setting access.max_hours)"
        assert app.focused is dialog.query_one("#new-hours", Input)
        assert dialog.query_one("#new-customers", Input).value == f"{OUTSIDE}, 9100000105"
        assert dialog.query_one("#new-reason", Input).value == "年度客户复核"
        # a malformed customer number: said at its field
        dialog.query_one("#new-customers", Input).value = f"{OUTSIDE}, 91-?"
        dialog.query_one("#new-hours", Input).value = "4"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert dialog.field_error("customers").startswith("Not a customer number: 91-?")
        assert dialog.field_error("hours") == ""
        dialog.query_one("#new-customers", Input).value = f"{OUTSIDE} 9100000105"
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and bool(screen.mine_rows))

        # one's own request: not in the list to decide, and no A or R on it
        assert screen.decide_rows == [] and screen.front == "mine"
        [mine] = rows(screen, "mine")
        assert mine["what"] == f"2: {OUTSIDE}, 9100000105" and mine["term"] == "4 h"
        assert "access.approve" not in usable(app) and "access.reject" not in usable(app)
        assert "access.withdraw" in usable(app)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, AccessRequestsScreen)

        # the RM's request: rejecting it needs a note
        own_id = screen.mine_rows[0].id
        with db.session(write=True) as s:
            rm = access.request_customers(s, actor_of(s, "R001"), reason="协助处理理财到期", hours=2,
                                          customer_nos=[OUTSIDE], clock=clock)
        screen.reload()
        await wait_for(app, pilot, lambda: screen.drawn and bool(screen.decide_rows))
        screen.query_one("#decide-table", RequestTable).focus()
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        reject = app.screen
        assert isinstance(reject, DecisionDialog) and reject.action == "reject"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, DecisionDialog)
        assert reject.error == "A note saying why is required"
        await type_text(pilot, "请先联系客户本人")
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and screen.drawn)
        assert [(r["id"], r["status"]) for r in rows(screen, "decide")] == [(str(rm.id), "rejected")]
        assert f"Request {rm.id} rejected" in notices

        # W withdraws one's own, after asking
        screen.query_one("#mine-table", RequestTable).focus()
        await settle(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        await pilot.press("y")
        await wait_for(app, pilot, lambda: screen.drawn and screen.mine_rows[0].status == "withdrawn")
        assert f"Request {own_id} withdrawn" in notices
    with db.session() as s:
        assert s.get(AccessRequest, rm.id).decision_note == "请先联系客户本人"


@SQLITE_ONLY
async def test_f7_the_palette_and_the_help_offer_the_access_requests_to_a_teller_too(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        titles = {c.title: c for c in palette_commands(app, app.screen)}
        assert "Access requests" in titles
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert ("F7", "Access requests") in app.screen.keys_here
        await pilot.press("escape")
        titles["Access requests"].callback()
        await wait_for(app, pilot, lambda: isinstance(app.screen, AccessRequestsScreen) and app.screen.drawn)
        assert app.screen.query_one("#decide-table").display is False
        await pilot.press("f1")
        keys = dict(app.screen.keys_here)
        assert keys["N"] == "New request" and keys["Enter"] == "Details" and keys["Esc"] == "Back"
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ShellScreen)


def actor_of(session, employee_no: str):
    from ocrm_tui.services import auth
    from ocrm_tui.services.users import get_user

    return auth.actor_for(session, get_user(session, employee_no))
