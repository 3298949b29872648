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


class RecordScreen(OcrmScreen):
    """A screen of one record (a ticket, a campaign) read in a worker of group ``RECORD`` and
    changed in one of group ``RECORD-change``, with a state line ``#RECORD-state`` over its
    body ``#RECORD-body``. Subclasses set ``loading``, ``busy``, ``error`` and ``view``."""

    RECORD = ""

    def could_not_load(self) -> str:
        """The state line when reading the record failed unexpectedly."""
        raise NotImplementedError

    def _set_state(self, text: str, *, error: bool = False) -> None:
        from textual.widgets import Static

        state = self.query_one(f"#{self.RECORD}-state", Static)
        state.update(text)
        state.set_class(error, "-error")
        state.set_class(not text, "-hidden")

    def _load_failed(self, generation: int, message: str) -> None:
        """A refusal while reading (the record is gone or out of scope): say so in its place."""
        if generation != self._generation:
            return
        self.loading = False
        self.error = message
        if self.view is None:
            self.query_one(f"#{self.RECORD}-body").add_class("-hidden")
        self._set_state(message, error=True)
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _record_worker_ended(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is shown by the app's error dialog (OcrmScreen); here the screen
        # only stops saying it is busy.
        if event.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.worker.group == self.RECORD:
            self.loading = False
            if self.view is None:
                self._set_state(self.could_not_load(), error=True)
        elif event.worker.group == f"{self.RECORD}-change":
            self.busy = False
        self.refresh_bindings()


ResultType = TypeVar("ResultType")


class OcrmModal(ModalScreen[ResultType], Generic[ResultType]):
    """A dialog over the screen below (which keeps its state)."""

    @on(Worker.StateChanged)
    def _report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failed_worker(event, self.app)

    def has_unsaved_input(self) -> bool:
        return False
