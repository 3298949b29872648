"""`ocrm report campaign ID`: a campaign's figures on the terminal, or as CSV / XLSX."""

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
