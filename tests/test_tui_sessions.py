"""A terminal's session, driven through Pilot: logging in opens it, switching user and quitting
close it, and when an administrator disables the account (or the password is changed
elsewhere) the terminal drops to the login screen by itself, saying why, even from under
the lock screen. The rules behind it run on both databases in test_user_sessions.py."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input

from ocrm_tui.app import OcrmApp
from ocrm_tui.db.models import UserSession
from ocrm_tui.screens.lock import LockScreen
from ocrm_tui.screens.login import LoginScreen
from ocrm_tui.screens.shell import ShellScreen
from ocrm_tui.services import auth, user_sessions, users
from tests.conftest import PASSWORD
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, status_text


def sessions_of(db, no: str) -> list[UserSession]:
    with db.session() as s:
        user = users.get_user(s, no)
        return list(s.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


async def wait_for_login_screen(app, pilot) -> None:
    for _ in range(300):  # the check runs every 50 ms: wait for it, not for a fixed time
        if isinstance(app.screen, LoginScreen):
            break
        await pilot.pause(0.02)
    await settle(app, pilot)


@SQLITE_ONLY
async def test_disabling_a_logged_in_user_drops_their_terminal_to_the_login_screen(db_url, branch, clock, db, system):
    app = OcrmApp(db_url, clock=clock, session_check_seconds=0.05, terminal_name="counter-7")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        assert isinstance(app.screen, ShellScreen)
        [opened] = sessions_of(db, "R001")
        assert opened.terminal == "counter-7" and opened.ended_at is None and app.session_token == opened.token
        await pilot.press("ctrl+l")  # even under the lock screen
        assert isinstance(app.screen, LockScreen)
        with db.session(write=True) as s:
            assert users.disable_user(s, system, "R001", clock=clock) == 1
        await wait_for_login_screen(app, pilot)
        assert isinstance(app.screen, LoginScreen) and app.actor is None and len(app.screen_stack) == 1
        assert "disabled by an administrator" in status_text(app.screen)
        assert app.session_token is None
    [ended] = sessions_of(db, "R001")
    assert ended.end_reason == user_sessions.DISABLED and ended.ended_by == system.employee_no


@SQLITE_ONLY
async def test_a_password_changed_on_another_terminal_logs_this_one_out(db_url, branch, clock, db):
    app = OcrmApp(db_url, clock=clock, session_check_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        with db.session(write=True) as s:  # `ocrm user passwd T001` at another desk
            assert auth.change_password(s, "T001", PASSWORD, "changed-pass-9", clock=clock) == 1
        await wait_for_login_screen(app, pilot)
        assert "Your password was changed" in status_text(app.screen)
        assert app.screen.query_one("#employee-no", Input).value == "T001"  # kept: log in again at once
        await log_in(app, pilot, "T001", "changed-pass-9")
        assert isinstance(app.screen, ShellScreen)
    reasons = [(s.end_reason, s.ended_at is not None) for s in sessions_of(db, "T001")]
    assert reasons == [(user_sessions.PASSWORD, True), (user_sessions.LOGOUT, True)]  # quitting closed the second


@SQLITE_ONLY
async def test_switching_user_closes_the_session_and_the_next_login_opens_its_own(db_url, branch, clock, db):
    app = OcrmApp(db_url, clock=clock, session_check_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        await pilot.press("ctrl+l")
        await pilot.press("f9")  # switch user
        await settle(app, pilot)
        await log_in(app, pilot, "M001", PASSWORD)
        await pilot.pause(0.2)  # several checks of the manager's session: it stays open
        await settle(app, pilot)
        assert isinstance(app.screen, ShellScreen)
        [closed] = sessions_of(db, "R001")
        assert closed.end_reason == user_sessions.LOGOUT
        [manager] = sessions_of(db, "M001")
        assert manager.ended_at is None and manager.last_seen_at == clock()
