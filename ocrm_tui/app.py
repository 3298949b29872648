"""The terminal application: login, the shell of panes, help, lock and quit.

Start-up draws the login screen before anything touches the database: SQLAlchemy,
SQLModel, Alembic and the services are imported only inside thread workers, after the
first paint. Every database call runs in a worker with its own short session and hands
plain data back by message; a worker that fails unexpectedly is shown as an error
dialog (``show_worker_failure``), never a crash.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ocrm_tui.commands import OcrmCommands, palette_commands
from ocrm_tui.i18n import _
from ocrm_tui.screens.dialogs import ConfirmDialog, ErrorDialog, SecretDialog
from ocrm_tui.screens.help import HelpScreen
from ocrm_tui.screens.lock import LockScreen
from ocrm_tui.screens.login import LoginScreen
from ocrm_tui.screens.shell import ShellScreen

DEFAULT_IDLE_LOCK_MINUTES = 15  # until the setting has been read from the database


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class OcrmApp(App[None], inherit_bindings=False):
    """The operational CRM in the terminal."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "OCRM"
    COMMANDS = {OcrmCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    # Not inherited from App: our own order in the footer, and every binding with an id.
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys and help for this screen"),
        Binding("ctrl+l", "lock", "Lock", id="app.lock", tooltip="Lock the terminal now", priority=True),
        Binding("ctrl+p", "command_palette", "Commands", id="app.command_palette", show=False,
                tooltip="Search the commands", priority=True),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave the application", priority=True),
        Binding("ctrl+c", "help_quit", "Quit", show=False, system=True, id="app.help_quit",
                tooltip="Say which key quits"),
    ]

    db_status: var[str] = var("connecting")
    """connecting → ready | failed (the login screen watches it)."""

    @dataclass
    class DatabaseReady(Message):
        database: Any  # ocrm_tui.db.engine.Database

    @dataclass
    class DatabaseFailed(Message):
        message: str

    @dataclass
    class IdleMinutesRead(Message):
        minutes: int
        check_seconds: int = 30

    @dataclass
    class SessionEnded(Message):
        """This terminal's session was ended elsewhere (account disabled, password changed …)."""
        token: str
        message: str

    def __init__(
        self,
        db_url: str | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        keymap: dict[str, str] | None = None,
        idle_check_seconds: float = 5.0,
        terminal_name: str | None = None,
        session_check_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.db_url = db_url
        self.clock: Callable[[], datetime] = clock or _utc_now
        self.database = None
        self.db_message = ""
        self.actor = None
        self.idle_minutes = DEFAULT_IDLE_LOCK_MINUTES
        self.idle_check_seconds = idle_check_seconds
        # How often the session is checked: the setting session.check_seconds unless given here.
        self.session_check_seconds = session_check_seconds
        self.session_token: str | None = None
        self._session_timer = None
        self.terminal_name = (terminal_name or f"tui@{socket.gethostname()}")[:64]
        self._keymap_from_config = dict(keymap or {})
        self._last_activity = self.clock()
        self.startup_warning: str | None = None

    # -- start-up -----------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return LoginScreen()

    def on_mount(self) -> None:
        self.title = _("OCRM")
        if self._keymap_from_config:
            self.set_keymap(self._keymap_from_config)
        if self.startup_warning:
            self.notify(self.startup_warning, severity="warning", timeout=15)
        self.set_interval(self.idle_check_seconds, self.check_idle_lock, name="idle-lock")
        # Open the database only once the login screen has been drawn.
        self.call_after_refresh(self.connect_database)

    def connect_database(self) -> None:
        self.db_status = "connecting"
        self._open_database()

    @work(thread=True, exclusive=True, exit_on_error=False, group="database")
    def _open_database(self) -> None:
        from ocrm_tui import services  # noqa: F401  (installs the audit listener)
        from ocrm_tui.config import open_database
        from ocrm_tui.services.errors import OcrmError

        try:
            database = open_database(self.db_url, ask_password=self._ask_database_password)
        except OcrmError as exc:  # unreachable, outdated schema: the message says what to do
            self.post_message(self.DatabaseFailed(str(exc)))
            return
        except Exception as exc:  # a driver failure we did not foresee: still one line, no crash
            self.post_message(self.DatabaseFailed(_("Cannot open the database: {reason}", reason=_first_line(exc))))
            return
        self.post_message(self.DatabaseReady(database))

    def _ask_database_password(self, reason: str) -> str:
        """From the database worker: no keyring holds the server's password, so ask for it.

        The dialog runs on the UI thread; this thread waits for its answer. Nothing is
        stored: the password lives only in this connection's engine.
        """
        import threading

        answered = threading.Event()
        answer: list[str | None] = [None]

        def done(value: str | None) -> None:
            answer[0] = value
            answered.set()

        dialog = SecretDialog(_("Database password"), reason + "\n" + _("Enter the database password to continue."))
        self.call_from_thread(self.push_screen, dialog, done)
        while not answered.wait(0.25):
            if not self.is_running:  # the application was closed meanwhile
                return ""
        return answer[0] or ""

    def on_ocrm_app_database_ready(self, message: DatabaseReady) -> None:
        if self.database is not None and self.database is not message.database:
            self.database.dispose()
        self.database = message.database
        self.db_message = ""
        self.db_status = "ready"

    def on_ocrm_app_database_failed(self, message: DatabaseFailed) -> None:
        self.database = None
        self.db_message = message.message
        # Set the message before the state: the login screen reads it when the state changes.
        if self.db_status == "failed":
            self.mutate_reactive(OcrmApp.db_status)
        self.db_status = "failed"

    @contextmanager
    def session(self, *, write: bool = False):
        """One short-lived session for one unit of work (call from a worker)."""
        if self.database is None:
            from ocrm_tui.services.errors import DatabaseUnavailable

            raise DatabaseUnavailable(self.db_message or _("The database is not connected."))
        with self.database.session(write=write) as s:
            yield s

    def on_unmount(self) -> None:
        if self.database is not None:
            if self.session_token is not None:
                self._close_session_now(self.session_token)
            self.database.dispose()

    # -- who is logged in -------------------------------------------------------------

    def start_session(self, actor, token: str | None = None) -> None:
        """After a successful login: the shell, the idle-lock policy and the session checks."""
        self.actor = actor
        self.session_token = token
        self._last_activity = self.clock()
        self.push_screen(ShellScreen(actor))
        self._read_idle_minutes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="settings")
    def _read_idle_minutes(self) -> None:
        from ocrm_tui.services.settings import get_setting

        with self.session() as s:
            minutes = get_setting(s, "idle_lock.minutes")
            check_seconds = get_setting(s, "session.check_seconds")
        self.post_message(self.IdleMinutesRead(int(minutes), int(check_seconds)))

    def on_ocrm_app_idle_minutes_read(self, message: IdleMinutesRead) -> None:
        self.idle_minutes = message.minutes
        if self._session_timer is not None:
            self._session_timer.stop()
        if self.session_token is not None:
            seconds = self.session_check_seconds or message.check_seconds
            self._session_timer = self.set_interval(seconds, self.check_session, name="session-check")

    # -- the session of this terminal ------------------------------------------------

    def check_session(self) -> None:
        """Report in; an ended session (disabled account, password changed elsewhere, an
        administrator's logout) drops the terminal to the login screen."""
        if self.actor is not None and self.session_token is not None:
            self._check_in(self.session_token)

    @work(thread=True, exclusive=True, exit_on_error=False, group="session-check", description="session check")
    def _check_in(self, token: str) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from ocrm_tui.services import user_sessions
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.session(write=True) as s:
                reason = user_sessions.check_in(s, token, clock=self.clock)
        except (SQLAlchemyError, OcrmError) as exc:  # the database is away: try again at the next check
            self.log.warning(f"session check failed: {exc!r}")
            return
        if reason is not None:
            self.post_message(self.SessionEnded(token, user_sessions.ended_message(reason)))

    def on_ocrm_app_session_ended(self, message: SessionEnded) -> None:
        if message.token == self.session_token:
            self.session_token = None  # ended already: nothing to close
            self.end_session(message.message)

    @work(thread=True, exit_on_error=False, group="session-close", description="session close")
    def _close_session(self, token: str) -> None:
        self._close_session_now(token)

    def _close_session_now(self, token: str) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from ocrm_tui.services import user_sessions
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.session(write=True) as s:
                user_sessions.close_session(s, token, clock=self.clock)
        except (SQLAlchemyError, OcrmError) as exc:  # it will count as gone once it stops reporting
            self.log.warning(f"closing the session failed: {exc!r}")

    def end_session(self, message: str | None = None) -> None:
        """Back to the login screen (switch user, or an account locked meanwhile).

        Whatever the previous user left on screen is discarded with their screens.
        """
        if self._session_timer is not None:
            self._session_timer.stop()
            self._session_timer = None
        if self.session_token is not None:
            self._close_session(self.session_token)
            self.session_token = None
        self.actor = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        login = self.screen_stack[0]
        if isinstance(login, LoginScreen):
            login.reset(keep_employee_no=message is not None)
            if message:
                login.show_message(message)

    # -- lock -------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return any(isinstance(screen, LockScreen) for screen in self.screen_stack)

    def action_lock(self) -> None:
        if self.actor is None or self.is_locked:
            return
        self.push_screen(LockScreen(self.actor), callback=self._unlocked)

    def _unlocked(self, _result: None) -> None:
        self._last_activity = self.clock()

    async def on_event(self, event: events.Event) -> None:
        # Any key or mouse input counts as someone at the terminal.
        if isinstance(event, (events.Key, events.MouseEvent, events.Paste)) and not event.is_forwarded:
            self._last_activity = self.clock()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock when nobody has touched the terminal for the idle-lock minutes."""
        if self.actor is None or self.is_locked or self.idle_minutes <= 0:
            return
        if self.clock() - self._last_activity >= timedelta(minutes=self.idle_minutes):
            self.action_lock()

    # -- keys, help, palette, quit -----------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock":
            return self.actor is not None and not self.is_locked
        if action == "command_palette":
            return not self.is_locked
        return True

    def get_key_display(self, binding: Binding) -> str:
        """Keys as staff read them on a keyboard: F2, Ctrl+L, Esc (not f2, ^l)."""
        if binding.key_display:
            return binding.key_display
        return key_label(binding.key)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not self.is_locked and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=_("Search for commands…"), id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in palette_commands(self, screen):
            yield SystemCommand(command.title, command.help, command.callback)

    def show_pane(self, pane_id: str) -> None:
        """Bring a pane of the shell to the front (from the palette)."""
        if self.actor is None or self.is_locked:
            return
        if isinstance(self.screen, ShellScreen):
            self.screen.action_show_pane(pane_id)

    def screens_with_unsaved_input(self) -> list[Screen]:
        return [screen for screen in self.screen_stack
                if callable(getattr(screen, "has_unsaved_input", None)) and screen.has_unsaved_input()]

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmDialog):
            return
        if not self.screens_with_unsaved_input():
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmDialog(_("Quit?"), _("Some of what you typed has not been saved. Quit anyway and lose it?"),
                          yes=_("Quit and lose it"), no=_("Stay")),
            callback=answered,
        )

    def action_help_quit(self) -> None:
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(_("Press {key} to quit.", key=self.get_key_display(active.binding)))
                return

    # -- failures -----------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _app_worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.show_worker_failure(event.worker)

    def show_worker_failure(self, worker: Worker) -> None:
        """The one place where an unexpected worker failure becomes an error dialog."""
        from ocrm_tui.services.errors import OcrmError

        from sqlalchemy.exc import OperationalError

        error = worker.error
        if isinstance(error, OcrmError):
            title, text = _("The operation was refused"), str(error)
        elif isinstance(error, OperationalError):  # the server or the file went away
            title = _("The database cannot be reached")
            text = _("{reason}\nWhat you typed is kept; try again when the database is back.",
                     reason=_first_line(error))
        else:
            self.log.error(f"worker {worker.name!r} failed: {error!r}")
            title = _("Something went wrong")
            text = _("{what} failed: {reason}", what=type(error).__name__, reason=_first_line(error))
        self.push_screen(ErrorDialog(title, text))


_KEY_NAMES = {"escape": "Esc", "enter": "Enter", "space": "Space", "tab": "Tab", "delete": "Del",
              "backspace": "Backspace", "up": "↑", "down": "↓", "left": "←", "right": "→",
              "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End", "insert": "Ins"}


def key_label(key: str) -> str:
    """'ctrl+l' → 'Ctrl+L', 'f2' → 'F2', 'escape' → 'Esc' (the first of several keys)."""
    *modifiers, name = key.split(",")[0].strip().split("+")
    name = _KEY_NAMES.get(name, name.upper() if len(name) <= 3 else name.capitalize())
    return "+".join([*(m.capitalize() for m in modifiers), name])


def _first_line(exc: BaseException | None) -> str:
    text = str(getattr(exc, "orig", None) or exc or "").strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_keymap() -> tuple[dict[str, str], str | None]:
    """The `[keys]` table of the configuration file (binding id → key), and any problem."""
    from ocrm_tui.config import ConfigError, load_config

    try:
        keys = load_config().get("keys", {})
    except ConfigError as exc:
        return {}, str(exc)
    if not isinstance(keys, dict):
        return {}, _("The [keys] table of the configuration file must map binding ids to keys.")
    return {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}, None


def create_app(db_url: str | None = None, *, clock: Callable[[], datetime] | None = None) -> OcrmApp:
    """The application as `ocrm tui` starts it (also used by the snapshot tests)."""
    keymap, problem = load_keymap()
    app = OcrmApp(db_url, clock=clock, keymap=keymap)
    app.startup_warning = problem
    return app
