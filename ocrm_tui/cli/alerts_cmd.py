"""`ocrm alerts scan`: the scheduled job that raises alerts and reminders; `ocrm alerts list`: someone's open ones."""

from __future__ import annotations

from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Alerts and reminders.", no_args_is_help=True)


@app.command("scan")
@handle_errors
def scan(db: DbOption = None) -> None:
    """Apply every alert rule (thresholds in settings) and raise what is new; safe to run often."""
    from rich.table import Table

    from ocrm_tui.services import alerts
    from ocrm_tui.services.actor import Actor

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            result = alerts.scan(s, Actor.system())
    table = Table(title=_("Alerts raised"), title_justify="left")
    table.add_column(_("Kind"), no_wrap=True)
    table.add_column(_("Raised"), justify="right", no_wrap=True)
    for kind, n in result.by_kind.items():
        table.add_row(alerts.kind_label(kind), f"{n:,}")
    console.print(table)
    say(_("{n} new alerts in {seconds} s.", n=f"{result.raised:,}", seconds=f"{result.seconds:.1f}"))


@app.command("list")
@handle_errors
def list_open(
    as_: Annotated[str | None, typer.Option(
        "--as", metavar="EMPLOYEE_NO",
        help="Whose open alerts (default: the unaddressed ones, as the administrator at this server).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")] = 50,
    db: DbOption = None,
) -> None:
    """Open alerts and reminders, most severe first."""
    from ocrm_tui.services import alerts
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.campaign_reports import acting_staff

    with opened(db, create_sqlite=False) as database:
        with database.session() as s:
            actor = acting_staff(s, as_) if as_ else Actor.system()
            rows = alerts.open_alerts(s, actor, limit=limit)
            counts = alerts.open_counts(s, actor)
    for cat in alerts.CATEGORIES:
        c = counts[cat]
        say(_("{category}: {high} high, {medium} medium, {low} low", category=alerts.category_label(cat),
              high=c["high"], medium=c["medium"], low=c["low"]))
    if not rows:
        say(_("No open alerts."))
        return
    for r in rows:  # two lines each: a long text stays whole, however narrow the terminal
        say("  ".join(part for part in (f"#{r.id}", alerts.severity_label(r.severity), r.kind_text, r.customer_name,
                                        r.due_on.isoformat() if r.due_on else "") if part))
        say(f"    {r.text}")
