"""Small typed dialogs: a yes/no question and an error message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal


class ConfirmDialog(OcrmModal[bool]):
    """Asks a question; dismisses with True (yes) or False (no, Escape)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel", id="dialog.cancel", tooltip="Close without doing it"),
        Binding("y", "answer(True)", "Yes", show=False, id="dialog.yes", tooltip="Answer yes"),
        Binding("n", "answer(False)", "No", show=False, id="dialog.no", tooltip="Answer no"),
    ]

    def __init__(self, title: str, message: str, *, yes: str, no: str) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._message, self._yes, self._no = title, message, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes, variant="error", id="dialog-yes")
                yield Button(self._no, variant="default", id="dialog-no")

    def on_mount(self) -> None:
        self.query_one("#dialog-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "dialog-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ErrorDialog(OcrmModal[None]):
    """Shows what went wrong; Enter or Escape closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="dialog.close", tooltip="Close this message"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-error"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", id="error-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="dialog-ok")

    def on_mount(self) -> None:
        self.query_one("#dialog-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class SecretDialog(OcrmModal[str | None]):
    """Asks for a secret that cannot be kept in a keyring; dismisses with it, or None (Escape)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel_secret", tooltip="Do not give the password"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._message = title, message

    def compose(self) -> ComposeResult:
        from textual.widgets import Input

        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", markup=False)
            yield Input(id="secret", password=True, max_length=256)

    def on_mount(self) -> None:
        self.query_one("#secret").focus()

    def on_input_submitted(self, event) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
