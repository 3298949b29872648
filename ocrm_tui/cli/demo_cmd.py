"""`ocrm demo`: a realistic demo branch network in the default database, then the application."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, role_label, say
from ocrm_tui.i18n import _

DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 20260101  # same as services.demo.DEFAULT_SEED (not imported here: start-up time)


class _PlainProgress:
    """Progress as plain lines, for logs and pipes."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last_stage = ""

    def __call__(self, stage: str, done: int, total: int, rows: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        if stage != self.last_stage:
            say(_stage_text(stage))
        if stage == "customers" and done:
            say(_("Customers {done}/{total}: {rows} rows written ({rate} rows/s)",
                   done=f"{done:,}", total=f"{total:,}", rows=f"{rows:,}", rate=f"{rows / elapsed:,.0f}"))
        self.last_stage = stage


def _stage_text(stage: str) -> str:
    return {
        "setup": _("Creating organisations, staff, products and tags…"),
        "customers": _("Generating customers, accounts, transactions, AUM and tags…"),
        "indexes": _("Building indexes…"),
        "done": _("Finished."),
    }.get(stage, stage)


class _RichProgress:
    """A progress bar with customers done and rows per second, on a terminal."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console, transient=False,
        )
        self.task = self.progress.add_task(_stage_text("setup"), total=total, rate="")
        self.started = time.perf_counter()

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, stage: str, done: int, total: int, rows: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        rate = _("{rows} rows, {rate} rows/s", rows=f"{rows:,}", rate=f"{rows / elapsed:,.0f}") if rows else ""
        self.progress.update(self.task, description=_stage_text(stage), completed=done, rate=rate)


def _print_staff(summary) -> None:
    from rich.table import Table

    table = Table(title=_("Demo staff (passwords are shown only this once)"), show_lines=False)
    for header in (_("Employee no."), _("Name"), _("Role"), _("Organisation"), _("Password")):
        table.add_column(header, overflow="fold")
    for staff in summary.staff:
        table.add_row(staff.employee_no, staff.name, role_label(staff.role), f"{staff.org_name} ({staff.org_code})",
                      staff.password)
    console.print(table, markup=False, emoji=False)
    passwords = {}
    for staff in summary.staff:
        passwords.setdefault(staff.role, staff.password)
    for role, password in passwords.items():
        say(_("Every {role} logs in with: {password}", role=role_label(role), password=password))


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo(
        customers: Annotated[int, typer.Option("--customers", min=1, max=1_000_000, metavar="N",
                                               help="Number of demo customers (1 to 1,000,000).")] = DEFAULT_CUSTOMERS,
        seed: Annotated[int, typer.Option("--seed", metavar="S", help="Seed: the same seed builds the same customers.")] = DEFAULT_SEED,
        no_start: Annotated[bool, typer.Option("--no-start", help="Build the demo but do not start the application.")] = False,
        db: DbOption = None,
    ) -> None:
        """Fill the database (created if needed) with a demo branch network, then start the application."""
        from sqlalchemy import func, select

        from ocrm_tui.db.engine import display_url
        from ocrm_tui.db.models import Customer, Organisation
        from ocrm_tui.services import demo as demo_service

        built = False
        with opened(db) as database:
            with database.session() as s:
                orgs = s.scalar(select(func.count()).select_from(Organisation)) or 0
                held = s.scalar(select(func.count()).select_from(Customer)) or 0 if orgs else 0
            if orgs:
                say(_("The database {url} already holds data ({orgs} organisations, {customers} customers); the demo was not built again.",
                       url=display_url(database.url), orgs=f"{orgs:,}", customers=f"{held:,}"))
                say(_("The demo passwords were shown when it was built; `ocrm user passwd EMPLOYEE_NO --reset` sets a new one."))
            else:
                say(_("Building a demo with {n} customers in {url} (seed {seed})…",
                       n=f"{customers:,}", url=display_url(database.url), seed=seed))
                if console.is_terminal:
                    with _RichProgress(customers) as bar:
                        summary = demo_service.build_demo(database, customers=customers, seed=seed, progress=bar)
                else:
                    summary = demo_service.build_demo(database, customers=customers, seed=seed, progress=_PlainProgress())
                say(_("Built in {seconds} s: {customers} customers, {rows} rows ({rate} rows/s).",
                       seconds=f"{summary.total_seconds:,.1f}", customers=f"{customers:,}",
                       rows=f"{summary.bulk_rows:,}", rate=f"{summary.bulk_rows / max(summary.total_seconds, 1e-6):,.0f}"))
                if summary.alerts:
                    say(_("The alert scan raised {n} alerts and reminders for the work platform (F5).",
                          n=f"{summary.alerts:,}"))
                _print_staff(summary)
                built = True
        if not no_start:
            from ocrm_tui.cli import tui_cmd

            if built and sys.stdin is not None and sys.stdin.isatty():
                # The application takes over the screen: let people note a password first.
                typer.prompt(_("Note a password above, then press Enter to start the application"),
                             default="", show_default=False, prompt_suffix=" ")
            tui_cmd.run_tui(db)
