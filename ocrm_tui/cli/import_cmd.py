"""`ocrm import bank-marketing FILE`: the UCI Bank Marketing file as customers and one ended campaign."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Load files from other systems.", no_args_is_help=True)


def _stage_text(stage: str) -> str:
    return {"read": _("Checking rows"), "customers": _("Loading customers"), "tags": _("Tagging customers"),
            "targets": _("Loading campaign targets")}.get(stage, stage)


class _PlainProgress:
    """Progress as plain lines, for logs and pipes: one line per stage when it is done."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total and done == total:
            elapsed = max(time.perf_counter() - self.started, 1e-6)
            say(_("{stage}: {done} rows ({rate} rows/s)", stage=_stage_text(stage), done=f"{done:,}",
                  rate=f"{done / elapsed:,.0f}"))
            self.started = time.perf_counter()


class _RichProgress:
    """A bar per stage with rows done and rows per second, on a terminal."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console)
        self.tasks: dict[str, tuple[int, float]] = {}

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = (self.progress.add_task(_stage_text(stage), total=total or None, rate=""),
                                 time.perf_counter())
        task, started = self.tasks[stage]
        rate = done / max(time.perf_counter() - started, 1e-6)
        self.progress.update(task, completed=done, total=total or None,
                             rate=_("{rate} rows/s", rate=f"{rate:,.0f}"))


@app.command("bank-marketing")
@handle_errors
def bank_marketing(
    file: Annotated[Path, typer.Argument(metavar="FILE",
                                         help="The UCI bank-full.csv file (;-separated, with its header).")],
    org: Annotated[str | None, typer.Option(
        "--org", metavar="CODE",
        help="Organisation of the customers and scope of the campaign (default: the head office, bank-wide).")] = None,
    db: DbOption = None,
) -> None:
    """Load the UCI Bank Marketing file: a customer per row and one ended telemarketing campaign with its outcomes."""
    from ocrm_tui.services import bank_marketing as service
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.tiers import tier_label

    terminal = console.is_terminal
    with opened(db, create_sqlite=False) as database:
        if terminal:
            with _RichProgress() as bar:
                checked = service.read_file(file, progress=bar)
                with database.session(write=True) as s:
                    result = service.import_bank_marketing(s, Actor.system(), file, org_code=org, progress=bar,
                                                           bank_file=checked)
        else:
            progress = _PlainProgress()
            checked = service.read_file(file, progress=progress)
            with database.session(write=True) as s:
                result = service.import_bank_marketing(s, Actor.system(), file, org_code=org, progress=progress,
                                                       bank_file=checked)
    if result.extra_columns:
        say(_("Columns not used: {columns}", columns=", ".join(result.extra_columns)))
    if not result.changed:
        say(_("Nothing changed: the {n} customers of {file} are already on file, unchanged, and campaign {id} "
              "({name}) already holds their outcomes.", n=f"{result.rows:,}", file=file.name, id=result.campaign_id,
              name=result.campaign_name))
        return
    say(_("Customers: {added} added, {updated} updated, {unchanged} unchanged.", added=f"{result.customers_added:,}",
          updated=f"{result.customers_updated:,}", unchanged=f"{result.customers_unchanged:,}"))
    if result.tags_created:
        say(_("Tags created: {names}.", names=", ".join(result.tags_created)))
    say(_("Tags given to customers: {n}.", n=f"{result.customer_tags_added:,}"))
    if result.tiers:
        say(_("Tiers: {tiers}.", tiers=", ".join(f"{tier_label(t)} {n:,}" for t, n in result.tiers.items())))
    if result.campaign_created:
        say(_("Campaign {id} ({name}) created, ended, with {n} targets; {converted} converted.",
              id=result.campaign_id, name=result.campaign_name, n=f"{result.targets_added:,}",
              converted=f"{result.converted:,}"))
    else:
        say(_("Campaign {id} ({name}) was already loaded; {n} targets added to it.", id=result.campaign_id,
              name=result.campaign_name, n=f"{result.targets_added:,}"))
    say(_("{rows} rows imported in {seconds} s ({rate} rows/s). The report: ocrm report campaign {id}",
          rows=f"{result.rows:,}", seconds=f"{result.seconds:,.1f}",
          rate=f"{result.rows / max(result.seconds, 1e-6):,.0f}", id=result.campaign_id))
