"""`ocrm sms export`: the queued SMS outbox as a CSV file for the SMS gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, handle_errors, opened, say
from ocrm_tui.cli.report_cmd import ForceOption
from ocrm_tui.i18n import _

app = typer.Typer(help="The SMS outbox.", no_args_is_help=True)


@app.command("export")
@handle_errors
def export(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The CSV file to write.")],
    campaign_id: Annotated[int | None, typer.Option("--campaign", metavar="ID", help="Only this campaign's messages.")] = None,
    for_gateway: Annotated[bool, typer.Option(
        "--for-gateway", help="Write full mobile numbers, for the SMS gateway (audited as an unmasked export).")] = False,
    force: ForceOption = False,
    db: DbOption = None,
) -> None:
    """Write the queued messages (campaign, customer number, mobile, text, queued at): with
    --for-gateway, full mobiles for the SMS gateway, and the messages are marked exported; without
    it, a masked preview to check the texts (the messages stay queued)."""
    from ocrm_tui.services import sms
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            done = sms.export_outbox(s, Actor.system(), out, campaign_id=campaign_id, for_gateway=for_gateway,
                                     overwrite=force)
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
