"""`ocrm org add|list`."""

from __future__ import annotations

from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.db.enums import OrgLevel
from ocrm_tui.i18n import _

app = typer.Typer(help="Organisation tree.", no_args_is_help=True)



def level_label(level: str) -> str:
    return {
        "head": _("head office"),
        "branch1": _("tier-1 branch"),
        "branch2": _("tier-2 branch"),
        "subbranch": _("sub-branch"),
        "outlet": _("outlet"),
    }.get(level, level)


@app.command("add")
@handle_errors
def add(
    code: Annotated[str, typer.Argument(help="Organisation code, e.g. JN01.")],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Name of the organisation.")],
    level: Annotated[OrgLevel, typer.Option("--level", help="Level in the tree.")],
    parent: Annotated[str | None, typer.Option("--parent", metavar="CODE", help="Code of the parent organisation (not for the head office).")] = None,
    db: DbOption = None,
) -> None:
    """Add an organisation under its parent."""
    from ocrm_tui.services import orgs
    from ocrm_tui.services.actor import Actor

    with opened(db) as database:
        with database.session(write=True) as s:
            row = orgs.add_org(s, Actor.system(), code=code, name=name, level=level.value, parent_code=parent)
    if row.parent_code:
        say(_("Added {level} {code} {name} under {parent}.", level=level_label(row.level), code=row.code,
                        name=row.name, parent=row.parent_code))
    else:
        say(_("Added {level} {code} {name}.", level=level_label(row.level), code=row.code, name=row.name))


@app.command("list")
@handle_errors
def list_(
    under: Annotated[str | None, typer.Option("--under", metavar="CODE", help="Only this organisation and those below it.")] = None,
    db: DbOption = None,
) -> None:
    """Show the organisation tree, indented by depth."""
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import orgs

    with opened(db, create_sqlite=False) as database:
        with database.session() as s:
            rows = orgs.list_orgs(s, under=under)
    if not rows:
        say(_("No organisations yet. Add the head office with: ocrm org add CODE --name NAME --level head"))
        return
    top = min(r.depth for r in rows)
    table = Table(title=_("Organisations"), title_justify="left")
    table.add_column(_("Code"), no_wrap=True)
    table.add_column(_("Name"))
    table.add_column(_("Level"))
    table.add_column(_("Parent"), no_wrap=True)
    for r in rows:
        table.add_row(Text("  " * (r.depth - top) + r.code), Text(r.name), level_label(r.level), Text(r.parent_code or ""))
    console.print(table)
    say(_("Total: {n}", n=len(rows)))
