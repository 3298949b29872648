"""`ocrm tag add|list|rename|merge`: the tag vocabulary."""

from __future__ import annotations

from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, err_console, fail, handle_errors, opened, say
from ocrm_tui.db.enums import TagFamily
from ocrm_tui.i18n import _

app = typer.Typer(help="Customer tags.", no_args_is_help=True)

TagName = Annotated[str, typer.Argument(help="Tag name, e.g. 房贷客户.")]


@app.command("add")
@handle_errors
def add(
    name: TagName,
    family: Annotated[TagFamily, typer.Option("--family", help="Family of the tag.")] = TagFamily.CUSTOM,
    db: DbOption = None,
) -> None:
    """Add a tag to the vocabulary."""
    from ocrm_tui.services import tags
    from ocrm_tui.services.actor import Actor

    with opened(db) as database:
        with database.session(write=True) as s:
            tag = tags.add_tag(s, Actor.system(), name, family.value)
    say(_("Added tag {name} ({family}).", name=tag.name, family=tags.family_label(tag.family)))


@app.command("list")
@handle_errors
def list_(
    family: Annotated[TagFamily | None, typer.Option("--family", help="Only tags of this family.")] = None,
    db: DbOption = None,
) -> None:
    """List tags by family, with how many customers carry each."""
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import tags

    with opened(db, create_sqlite=False) as database:
        with database.session() as s:
            rows = tags.list_tags(s, family=family.value if family else None)
    if not rows:
        say(_("No tags yet. Add one with: ocrm tag add NAME --family FAMILY"))
        return
    table = Table(title=_("Tags"), title_justify="left")
    table.add_column(_("Family"), no_wrap=True)
    table.add_column(_("Tag"))
    table.add_column(_("Customers tagged"), justify="right", no_wrap=True)
    for r in rows:
        table.add_row(tags.family_label(r.family), Text(r.name), f"{r.customers:,}")
    console.print(table)
    say(_("Total: {n}", n=len(rows)))


@app.command("rename")
@handle_errors
def rename(
    old: Annotated[str, typer.Argument(help="Current name of the tag.")],
    new: Annotated[str, typer.Argument(help="New name.")],
    db: DbOption = None,
) -> None:
    """Rename a tag; the customers who carry it keep it."""
    from ocrm_tui.services import tags
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            before = tags.get_tag(s, old).name
            tag = tags.rename_tag(s, Actor.system(), old, new)
    say(_("Renamed tag {old} to {new}.", old=before, new=tag.name))


@app.command("merge")
@handle_errors
def merge(
    source: Annotated[str, typer.Argument(help="The tag that goes away.")],
    target: Annotated[str, typer.Argument(help="The tag its customers get instead.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Merge without asking for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Merge SOURCE into TARGET: SOURCE's customers get TARGET, then SOURCE is deleted."""
    from ocrm_tui.services import tags
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        if not yes:
            with database.session() as s:
                src = tags.tag_info(s, source)
                dst = tags.tag_info(s, target)
            question = _("Merge tag {source} (customers: {n}) into {target} (customers: {m}) and delete {source}?",
                         source=src.name, n=src.customers, target=dst.name, m=dst.customers)
            try:
                # Without a terminal (a script, cron) and without --yes, the missing answer is a no.
                confirmed = typer.confirm(question, default=False, err=True)
            except typer.Abort:
                err_console.print()  # end the question's line
                fail(_("Nothing was merged: no answer. Add --yes to merge without being asked."))
            if not confirmed:
                fail(_("Nothing was merged."))
        with database.session(write=True) as s:
            src_name, dst_name = tags.get_tag(s, source).name, tags.get_tag(s, target).name
            moved = tags.merge_tags(s, Actor.system(), source, target)
    say(_("Merged tag {source} into {target} (customers moved: {n}); {source} is deleted.",
          source=src_name, target=dst_name, n=moved))
