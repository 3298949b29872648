"""`ocrm export targets CAMPAIGN_ID`: a campaign's target list as a masked CSV or XLSX file
(with `--unmasked --request N`: full values, under the exporter's approved export request,
made in person: the `--as` member of staff gives their password)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, fail, handle_errors, opened, say
from ocrm_tui.cli.report_cmd import (
    AsOption,
    ForceOption,
    PasswordStdinOption,
    acting,
    acting_in_person,
    output_format,
)
from ocrm_tui.i18n import _

app = typer.Typer(help="Masked exports (CSV, XLSX), each one audited.", no_args_is_help=True)


class FileFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


@app.command("targets")
@handle_errors
def targets(
    campaign_id: Annotated[int, typer.Argument(metavar="CAMPAIGN_ID", help="The campaign's number.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The file to write.")],
    fmt: Annotated[FileFormat | None, typer.Option("--format", help="csv or xlsx (default: from the file name).")] = None,
    force: ForceOption = False,
    unmasked: Annotated[bool, typer.Option(
        "--unmasked", help="Full names and mobiles, under your approved export request (--request).")] = False,
    request: Annotated[int | None, typer.Option(
        "--request", metavar="N", help="Your approved export request for targets:CAMPAIGN_ID (used once).")] = None,
    as_staff: AsOption = None,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
) -> None:
    """The target list with RM, outcome, amount, contact time and note; names cut to the surname, mobiles masked."""
    from ocrm_tui.services import campaign_reports

    if request is not None and not unmasked:
        fail(_("--request names the approval of an unmasked export: add --unmasked"), 2)
    if unmasked and request is None:
        fail(_("An unmasked export needs an approved request: ask with `ocrm access request-export --what targets:{id} "
               "--purpose TEXT --hours N --as EMPLOYEE_NO`, then name it with --request N", id=campaign_id))
    chosen = output_format(fmt.value if fmt else None, out, allow_table=False)
    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            # Full values leave only with the exporter there in person.
            actor = acting_in_person(s, as_staff, password_stdin=password_stdin) if unmasked else acting(s, as_staff)
            done = campaign_reports.export_targets(s, actor, campaign_id, out, chosen, overwrite=force,
                                                   unmasked_request=request)
    if request is not None:
        say(_("Targets of campaign {id} ({name}) written to {path} with full names and mobiles under request {request}: "
              "{rows} rows, SHA-256 {sha}.", id=campaign_id, name=done.campaign, path=str(done.result.path),
              request=request, rows=f"{done.result.rows:,}", sha=done.result.sha256))
        return
    say(_("Targets of campaign {id} ({name}) written to {path}, masked: {rows} rows, SHA-256 {sha}.",
          id=campaign_id, name=done.campaign, path=str(done.result.path), rows=f"{done.result.rows:,}",
          sha=done.result.sha256))
