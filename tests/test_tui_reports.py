"""The reports screen (F6), driven through Pilot on a small demo bank (300 customers, built once
and copied for each test): a manager reads the channel analysis as a chart, then as a table
holding the figures the service gives; chooses a custom period (a wrong one is refused where it
was typed) and a branch; exports the report to a file; an RM gets their own book and no branch
choice; a teller's F6 opens nothing and says why. The screen only shows what the service
gives: SQLite is enough."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from datetime import date, datetime, timezone
from pathlib import Path
from unittest.mock import patch

import pytest
from rich.text import Text
from textual.widgets import Input, OptionList, Select, Static

from ocrm_tui.app import create_app
from ocrm_tui.commands import palette_commands
from ocrm_tui.db import migrate
from ocrm_tui.db.engine import Database
from ocrm_tui.db.models import Role
from ocrm_tui.screens.dialogs import ConfirmDialog
from ocrm_tui.screens.help import key_rows
from ocrm_tui.screens.reports import ExportDialog, ReportsScreen, ReportTable
from ocrm_tui.screens.shell import ShellScreen
from ocrm_tui.services import auth, demo, reports
from ocrm_tui.services.clock import FakeClock
from ocrm_tui.services.errors import NotFoundError
from ocrm_tui.services.users import get_user
from ocrm_tui.widgets.report_chart import ReportChart
from tests.conftest import PASSWORD
from tests.test_cli_reports import audit_events
from tests.test_snapshots_profile import china_time  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text
from tests.test_tui_campaigns import footer_keys
from tests.test_tui_tickets_queue import record_notices, wait_for

DEMO_NOW = datetime(2026, 6, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in China: half a year of figures
TODAY = date(2026, 6, 20)
MANAGER = "M0002"  # the manager of 江苏省分行 (JS), a tier-1 branch of the demo
RM = "R0009"  # an RM of 南京中山北路网点 with customers of their own
TELLER = "T0001"

__all__ = ["china_time"]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo bank at DEMO_NOW, built once per run (staff log in with the tests' password)."""
    path = tmp_path_factory.mktemp("reports-demo") / "demo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    with patch.object(demo, "demo_passwords", lambda: {role.value: PASSWORD for role in Role}):
        demo.build_demo(db, customers=300, clock=FakeClock(DEMO_NOW))
    db.dispose()
    return path


@pytest.fixture
def demo_url(backend, demo_template, tmp_path) -> str:
    """A copy of the demo bank for this test."""
    assert backend == "sqlite"
    target = tmp_path / "ocrm.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_template}{suffix}")
        if source.exists():
            shutil.copy(source, Path(f"{target}{suffix}"))
    return f"sqlite:///{target}"


@pytest.fixture
def demo_clock(china_time) -> FakeClock:  # noqa: F811
    """The demo's time; the screen shows times in China Standard Time whatever the machine's zone."""
    return FakeClock(DEMO_NOW)


def actor(url: str, employee_no: str):
    db = Database(url)
    try:
        with db.session() as s:
            return auth.actor_for(s, get_user(s, employee_no))
    finally:
        db.dispose()


def run_report(url: str, employee_no: str, name: str, period: str = "", branch: str | None = None):
    """The report as the service gives it to this user."""
    db = Database(url)
    try:
        with db.session() as s:
            who = auth.actor_for(s, get_user(s, employee_no))
            return reports.run(s, who, name, reports.parse_period(period, TODAY), branch=branch, today=TODAY)
    finally:
        db.dispose()


async def open_reports(app, pilot, employee_no: str) -> ReportsScreen:
    await log_in(app, pilot, employee_no, PASSWORD)
    await pilot.press("f6")
    await wait_for(app, pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.drawn)
    return app.screen


async def choose_report(app, pilot, screen: ReportsScreen, name: str) -> None:
    """Move to the report in the list and press Enter."""
    listing = screen.query_one("#report-list", OptionList)
    listing.focus()
    step = [k.name for k in screen.kinds].index(name) - (listing.highlighted or 0)
    await pilot.press(*(["down" if step > 0 else "up"] * abs(step)), "enter")
    await wait_for(app, pilot, lambda: screen.drawn and screen.report is not None and screen.report.name == name)


