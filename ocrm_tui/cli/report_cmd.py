"""`ocrm report NAME`: the management reports (and `ocrm report campaign ID`) on the terminal, or as CSV / XLSX;
`ocrm report refresh` rebuilds the monthly summaries they read."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, fail, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Management reports on the terminal or to a file.", no_args_is_help=True)


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"


AsOption = Annotated[str | None, typer.Option(
    "--as", metavar="EMPLOYEE_NO",
    help="Act as this staff member (their data scope applies); default: the administrator at this server.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")]


def acting(session, employee_no: str | None):
    """The actor of a command: the named staff member, else the administrator at the server."""
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.campaign_reports import acting_staff

    return acting_staff(session, employee_no) if employee_no else Actor.system()


PasswordStdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the --as staff member's password from the first line of standard input instead of "
                             "asking for it.")]


def acting_in_person(session, employee_no: str | None, *, password_stdin: bool = False):
    """The actor of a decision or of a file with full values: the named staff member, who
    proves it is them with their password (checked like a login: a wrong one counts towards
    the lockout, and the attempt is recorded); without --as, the administrator at the server,
    whom the services refuse such acts."""
    import socket

    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.auth import authenticate

    if not employee_no:
        return Actor.system()
    if password_stdin:
        from ocrm_tui.cli.user_cmd import read_stdin_line

        password = read_stdin_line(_("the password"))
    else:
        password = typer.prompt(_("Password of {no}", no=employee_no), hide_input=True, err=True)
    return authenticate(session, employee_no, password, purpose="cli", terminal=f"cli@{socket.gethostname()}")


def output_format(fmt: str | None, out: Path | None, *, allow_table: bool) -> str:
    """The format asked for, else the one --out's extension names; a file format needs --out."""
    from ocrm_tui.services import exports
    from ocrm_tui.services.errors import ValidationError

    if fmt is None and out is None:
        if allow_table:
            return "table"
        fail(_("Name the file to write with --out FILE"), 2)
    if fmt == "table":
        if out is not None:
            fail(_("--out writes a file: choose --format csv or xlsx"), 2)
        return "table"
    if out is None:
        fail(_("--format {format} writes a file: name it with --out FILE", format=fmt), 2)
    try:
        return exports.check_format(fmt, out)
    except ValidationError as exc:
        fail(exc.message, 2)
    return ""  # not reached


def _metrics_table(title: str, rows) -> object:
    """Figures by group, narrow enough for an 80-column terminal: each count with its share
    of the targets under it."""
    from rich import box
    from rich.table import Table

    from ocrm_tui.services.campaigns import percent

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, caption_justify="left",
                  caption=_("Under each count: its share of the targets."))
    cells = [[r.label, f"{r.targets:,}", f"{r.contacted:,}\n{percent(r.contact_rate)}",
              f"{r.participated:,}\n{percent(r.participation_rate)}",
              f"{r.converted:,}\n{percent(r.conversion_rate)}", f"{r.amount:,.2f}"] for r in rows]
    table.add_column(_("Group"), min_width=min(max((len(r.label) for r in rows), default=8), 16))
    headers = (_("Targets"), _("Contacted"), _("Participated"), _("Conversions"), _("Converted amount"))
    for i, header in enumerate(headers, 1):
        # A figure never wraps; a long title may.
        widest = max((len(line) for row in cells for line in row[i].splitlines()), default=1)
        table.add_column(header, justify="right", min_width=widest)
    for row in cells:
        table.add_row(*row)
    return table


def print_report(m) -> None:
    from rich.table import Table

    from ocrm_tui.services.campaign_reports import summary_rows
    from ocrm_tui.services.campaigns import percent
    from ocrm_tui.services.exports import Percent

    summary = Table(title=_("Campaign {id}: {name}", id=m.campaign_id, name=m.name), title_justify="left",
                    show_header=False)
    summary.add_column(_("Figure"))
    summary.add_column(_("Value"), justify="right")
    for label, value in summary_rows(m)[2:]:  # the title names the campaign
        if isinstance(value, Percent):
            text = percent(value)
        elif value is None:
            text = "—"
        elif isinstance(value, int):
            text = f"{value:,}"
        elif isinstance(value, str):
            text = value
        else:
            text = f"{value:,.2f}"
        summary.add_row(label, text)
    console.print(summary, markup=False, emoji=False)
    console.print(_metrics_table(_("By tier"), [m.overall, *m.by_tier]), markup=False, emoji=False)
    if m.by_tag:
        console.print(_metrics_table(_("By tag"), m.by_tag), markup=False, emoji=False)
    else:
        say(_("No target carries a tag."))


