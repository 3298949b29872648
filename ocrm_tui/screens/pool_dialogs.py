"""The dialogs of the customer pool: which relationship manager (whose book to see, whom to
move customers to), and what a batch did (how many were changed, each refusal and why)."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events, work
from textual.widgets import DataTable, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.ticket_batch import RESULT_ROWS_SHOWN, BatchResultDialog, FailureTable
from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog, StaffTable


class RmPickerDialog(StaffPickerDialog):
    """Find an active relationship manager of the user's branch by employee number or name; Enter
    picks. Dismisses with the ``services.pool.RmChoice`` picked, or None. ``exclude``: an RM not
    to offer (the one whose book is shown, when moving customers out of it)."""

    def __init__(self, title: str, *, exclude: int | None = None) -> None:
        super().__init__(title)
        self.exclude = exclude

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # the staff picker's own columns are not these
        table = self.query_one(StaffTable)
        for key, header, least in (("no", _("Employee no."), 8), ("name", _("Staff name"), 14),
                                   ("org", _("Branch"), 20), ("book", _("Customers in the book"), 8)):
            table.add_column(header, key=key, width=max(least, cell_len(header)))
        self.query_one("#staff-search").focus()
        self._find("")

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-search", description="find RMs")
    def _find(self, text: str) -> None:
        from ocrm_tui.services import pool

        self._text = text
        with self.app.session() as s:  # type: ignore[attr-defined]
            choices = pool.rms_in_scope(s, self.app.actor, text=text)  # type: ignore[attr-defined]
        choices = [c for c in choices if c.id != self.exclude]
        self.app.call_from_thread(self._show, text, choices)

    def _show(self, text: str, choices: list) -> None:
        if text != self._text:
            return
        self._choices = choices
        table = self.query_one(StaffTable)
        table.clear()
        for c in choices:
            table.add_row(c.employee_no, c.name, c.org_name, f"{c.book_size:,}", key=str(c.id))
        self.query_one("#staff-status", Static).update(
            _("{n} found: ↓ to choose, Enter to pick", n=len(choices)) if choices else _("Nobody found"))


class PoolResultDialog(BatchResultDialog):
    """What a claim, a release or a move did: the summary, then each customer it could not
    change and why ("9200000001 王二 already claimed by 李客户经理"). ``failures`` are
    (customer number, name, reason) triples. Enter or Escape closes it."""

    def __init__(self, title: str, summary: str, failures: list[tuple[str, str, str]]) -> None:
        super().__init__(title, summary, failures)  # type: ignore[arg-type]

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # the ticket batch's own columns are not these
        table = self.query_one(FailureTable)
        for key, header, least in (("no", _("Customer no."), 10), ("name", _("Customer name"), 8)):
            table.add_column(header, key=key, width=max(least, cell_len(header)))
        table.add_column(_("Why not"), key="reason")
        table.add_rows([(no or "—", name or "—", reason) for no, name, reason in self.failures[:RESULT_ROWS_SHOWN]])
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(None)

    def lines(self) -> list[str]:
        return [f"{no} {name} {reason}".strip() for no, name, reason in self.failures[:RESULT_ROWS_SHOWN]]
