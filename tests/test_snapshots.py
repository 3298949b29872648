"""How the screens look, in English and Chinese (SVG snapshots; look at them when they change).

The app is built by the same factory as `ocrm tui` (`ocrm_tui.app.create_app`), on a
SQLite database, with a fake clock so that nothing on screen depends on the time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from textual.widgets import Input

from ocrm_tui.app import create_app
from ocrm_tui.i18n import set_language
from tests.conftest import PASSWORD
from tests.test_customers import people  # noqa: F401  (the fixture)

SIZE = (120, 36)
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def _ready(pilot) -> None:
    """Every worker answered, including the database connection started after the first paint."""
    for _ in range(200):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.db_status != "connecting":
            return


async def _log_in(pilot, employee_no: str) -> None:
    await _ready(pilot)
    screen = pilot.app.screen
    screen.query_one("#employee-no", Input).value = employee_no
    screen.query_one("#password", Input).value = PASSWORD
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await _ready(pilot)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_login_screen(snap_compare, db_url, clock, lang):
    set_language(lang)
    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=_ready)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_login_screen_after_a_wrong_password(snap_compare, db_url, branch, clock, lang):
    set_language(lang)

    async def wrong_password(pilot) -> None:
        await _ready(pilot)
        pilot.app.screen.query_one("#employee-no", Input).value = "T001"
        pilot.app.screen.query_one("#password", Input).value = "not-the-password"
        pilot.app.screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        await _ready(pilot)

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=wrong_password)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shell_after_login(snap_compare, db_url, branch, clock, lang):
    set_language(lang)

    async def log_in(pilot) -> None:
        await _log_in(pilot, "T001")

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=log_in)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_search_pane(snap_compare, db_url, branch, clock, lang):
    set_language(lang)

    async def to_customers(pilot) -> None:
        await _log_in(pilot, "R001")
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=to_customers)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_help_screen(snap_compare, db_url, branch, clock, lang):
    set_language(lang)

    async def help_over_shell(pilot) -> None:
        await _log_in(pilot, "M001")
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=help_over_shell)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lock_screen(snap_compare, db_url, branch, clock, lang):
    set_language(lang)

    async def lock(pilot) -> None:
        await _log_in(pilot, "R001")
        await pilot.press("ctrl+l")
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=lock)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_outdated_database_on_the_login_screen(snap_compare, tmp_path, lang):
    from ocrm_tui.db import migrate
    from ocrm_tui.db.engine import Database

    set_language(lang)
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version")
    db.dispose()
    # The message names the database; give it a path that is the same in every run.
    stable = Path(tempfile.gettempdir()) / f"ocrm-snapshot-outdated-{lang}.db"
    stable.unlink(missing_ok=True)
    path.rename(stable)
    try:
        assert snap_compare(create_app(f"sqlite:///{stable}"), terminal_size=SIZE, run_before=_ready)
    finally:
        stable.unlink(missing_ok=True)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_search_results(snap_compare, db_url, people, clock, lang):
    """A manager's results for a name fragment, one row selected for batch tagging."""
    set_language(lang)

    async def search(pilot) -> None:
        await _log_in(pilot, "M001")
        await pilot.press("f2")
        pane = pilot.app.screen.query_one("#customers")
        pane.query_one("#search-input", Input).value = "伟"
        for _ in range(100):
            await pilot.pause(0.05)
            await _ready(pilot)
            if pane._page is not None and pane._text == "伟":
                break
        await pilot.press("enter", "space")
        await pilot.pause()

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=search)


@SQLITE_ONLY
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_new_customer_form_with_a_wrong_id_number(snap_compare, db_url, people, clock, lang):
    set_language(lang)

    async def form(pilot) -> None:
        await _log_in(pilot, "R001")
        await pilot.press("f2", "ctrl+n")
        await _ready(pilot)
        screen = pilot.app.screen
        screen.query_one("#in-name", Input).value = "赵敏"
        screen.query_one("#in-id_number", Input).value = "320102199203045511"
        await pilot.press("ctrl+s")  # saving checks every field and names the wrong ones
        await pilot.pause(0.1)

    assert snap_compare(create_app(db_url, clock=clock), terminal_size=SIZE, run_before=form)