@app.command("campaign")
@handle_errors
def campaign(
    campaign_id: Annotated[int, typer.Argument(metavar="ID", help="The campaign's number.")],
    fmt: Annotated[ReportFormat | None, typer.Option("--format", help="table (default), csv or xlsx.")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="The file to write (csv, xlsx).")] = None,
    force: ForceOption = False,
    as_staff: AsOption = None,
    db: DbOption = None,
) -> None:
    """Targets, contacts, participation, conversions, converted amount, cost and ROI: overall, by tier and by tag."""
    from ocrm_tui.services import campaign_reports, campaigns

    chosen = output_format(fmt.value if fmt else None, out, allow_table=True)
    with opened(db, create_sqlite=False) as database:
        if chosen == "table":
            with database.session() as s:
                m = campaigns.metrics(s, acting(s, as_staff), campaign_id)
            print_report(m)
            return
        with database.session(write=True) as s:
            result = campaign_reports.export_report(s, acting(s, as_staff), campaign_id, out, chosen, overwrite=force)
    say(_("Report of campaign {id} written to {path}: {rows} rows, SHA-256 {sha}.", id=campaign_id,
          path=str(result.path), rows=f"{result.rows:,}", sha=result.sha256))


# -- the management reports -------------------------------------------------------------------------

def _cell(value, kind: str) -> str:
    from ocrm_tui.services.campaigns import percent

    if value is None:
        return "—"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "percent":
        return percent(value)
    if kind == "int":
        return f"{value:,}"
    if kind == "number":
        return f"{value:,.1f}"
    return str(value)


def print_management_report(report) -> None:
    """Each table in full: no figure is ever cut short. A table wider than the terminal is
    printed at its own width (the terminal folds its lines; --format csv suits wide tables)."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    console.print(f"{report.title}\n{report.subtitle}", markup=False, emoji=False, highlight=False)
    for note in report.notes:
        say(note)
    for t in report.tables:
        cells = [[_cell(v, c.kind) for v, c in zip(row, t.columns)] for row in t.rows]
        table = Table(title=t.title, title_justify="left", box=box.SIMPLE_HEAD, caption=t.note or None,
                      caption_justify="left")
        width = 0
        for i, c in enumerate(t.columns):
            widest = max([cell_len(c.header), *(cell_len(r[i]) for r in cells)])
            least = widest if c.kind != "text" else min(widest, 24)
            table.add_column(c.header, justify="left" if c.kind == "text" else "right", no_wrap=c.kind != "text",
                             min_width=least)
            width += least + 2
        for row in cells:
            table.add_row(*row)
        width += len(t.columns) + 4  # the separators and the edges
        out = console if width <= console.width else Console(width=width, file=console.file,
                                                             force_terminal=console.is_terminal)
        out.print(table, markup=False, emoji=False, highlight=False)
        if not t.rows:
            say(_("No figures for {title} in this period and scope.", title=t.title))


def _report_command(name: str):
    def command(
        period: Annotated[str | None, typer.Option(
            "--period", metavar="PERIOD",
            help="2026-10 (a month), 2026Q3 (a quarter), 2026 (a year) or 2026-01-15..2026-03-31; default: this year.")] = None,
        branch: Annotated[str | None, typer.Option(
            "--branch", metavar="CODE", help="One branch of your scope (managers and administrators).")] = None,
        months: Annotated[int | None, typer.Option(
            "--months", min=2, max=11, help="Customers losing assets: months in a row (default: setting alert.aum_decline_months).")] = None,
        fmt: Annotated[ReportFormat | None, typer.Option("--format", help="table (default), csv or xlsx.")] = None,
        out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="The file to write (csv, xlsx).")] = None,
        force: ForceOption = False,
        as_staff: AsOption = None,
        db: DbOption = None,
    ) -> None:
        from ocrm_tui.services import reports
        from ocrm_tui.services.clock import system_clock

        chosen = output_format(fmt.value if fmt else None, out, allow_table=True)
        options = {"months": months} if months is not None and name == "losing-assets" else {}
        if months is not None and name != "losing-assets":
            fail(_("--months applies to the report losing-assets"), 2)
        today = system_clock().astimezone().date()
        with opened(db, create_sqlite=False) as database:
            with database.session(write=chosen != "table") as s:
                actor = acting(s, as_staff)
                period_value = reports.parse_period(period, today)
                if chosen != "table":
                    options["limit"] = None  # a file holds every customer and ticket
                report = reports.run(s, actor, name, period_value, branch=branch, today=today, **options)
                if chosen == "table":
                    print_management_report(report)
                    return
                result = reports.export_report(s, actor, report, out, chosen, overwrite=force)
        say(_("Report {name} written to {path}: {rows} rows, SHA-256 {sha}.", name=name, path=str(result.path),
              rows=f"{result.rows:,}", sha=result.sha256))

    return command


def _register() -> None:
    from ocrm_tui.report_names import REPORT_NAMES

    for name, (title, describe) in REPORT_NAMES.items():
        app.command(name, help=f"{title()}: {describe()}.")(handle_errors(_report_command(name)))


_register()


@app.command("refresh")
@handle_errors
def refresh(db: DbOption = None) -> None:
    """Rebuild the monthly summaries the reports read (imports and the demo do it; run it after other changes)."""
    from ocrm_tui.services import reports_data
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            result = reports_data.refresh(s, Actor.system())
    say(_("Report summaries rebuilt in {seconds} s: {txn} transaction rows, {aum} asset rows, {falling} customers "
          "losing assets up to {month}.", seconds=f"{result.seconds:.1f}", txn=f"{result.txn_rows:,}",
          aum=f"{result.aum_rows:,}", falling=f"{result.falling:,}", month=result.through.strftime("%Y-%m")))
