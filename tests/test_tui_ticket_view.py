"""The ticket screen, the new-ticket form and the profile's tickets, driven as staff use them.

The staff and customers are those of tests/test_tickets.py (fixture ``desk``): 张伟 is R001's
customer at 人民路网点 (O1); 李娜 at O1 has no RM; M001 manages the sub-branch above both outlets.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import Input, RadioButton, Static, TextArea

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Ticket, TicketEvent
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.dialogs import ConfirmDialog
from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog, TextDialog
from ocrm_tui.screens.ticket_form import KeyChoice, TicketFormScreen
from ocrm_tui.screens.ticket_view import ChoiceDialog, RatingDialog, StaleTicketDialog, TicketScreen
from ocrm_tui.services import tickets
from tests.conftest import PASSWORD
from tests.test_tickets import desk, raise_ticket  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle
from tests.test_tui_profile import plain, section


async def write(pilot, text: str) -> None:
    """Type into the focused field or text area (as a paste: one key event per character is slow)."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(text)
    else:
        assert isinstance(focused, Input), focused
        focused.insert_text_at_cursor(text)
    await pilot.pause()


def footer_keys(screen) -> list[str]:
    return [key.description for key in screen.query("FooterKey")]


def body(screen, body_id: str) -> str:
    return plain(screen.query_one(f"#{body_id}", Static), 240)


def db_ticket(db, ticket_id: int) -> Ticket:
    with db.session() as s:
        return s.get(Ticket, ticket_id)


def event_kinds(db, ticket_id: int) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
                              .order_by(TicketEvent.id)).all())


async def open_ticket(app, pilot, ticket_id: int) -> TicketScreen:
    screen = TicketScreen(ticket_id)
    app.push_screen(screen)
    await settle(app, pilot)
    assert app.screen is screen and screen.drawn
    return screen


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def write_and_save(app, pilot, text: str) -> None:
    """In a text dialog: write, then Ctrl+S."""
    assert isinstance(app.screen, TextDialog), app.screen
    await write(pilot, text)
    await press(app, pilot, "ctrl+s")


# -- raising a ticket and working it to the end -----------------------------------------------------


