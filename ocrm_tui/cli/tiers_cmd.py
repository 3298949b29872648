"""`ocrm tiers recompute`: the scheduled re-tiering job."""

from __future__ import annotations

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Customer tiers.", no_args_is_help=True)


@app.command("recompute")
@handle_errors
def recompute(db: DbOption = None) -> None:
    """Give every customer without a manual override the tier of their daily-average AUM."""
    from rich.table import Table

    from ocrm_tui.services import tiers
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            result = tiers.recompute_tiers(s, Actor.system())
    t = result.thresholds
    say(_("Thresholds (daily-average AUM, CNY): VIP from {vip}, wealth from {wealth}, private banking from {private}.",
          vip=t["vip"], wealth=t["wealth"], private=t["private"]))
    if result.moves:
        table = Table(title=_("Tier changes"), title_justify="left")
        table.add_column(_("From"), no_wrap=True)
        table.add_column(_("To"), no_wrap=True)
        table.add_column(_("Number of customers"), justify="right", no_wrap=True)
        for (old, new), n in result.moves.items():
            table.add_row(tiers.tier_label(old), tiers.tier_label(new), f"{n:,}")
        console.print(table)
    say(_("{changed} of {checked} customers changed tier.", changed=result.changed, checked=result.checked))
    if result.overrides:
        say(_("{n} manual overrides left alone ({d} of them differ from the automatic tier).",
              n=result.overrides, d=result.overrides_differing))