def usable_keys(app) -> list[str]:
    """The footer's keys that can be pressed now (not greyed)."""
    return [key.description for key in app.screen.query("FooterKey") if not key.has_class("-disabled")]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def shown_rows(screen: ReportsScreen) -> list[list[str]]:
    table = screen.query_one(ReportTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def alignment(screen: ReportsScreen, row: int, column: int) -> str | None:
    value = screen.query_one(ReportTable).get_row_at(row)[column]
    return value.justify if isinstance(value, Text) else None


@SQLITE_ONLY
async def test_a_manager_reads_the_channel_analysis_as_a_chart_then_as_a_table(demo_url, demo_clock):
    expected = run_report(demo_url, MANAGER, "channels")
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, MANAGER)
        assert [str(o.prompt) for o in screen.query_one("#report-list", OptionList).options] == [
            "Assets by tier", "Customers losing assets", "Campaign conversion and ROI", "Service and satisfaction",
            "Staff performance", "Branch performance", "Channel analysis"]
        assert screen.report.name == "assets"  # the first report is read at once

        await choose_report(app, pilot, screen, "channels")
        assert text_of(screen, "#report-heading") == "Channel analysis   2026 · 江苏省分行"
        assert text_of(screen, "#report-notes") == \
            "Monthly figures as of 2026-06-20 10:00 (refreshed after each import)"
        months = expected.tables[0]
        chart = screen.query_one(ReportChart)
        assert chart.display and not screen.query_one(ReportTable).display
        assert chart.chart == months.chart and chart.plan.kind == "stacked"
        assert text_of(chart, "#chart-title") == "Transactions by channel and month"
        assert "Mobile banking" in text_of(chart, "#chart-legend")
        assert "1 Transactions by channel and month" in text_of(screen, "#report-tabs")
        assert "Table" in footer_keys(app)

        await pilot.press("t")  # the table, one key away
        assert screen.query_one(ReportTable).display and not chart.display
        assert "Chart" in footer_keys(app)
        rows = shown_rows(screen)
        assert len(rows) == len(months.rows)
        month, channel, count, money_in, money_out = months.rows[0]
        assert rows[0] == [month, channel, f"{count:,}", f"{money_in:,.2f}", f"{money_out:,.2f}"]
        assert alignment(screen, 0, 3) == "right" and alignment(screen, 0, 1) == "left"

        await pilot.press("right_square_bracket")  # the next table: each channel's share
        shares = expected.tables[1]
        assert "2 Share of each channel" in text_of(screen, "#report-tabs")
        assert screen.query_one(ReportTable).display  # the choice of the table stays
        share = shares.rows[-1][2]
        assert shown_rows(screen)[-1][2] == f"{share * 100:.2f} %"
        await pilot.press("t")
        assert chart.display and chart.chart == shares.chart

        await choose_report(app, pilot, screen, "staff")  # None and one decimal
        staff = run_report(demo_url, MANAGER, "staff").tables[0]
        await pilot.press("t")
        first = shown_rows(screen)[0]
        assert staff.rows[0][5] is None and first[5] == "—"
        assert first[11] == f"{staff.rows[0][11]:.1f}"

        await pilot.press("escape")
        assert isinstance(app.screen, ShellScreen)


