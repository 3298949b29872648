"""The customer pool screen, driven through Pilot: an RM claims customers of the pool (Space, C,
confirm), a manager moves a whole list to an RM (Ctrl+A, M, pick, confirm) and sees what was
refused, an RM releases a customer of their book with a reason; the keys offered follow the role
and the view; the palette opens the screen for those who work the pool. What only draws the
screen runs on SQLite; an RM's claim also on PostgreSQL."""

from __future__ import annotations

import json
from types import SimpleNamespace

from sqlalchemy import select
from textual.widgets import Input, Static

from ocrm_tui.app import create_app
from ocrm_tui.commands import open_pool, palette_commands
from ocrm_tui.db.models import AuditRecord
from ocrm_tui.screens.customer_pool import PoolScreen, PoolTable
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.pool_dialogs import PoolResultDialog, RmPickerDialog
from ocrm_tui.screens.ticket_batch import BatchConfirmDialog
from ocrm_tui.screens.ticket_dialogs import TextDialog
from ocrm_tui.services import pool
from tests.conftest import PASSWORD
from tests.test_pool import actors_of, build_pool, owner
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text
from tests.test_tui_campaigns import footer_keys, table_rows
from tests.test_tui_tickets_queue import record_notices, wait_for


async def open_pool_screen(app, pilot, employee_no: str) -> PoolScreen:
    await log_in(app, pilot, employee_no, PASSWORD)
    open_pool(app)
    await wait_for(app, pilot, lambda: isinstance(app.screen, PoolScreen) and app.screen.drawn)
    return app.screen


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def names(screen: PoolScreen) -> list[str]:
    return [r["name"] for r in table_rows(screen.query_one(PoolTable))]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def question(dialog) -> str:
    return str(dialog.query_one("#batch-question", Static).render())


