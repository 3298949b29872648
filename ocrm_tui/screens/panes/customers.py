"""F2: find a customer by name, ID number, mobile or customer number."""

from __future__ import annotations

from textual.app import ComposeResult

from ocrm_tui.i18n import _
from ocrm_tui.widgets.empty_state import EmptyState
from ocrm_tui.widgets.pane import Pane


class CustomerSearchPane(Pane):
    """Customer search (F2). For now: an honest empty state."""

    TITLE = "Customer search"

    def compose(self) -> ComposeResult:
        yield EmptyState(_("Customer search"), _("Customer search is not available in this version yet."))
