"""F4: marketing campaigns and their target lists."""

from __future__ import annotations

from textual.app import ComposeResult

from ocrm_tui.i18n import _
from ocrm_tui.widgets.empty_state import EmptyState
from ocrm_tui.widgets.pane import Pane


class CampaignsPane(Pane):
    """Campaigns (F4). For now: an honest empty state."""

    TITLE = "Campaigns"

    def compose(self) -> ComposeResult:
        yield EmptyState(_("Campaigns"), _("Campaigns are not available in this version yet."))
