"""Handling an alert or a reminder: what was done about it, and a note (a reason when nothing was).

The dialog checks what it can (a choice made, a reason for "no action", the note's
length) and keeps what was typed; the service checks again and its refusal comes back
to the same dialog with the input as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal

NOTE_MAX = 500


@dataclass(frozen=True)
class Handling:
    action: str
    note: str


class HandleAlertDialog(OcrmModal["Handling | None"]):
    """Choose what was done (↑/↓ or the digit), write a note, Ctrl+S records it; Escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Record", id="alert_dialog.save", tooltip="Record what was done", priority=True),
        Binding("escape", "cancel", "Cancel", id="alert_dialog.cancel", tooltip="Close without recording"),
    ]
    DEFAULT_CSS = """
    HandleAlertDialog .dialog { width: 76; max-width: 100%; }
    HandleAlertDialog RadioSet { width: 1fr; margin-bottom: 1; }
    HandleAlertDialog #alert-error { height: auto; color: $text-error; margin-top: 1; }
    """

    def __init__(self, title: str, text: str, *, action: str | None = None, note: str = "",
                 error: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._text, self._action, self._note, self._error = title, text, action, note, error

    def compose(self) -> ComposeResult:
        from ocrm_tui.services.alerts import ACTIONS, action_label

        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._text, classes="dialog-message", markup=False)
            yield Label(_("What was done"), classes="field-label")
            with RadioSet(id="alert-action"):
                for number, action in enumerate(ACTIONS, start=1):
                    yield RadioButton(f"{number} {action_label(action)}", value=action == self._action,
                                      id=f"action-{action}")
            yield Label(_("Note (the reason, when nothing was done)"), classes="field-label")
            yield Input(self._note, id="alert-note", max_length=NOTE_MAX,
                        placeholder=_("e.g. called, customer will visit on Friday"))
            yield Static(self._error, id="alert-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Record") + " (Ctrl+S)", variant="primary", id="alert-save")
                yield Button(_("Cancel"), id="alert-cancel")

    def on_mount(self) -> None:
        if self._action is not None and self._error:
            self.query_one("#alert-note", Input).focus()  # the refusal was about the note
        else:
            self.query_one("#alert-action", RadioSet).focus()

    def on_key(self, event) -> None:
        from ocrm_tui.services.alerts import ACTIONS

        # A digit picks an action while the choices have focus (the note takes digits as text).
        if self.focused is self.query_one("#alert-action", RadioSet) and event.key.isdigit():
            index = int(event.key) - 1
            if 0 <= index < len(ACTIONS):
                self.query_one(f"#action-{ACTIONS[index]}", RadioButton).value = True
                event.stop()

    @property
    def action(self) -> str | None:
        pressed = self.query_one("#alert-action", RadioSet).pressed_button
        return pressed.id.removeprefix("action-") if pressed is not None and pressed.id else None

    @property
    def note(self) -> str:
        return self.query_one("#alert-note", Input).value

    @property
    def error(self) -> str:
        return str(self.query_one("#alert-error", Static).render())

    def has_unsaved_input(self) -> bool:
        return bool(self.note.strip())

    @on(Input.Submitted, "#alert-note")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        error = self.query_one("#alert-error", Static)
        action, note = self.action, self.note.strip()
        if action is None:
            error.update(_("Choose what was done"))
            self.query_one("#alert-action", RadioSet).focus()
            return
        if action == "no_action" and not note:
            error.update(_("Write why nothing was done"))
            self.query_one("#alert-note", Input).focus()
            return
        self.dismiss(Handling(action, note))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "alert-save":
            self.action_save()
        else:
            self.dismiss(None)
