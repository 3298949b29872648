"""The terminal application, driven through Textual's Pilot as a person would use it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, ContentSwitcher, Input, Label, Static

from ocrm_tui.app import OcrmApp, create_app
from ocrm_tui.db import migrate
from ocrm_tui.db.engine import Database
from ocrm_tui.i18n import set_language
from ocrm_tui.locale_zh import ZH
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.screens.dialogs import ConfirmDialog, ErrorDialog
from ocrm_tui.screens.help import HelpScreen
from ocrm_tui.screens.lock import LockScreen
from ocrm_tui.screens.login import LoginScreen
from ocrm_tui.screens.shell import ShellScreen
from ocrm_tui.services import auth, settings, users
from ocrm_tui.services.errors import AuthenticationError
from tests.conftest import PASSWORD

SIZE = (120, 36)
# Screens that only show what they were given: one backend is enough.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PKG = Path(__file__).resolve().parent.parent / "ocrm_tui"


class DraftScreen(OcrmScreen):
    """A stand-in for a form with unsaved input (later screens answer the same way)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="draft.back", tooltip="Back")]

    def compose(self) -> ComposeResult:
        yield Input(id="draft")

    def on_mount(self) -> None:
        self.query_one("#draft", Input).focus()

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#draft", Input).value)


async def settle(app, pilot) -> None:
    """Wait until every worker has answered and its messages have been handled.

    The database is opened by a worker started after the first paint: on a busy
    machine that worker may not exist yet at the first pause, so wait for it too.
    """
    for _ in range(200):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if getattr(app, "db_status", None) != "connecting":
            return


