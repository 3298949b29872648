"""F3: my tickets, the worker's queue of service tickets."""

from __future__ import annotations

from textual.app import ComposeResult

from ocrm_tui.i18n import _
from ocrm_tui.widgets.empty_state import EmptyState
from ocrm_tui.widgets.pane import Pane


class MyTicketsPane(Pane):
    """My tickets (F3). For now: an honest empty state."""

    TITLE = "My tickets"

    def compose(self) -> ComposeResult:
        yield EmptyState(_("My tickets"), _("The ticket queue is not available in this version yet."))
