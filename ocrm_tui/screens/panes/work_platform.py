"""F5: the work platform — today's tasks, alerts and reminders."""

from __future__ import annotations

from textual.app import ComposeResult

from ocrm_tui.i18n import _
from ocrm_tui.widgets.empty_state import EmptyState
from ocrm_tui.widgets.pane import Pane


class WorkPlatformPane(Pane):
    """Work platform (F5). For now: an honest empty state."""

    TITLE = "Work platform"

    def compose(self) -> ComposeResult:
        yield EmptyState(_("Work platform"), _("The work platform (today's tasks, alerts and reminders) is not available in this version yet."))
