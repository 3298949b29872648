"""A pane of the application shell (customer search, my tickets, campaigns, work platform).

Each pane is its own module under ``ocrm_tui/screens/panes/`` so that later work can
replace one without touching the others. A pane tells the shell its title and whether
it holds input that would be lost (the quit rule asks); a worker it starts that fails
unexpectedly is shown by the app's error dialog.
"""

from __future__ import annotations

from textual import on
from textual.containers import Vertical
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _


class Pane(Vertical, can_focus=False):
    """Base of the shell's panes. Subclasses set TITLE (an English message id)."""

    TITLE = "Pane"

    @property
    def title(self) -> str:
        return _(self.TITLE)

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        # A pane's own workers report only to the pane: hand failures to the app's one dialog.
        if event.state == WorkerState.ERROR:
            self.app.show_worker_failure(event.worker)  # type: ignore[attr-defined]

    def has_unsaved_input(self) -> bool:
        """True when leaving now would lose something the user typed."""
        return False

    def on_shown(self) -> None:
        """Called by the shell each time the pane is brought to the front."""
