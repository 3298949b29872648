"""`ocrm tickets sla-scan`: the scheduled job that raises an alert for each overdue ticket."""

from __future__ import annotations

import typer

from ocrm_tui.cli.common import DbOption, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Service tickets.", no_args_is_help=True)


@app.command("sla-scan")
@handle_errors
def sla_scan(db: DbOption = None) -> None:
    """Raise an alert for each open ticket past its due time (once per ticket; safe to run often)."""
    from ocrm_tui.services import tickets
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            raised = tickets.sla_scan(s, Actor.system())
    if raised:
        say(_("Alerts raised for overdue tickets: {n}.", n=f"{raised:,}"))
    else:
        say(_("No ticket has newly become overdue; no alerts raised."))