async def test_an_rm_raises_a_complaint_from_the_profile_and_works_it_to_a_rated_close(db_url, db, desk, clock):
    ids, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        profile = ProfileScreen(ids["张伟"])
        app.push_screen(profile)
        await settle(app, pilot)
        assert "No tickets yet" in section(profile, "tickets")
        assert "New ticket" in footer_keys(profile) and "Open ticket" not in footer_keys(profile)

        # k: the form, the customer filled in; 2 complaint, 1 high, then the subject and description.
        await press(app, pilot, "k")
        form = app.screen
        assert isinstance(form, TicketFormScreen)
        assert "张伟" in plain(form.query_one("#customer-fixed", Static)) and "9100000200" in plain(
            form.query_one("#customer-fixed", Static))
        assert app.focused is form.query_one("#in-type", KeyChoice)
        await press(app, pilot, "2")
        assert form.query_one("#in-type", KeyChoice).value == "complaint"
        assert form.query_one("#in-priority", KeyChoice).value == "high"  # suggested for a complaint
        assert app.focused is form.query_one("#in-priority", KeyChoice)
        await press(app, pilot, "1")
        assert app.focused is form.query_one("#in-subject", Input)
        await write(pilot, "信用卡年费重复扣收")
        await press(app, pilot, "tab")
        await write(pilot, "客户反映本月信用卡年费被扣两次，要求退还。")
        await press(app, pilot, "ctrl+s")
        assert app.screen is profile

        with db.session() as s:
            [t] = s.scalars(select(Ticket)).all()
        assert (t.customer_id, t.type, t.priority, t.channel, t.subject) == (
            ids["张伟"], "complaint", "high", "counter", "信用卡年费重复扣收")
        assert t.description == "客户反映本月信用卡年费被扣两次，要求退还。"
        assert t.assignee_id == a["R001"].id  # the rule: the customer's own RM
        assert t.status == "new"
        # The profile was read again: the ticket is listed, and i opens it.
        listed = section(profile, "tickets")
        assert tickets.ticket_number(t.id) in listed and "信用卡年费重复扣收" in listed and "High" in listed
        assert "Open ticket" in footer_keys(profile)

        await press(app, pilot, "i")
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.drawn
        assert not db_ticket(db, t.id).unread  # the assignee opened it
        assert "信用卡年费重复扣收" in plain(screen.query_one("#ticket-subject"))
        details = body(screen, "ticket-details")
        assert "Complaint" in details and "High" in details and "Counter" in details and "New" in details
        customer = body(screen, "ticket-customer")
        assert "张伟" in customer and "9100000200" in customer and "139****0000" in customer
        keys = footer_keys(screen)
        assert {"Start", "Close", "Note", "Ask for help", "Customer", "Back"} <= set(keys)
        assert "Respond" not in keys and "Reopen" not in keys and "Assign" not in keys and "Take" not in keys

        # s: in progress.
        await press(app, pilot, "s")
        assert db_ticket(db, t.id).status == "in_progress"
        assert "In progress" in body(screen, "ticket-details")
        assert "Respond" in footer_keys(screen) and "Start" not in footer_keys(screen)

        # r: the response.
        await press(app, pilot, "r")
        await write_and_save(app, pilot, "已致电客户，说明将在3个工作日内退还。")
        assert app.screen is screen
        assert db_ticket(db, t.id).status == "responded"

        # c: the solution, then the rating 4.
        await press(app, pilot, "c")
        await write_and_save(app, pilot, "已退还重复扣收的年费300元。")
        dialog = app.screen
        assert isinstance(dialog, RatingDialog)
        await press(app, pilot, "4")
        assert dialog.query_one("#rating-4", RadioButton).value
        assert app.focused is dialog.query_one("#rating-comment", Input)
        await write(pilot, "处理及时")
        await press(app, pilot, "ctrl+s")
        assert app.screen is screen
        closed = db_ticket(db, t.id)
        assert (closed.status, closed.solution, closed.rating, closed.rating_comment) == (
            "closed", "已退还重复扣收的年费300元。", 4, "处理及时")

        timeline = body(screen, "ticket-timeline")
        for what in ("Created", "Assigned to 李客户经理", "Status New → In progress", "Status In progress → Responded",
                     "已致电客户，说明将在3个工作日内退还。", "Status Responded → Closed", "已退还重复扣收的年费300元。",
                     "Rated 4 · Satisfied", "处理及时"):
            assert what in timeline, what
        assert "已退还重复扣收的年费300元。" in body(screen, "ticket-solution")
        assert "4 · Satisfied" in body(screen, "ticket-handling")
        keys = footer_keys(screen)
        assert "Reopen" in keys and "Rating" in keys and "Close" not in keys and "Start" not in keys

        await press(app, pilot, "escape")
        assert app.screen is profile  # and it was read again: the ticket is closed there
        assert "Closed" in section(profile, "tickets")
    assert event_kinds(db, t.id) == ["created", "assigned", "status", "status", "status", "rated"]


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_closing_without_a_rating_then_recording_it_later_and_a_note(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        await press(app, pilot, "c")
        await write_and_save(app, pilot, "已向客户说明")
        assert isinstance(app.screen, RatingDialog)
        await press(app, pilot, "escape")  # back to the solution, as it was written
        assert isinstance(app.screen, TextDialog) and app.screen.text == "已向客户说明"
        await press(app, pilot, "ctrl+s", "0", "ctrl+s")  # closed without a rating
        assert app.screen is screen
        t = db_ticket(db, tid)
        assert t.status == "closed" and t.rating is None

        await press(app, pilot, "v")
        dialog = app.screen
        assert isinstance(dialog, RatingDialog) and not dialog.closing
        await press(app, pilot, "ctrl+s")  # no level chosen: the dialog says so and stays
        assert app.screen is dialog and "press 1 to 5" in plain(dialog.query_one("#rating-error", Static))
        await press(app, pilot, "2")
        await write(pilot, "等待时间较长")
        await press(app, pilot, "enter")
        assert app.screen is screen
        t = db_ticket(db, tid)
        assert (t.rating, t.rating_comment) == (2, "等待时间较长")
        assert "2 · Dissatisfied" in body(screen, "ticket-handling")

        await press(app, pilot, "n")
        await write_and_save(app, pilot, "已转交网点负责人跟进服务改进")
        assert "已转交网点负责人跟进服务改进" in body(screen, "ticket-timeline")
        assert screen.changed and not screen.has_unsaved_input()
    assert event_kinds(db, tid)[-3:] == ["status", "rated", "note"]


# -- a stale screen ---------------------------------------------------------------------------------


async def test_closing_from_a_stale_screen_is_refused_says_who_and_keeps_the_text(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        assert "Close" in footer_keys(screen)
        # Meanwhile the manager closes it at another terminal.
        with db.session(write=True) as s:
            tickets.close(s, a["M001"], tid, "经理已电话处理", clock=clock)

        await press(app, pilot, "c")
        await write_and_save(app, pilot, "已向客户解释收费标准")
        assert isinstance(app.screen, RatingDialog)
        await press(app, pilot, "ctrl+s")  # no rating
        dialog = app.screen
        assert isinstance(dialog, StaleTicketDialog)
        message = plain(dialog.query_one("#stale-message", Static))
        assert "王经理 closed this ticket while you had it open; nothing was changed" in message
        assert dialog.query_one("#stale-text", TextArea).text == "已向客户解释收费标准"
        assert db_ticket(db, tid).solution == "经理已电话处理"
        # The screen underneath shows the ticket as it is now.
        assert "Closed" in body(screen, "ticket-details") and "经理已电话处理" in body(screen, "ticket-solution")
        assert "Close" not in footer_keys(screen)

        # What was written is not lost: it goes on the timeline as a note.
        await pilot.click("#stale-note")
        await settle(app, pilot)
        assert app.screen is screen
        assert "已向客户解释收费标准" in body(screen, "ticket-timeline")
        assert not screen.has_unsaved_input()
    assert event_kinds(db, tid)[-1] == "note"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_a_refused_text_reopens_its_dialog_with_the_text_kept(db_url, db, desk, clock):
    """The dialog refuses an empty or too long text itself; the service's refusal of a text the
    dialog let through (here: a reopen reason longer than the service allows) reopens it."""
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], tid, "已处理", clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        await press(app, pilot, "o")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        await press(app, pilot, "ctrl+s")  # empty: refused by the dialog, which stays
        assert app.screen is dialog and "Write the text first" in plain(dialog.query_one("#text-error", Static))
        dialog.max_length = 10_000  # as if the dialog allowed more than the service does
        reason = "客户再次来电" * 1000
        await write_and_save(app, pilot, reason)
        again = app.screen
        assert isinstance(again, TextDialog) and again is not dialog
        assert again.text == reason  # nothing typed is lost
        assert db_ticket(db, tid).status == "closed"
        await press(app, pilot, "escape")
        assert app.screen is screen and screen.has_unsaved_input()  # the text is kept for the next o
        await press(app, pilot, "o")
        assert app.screen.text == reason
        app.screen.query_one("#text-body", TextArea).text = "客户再次来电，要求复核"
        await press(app, pilot, "ctrl+s")
        assert app.screen is screen
        assert db_ticket(db, tid).status == "in_progress"
        assert not screen.has_unsaved_input()


# -- the form's checks ------------------------------------------------------------------------------


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_the_form_shows_each_wrong_field_and_keeps_what_was_typed(db_url, db, desk, clock):
    ids, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        form = TicketFormScreen(ids["张伟"], customer_label="张伟  Customer no. 9100000200")
        app.push_screen(form)
        await settle(app, pilot)
        await press(app, pilot, "1", "3")  # consultation, low
        assert app.focused is form.query_one("#in-subject", Input)
        long_description = "客" * 10_000
        form.query_one("#in-description", TextArea).text = long_description
        await press(app, pilot, "ctrl+s")
        assert app.screen is form
        subject_error = plain(form.query_one("#err-subject", Static))
        description_error = plain(form.query_one("#err-description", Static))
        assert "The subject is required" in subject_error
        assert "at most 4,000 characters (now 10,000)" in description_error
        assert form.query_one("#field-subject").has_class("-invalid")
        assert form.query_one("#field-description").has_class("-invalid")
        assert app.focused is form.query_one("#in-subject", Input)  # the first wrong field
        # Everything typed is still there.
        assert form.query_one("#in-description", TextArea).text == long_description
        assert form.values()["type"] == "consultation" and form.values()["priority"] == "low"
        assert form.has_unsaved_input()
        with db.session() as s:
            assert s.scalars(select(Ticket)).all() == []

        # Escape asks before throwing away what was typed; "stay" keeps it.
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "n")
        assert app.screen is form and form.query_one("#in-description", TextArea).text == long_description

        await write(pilot, "咨询大额存单")
        form.query_one("#in-description", TextArea).text = "客户想了解三年期大额存单利率"
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
    with db.session() as s:
        [t] = s.scalars(select(Ticket)).all()
    assert (t.type, t.priority, t.subject) == ("consultation", "low", "咨询大额存单")


