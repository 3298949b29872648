"""F5 the work platform, driven through Pilot: the cards and their counts, choosing a
section, Enter going to the item, handling an alert with its refusals."""

from __future__ import annotations

from sqlalchemy import select

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Alert, AuditRecord, ServiceContact
from ocrm_tui.screens.alert_dialog import HandleAlertDialog
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.panes.work_platform import SectionCard, WorkPlatformPane, WorkTable
from ocrm_tui.screens.ticket_view import TicketScreen
from ocrm_tui.services import alerts
from tests.conftest import PASSWORD
from tests.test_tickets import desk  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text
from tests.test_tui_tickets_queue import build_queue
from tests.test_work_platform import raise_for

__all__ = ["desk"]


def cards(app) -> dict[str, str]:
    return {card.section: str(card.render()) for card in app.screen.query(SectionCard) if card.section}


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(WorkTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def prepare(db, desk, clock) -> dict[str, int]:
    ids, a = desk
    made = build_queue(db, desk, clock)
    raise_for(db, clock, ids["张伟"], "txn.large_outflow", "out:1", user_id=a["R001"].id, severity="high",
              entity="txn", entity_id="TX1")
    raise_for(db, clock, ids["张伟"], "customer.birthday", "bd:1", user_id=a["R001"].id, severity="low",
              due_on=clock.now.date())
    return made


@SQLITE_ONLY
async def test_an_rm_goes_through_the_sections_and_opens_a_ticket_and_a_customer(db, db_url, desk, clock):
    made = prepare(db, desk, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await settle(app, pilot)
        pane = app.screen.query_one(WorkPlatformPane)
        assert pane.drawn and pane.current_section == "all"
        shown = cards(app)
        assert list(shown) == ["all", "tickets", "alerts", "reminders", "campaigns"]
        assert "Tickets due" in shown["tickets"] and "2 overdue" in shown["tickets"]
        assert "Alerts 1" in shown["alerts"] and "High 1" in shown["alerts"]
        assert "Reminders 1" in shown["reminders"]
        # "All": the urgent first (the two overdue tickets, then the outflow alert), the reminder last
        everything = rows(app)
        assert [r[0] for r in everything[:3]] == ["!!", "!!", "!!"]
        assert [r[1] for r in everything[:3]] == ["Overdue ticket", "Overdue ticket",
                                                  alerts.kind_label("txn.large_outflow")]
        assert all(r[0] != "!!" for r in everything[3:])
        assert everything[-1][1] == alerts.kind_label("customer.birthday")

        await pilot.press("3")  # Alerts
        await settle(app, pilot)
        assert pane.current_section == "alerts" and len(rows(app)) == 1
        await pilot.press("right")  # → Reminders
        assert pane.current_section == "reminders"
        await pilot.press("enter")  # the birthday reminder opens the customer
        await settle(app, pilot)
        assert isinstance(app.screen, ProfileScreen)
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("2")  # Tickets due
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == made["overdue_medium"]


@SQLITE_ONLY
async def test_handling_an_alert_asks_for_a_reason_when_nothing_was_done_and_then_it_leaves(db, db_url, desk, clock):
    ids, a = desk
    prepare(db, desk, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, HandleAlertDialog)
        await pilot.press("ctrl+s")  # nothing chosen
        assert dialog.error == "Choose what was done"
        await pilot.press("4")  # no action
        await pilot.press("ctrl+s")  # … and no reason
        assert isinstance(app.screen, HandleAlertDialog) and dialog.error == "Write why nothing was done"
        await type_text(pilot, "客户本人操作 已核实")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, HandleAlertDialog)
        pane = app.screen.query_one(WorkPlatformPane)
        assert pane.current_section == "alerts" and rows(app) == []
        assert "Alerts 0" in cards(app)["alerts"] and "none open" in cards(app)["alerts"]

        # the reminder: contacted, which records a service contact
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        await pilot.press("1")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert rows(app) == []
    with db.session() as s:
        handled = s.scalars(select(Alert).where(Alert.user_id == a["R001"].id).order_by(Alert.id)).all()
        assert [(x.action, x.action_note) for x in handled] == [("no_action", "客户本人操作 已核实"), ("contacted", None)]
        assert all(x.handled_by == a["R001"].id and x.handled_at is not None for x in handled)
        assert s.scalars(select(ServiceContact).where(ServiceContact.customer_id == ids["张伟"],
                                                      ServiceContact.user_id == a["R001"].id)).first() is not None
        assert s.scalars(select(AuditRecord).where(AuditRecord.entity == "alert")).first() is not None


@SQLITE_ONLY
async def test_h_is_offered_on_alerts_only(db, db_url, desk, clock):
    prepare(db, desk, clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await settle(app, pilot)
        await pilot.press("2")  # tickets: H does nothing
        await settle(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        assert not isinstance(app.screen, HandleAlertDialog)
        assert "work.handle" not in {b.binding.id for b in app.screen.active_bindings.values() if b.enabled}
