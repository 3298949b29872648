"""The locked terminal: a screen over everything that hides what is below.

Only the same user's password unlocks it (checked like a login, recorded as an
"unlock" attempt); the screens below keep their unsaved input. A locked or disabled
account, or "switch user", goes back to the login screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter


class LockScreen(OcrmScreen):
    """Dismissed (with None) when the right password is given.

    A full, opaque screen pushed over everything (not a ModalScreen, so that the
    app's own keys — help, quit — stay active and shown); the screens below stay on
    the stack with their input.
    """

    BINDINGS = [
        Binding("f9", "switch_user", "Switch user", id="lock.switch_user",
                tooltip="Log out and let another person log in"),
    ]

    @dataclass
    class Unlocked(Message):
        pass

    @dataclass
    class Refused(Message):
        message: str

    @dataclass
    class AccountBlocked(Message):
        """Locked or disabled meanwhile: back to the login screen."""
        message: str

    def __init__(self, actor) -> None:
        super().__init__(id="lock")
        self.actor = actor
        self._busy = False

    def compose(self) -> ComposeResult:
        with Center(id="lock-center"):
            with Vertical(id="lock-card"):
                yield Static(_("Terminal locked"), id="lock-title")
                yield Static(_("Locked for {name} ({employee_no}). Enter your password to continue.",
                               name=self.actor.name, employee_no=self.actor.employee_no),
                             id="lock-who", markup=False)
                yield Label(_("Password"), classes="field-label")
                yield Input(id="unlock-password", password=True, max_length=128)
                yield Static("", id="lock-status", markup=False)
                with Horizontal(id="lock-buttons"):
                    yield Button(_("Unlock"), id="unlock-button", variant="primary")
                    yield Button(_("Switch user"), id="switch-user-button")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#unlock-password", Input).focus()

    def _set_status(self, text: str, kind: str = "error") -> None:
        status = self.query_one("#lock-status", Static)
        status.update(text)
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "busy", "-busy")

    @on(Input.Submitted, "#unlock-password")
    @on(Button.Pressed, "#unlock-button")
    def _submit(self) -> None:
        if self._busy:
            return
        password = self.query_one("#unlock-password", Input).value
        if not password:
            self._set_status(_("Enter your password."))
            return
        self._busy = True
        self._set_status(_("Checking…"), "busy")
        self._unlock(password)

    @on(Button.Pressed, "#switch-user-button")
    def _switch_pressed(self) -> None:
        self.action_switch_user()

    # A fixed description: Textual otherwise logs the worker as a repr of its arguments.
    @work(thread=True, exclusive=True, exit_on_error=False, group="unlock", description="unlock")
    def _unlock(self, password: str) -> None:
        from ocrm_tui.services import auth
        from ocrm_tui.services.errors import AccountDisabledError, AccountLockedError, AuthenticationError

        app = self.app
        try:
            with app.session(write=True) as session:  # type: ignore[attr-defined]
                auth.authenticate(session, self.actor.employee_no, password, clock=app.clock,  # type: ignore[attr-defined]
                                  terminal=app.terminal_name, purpose="unlock")  # type: ignore[attr-defined]
        except (AccountLockedError, AccountDisabledError) as exc:
            self.post_message(self.AccountBlocked(str(exc)))
            return
        except AuthenticationError as exc:
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self.Unlocked())

    def on_lock_screen_refused(self, message: Refused) -> None:
        self._busy = False
        self._set_status(message.message)
        field = self.query_one("#unlock-password", Input)
        field.value = ""
        field.focus()

    def on_lock_screen_unlocked(self, _message: Unlocked) -> None:
        self._busy = False
        self.dismiss(None)

    def on_lock_screen_account_blocked(self, message: AccountBlocked) -> None:
        self._busy = False
        self.app.end_session(message.message)  # type: ignore[attr-defined]

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            self._set_status("")

    def action_switch_user(self) -> None:
        self.app.end_session(None)  # type: ignore[attr-defined]
