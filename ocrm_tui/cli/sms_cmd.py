"""`ocrm sms export`: the queued SMS outbox as a CSV file for the SMS gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, fail, handle_errors, opened, say
from ocrm_tui.cli.report_cmd import AsOption, ForceOption, PasswordStdinOption, acting, acting_in_person
from ocrm_tui.i18n import _

app = typer.Typer(help="The SMS outbox.", no_args_is_help=True)


@app.command("export")
@handle_errors
def export(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The CSV file to write.")],
    campaign_id: Annotated[int | None, typer.Option("--campaign", metavar="ID", help="Only this campaign's messages.")] = None,
    for_gateway: Annotated[bool, typer.Option(
        "--for-gateway", help="Write full mobile numbers, for the SMS gateway (audited as an unmasked export; "
                              "needs --request).")] = False,
    request: Annotated[int | None, typer.Option(
        "--request", metavar="N", help="Your approved export request for sms:ID or sms:all (used once).")] = None,
    force: ForceOption = False,
    as_staff: AsOption = None,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
) -> None:
    """Write the queued messages (campaign, customer number, mobile, text, queued at): with
    --for-gateway, full mobiles for the SMS gateway, and the messages are marked exported; without
    it, a masked preview to check the texts (the messages stay queued). The file for the gateway
    is made in person: the --as member of staff gives their password."""
    from ocrm_tui.services import sms

    what = f"sms:{campaign_id}" if campaign_id is not None else "sms:all"
    if request is not None and not for_gateway:
        fail(_("--request names the approval of a file with full mobiles: add --for-gateway"), 2)
    if for_gateway and request is None:
        fail(_("A file with full mobiles needs an approved request: ask with `ocrm access request-export --what {what} "
               "--purpose TEXT --hours N --as EMPLOYEE_NO`, then name it with --request N --as EMPLOYEE_NO", what=what))
    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            actor = acting_in_person(s, as_staff, password_stdin=password_stdin) if for_gateway else acting(s, as_staff)
            done = sms.export_outbox(s, actor, out, campaign_id=campaign_id, for_gateway=for_gateway,
                                     request_id=request, overwrite=force)
    if not done.messages:
        say(_("No message is waiting in the outbox; no file was written."))
        return
    if done.masked:
        say(_("{n} messages written to {path} with masked mobiles, to check the texts; they stay queued for the gateway "
              "(--for-gateway) (SHA-256 {sha}).",
              n=f"{done.messages:,}", path=str(done.result.path), sha=done.result.sha256))
    else:
        say(_("{n} messages written to {path} for the gateway, with full mobiles, and marked exported (SHA-256 {sha}).",
              n=f"{done.messages:,}", path=str(done.result.path), sha=done.result.sha256))
        say(_("The manifest {path} names the exporter, the approval, the rows and the SHA-256.",
              path=str(done.manifest)))
