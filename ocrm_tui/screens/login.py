"""The first screen: who is at the terminal.

The database is opened by the app in a worker after the first paint; until it answers
this screen says it is connecting, and if it fails it shows why (naming the command
that fixes it) and refuses to log in. Checking the password runs in a worker too.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter


class LoginScreen(OcrmScreen):
    """Employee number and password; Enter submits."""

    BINDINGS = [
        Binding("ctrl+r", "retry_database", "Retry connection", id="login.retry",
                tooltip="Try to reach the database again"),
    ]

    @dataclass
    class Succeeded(Message):
        actor: object  # services.actor.Actor: plain frozen data
        token: str | None = None  # the session of this terminal (services.user_sessions)

    @dataclass
    class Failed(Message):
        message: str

    def __init__(self) -> None:
        super().__init__(id="login")
        self._busy = False
        # Enter pressed while the database was still connecting: log in once it answers.
        self._submit_when_ready = False

    def compose(self) -> ComposeResult:
        with Center(id="login-center"):
            with Vertical(id="login-card"):
                yield Static(_("OCRM"), id="login-title")
                yield Static(_("Operational CRM for branch staff"), id="login-subtitle")
                yield Label(_("Employee number"), classes="field-label")
                yield Input(id="employee-no", max_length=32, placeholder=_("e.g. T001"))
                yield Label(_("Password"), classes="field-label")
                yield Input(id="password", password=True, max_length=128)
                yield Static("", id="login-status", markup=False)
                yield Button(_("Log in"), id="login-button", variant="primary")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#employee-no", Input).focus()
        self.watch(self.app, "db_status", self._show_database_status)

    # -- what the user sees ---------------------------------------------------------

    def _set_status(self, text: str, kind: str = "info") -> None:
        status = self.query_one("#login-status", Static)
        status.update(text)
        for name in ("info", "error", "busy"):
            status.set_class(kind == name, f"-{name}")

    def _show_database_status(self, state: str) -> None:
        if state == "connecting":
            self._set_status(_("Connecting to the database…"), "busy")
        elif state == "failed":
            self._set_status(self.app.db_message, "error")  # type: ignore[attr-defined]
        else:
            self._set_status(_("Enter your employee number and password."))
        # No logging in until the database has answered (and it answered well).
        self.query_one("#login-button", Button).disabled = state != "ready"
        self.refresh_bindings()
        if state != "connecting" and self._submit_when_ready:
            self._submit_when_ready = False
            if state == "ready":
                self.submit()

    def show_message(self, text: str) -> None:
        """Say something on the form (after logging out, for example)."""
        self._set_status(text, "error")

    def reset(self, *, keep_employee_no: bool = False) -> None:
        """Ready for the next person: password cleared (and the number unless kept)."""
        self._busy = False
        self.query_one("#password", Input).value = ""
        employee = self.query_one("#employee-no", Input)
        if not keep_employee_no:
            employee.value = ""
        (self.query_one("#password", Input) if employee.value else employee).focus()
        self._show_database_status(self.app.db_status)  # type: ignore[attr-defined]

    # -- submitting -----------------------------------------------------------------

    @on(Input.Submitted, "#employee-no")
    def _employee_no_entered(self) -> None:
        password = self.query_one("#password", Input)
        if password.value:
            self.submit()
        else:
            password.focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login-button")
    def _password_entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        if self._busy:
            return
        state = self.app.db_status  # type: ignore[attr-defined]
        if state == "connecting":
            self._submit_when_ready = True
            self._set_status(_("Still connecting to the database; you will be logged in when it answers."), "busy")
            return
        if state == "failed":
            self._set_status(self.app.db_message, "error")  # type: ignore[attr-defined]
            return
        employee = self.query_one("#employee-no", Input)
        password = self.query_one("#password", Input)
        if not employee.value.strip():
            self._set_status(_("Enter your employee number."), "error")
            employee.focus()
            return
        if not password.value:
            self._set_status(_("Enter your password."), "error")
            password.focus()
            return
        self._busy = True
        self._set_status(_("Checking…"), "busy")
        self._authenticate(employee.value.strip(), password.value)

    # A fixed description: Textual otherwise logs the worker as a repr of its arguments.
    @work(thread=True, exclusive=True, exit_on_error=False, group="login", description="authenticate")
    def _authenticate(self, employee_no: str, password: str) -> None:
        from ocrm_tui.services import auth, user_sessions
        from ocrm_tui.services.errors import AuthenticationError

        app = self.app
        try:
            with app.session(write=True) as session:  # type: ignore[attr-defined]
                actor = auth.authenticate(session, employee_no, password, clock=app.clock,  # type: ignore[attr-defined]
                                          terminal=app.terminal_name, purpose="login")  # type: ignore[attr-defined]
                token = user_sessions.open_session(session, actor, terminal=app.terminal_name,  # type: ignore[attr-defined]
                                                   clock=app.clock)  # type: ignore[attr-defined]
        except AuthenticationError as exc:  # includes locked and disabled accounts
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Succeeded(actor, token))

    def on_login_screen_failed(self, message: Failed) -> None:
        self._busy = False
        self._set_status(message.message, "error")
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()

    def on_login_screen_succeeded(self, message: Succeeded) -> None:
        self._busy = False
        self.query_one("#password", Input).value = ""
        self.app.start_session(message.actor, message.token)  # type: ignore[attr-defined]

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            self._show_database_status(self.app.db_status)  # type: ignore[attr-defined]

    # -- the database ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry_database":
            return self.app.db_status == "failed"  # type: ignore[attr-defined]
        return True

    def action_retry_database(self) -> None:
        self.app.connect_database()  # type: ignore[attr-defined]