@SQLITE_ONLY
async def test_a_custom_period_is_checked_where_it_is_typed(demo_url, demo_clock):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, MANAGER)
        await choose_report(app, pilot, screen, "channels")
        await pilot.press("p")  # the period choices open
        period = screen.query_one("#period-select", Select)
        assert period.expanded
        await pilot.press("end", "enter")  # Custom…, the last choice
        field = screen.query_one("#period-custom", Input)
        assert app.focused is field and field.display
        assert text_of(screen, "#period-help") == reports.period_hint()

        await type_text(pilot, "2026-03-31..2026-01-15")
        await pilot.press("enter")
        await settle(app, pilot)
        assert text_of(screen, "#period-help") == "The period ends before it starts"
        assert field.value == "2026-03-31..2026-01-15"  # kept, to be corrected
        assert screen.report.period.text == "2026"  # the report shown is still the year's

        field.value = ""
        await type_text(pilot, "2026-01-15..2026-03-31")
        with_hold = threading.Event()
        run = reports.run

        def held(*args, **kwargs):
            with_hold.wait(10)
            return run(*args, **kwargs)

        with patch.object(reports, "run", held):
            await pilot.press("enter")
            assert text_of(screen, "#report-state") == "Loading the report…"
            assert not screen.query_one("#report-body").display
            with_hold.set()
            await wait_for(app, pilot, lambda: screen.drawn)
        assert text_of(screen, "#report-heading") == "Channel analysis   2026-01-15 – 2026-03-31 · 江苏省分行"
        assert "Counted in whole months: 2026-01 to 2026-03" in text_of(screen, "#report-notes")
        assert text_of(screen, "#period-help") == reports.period_hint()
        expected = run_report(demo_url, MANAGER, "channels", "2026-01-15..2026-03-31")
        await pilot.press("t")
        assert len(shown_rows(screen)) == len(expected.tables[0].rows) == 18  # 3 months × 6 channels

        field.focus()
        field.value = ""
        await type_text(pilot, "2027")
        await pilot.press("enter")
        await settle(app, pilot)
        assert text_of(screen, "#period-help") == "The period 2027 has not begun"


@SQLITE_ONLY
async def test_a_manager_chooses_a_branch_and_the_heading_names_it(demo_url, demo_clock):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, MANAGER)
        await choose_report(app, pilot, screen, "branches")
        assert text_of(screen, "#report-heading") == "Branch performance   2026 · 江苏省分行"
        branch = screen.query_one("#branch-select", Select)
        assert branch.display and "Branch…" in footer_keys(app)
        who = actor(demo_url, MANAGER)
        db = Database(demo_url)
        with db.session() as s:
            choices = reports.branch_choices(s, who)
        db.dispose()
        assert choices[0] == ("JS", "江苏省分行")  # their own scope first: no branch chosen
        assert branch.value == ""
        await pilot.press("b")
        assert branch.expanded
        await pilot.press(*(["down"] * [code for code, _name in choices].index("SZ")), "enter")
        await wait_for(app, pilot, lambda: screen.drawn and screen.branch == "SZ")
        assert text_of(screen, "#report-heading") == "Branch performance   2026 · 苏州分行"
        expected = run_report(demo_url, MANAGER, "branches", branch="SZ").tables[0]
        await pilot.press("t")
        assert [row[0] for row in shown_rows(screen)] == [row[0] for row in expected.rows] == ["SZGS", "SZYQ", "SZ"]  # SZ itself: its own staff


@SQLITE_ONLY
async def test_a_refusal_of_the_service_is_said_in_place(demo_url, demo_clock):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot, MANAGER)

        def refused(*_args, **_kwargs):
            raise NotFoundError("No branch SZ in your scope")

        with patch.object(reports, "run", refused):
            await choose_report_refused(app, pilot, screen)
        assert text_of(screen, "#report-state") == "No branch SZ in your scope"
        assert isinstance(app.screen, ReportsScreen)  # no error dialog, no crash
        assert "Export…" not in usable_keys(app) and "Period…" in usable_keys(app)


async def choose_report_refused(app, pilot, screen: ReportsScreen) -> None:
    screen.query_one("#report-list", OptionList).focus()
    await pilot.press("down", "enter")
    await wait_for(app, pilot, lambda: screen.drawn and screen.error)