@SQLITE_ONLY  # the search itself runs on both databases in test_customers.py
async def test_from_the_queue_the_form_finds_the_customer_with_the_f2_search(db_url, db, desk, clock):
    ids, a = desk
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = TicketFormScreen()
        results = []
        app.push_screen(form, callback=results.append)
        await settle(app, pilot)
        assert app.focused is form.query_one("#in-customer", Input)
        await press(app, pilot, "ctrl+s")  # no customer yet
        assert "Choose the customer" in plain(form.query_one("#err-customer", Static))

        await write(pilot, "李娜")
        for _ in range(50):  # the search runs once typing has paused
            await pilot.pause(0.05)
            await settle(app, pilot)
            if form.query_one("#customer-results").has_class("-shown"):
                break
        await press(app, pilot, "enter")  # one customer found: Enter picks her
        assert form.customer_id == ids["李娜"]
        assert "李娜" in plain(form.query_one("#customer-picked", Static))
        assert "9100000201" in plain(form.query_one("#customer-picked", Static))
        assert not form.query_one("#field-customer").has_class("-invalid")
        assert app.focused is form.query_one("#in-type", KeyChoice)
        await press(app, pilot, "3", "3")  # suggestion, low
        await write(pilot, "建议增加周末营业时间")
        form.query_one("#in-required_skill", Input).value = "insurance"  # nobody at O1 has it
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
    [tid] = results
    t = db_ticket(db, tid)
    assert (t.customer_id, t.type, t.priority, t.required_skill, t.assignee_id) == (
        ids["李娜"], "suggestion", "low", "insurance", None)


