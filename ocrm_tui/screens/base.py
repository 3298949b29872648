"""What every screen of the application shares.

- Worker failures: Textual reports a worker's state only to the node that started it,
  so each screen (these two base classes) hands an unexpected failure to the app, which shows one error dialog
  (``OcrmApp.show_worker_failure``) instead of crashing.
- Unsaved input: a screen answers ``has_unsaved_input()``; quitting asks first when
  any screen says yes.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState


def report_failed_worker(event: Worker.StateChanged, app) -> None:
    if event.state == WorkerState.ERROR:
        app.show_worker_failure(event.worker)


class OcrmScreen(Screen):
    """A full screen of the application."""

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failed_worker(event, self.app)

    def has_unsaved_input(self) -> bool:
        return False

    def leave_asking_first(self) -> None:
        """Close the screen (a form); when what was typed would be lost, ask first.
        A form that leaves on purpose sets ``saved_id`` to -1: nothing is left to keep."""
        if not self.has_unsaved_input():
            self.dismiss(None)
            return
        from ocrm_tui.i18n import _
        from ocrm_tui.screens.dialogs import ConfirmDialog

        def answer(discard: bool | None) -> None:
            if discard:
                self.saved_id = -1
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog(_("Leave the form?"), _("What you typed will be lost."),
                                           yes=_("Leave"), no=_("Stay")), callback=answer)


ResultType = TypeVar("ResultType")


class OcrmModal(ModalScreen[ResultType], Generic[ResultType]):
    """A dialog over the screen below (which keeps its state)."""

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failed_worker(event, self.app)

    def has_unsaved_input(self) -> bool:
        return False