@SQLITE_ONLY
async def test_a_manager_exports_the_report_and_replaces_the_file_when_asked(demo_url, demo_clock, tmp_path):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        screen = await open_reports(app, pilot, MANAGER)
        await choose_report(app, pilot, screen, "channels")
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        field = dialog.query_one("#export-path", Input)
        assert field.value == "~/ocrm-channels-2026.xlsx" and dialog.format == "xlsx"
        target = tmp_path / "channels.xlsx"
        field.value = ""
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await wait_for(app, pilot, lambda: app.screen is screen)
        assert target.is_file()
        sha = hashlib.sha256(target.read_bytes()).hexdigest()
        (event,) = audit_events(Database(demo_url), "export.report")
        details = json.loads(event.changes)
        assert event.actor_no == MANAGER
        assert {k: details[k] for k in ("report", "period", "scope", "format", "sha256", "masked", "file")} == {
            "report": "channels", "period": "2026", "scope": "江苏省分行", "format": "xlsx", "sha256": sha,
            "masked": True, "file": "channels.xlsx"}
        assert f"Report written to {target}: {details['rows']:,} rows, SHA-256 {sha[:12]}…" in notices

        await pilot.press("x")  # the same file again: replaced only when the user says so
        dialog = app.screen
        dialog.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is dialog and "already exists" in dialog.error
        await pilot.press("ctrl+s")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(app, pilot, lambda: app.screen is screen)
        assert len(audit_events(Database(demo_url), "export.report")) == 2

        await pilot.press("x")  # CSV: the file name follows the format
        dialog = app.screen
        dialog.query_one("#format-csv").value = True
        await settle(app, pilot)
        assert dialog.query_one("#export-path", Input).value == "~/ocrm-channels-2026.csv"
        await pilot.press("escape")
        assert app.screen is screen


@SQLITE_ONLY
async def test_an_rm_reads_their_own_book_with_no_branch_to_choose(demo_url, demo_clock):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await log_in(app, pilot, RM, PASSWORD)
        assert ("F6", "Reports") in key_rows(app, app.screen)[0]
        assert "Reports" in footer_keys(app)
        assert "Reports" in [c.title for c in palette_commands(app, app.screen)]
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await wait_for(app, pilot, lambda: screen.drawn)
        names = [k.name for k in screen.kinds]
        assert "branches" not in names and len(names) == 6
        assert "Branch performance" not in [str(o.prompt) for o in screen.query_one("#report-list", OptionList).options]
        assert not screen.query("#branch-select") and not screen.query_one("#branch-label").display
        assert "Branch…" not in footer_keys(app)
        assert text_of(screen, "#report-heading") == "Assets by tier   2026 · Customers of 廖晨彬 (R0009)"
        assert notices == []  # F6 opened the reports, nothing to say


@SQLITE_ONLY
async def test_a_tellers_f6_opens_nothing_and_says_why(demo_url, demo_clock):
    app = create_app(demo_url, clock=demo_clock)
    async with app.run_test(size=SIZE) as pilot:
        notices = record_notices(app)
        await log_in(app, pilot, TELLER, PASSWORD)
        assert "Reports" not in footer_keys(app)
        assert "Reports" not in [c.title for c in palette_commands(app, app.screen)]
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ShellScreen)
        assert "Reports are for relationship managers, managers and administrators" in notices


async def test_a_chart_of_chinese_names_keeps_its_lines_straight_and_its_labels():
    """Wide characters take two cells: every line of the plot is as wide as the plot, each
    name is shown once, and a target the same for everyone is a mark, not a bar."""
    from textual.app import App

    from ocrm_tui.widgets.report_chart import ChartPlot

    names = [f"{name} (R{i:04d})" for i, name in enumerate(["欧阳娜娜", "李雷", "司马光明", "韩梅梅", "王二"])]
    logins = [14.5, 3.0, 20.0, 12.0, 0.0]
    chart = reports.Chart("bar", "月均登录次数与目标", names, [("月均登录", logins), ("目标", [12.0] * 5)])

    class Host(App):
        def compose(self):
            yield ReportChart(id="chart")

    app = Host()
    async with app.run_test(size=(60, 24)) as pilot:
        widget = app.query_one(ReportChart)
        widget.show(chart)
        await pilot.pause()
        assert widget.plan.lying and widget.plan.reference == ("目标", 12.0)
        assert [name for name, _values in widget.plan.series] == ["月均登录"]
        assert "┃ 目标: 12" in str(widget.query_one("#chart-legend", Static).render())
        plot = widget.query_one(ChartPlot)
        assert plot.size.height == len(names) + 3  # one row a name, the frame and the ticks
        lines = plot.render().plain.splitlines()
        assert {Text(line).cell_len for line in lines} == {plot.size.width}
        for name in names:
            assert sum(name in line for line in lines) == 1
        assert names[0] in lines[1] and names[-1] in lines[len(names)]  # the first name on top
