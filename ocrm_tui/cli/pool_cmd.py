"""`ocrm pool sweep`: the scheduled job that returns neglected claims to the customer pool."""

from __future__ import annotations

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="The customer pool.", no_args_is_help=True)


@app.command("sweep")
@handle_errors
def sweep(db: DbOption = None) -> None:
    """Return to the pool the customers claimed more than pool.sweep_days days ago without any contact since
    (safe to run often: what went back is not returned again)."""
    from rich.table import Table

    from ocrm_tui.services import pool
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            result = pool.sweep(s, Actor.system())
    if not result.returned:
        say(_("No claimed customer went {days} days without a contact; nobody went back to the pool.",
              days=result.days))
        return
    table = Table(title=_("Back to the pool, by relationship manager"), title_justify="left")
    table.add_column(_("Employee no."), no_wrap=True)
    table.add_column(_("Relationship manager"), no_wrap=True)
    table.add_column(_("Customers returned"), justify="right", no_wrap=True)
    for row in result.by_rm:
        table.add_row(row.employee_no, row.name, f"{row.customers:,}")
    console.print(table)
    say(_("{n} customers went back to the pool: no contact in the {days} days after their claim. Their "
          "relationship managers were told on their work platform.", n=f"{result.returned:,}", days=result.days))