# -- collaboration ----------------------------------------------------------------------------------


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_help_asked_of_a_named_colleague_and_answered_by_them_shows_on_the_ticket(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        await press(app, pilot, "h")
        assert isinstance(app.screen, ChoiceDialog)
        await press(app, pilot, "1")  # a colleague by name
        picker = app.screen
        assert isinstance(picker, StaffPickerDialog) and not picker.for_assignment
        await write(pilot, "R002")
        for _ in range(50):
            await pilot.pause(0.05)
            await settle(app, pilot)
            if picker.query_one("#staff-table").row_count == 1:
                break
        await press(app, pilot, "enter")
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        assert "赵客户经理" in plain(dialog.query_one(".dialog-title", Static))
        await write_and_save(app, pilot, "请调取客户近三个月的流水")
        assert app.screen is screen
        collaboration = body(screen, "ticket-help")
        assert "请调取客户近三个月的流水" in collaboration and "赵客户经理" in collaboration and "waiting" in collaboration
        assert "Help requested of 赵客户经理" in body(screen, "ticket-timeline")
        assert "Answer help" not in footer_keys(screen)  # not addressed to R001

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R002", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        assert "yours to answer (W)" in body(screen, "ticket-help")
        keys = footer_keys(screen)
        assert "Answer help" in keys and "Close" not in keys and "Start" not in keys  # not R002's ticket
        await press(app, pilot, "w")
        dialog = app.screen
        assert "请调取客户近三个月的流水" in plain(dialog.query_one(".dialog-message", Static))
        await write_and_save(app, pilot, "流水已发至您的邮箱")
        assert app.screen is screen
        assert "answered by 赵客户经理" in body(screen, "ticket-help")
        assert "Answer help" not in footer_keys(screen)

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        collaboration = body(screen, "ticket-help")
        assert "流水已发至您的邮箱" in collaboration and "answered by 赵客户经理" in collaboration
        assert "Help answered" in body(screen, "ticket-timeline")
    assert event_kinds(db, tid)[-2:] == ["help_requested", "help_answered"]


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_help_asked_of_a_role_names_the_role(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        await press(app, pilot, "h", "2")  # any teller of the branch
        await write_and_save(app, pilot, "请核对柜面凭证")
        assert "Help requested of Teller" in body(screen, "ticket-timeline")
    with db.session() as s:
        assert [r.id for r in tickets.queue_page(s, a["T001"], "help", now=clock.now).rows] == [tid]


# -- taking, assigning and who sees which keys -------------------------------------------------------


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_s_on_an_unassigned_ticket_takes_it(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["M001"], ids["李娜"], clock, required_skill="insurance")  # nobody qualifies
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        assert "branch pool" in body(screen, "ticket-handling")
        keys = footer_keys(screen)
        assert "Take" in keys and "Start" not in keys and "Close" not in keys
        await press(app, pilot, "s")
        t = db_ticket(db, tid)
        assert t.assignee_id == a["R001"].id and t.status == "in_progress"
        assert "李客户经理" in body(screen, "ticket-handling")
        assert "Take" not in footer_keys(screen) and "Respond" in footer_keys(screen)


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_tickets.py
async def test_a_manager_assigns_a_ticket_to_a_colleague(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        assert "Assign" in footer_keys(screen)
        await press(app, pilot, "g")
        picker = app.screen
        assert isinstance(picker, StaffPickerDialog) and picker.for_assignment
        await write(pilot, "R004")
        for _ in range(50):
            await pilot.pause(0.05)
            await settle(app, pilot)
            if picker.query_one("#staff-table").row_count == 1:
                break
        await press(app, pilot, "enter")
        assert app.screen is screen
        assert db_ticket(db, tid).assignee_id == a["R004"].id
        assert "Reassigned from 李客户经理 to 周客户经理" in body(screen, "ticket-timeline")


@SQLITE_ONLY  # what is offered; the rules behind it run on both databases in test_tickets.py
async def test_a_teller_sees_the_customer_masked_and_only_the_keys_of_a_teller(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        customer = body(screen, "ticket-customer")
        assert "张*" in customer and "张伟" not in customer
        keys = footer_keys(screen)
        assert {"Note", "Ask for help", "Customer", "Back"} <= set(keys)
        for key in ("Start", "Take", "Respond", "Close", "Assign", "Rating", "Reopen"):
            assert key not in keys
        await press(app, pilot, "s", "c", "g")  # nothing happens
        assert app.screen is screen and db_ticket(db, tid).status == "new"
        await press(app, pilot, "p")
        assert isinstance(app.screen, ProfileScreen) and app.screen.customer_id == ids["张伟"]


@SQLITE_ONLY
async def test_a_ticket_outside_the_scope_reads_as_not_found(db_url, desk, clock, db):
    ids, a = desk
    tid = raise_ticket(db, a["M900"], ids["刘洋"], clock)  # another branch
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = TicketScreen(tid)
        app.push_screen(screen)
        await settle(app, pilot)
        assert not screen.drawn
        assert "No such ticket, or not one of yours" in plain(screen.query_one("#ticket-state", Static))
        assert footer_keys(screen)[0] == "Back"
        await press(app, pilot, "escape")
        assert app.screen is not screen


@SQLITE_ONLY
async def test_the_ticket_screen_speaks_chinese(db_url, db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock, type="complaint", priority="high")
    set_language("zh")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_ticket(app, pilot, tid)
        titles = [s.border_title for s in screen.query(".profile-section")]
        assert titles == ["工单", "处理", "客户", "描述", "解决方案", "协作", "处理记录"]
        details = body(screen, "ticket-details")
        assert "投诉" in details and "高" in details and "新建" in details
        assert {"开始处理", "关闭", "备注", "请求协助", "返回"} <= set(footer_keys(screen))
        assert "分配给李客户经理" in body(screen, "ticket-timeline")


def test_every_ticket_screen_key_has_a_chinese_translation():
    from textual.binding import Binding

    from ocrm_tui.locale_zh import ZH
    from ocrm_tui.screens import ticket_form, ticket_view

    texts = []
    for cls in (ticket_view.TicketScreen, ticket_view.RatingDialog, ticket_view.ChoiceDialog,
                ticket_view.StaleTicketDialog, ticket_form.TicketFormScreen):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding) and binding.id and binding.tooltip
            texts += [binding.description, binding.tooltip]
    assert [t for t in texts if t not in ZH] == []


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_every_rating_level_has_its_name_in_both_languages(rating):
    from ocrm_tui.locale_zh import ZH

    set_language("en")
    name = tickets.rating_name(rating)
    assert name and name in ZH