async def type_text(pilot, text: str) -> None:
    """Type into the focused field (as a paste: one key event per character is slow)."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), focused
    focused.insert_text_at_cursor(text)
    await pilot.pause()


async def log_in(app, pilot, employee_no: str, password: str) -> None:
    await settle(app, pilot)
    assert isinstance(app.screen, LoginScreen)
    employee = app.screen.query_one("#employee-no", Input)
    employee.value = ""
    employee.focus()
    await pilot.pause()
    await type_text(pilot, employee_no)
    await pilot.press("enter")  # to the password field
    assert app.focused is app.screen.query_one("#password", Input)
    await type_text(pilot, password)
    await pilot.press("enter")
    await settle(app, pilot)


def status_text(screen, selector: str = "#login-status") -> str:
    return str(screen.query_one(selector, Static).render())


def header_text(app) -> str:
    return " | ".join(str(label.render()) for label in app.screen.query("#app-header Label").results(Label))


# -- login -------------------------------------------------------------------------------


async def test_a_teller_logs_in_and_the_shell_shows_who_and_where(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        assert isinstance(app.screen, ShellScreen)
        header = header_text(app)
        assert "陈柜员 (T001)" in header
        assert "Teller" in header
        assert "人民路网点" in header
        assert app.actor.employee_no == "T001"
        # the work platform is in front: a teller's has the counter queue, empty so far
        assert app.screen.query_one("#panes", ContentSwitcher).current == "work"
        await settle(app, pilot)
        assert "Nothing waits for you today" in " ".join(
            str(s.render()) for s in app.screen.query("#work Static").results(Static))


async def test_a_wrong_password_says_so_without_saying_which_and_keeps_the_number(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", "not-the-password")
        screen = app.screen
        assert isinstance(screen, LoginScreen)
        assert status_text(screen) == "Wrong employee number or password"
        assert screen.query_one("#password", Input).value == ""
        assert screen.query_one("#employee-no", Input).value == "T001"
        assert screen.focused is screen.query_one("#password", Input)

        await log_in(app, pilot, "NOBODY", PASSWORD)  # an unknown number reads the same
        assert status_text(app.screen) == "Wrong employee number or password"


async def test_a_locked_account_is_told_it_is_locked(db_url, branch, clock, db):
    for _ in range(5):  # the lockout policy: five failures in a row
        with db.session(write=True) as s, pytest.raises(AuthenticationError):
            auth.authenticate(s, "R001", "wrong-password", clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)  # even the right password
        assert isinstance(app.screen, LoginScreen)
        assert status_text(app.screen).startswith("This account is locked until")
        assert app.actor is None


async def test_a_disabled_account_is_told_so(db_url, branch, clock, db, system):
    with db.session(write=True) as s:
        users.disable_user(s, system, "R002", clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R002", PASSWORD)
        assert status_text(app.screen) == "This account is disabled. Ask an administrator."
        assert isinstance(app.screen, LoginScreen)


async def test_the_login_screen_says_it_is_connecting_until_the_database_answers(tmp_path, monkeypatch):
    import threading

    import ocrm_tui.config

    answer = threading.Event()
    real_open = ocrm_tui.config.open_database

    def slow_open(url, **kwargs):
        answer.wait(10)
        return real_open(url, **kwargs)

    monkeypatch.setattr(ocrm_tui.config, "open_database", slow_open)
    app = create_app(f"sqlite:///{tmp_path / 'new.db'}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.db_status == "connecting"
        assert status_text(app.screen) == "Connecting to the database…"
        assert app.screen.query_one("#login-button", Button).disabled
        app.screen.query_one("#employee-no", Input).value = "T001"
        app.screen.query_one("#password", Input).value = PASSWORD
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        assert status_text(app.screen) == "Still connecting to the database; you will be logged in when it answers."
        assert isinstance(app.screen, LoginScreen)

        answer.set()
        await settle(app, pilot)
        assert app.db_status == "ready"
        # The Enter pressed while connecting was not lost: the login was tried (this new
        # database has no staff yet, so it is refused like any wrong login).
        assert status_text(app.screen) == "Wrong employee number or password"
        assert not app.screen.query_one("#login-button", Button).disabled
        assert (tmp_path / "new.db").exists()  # a new SQLite file is created at schema head


async def test_an_outdated_database_is_refused_naming_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.engine.begin() as conn:  # tables without a recorded revision: older than the code
        conn.exec_driver_sql("DELETE FROM alembic_version")
    db.dispose()
    app = create_app(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.db_status == "failed"
        message = status_text(app.screen)
        assert "ocrm db upgrade" in message
        # and it will not log anyone in
        await log_in(app, pilot, "T001", PASSWORD)
        assert isinstance(app.screen, LoginScreen)
        assert "ocrm db upgrade" in status_text(app.screen)
        assert app.actor is None

        # IT runs the upgrade meanwhile (here: records the revision again); Ctrl+R retries
        db = Database(url)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{migrate.head_revision()}')")
        db.dispose()
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.db_status == "ready"
        assert status_text(app.screen) == "Enter your employee number and password."


async def test_an_unreachable_database_is_shown_on_the_login_screen():
    app = create_app("postgresql://nobody@127.0.0.1:9/none")  # nothing listens on port 9
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.db_status == "failed"
        assert status_text(app.screen).startswith("Cannot reach the database postgresql+psycopg://nobody@127.0.0.1:9/none")
        assert not app.query("ErrorDialog")  # an expected failure: a message, not a crash dialog


# -- the shell ---------------------------------------------------------------------------


@SQLITE_ONLY
async def test_f2_to_f5_bring_each_pane_to_the_front(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        switcher = app.screen.query_one("#panes", ContentSwitcher)
        expected = {
            "f2": ("customers", "Customer search", "Type an ID number, a mobile, a customer number or a name"),
            "f3": ("tickets", "My tickets", "No new or unread tickets"),
            "f4": ("campaigns", "Campaigns", "No campaign has customers of yours on its list yet."),
            "f5": ("work", "Work platform", "Nothing waits for you today"),
        }
        for key, (pane_id, title, message) in expected.items():
            await pilot.press(key)
            await settle(app, pilot)  # the ticket queue arrives from a worker
            assert switcher.current == pane_id
            assert str(app.screen.query_one("#header-pane", Label).render()) == title
            pane = app.screen.query_one(f"#{pane_id}")
            assert pane.display and message in " ".join(str(s.render()) for s in pane.query(Static).results(Static))


@SQLITE_ONLY
async def test_f1_lists_the_keys_of_this_screen_and_the_global_ones(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_screen = app.screen
        # the work platform is in front: its keys (H only on an alert: there is none), then the panes
        assert help_screen.keys_here == [("Tab / →", "Next section"), ("Shift+Tab / ←", "Previous section"),
                                         ("P", "Customer pool"), ("1–6", "Show a section by its number"),
                                         ("F2", "Customers"), ("F3", "My tickets"), ("F4", "Campaigns"),
                                         ("F5", "Work platform"), ("F6", "Reports"), ("F7", "Access requests")]
        everywhere = dict(help_screen.keys_everywhere)
        assert everywhere["F1"] == "Help"
        assert everywhere["Ctrl+L"] == "Lock"
        assert everywhere["Ctrl+Q"] == "Quit"
        assert everywhere["Tab / Shift+Tab"] == "Next / previous field"
        assert everywhere["Escape"] == "Back or cancel"
        await pilot.press("escape")
        assert isinstance(app.screen, ShellScreen)

    # on the login screen, F1 works too and shows the login screen's keys
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert dict(app.screen.keys_everywhere)["Ctrl+Q"] == "Quit"
        assert ("Ctrl+R", "Retry connection") not in app.screen.keys_here  # only offered when it failed


@SQLITE_ONLY
async def test_keys_can_be_remapped_from_the_config_file(db_url, branch, clock, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"shell.customers" = "f7"\n', encoding="utf-8")
    monkeypatch.setenv("OCRM_CONFIG", str(config))
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        switcher = app.screen.query_one("#panes", ContentSwitcher)
        await pilot.press("f2")
        assert switcher.current == "work"
        await pilot.press("f7")
        assert switcher.current == "customers"


# -- lock --------------------------------------------------------------------------------


async def test_ctrl_l_locks_only_the_right_password_unlocks_and_the_work_below_is_kept(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await app.push_screen(DraftScreen())
        await type_text(pilot, "half-typed note")
        draft = app.screen

        await pilot.press("ctrl+l")
        assert isinstance(app.screen, LockScreen)
        assert "李客户经理 (R001)" in status_text(app.screen, "#lock-who")
        await pilot.press("f2")  # the shell's keys do nothing while locked
        await pilot.press("ctrl+p")  # nor does the command palette
        assert isinstance(app.screen, LockScreen)

        await type_text(pilot, "wrong-password")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        assert status_text(app.screen, "#lock-status") == "Wrong employee number or password"
        assert app.screen.query_one("#unlock-password", Input).value == ""

        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is draft
        assert draft.query_one("#draft", Input).value == "half-typed note"


async def test_repeated_wrong_unlocks_lock_the_account_and_return_to_login(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await pilot.press("ctrl+l")
        for _ in range(5):
            await type_text(pilot, "wrong-password")
            await pilot.press("enter")
            await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert status_text(app.screen).startswith("This account is locked until")
        assert app.actor is None
        assert len(app.screen_stack) == 1  # the previous session's screens are gone


@SQLITE_ONLY
async def test_switch_user_from_the_lock_screen(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await pilot.press("ctrl+l")
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#employee-no", Input).value == ""
        await log_in(app, pilot, "M001", PASSWORD)
        assert "王经理 (M001)" in header_text(app)
        assert "Branch manager" in header_text(app)


async def test_idle_terminal_locks_after_the_configured_minutes(db_url, branch, clock, db):
    with db.session(write=True) as s:
        settings.set_setting(s, "idle_lock.minutes", 3)
        s.commit()
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        assert app.idle_minutes == 3
        clock.advance(minutes=2)
        app.check_idle_lock()
        assert isinstance(app.screen, ShellScreen)
        await pilot.press("f2")  # someone is working: the idle time starts again
        clock.advance(minutes=2)
        app.check_idle_lock()
        assert isinstance(app.screen, ShellScreen)
        clock.advance(minutes=1, seconds=1)
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)


@SQLITE_ONLY
async def test_the_idle_check_runs_on_a_timer(db_url, branch, clock):
    app = OcrmApp(db_url, clock=clock, idle_check_seconds=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        clock.advance(minutes=15)
        for _ in range(200):  # the timer fires every 10 ms; wait for it, not for a fixed time
            if isinstance(app.screen, LockScreen):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, LockScreen)


# -- quit --------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_ctrl_q_asks_first_when_something_is_unsaved(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await app.push_screen(DraftScreen())
        await type_text(pilot, "unsaved")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # stay
        assert isinstance(app.screen, DraftScreen)
        assert app.screen.query_one("#draft", Input).value == "unsaved"
        assert app.is_running

        await pilot.press("ctrl+q")
        await pilot.click("#dialog-yes")
        await pilot.pause()
    assert app.return_code == 0


@SQLITE_ONLY
async def test_ctrl_q_quits_at_once_when_nothing_is_unsaved(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


# -- palette, failures, language -----------------------------------------------------------


@SQLITE_ONLY
async def test_the_command_palette_goes_to_a_pane(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await pilot.press("ctrl+p")
        await type_text(pilot, "campaigns")
        await pilot.pause()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ShellScreen)
        assert app.screen.query_one("#panes", ContentSwitcher).current == "campaigns"


@SQLITE_ONLY
async def test_the_palette_offers_translated_commands_only(db_url, branch, clock):
    from ocrm_tui.commands import palette_commands

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before_login = [c.title for c in palette_commands(app, app.screen)]
        assert before_login == ["Keys and help", "Quit"]  # no Theme, Screenshot, …; no panes before login
        await log_in(app, pilot, "R001", PASSWORD)
        set_language("zh")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles == ["转到客户查询", "转到我的工单", "转到营销活动", "转到工作台", "客户公海", "统计报表", "权限申请", "锁定终端",
                          "快捷键与帮助", "退出"]


@SQLITE_ONLY
async def test_a_pane_worker_that_fails_is_shown_too(db_url, branch, clock):
    from textual import work

    from ocrm_tui.widgets.pane import Pane

    class BrokenPane(Pane):
        @work(thread=True, exit_on_error=False)
        def load(self) -> None:
            raise ValueError("no such table")

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        pane = BrokenPane()
        await app.screen.mount(pane)
        pane.load()
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "ValueError failed: no such table" in status_text(app.screen, "#error-message")


@SQLITE_ONLY
async def test_a_failing_worker_shows_an_error_dialog_not_a_crash(db_url, branch, clock, monkeypatch):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)

        def broken(*args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(auth, "authenticate", broken)
        await log_in(app, pilot, "R001", PASSWORD)
        assert isinstance(app.screen, ErrorDialog)
        assert "RuntimeError failed: disk on fire" in status_text(app.screen, "#error-message")
        await pilot.press("enter")
        assert isinstance(app.screen, LoginScreen)
        assert app.is_running


@SQLITE_ONLY
async def test_the_login_screen_speaks_chinese(db_url, branch, clock):
    set_language("zh")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert str(screen.query_one("#login-subtitle", Static).render()) == "网点运营型客户关系管理系统"
        labels = [str(label.render()) for label in screen.query(".field-label").results(Label)]
        assert labels == ["员工号", "密码"]
        assert str(screen.query_one("#login-button", Button).label) == "登录"
        assert status_text(screen) == "请输入员工号和密码。"
        footer_descriptions = [key.description for key in screen.query("FooterKey")]
        assert "帮助" in footer_descriptions and "退出" in footer_descriptions

        await log_in(app, pilot, "T001", "not-the-password")
        assert status_text(app.screen) == "员工号或密码错误"
        await log_in(app, pilot, "T001", PASSWORD)
        assert "柜员" in header_text(app)
        assert "客户查询" in [key.description for key in app.screen.query("FooterKey")]


# -- the rules of the code -------------------------------------------------------------------


def test_every_binding_has_an_id_a_tooltip_and_a_chinese_description():
    missing = []
    for path in [PKG / "app.py", *(PKG / "screens").rglob("*.py"), *(PKG / "widgets").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding":
                kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
                description = node.args[2].value if len(node.args) > 2 else kw.get("description")
                if not kw.get("id") or not kw.get("tooltip"):
                    missing.append((path.name, node.lineno, "id/tooltip"))
                for text in (description, kw.get("tooltip")):
                    if text and text not in ZH:
                        missing.append((path.name, node.lineno, text))
    assert missing == []


def test_the_login_screen_is_drawn_before_any_database_code_is_loaded(tmp_path):
    """Cold start stays fast: the database layer loads in a worker after the first paint.

    (The start-up time itself is measured by `python -m bench`, not here.)
    """
    import subprocess
    import sys

    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\n"
        "from ocrm_tui.app import OcrmApp\n"
        "class Probe(OcrmApp):\n"
        "    def on_mount(self):\n"
        "        heavy = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'alembic')]\n"
        "        super().on_mount()\n"
        "        self.call_after_refresh(lambda: (print(len(heavy)), self.exit()))\n"
        "Probe(sys.argv[1]).run(headless=True)\n",
        encoding="utf-8",
    )
    out = subprocess.run([sys.executable, str(probe), f"sqlite:///{tmp_path / 'cold.db'}"],
                         capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert out == ["0"]  # no SQLAlchemy/SQLModel/Alembic before the first paint


def test_the_ocrm_command_imports_no_database_code_before_the_first_paint():
    import subprocess
    import sys

    code = ("import sys, ocrm_tui.cli; "
            "print([m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'alembic')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_app_module_imports_no_database_code_before_the_first_paint():
    import subprocess
    import sys

    # (ocrm_tui.cli as a whole is the CLI commands' business: each must import lazily too.)
    code = ("import sys, ocrm_tui.app; "
            "print([m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'alembic') "
            "or m.startswith(('ocrm_tui.db', 'ocrm_tui.services'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ocrm_tui_sets_the_language_and_passes_the_database(monkeypatch):
    from typer.testing import CliRunner

    from ocrm_tui import cli
    from ocrm_tui.cli import tui_cmd
    from ocrm_tui.i18n import get_language

    started = []
    monkeypatch.setattr(tui_cmd, "run_tui", lambda db: started.append((db, get_language())))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["tui", "--db", "sqlite:////tmp/a.db", "--lang", "zh"]).exit_code == 0
    assert runner.invoke(cli.app, ["--db", "sqlite:////tmp/b.db", "tui"]).exit_code == 0
    set_language("en")
    assert runner.invoke(cli.app, ["--db", "sqlite:////tmp/c.db"]).exit_code == 0
    assert started == [("sqlite:////tmp/a.db", "zh"), ("sqlite:////tmp/b.db", "en"), ("sqlite:////tmp/c.db", "en")]
    bad = runner.invoke(cli.app, ["tui", "--lang", "fr"])
    assert bad.exit_code == 2


async def test_the_password_never_appears_in_a_worker_description(db_url, branch, monkeypatch):
    """Textual logs workers by their description; it must not hold the typed password."""
    from textual.worker import Worker

    described: list[str] = []
    real_init = Worker.__init__

    def recording_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        described.append(self.description)

    monkeypatch.setattr(Worker, "__init__", recording_init)
    app = create_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#employee-no", Input).value = "T001"
        app.screen.query_one("#password", Input).value = "Secret-Guess-42"
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        app.screen.query_one("#password", Input).value = PASSWORD
        app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        app.action_lock()
        await pilot.pause()
        app.screen.query_one("#unlock-password", Input).value = "Secret-Unlock-43"
        app.screen.query_one("#unlock-password", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
    assert "authenticate" in described and "unlock" in described
    assert not any("Secret-" in d for d in described), described


async def test_without_a_keyring_the_database_password_is_asked_for_and_not_kept(tmp_path, monkeypatch):
    """A headless terminal: the keyring is missing, so the app asks for the server's password."""
    import ocrm_tui.config

    real_open = ocrm_tui.config.open_database
    asked: list[str] = []

    def server_wanting_a_password(url, *, ask_password=None, **kwargs):
        given = ask_password("No keyring backend is available on this machine; the database password cannot be stored.")
        asked.append(given)
        if given != "db-secret-1":
            from ocrm_tui.services.errors import DatabaseUnavailable

            raise DatabaseUnavailable("Cannot reach the database: password authentication failed")
        return real_open(url, **kwargs)

    monkeypatch.setattr(ocrm_tui.config, "open_database", server_wanting_a_password)
    app = create_app(f"sqlite:///{tmp_path / 'server.db'}")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):  # the dialog is pushed from the database worker
            await pilot.pause()
            if app.screen.query("#secret"):
                break
        assert "No keyring backend" in str(app.screen.query_one(".dialog-message").render())
        app.screen.query_one("#secret", Input).value = "wrong-one"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.db_status == "failed"
        assert "password authentication failed" in status_text(app.screen)

        app.connect_database()  # what Ctrl+R on the login screen does
        for _ in range(200):
            await pilot.pause()
            if app.screen.query("#secret"):
                break
        app.screen.query_one("#secret", Input).value = "db-secret-1"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.db_status == "ready"
    assert asked == ["wrong-one", "db-secret-1"]
    # Nothing written anywhere (database, config, data directory) holds the password.
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and b"db-secret-1" in p.read_bytes()]


async def test_a_database_that_went_away_is_a_clear_message_and_keeps_the_input(db_url, branch, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from ocrm_tui.services import auth

    app = create_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)

        def gone(*args, **kwargs):
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

        monkeypatch.setattr(auth, "authenticate", gone)
        login_screen = app.screen
        login_screen.query_one("#employee-no", Input).value = "T001"
        login_screen.query_one("#password", Input).value = PASSWORD
        login_screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert "The database cannot be reached" in str(app.screen.query_one(".dialog-title").render())
        assert "server closed the connection" in str(app.screen.query_one("#error-message").render())
        assert login_screen.query_one("#employee-no", Input).value == "T001"
