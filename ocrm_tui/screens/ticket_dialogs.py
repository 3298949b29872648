"""Dialogs the ticket screens share: a text to write (a solution, a note, an answer) and a
member of staff to pick (whom to assign a ticket to, whom to ask for help)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Static, TextArea

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal


class TextDialog(OcrmModal[str | None]):
    """Asks for a text of several lines. Ctrl+S saves (dismisses with the text), Escape
    cancels (None). A text that is required but empty, or too long, is refused here with a
    message and kept; the service checks it again."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="text_dialog.save", tooltip="Save the text", priority=True),
        Binding("escape", "cancel", "Cancel", id="text_dialog.cancel", tooltip="Close without saving"),
    ]
    DEFAULT_CSS = """
    TextDialog .dialog { width: 80; max-width: 100%; }
    TextDialog TextArea { height: 8; margin-bottom: 1; }
    TextDialog #text-count { height: 1; color: $text-muted; }
    TextDialog #text-error { height: auto; color: $text-error; }
    """

    def __init__(self, title: str, prompt: str, *, max_length: int, required: bool = True, initial: str = "",
                 save_label: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._prompt = title, prompt
        self.max_length, self.required, self._initial = max_length, required, initial
        self._save_label = save_label or _("Save")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._prompt, classes="dialog-message", markup=False)
            yield TextArea(self._initial, id="text-body", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="text-count", markup=False)
            yield Static("", id="text-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._save_label + " (Ctrl+S)", variant="primary", id="text-save")
                yield Button(_("Cancel"), id="text-cancel")

    def on_mount(self) -> None:
        area = self.query_one("#text-body", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._count()

    @on(TextArea.Changed, "#text-body")
    def _count(self) -> None:
        n = len(self.query_one("#text-body", TextArea).text.strip())
        counter = self.query_one("#text-count", Static)
        counter.update(_("{n} of at most {max} characters", n=f"{n:,}", max=f"{self.max_length:,}"))
        counter.set_class(n > self.max_length, "-over")

    @property
    def text(self) -> str:
        return self.query_one("#text-body", TextArea).text

    def has_unsaved_input(self) -> bool:
        return bool(self.text.strip()) and self.text != self._initial

    def action_save(self) -> None:
        text = self.text.strip()
        error = self.query_one("#text-error", Static)
        if self.required and not text:
            error.update(_("Write the text first"))
            return
        if len(text) > self.max_length:
            error.update(_("At most {max} characters: shorten it by {n}", max=f"{self.max_length:,}",
                           n=f"{len(text) - self.max_length:,}"))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "text-save":
            self.action_save()
        else:
            self.dismiss(None)


class StaffTable(DataTable):
    pass


class StaffPickerDialog(OcrmModal[object]):
    """Find a member of staff by employee number or name; Enter picks the highlighted one.

    Dismisses with the ``services.tickets.StaffChoice`` picked, or None. ``for_assignment``:
    only staff a manager may assign to (their branch subtree); otherwise anyone active.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="staff_picker.cancel", tooltip="Close without choosing"),
    ]
    # Its own card class: the app's `.dialog` rule (width 64, height auto) would win over this
    # DEFAULT_CSS and cut the table's last columns.
    DEFAULT_CSS = """
    StaffPickerDialog .staff-card {
        width: 90; max-width: 100%; height: 24; max-height: 100%; padding: 1 2; background: $surface;
        border: round $primary;
    }
    StaffPickerDialog StaffTable { height: 1fr; }
    StaffPickerDialog #staff-status { height: 1; color: $text-muted; }
    """

    def __init__(self, title: str, *, for_assignment: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self.for_assignment = for_assignment
        self._choices: list = []
        self._timer = None
        self._text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="staff-card"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Input(placeholder=_("Employee number or name"), id="staff-search", max_length=50)
            yield Static(_("Searching…"), id="staff-status", markup=False)
            yield StaffTable(id="staff-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(StaffTable)
        table.add_column(_("Employee no."), key="no", width=10)
        table.add_column(_("Staff name"), key="name", width=12)
        table.add_column(_("Role"), key="role", width=14)
        table.add_column(_("Branch"), key="org", width=16)
        table.add_column(_("Skills"), key="skills", width=14)
        table.add_column(_("Open tickets"), key="load", width=8)
        self.query_one("#staff-search", Input).focus()
        self._find("")

    @on(Input.Changed, "#staff-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.2, lambda: self._find(event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-search", description="find staff")
    def _find(self, text: str) -> None:
        from ocrm_tui.services import tickets

        self._text = text
        with self.app.session() as s:  # type: ignore[attr-defined]
            choices = tickets.find_staff(s, self.app.actor, text, for_assignment=self.for_assignment)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, text, choices)

    def _show(self, text: str, choices: list) -> None:
        from ocrm_tui.services.tickets import role_name

        if text != self._text:
            return
        self._choices = choices
        table = self.query_one(StaffTable)
        table.clear()
        for c in choices:
            table.add_row(c.employee_no, c.name, role_name(c.role), c.org_name, c.skills or "—", str(c.open_tickets),
                          key=str(c.id))
        self.query_one("#staff-status", Static).update(
            _("{n} found: ↓ to choose, Enter to pick", n=len(choices)) if choices else _("Nobody found"))

    @on(Input.Submitted, "#staff-search")
    def _enter(self) -> None:
        if len(self._choices) == 1:
            self.dismiss(self._choices[0])
        elif self._choices:
            self.query_one(StaffTable).focus()

    def on_key(self, event) -> None:
        if event.key == "down" and self.focused is self.query_one("#staff-search") and self._choices:
            self.query_one(StaffTable).focus()
            event.stop()

    @on(DataTable.RowSelected, "#staff-table")
    def _picked(self, event: DataTable.RowSelected) -> None:
        picked = next((c for c in self._choices if str(c.id) == event.row_key.value), None)
        if picked is not None:
            self.dismiss(picked)

    def action_cancel(self) -> None:
        self.dismiss(None)
