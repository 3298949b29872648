"""`ocrm settings list|set`: the bank's policy values kept in the database (audited)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, fail, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Policy values: lockout, idle lock, tier thresholds, SLA hours.", no_args_is_help=True)


@app.command("list")
@handle_errors
def list_(db: DbOption = None) -> None:
    """Show every setting, its value and whether it is the default."""
    from rich.table import Table

    from ocrm_tui.services import settings

    with opened(db, create_sqlite=False) as database, database.session() as s:
        rows = settings.list_settings(s)
    table = Table(title=_("Settings"), title_justify="left")
    table.add_column(_("Setting"), no_wrap=True)
    table.add_column(_("Value"))
    table.add_column(_("Default"), no_wrap=True)
    for key, value, default in rows:
        table.add_row(key, json.dumps(value, ensure_ascii=False, sort_keys=True), _("yes") if default else _("no"))
    console.print(table)


@app.command("set")
@handle_errors
def set_(
    key: Annotated[str, typer.Argument(help="The setting, e.g. sla.hours.")],
    value: Annotated[str, typer.Argument(help='The value as JSON, e.g. 20 or \'{"high": 4, "medium": 24, "low": 72}\'.')],
    db: DbOption = None,
) -> None:
    """Change a setting (recorded in the audit trail)."""
    from ocrm_tui.services import audit, settings
    from ocrm_tui.services.actor import Actor

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        fail(_("The value is not valid JSON: {value}", value=value), 2)
    with opened(db, create_sqlite=False) as database, database.session(write=True) as s:
        audit.acting_as(s, Actor.system())
        settings.set_setting(s, key, parsed)
        s.commit()
    say(_("{key} is now {value}.", key=key, value=json.dumps(parsed, ensure_ascii=False, sort_keys=True)))
