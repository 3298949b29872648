"""The dialogs of a batch action in the ticket queue (F3).

Before: a confirmation that names the action and how many tickets it touches, with what
will be written on each (the solution, the new assignee). After: when some tickets could
not be moved, the list of those tickets and why ("T0000012 already closed by 王经理").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal
from ocrm_tui.screens.dialogs import ConfirmDialog

RESULT_ROWS_SHOWN = 1_000  # beyond this the dialog says how many more failed


def tickets_phrase(numbers: list[str]) -> str:
    """'T0000012' for one ticket, '37 tickets' for several (the confirmations and notices)."""
    if len(numbers) == 1:
        return numbers[0]
    return _("{n} tickets", n=f"{len(numbers):,}")


class BatchConfirmDialog(ConfirmDialog):
    """A yes/no question about a batch action, with what it writes shown below it.

    Dismisses True (yes) or False (no, Escape); the keys are ConfirmDialog's (Y, N, Escape).
    """

    DEFAULT_CSS = """
    BatchConfirmDialog .dialog { width: 72; max-width: 100%; }
    BatchConfirmDialog #batch-detail {
        height: auto; max-height: 10; margin-top: 1; padding: 0 1;
        border-left: thick $primary; color: $text-muted;
    }
    """

    def __init__(self, title: str, question: str, *, detail: str = "", yes: str, no: str) -> None:
        super().__init__(title, question, yes=yes, no=no)
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", id="batch-question", markup=False)
            if self._detail:
                yield Static(self._detail, id="batch-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes, variant="warning", id="dialog-yes")
                yield Button(self._no, variant="default", id="dialog-no")

    def on_mount(self) -> None:
        # The safe answer has the focus: Enter alone does nothing irreversible.
        self.query_one("#dialog-no", Button).focus()


class FailureTable(DataTable):
    pass


class BatchResultDialog(OcrmModal[None]):
    """What a batch action did: how many succeeded, then each ticket it could not move and why.

    ``failures`` are (ticket number, reason) pairs. Enter or Escape closes it.
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="ticket_batch.close", tooltip="Close this message"),
    ]
    DEFAULT_CSS = """
    BatchResultDialog .dialog { width: 80; max-width: 100%; height: auto; max-height: 90%; }
    BatchResultDialog FailureTable { height: auto; max-height: 16; margin-top: 1; }
    BatchResultDialog #result-more { height: auto; color: $text-muted; }
    """

    def __init__(self, title: str, summary: str, failures: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._summary = title, summary
        self.failures = failures

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-error"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._summary, classes="dialog-message", id="result-summary", markup=False)
            yield FailureTable(id="result-failures", cursor_type="row", zebra_stripes=True)
            hidden = len(self.failures) - RESULT_ROWS_SHOWN
            if hidden > 0:
                yield Static(_("… and {n} more", n=f"{hidden:,}"), id="result-more", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="result-ok")

    def on_mount(self) -> None:
        table = self.query_one(FailureTable)
        table.add_column(_("Ticket"), key="no", width=8)
        table.add_column(_("Why it was not moved"), key="reason")
        table.add_rows([(number, reason) for number, reason in self.failures[:RESULT_ROWS_SHOWN]])
        table.focus()  # ↑↓ read a long list; Enter or Escape closes

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def lines(self) -> list[str]:
        """The failures as shown, one 'number reason' line each (for tests and logs)."""
        return [f"{number} {reason}" for number, reason in self.failures[:RESULT_ROWS_SHOWN]]
