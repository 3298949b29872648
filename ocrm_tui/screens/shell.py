"""The application after login: a header naming who works where, the panes, the keys.

F2–F5 bring a pane to the front; each pane keeps its state while another is shown. F6 opens
the management reports over the shell, for those who may read them (not tellers); F7 the
access requests (anyone may ask; managers and administrators decide). F7 is in the help and
the palette rather than the footer, which is full at a branch terminal's width.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher

from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.screens.panes.campaigns import CampaignsPane
from ocrm_tui.screens.panes.customers import CustomerSearchPane
from ocrm_tui.screens.panes.tickets import MyTicketsPane
from ocrm_tui.screens.panes.work_platform import WorkPlatformPane
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.pane import Pane

# pane id → the pane class; the order is the order of the F-keys.
PANES: dict[str, type[Pane]] = {
    "customers": CustomerSearchPane,
    "tickets": MyTicketsPane,
    "campaigns": CampaignsPane,
    "work": WorkPlatformPane,
}
FIRST_PANE = "work"


class ShellScreen(OcrmScreen):
    """Header, the pane in front, footer."""

    # The pane in front decides what has focus (on_shown): never a widget of a hidden pane.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("f2", "show_pane('customers')", "Customers", id="shell.customers",
                tooltip="Find a customer by name, ID number, mobile or customer number"),
        Binding("f3", "show_pane('tickets')", "My tickets", id="shell.tickets",
                tooltip="Your queue of service tickets"),
        Binding("f4", "show_pane('campaigns')", "Campaigns", id="shell.campaigns",
                tooltip="Campaigns and their target customers"),
        Binding("f5", "show_pane('work')", "Work platform", id="shell.work",
                tooltip="Today's tasks, alerts and reminders"),
        Binding("f6", "reports", "Reports", id="shell.reports",
                tooltip="Management reports: assets, campaigns, service, staff, branches and channels"),
        Binding("f7", "access_requests", "Access requests", id="shell.access", show=False,
                tooltip="Ask for temporary access to customers outside your scope; decide your staff's requests"),
    ]

    def __init__(self, actor) -> None:
        super().__init__(id="shell")
        self.actor = actor

    def compose(self) -> ComposeResult:
        yield AppHeader(user_name=self.actor.name, employee_no=self.actor.employee_no,
                        role=self.actor.role, org_name=self.actor.org_name)
        with ContentSwitcher(initial=FIRST_PANE, id="panes"):
            for pane_id, pane_class in PANES.items():
                yield pane_class(id=pane_id)
        yield OcrmFooter()

    def on_mount(self) -> None:
        self._shown(FIRST_PANE)

    @property
    def current_pane(self) -> Pane:
        switcher = self.query_one("#panes", ContentSwitcher)
        return self.query_one(f"#{switcher.current}", Pane)

    def action_show_pane(self, pane_id: str) -> None:
        if pane_id not in PANES:
            return
        self.set_focus(None)  # keys no longer go to the pane being hidden; the new one takes focus
        self.query_one("#panes", ContentSwitcher).current = pane_id
        self._shown(pane_id)

    def _shown(self, pane_id: str) -> None:
        pane = self.query_one(f"#{pane_id}", Pane)
        self.query_one(AppHeader).pane_title = pane.title
        self.sub_title = pane.title
        pane.on_shown()

    def has_unsaved_input(self) -> bool:
        return any(pane.has_unsaved_input() for pane in self.query(Pane))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reports":  # not in a teller's footer or help
            from ocrm_tui.services.reports import can_read

            return can_read(self.actor)
        return True

    def action_reports(self) -> None:
        from ocrm_tui.commands import open_reports

        open_reports(self.app)

    def action_access_requests(self) -> None:
        from ocrm_tui.commands import open_access_requests

        open_access_requests(self.app)

    def key_f6(self) -> None:
        """F6 where reports are not offered (a teller; the binding is hidden for them): say so
        rather than nothing. For those who read reports the binding opens them."""
        from ocrm_tui.i18n import _
        from ocrm_tui.services.reports import can_read

        if not can_read(self.actor):
            self.notify(_("Reports are for relationship managers, managers and administrators"), severity="warning",
                        timeout=4)
