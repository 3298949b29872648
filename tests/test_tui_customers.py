"""F2 customer search, the customer form and batch tagging, driven through Pilot."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, Static

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Customer, CustomerTag, ServiceContact, Tag
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.batch_tag import BatchTagDialog
from ocrm_tui.screens.customer_form import CustomerFormScreen, DuplicatesDialog, StaleDialog
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.panes.customers import CustomerSearchPane, ResultsTable
from ocrm_tui.services import audit, customers
from tests.conftest import PASSWORD
from tests.test_customers import people, rid  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle

__all__ = ["people"]


async def search_for(app, pilot, text: str) -> CustomerSearchPane:
    """F2, type ``text`` into the search box and wait for the debounced results."""
    await pilot.press("f2")
    pane = app.screen.query_one(CustomerSearchPane)
    box = pane.query_one("#search-input", Input)
    box.focus()
    box.value = text
    for _ in range(100):
        await pilot.pause(0.05)
        await settle(app, pilot)
        if pane._text == text and pane._page is not None:
            break
    return pane


def status(pane) -> str:
    return str(pane.query_one("#search-status", Static).render())


def table_rows(pane) -> list[list[str]]:
    table = pane.query_one(ResultsTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def wait_for(app, pilot, predicate, tries: int = 100) -> None:
    for _ in range(tries):
        await settle(app, pilot)
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_an_rm_searches_opens_edits_and_saves(db_url, db, people, clock):
    ids, _ = people
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        pane = await search_for(app, pilot, "张伟")
        rows = table_rows(pane)
        assert [r[2] for r in rows] == ["张伟", "张伟明"]  # R001's book and collaboration only
        assert rows[0][3] == "138****5678"  # masked mobile
        assert "2 found" in status(pane)
        await pilot.press("enter")  # from the box to the results
        assert isinstance(app.focused, ResultsTable)
        await pilot.press("enter")  # open the first
        await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen) and app.screen.drawn)
        await pilot.press("e")
        await wait_for(app, pilot, lambda: isinstance(app.screen, CustomerFormScreen)
                       and app.screen.query_one("#in-mobile", Input).value == "13812345678")
        form = app.screen
        email = form.query_one("#in-email", Input)
        email.focus()
        email.value = "not-an-email"
        form.query_one("#in-occupation", Input).focus()  # leaving the field checks it
        await pilot.pause()
        assert "e-mail" in str(form.query_one("#err-email", Static).render())
        email.value = "zhang.wei@example.com"
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen))
    with db.session() as s:
        c = s.get(Customer, ids["张伟"])
        assert c.email == "zhang.wei@example.com" and c.version == 2
        assert "customer.update" in [r.event for r in audit.list_records(s, entity="customer", entity_id=str(c.id))]


async def test_a_stale_save_shows_what_changed_and_keeps_the_input(db_url, db, people, clock):
    ids, actors = people
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        app.push_screen(CustomerFormScreen(ids["张伟"]))
        await wait_for(app, pilot, lambda: isinstance(app.screen, CustomerFormScreen)
                       and app.screen.query_one("#in-mobile", Input).value == "13812345678")
        form = app.screen
        # Meanwhile a manager changes the occupation at another terminal.
        with db.session(write=True) as s:
            base = customers.edit_values(s, actors["M001"], ids["张伟"])
            customers.update_customer(s, actors["M001"], ids["张伟"], dict(base, occupation="教师"), base, clock=clock)
            s.commit()
        form.query_one("#in-email", Input).value = "mine@example.com"
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, StaleDialog))
        changes = str(app.screen.query_one("#stale-changes", Static).render())
        assert "Occupation" in changes and "教师" in changes
        await pilot.click("#stale-reload")
        await wait_for(app, pilot, lambda: isinstance(app.screen, CustomerFormScreen)
                       and app.screen.query_one("#in-occupation", Input).value == "教师")
        assert form.query_one("#in-email", Input).value == "mine@example.com"  # kept
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: not isinstance(app.screen, CustomerFormScreen))
    with db.session() as s:
        c = s.get(Customer, ids["张伟"])
        assert (c.email, c.occupation) == ("mine@example.com", "教师")  # both kept, nothing overwritten


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_a_teller_counter_lookup_opens_the_customer_and_records_the_contact(db_url, db, people, clock):
    ids, actors = people
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        pane = await search_for(app, pilot, "李张伟")
        assert "no customer found" in status(pane)  # never served: not by name
        pane = await search_for(app, pilot, "15000002222")
        assert [r[2] for r in table_rows(pane)] == ["李**"]
        pane.query_one("#search-input", Input).focus()
        await pilot.press("enter")  # one exact result: opened at once
        await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen) and app.screen.drawn)
    with db.session() as s:
        contacts = s.scalars(select(ServiceContact).where(ServiceContact.customer_id == ids["李张伟"])).all()
        assert [(c.user_id, c.kind) for c in contacts] == [(actors["T001"].id, "counter")]


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py
async def test_bad_input_in_the_search_box_says_what_to_type(db_url, people, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        for text in ("' OR 1=1 --", "%", "😀", "x" * 1000):
            pane = await search_for(app, pilot, text)
            assert table_rows(pane) == []
            assert "Not an ID number" in status(pane) or "too long" in status(pane)


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_a_new_customer_from_an_empty_result_with_checks_and_duplicates(db_url, db, people, clock):
    ids, _ = people
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        pane = await search_for(app, pilot, "赵敏")
        assert "Ctrl+N" in status(pane)
        await pilot.press("ctrl+n")
        await wait_for(app, pilot, lambda: isinstance(app.screen, CustomerFormScreen))
        form = app.screen
        assert form.query_one("#in-name", Input).value == "赵敏"  # what was searched for
        form.query_one("#in-id_number", Input).value = "320102199203045511"  # wrong check digit
        form.query_one("#in-mobile", Input).value = "13812345678"  # 张伟's mobile
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "check digit" in str(form.query_one("#err-id_number", Static).render())
        good = rid("1992-03-04", 55, False)
        form.query_one("#in-id_number", Input).value = good
        form.query_one("#in-id_number", Input).focus()
        form.query_one("#in-mobile", Input).focus()  # leaving the ID fills birth date and gender
        await pilot.pause()
        assert form.query_one("#in-birth_date", Input).value == "1992-03-04"
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, DuplicatesDialog))
        assert "张伟" in str(app.screen.query(Static).last().render()) or app.screen.query("#open-0")
        await pilot.click("#dup-save")  # a family member sharing the mobile
        await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen) and app.screen.drawn)
    with db.session() as s:
        c = s.scalars(select(Customer).where(Customer.name == "赵敏")).one()
        assert (c.id_number, c.mobile, c.gender) == (good, "13812345678", "F")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_batch_tagging_the_whole_result(db_url, db, people, clock):
    ids, _ = people
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        pane = await search_for(app, pilot, "伟")
        assert len(table_rows(pane)) == 3
        await pilot.press("enter")
        await pilot.press("space")  # select the first row only
        assert table_rows(pane)[0][0] == "✓" and "1 selected" in status(pane)
        await pilot.press("ctrl+a")
        await wait_for(app, pilot, lambda: "3 selected" in status(pane))
        await pilot.press("t")
        await wait_for(app, pilot, lambda: isinstance(app.screen, BatchTagDialog))
        dialog = app.screen
        dialog.query_one("#batch-tag", Input).value = "高净值潜力"
        await pilot.press("enter")
        question = str(dialog.query_one("#batch-question", Static).render())
        assert "高净值潜力" in question and "3 customers" in question
        await pilot.click("#batch-yes")
        await wait_for(app, pilot, lambda: not pane._selected)
    with db.session() as s:
        tag_id = s.scalar(select(Tag.id).where(Tag.name == "高净值潜力"))
        tagged = set(s.scalars(select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag_id)))
    assert tagged == {ids["张伟"], ids["张伟明"], ids["李张伟"]}


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py
async def test_the_search_speaks_chinese(db_url, people, clock):
    set_language("zh")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        pane = await search_for(app, pilot, "张伟")
        assert status(pane) == "中文姓名：共 2 条"
        pane = await search_for(app, pilot, "%")
        assert status(pane).startswith("无法识别")