async def test_an_rm_claims_two_customers_of_the_pool(db_url, db, branch, clock):
    ids = build_pool(db, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        screen = await open_pool_screen(app, pilot, "R001")
        assert str(screen.query_one("#pool-view").render()) == "Customer pool of 人民路网点"
        assert names(screen) == ["王二", "张一"]
        assert [r["days"] for r in table_rows(screen.query_one(PoolTable))] == ["10", "40"]
        keys = footer_keys(app)
        assert {"Claim", "Select", "Select all", "My book"} <= set(keys)
        assert not {"Release", "Move", "Book of…", "Pool"} & set(keys)

        await press(app, pilot, "space", "space")
        assert screen.selected_ids == {ids["王二"], ids["张一"]}
        assert text_of(screen, "#pool-line") == "2 customers selected — C Claim"
        await press(app, pilot, "c")
        dialog = app.screen
        assert isinstance(dialog, BatchConfirmDialog)
        assert question(dialog) == "Claim 2 customers into your book?"
        assert "Your book holds 1 of at most 800 customers" in str(dialog.query_one("#batch-detail", Static).render())
        await press(app, pilot, "y")
        await wait_for(app, pilot, lambda: app.screen is screen and screen.drawn)
        assert "2 customers claimed into your book" in notices
        assert owner(db, ids["王二"]) == owner(db, ids["张一"]) == "R001"
        assert names(screen) == [] and "The pool is empty" in text_of(screen, "#pool-empty")
        assert "Claim" not in footer_keys(app)  # nothing left to claim

        await press(app, pilot, "b")  # My book
        await wait_for(app, pilot, lambda: screen.drawn)
        assert str(screen.query_one("#pool-view").render()) == "My book"
        assert names(screen) == ["王二", "张一", "刘三"]
        assert [r["claimed"] for r in table_rows(screen.query_one(PoolTable))] == ["2026-01-05", "2026-01-05", "—"]
        assert {"Release", "Pool"} <= set(footer_keys(app)) and "Claim" not in footer_keys(app)
        await press(app, pilot, "enter")  # a customer of their own book opens
        assert isinstance(app.screen, ProfileScreen)


@SQLITE_ONLY
async def test_a_manager_moves_the_whole_pool_to_an_rm_and_sees_what_was_refused(db_url, db, branch, clock):
    ids = build_pool(db, clock)
    a = actors_of(db)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pool_screen(app, pilot, "M001")
        assert names(screen) == ["王二", "张一", "陈四", "黄六"]
        keys = footer_keys(app)
        assert {"Move", "Book of…"} <= set(keys) and not {"Claim", "Release", "My book"} & set(keys)

        await press(app, pilot, "ctrl+a")
        assert screen.selected_ids == {ids[n] for n in ("王二", "张一", "陈四", "黄六")}
        assert text_of(screen, "#pool-line") == "4 customers selected — M Move"
        await press(app, pilot, "m")
        picker = app.screen
        assert isinstance(picker, RmPickerDialog)
        assert [r["no"] for r in table_rows(picker.query_one("#staff-table"))] == ["R001", "R002", "R011"]
        await type_text(pilot, "R002")
        await wait_for(app, pilot, lambda: len(picker._choices) == 1)
        await press(app, pilot, "enter")
        dialog = app.screen
        assert isinstance(dialog, BatchConfirmDialog)
        assert question(dialog) == "Move 4 customers to 赵客户经理 (R002)?"
        with db.session(write=True) as s:  # meanwhile R002 claims 陈四 at their terminal
            pool.claim(s, a["R002"], [ids["陈四"]], clock=clock)
        await press(app, pilot, "y")
        await wait_for(app, pilot, lambda: isinstance(app.screen, PoolResultDialog))
        result = app.screen
        assert str(result.query_one("#result-summary", Static).render()) == \
            "3 customers moved to 赵客户经理; 1 could not be:"
        assert result.lines() == ["9200000003 陈四 already in 赵客户经理's book"]
        await press(app, pilot, "escape")
        await wait_for(app, pilot, lambda: app.screen is screen and screen.drawn)
        assert names(screen) == [] and screen.selected_ids == frozenset()
        assert {owner(db, ids[n]) for n in ("王二", "张一", "陈四", "黄六")} == {"R002"}

        await press(app, pilot, "b")  # the book of an RM of the branch
        picker = app.screen
        assert isinstance(picker, RmPickerDialog)
        await type_text(pilot, "R002")
        await wait_for(app, pilot, lambda: len(picker._choices) == 1)
        await press(app, pilot, "enter")
        await wait_for(app, pilot, lambda: app.screen is screen and screen.drawn)
        assert str(screen.query_one("#pool-view").render()) == "Book of 赵客户经理 (R002)"
        assert names(screen) == ["王二", "杨五", "张一", "陈四", "黄六"]
        assert {"Release", "Move", "Pool", "Book of…"} <= set(footer_keys(app))


@SQLITE_ONLY
async def test_releasing_asks_for_a_reason(db_url, db, branch, clock):
    ids = build_pool(db, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        screen = await open_pool_screen(app, pilot, "R001")
        await press(app, pilot, "b")
        await wait_for(app, pilot, lambda: screen.drawn and names(screen) == ["刘三"])
        await press(app, pilot, "r")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        assert str(dialog.query_one(".dialog-title", Static).render()) == "Release 刘三 (9200000002) to the pool"
        await press(app, pilot, "ctrl+s")  # no reason: refused in the dialog, nothing released
        assert app.screen is dialog and str(dialog.query_one("#text-error", Static).render()) == "Write the text first"
        assert owner(db, ids["刘三"]) == "R001"
        dialog.query_one("#text-body").insert("客户搬家，改由解放路网点服务")
        await press(app, pilot, "ctrl+s")
        await wait_for(app, pilot, lambda: app.screen is screen and screen.drawn)
        assert "1 customer released to the pool" in notices
        assert owner(db, ids["刘三"]) is None
        assert names(screen) == [] and "Your book is empty" in text_of(screen, "#pool-empty")
    with db.session() as s:
        record = s.scalars(select(AuditRecord).where(AuditRecord.event == "pool.release")).one()
    assert json.loads(record.changes)["reason"] == "客户搬家，改由解放路网点服务"


@SQLITE_ONLY
async def test_the_filter_narrows_the_pool_and_escape_goes_back(db_url, db, branch, clock):
    build_pool(db, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_pool_screen(app, pilot, "M001")
        await press(app, pilot, "slash")
        assert app.focused is screen.query_one("#pool-filter", Input)
        await type_text(pilot, "cs")
        await press(app, pilot, "enter")
        await wait_for(app, pilot, lambda: screen.drawn and names(screen) == ["陈四"])
        assert isinstance(app.focused, PoolTable)
        assert text_of(screen, "#pool-line") == "1 customer"
        await press(app, pilot, "escape")
        assert app.screen is not screen


@SQLITE_ONLY
async def test_the_palette_opens_the_pool_for_an_rm_who_cannot_open_a_customer_before_claiming(db_url, db, branch,
                                                                                              clock):
    build_pool(db, clock)
    a = actors_of(db)
    for no, offered in (("T001", False), ("R001", True), ("M001", True), ("A001", True)):
        someone = SimpleNamespace(is_locked=False, actor=a[no], show_pane=print, action_lock=print,
                                  action_help=print, action_quit=print)
        assert ("Customer pool" in [c.title for c in palette_commands(someone, None)]) is offered, no
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await log_in(app, pilot, "R001", PASSWORD)
        command = next(c for c in palette_commands(app, app.screen) if c.title == "Customer pool")
        command.callback()
        await wait_for(app, pilot, lambda: isinstance(app.screen, PoolScreen) and app.screen.drawn)
        screen = app.screen
        await press(app, pilot, "enter")
        assert app.screen is screen
        assert "王二 is not one of your customers yet: claim them to open their profile" in notices
