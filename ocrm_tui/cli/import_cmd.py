"""`ocrm import customers|products|accounts|transactions FILE`: the core banking system's extracts;
`ocrm import bank-marketing FILE`: the UCI Bank Marketing file as customers and one ended campaign."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, handle_errors, opened, say
from ocrm_tui.i18n import _, _c

app = typer.Typer(help="Load files from other systems.", no_args_is_help=True)


def _stage_text(stage: str) -> str:
    return {"read": _("Checking rows"), "customers": _("Loading customers"), "tags": _("Tagging customers"),
            "targets": _("Loading campaign targets"), "products": _("Loading products"),
            "accounts": _("Loading accounts"), "transactions": _("Loading transactions"),
            "indexes": _("Building indexes"), "aum": _("Updating AUM and tiers")}.get(stage, stage)


class _PlainProgress:
    """Progress as plain lines, for logs and pipes: one line per stage when it is done and,
    with ``every``, one each time another ``every`` rows of a stage are done."""

    def __init__(self, every: int | None = None) -> None:
        self.started = time.perf_counter()
        self.every = every
        self.next_line = every

    def __call__(self, stage: str, done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        if total and done == total and stage == "aum":
            say(_("{stage}: {done} customers in {seconds} s", stage=_stage_text(stage), done=f"{done:,}",
                  seconds=f"{elapsed:,.1f}"))
            self.started = time.perf_counter()
        elif total and done == total:
            say(_("{stage}: {done} rows ({rate} rows/s)", stage=_stage_text(stage), done=f"{done:,}",
                  rate=f"{done / elapsed:,.0f}"))
            self.started = time.perf_counter()
            self.next_line = self.every
        elif self.every and done >= self.next_line:
            if total:
                say(_("{stage}: {done} of {total} rows ({rate} rows/s)", stage=_stage_text(stage), done=f"{done:,}",
                      total=f"{total:,}", rate=f"{done / elapsed:,.0f}"))
            else:
                say(_("{stage}: {done} rows so far ({rate} rows/s)", stage=_stage_text(stage), done=f"{done:,}",
                      rate=f"{done / elapsed:,.0f}"))
            self.next_line = (done // self.every + 1) * self.every


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


# -- core-banking extracts ---------------------------------------------------------------------------

SHOWN_PROBLEMS = 20  # bad rows listed on the terminal; the rest are counted (and all are in the reject file)

DryRunOption = Annotated[bool, typer.Option("--dry-run",
                                             help="Check the file and say what would change; write nothing.")]
SkipInvalidOption = Annotated[bool, typer.Option(
    "--skip-invalid", help="Load the good rows and write the bad ones, with the reason, to <name>.rejects.csv next to "
                           "the file (default: one bad row refuses the whole file).")]
EveryOption = Annotated[int, typer.Option(
    "--progress-every", metavar="N", min=1,
    help="Without a terminal (cron, a log), print a progress line every N rows of a stage.")]


def _kind_text(kind: str) -> str:
    return {"customers": _c("extract", "Customers"), "products": _c("extract", "Products"),
            "accounts": _c("extract", "Accounts"), "transactions": _c("extract", "Transactions")}[kind]


def _list_problems(problems: list, bad_rows: int) -> None:
    for problem in problems[:SHOWN_PROBLEMS]:
        say(problem.text())
    if len(problems) > SHOWN_PROBLEMS:
        say(_("… and {n} more problems ({rows} bad rows in all).", n=f"{len(problems) - SHOWN_PROBLEMS:,}",
              rows=f"{bad_rows:,}"))


def _core_import(kind: str, file: Path, dry_run: bool, skip_invalid: bool, every: int, db: str | None) -> None:
    from ocrm_tui.services import core_import as service
    from ocrm_tui.services.actor import Actor

    terminal = console.is_terminal
    with opened(db, create_sqlite=False) as database:
        progress = _RichProgress() if terminal else _PlainProgress(every)
        try:
            with progress if terminal else nullcontext(), \
                    service.import_session(database, write=not dry_run) as s:
                result = service.import_file(s, Actor.system(), kind, file, dry_run=dry_run,
                                             skip_invalid=skip_invalid, progress=progress)
        except service.FileRefused as refused:
            if refused.bad_rows > 1 or len(refused.problems) > 1:
                _list_problems(refused.problems, refused.bad_rows)
            raise
        _report(kind, file, result)
        if not dry_run:
            _scan_alerts(database)
            if result.changed and kind != "products":
                _refresh_reports(database)


def _report(kind: str, file: Path, result) -> None:
    if result.extra_columns:
        say(_("Columns not used: {columns}", columns=", ".join(result.extra_columns)))
    if result.rejected:
        _list_problems(result.problems, len(result.rejected))
    counts = dict(kind=_kind_text(kind), inserted=f"{result.inserted:,}", updated=f"{result.updated:,}",
                  unchanged=f"{result.unchanged:,}", rejected=f"{len(result.rejected):,}")
    rate = f"{result.rows / max(result.seconds, 1e-6):,.0f}"
    if result.dry_run:
        say(_("Dry run, nothing was written. {kind}: {inserted} would be inserted, {updated} updated, {unchanged} "
              "unchanged, {rejected} rejected.", **counts))
        return
    if not result.changed:
        say(_("Nothing changed: the {n} rows of {file} are already on file.", n=f"{result.unchanged:,}",
              file=file.name))
    say(_("{kind}: {inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected; "
          "{rows} rows in {seconds} s ({rate} rows/s).", **counts, rows=f"{result.rows:,}",
          seconds=f"{result.seconds:,.1f}", rate=rate))
    if result.rejects_path:
        say(_("Rejected rows, with the reason, written to {path}", path=str(result.rejects_path)))
    if result.aum is not None:
        aum = result.aum
        say(_("AUM brought up to date for {n} customers ({snapshots} monthly snapshots) in {seconds} s; tiers changed: "
              "{changed}; manual tiers kept: {kept}.", n=f"{aum.customers:,}", snapshots=f"{aum.snapshots:,}",
              seconds=f"{aum.seconds:,.1f}", changed=f"{aum.tiers_changed:,}", kept=f"{aum.overrides_kept:,}"))


def _scan_alerts(database) -> None:
    """The alert rules read what was just imported: the scheduled scan runs after every import."""
    from ocrm_tui.services import alerts
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.clock import system_clock

    with database.session(write=True) as s:
        result = alerts.scan(s, Actor.system(), clock=system_clock)
    say(_("Alert scan: {n} alerts raised.", n=f"{result.raised:,}"))


def _refresh_reports(database) -> None:
    """The reports read monthly summaries of transactions and assets by owner: rebuilt after
    an import that changed customers, accounts or transactions."""
    from ocrm_tui.services import reports_data
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.clock import system_clock

    with database.session(write=True) as s:
        result = reports_data.refresh(s, Actor.system(), clock=system_clock)
    say(_("Report summaries rebuilt in {seconds} s.", seconds=f"{result.seconds:.1f}"))


def _file_argument(what: str):
    return Annotated[Path, typer.Argument(metavar="FILE", help=what)]


@app.command("customers")
@handle_errors
def customers(
    file: _file_argument("The customers extract (CSV with a header row: customer_no, name, mobile, org_code, …)."),
    dry_run: DryRunOption = False, skip_invalid: SkipInvalidOption = False, every: EveryOption = 100_000,
    db: DbOption = None,
) -> None:
    """Load customers from the core banking system (upsert on customer_no; staff-kept fields stay)."""
    _core_import("customers", file, dry_run, skip_invalid, every, db)


@app.command("products")
@handle_errors
def products(
    file: _file_argument("The products extract (CSV with a header row: product_code, name, product_type, …)."),
    dry_run: DryRunOption = False, skip_invalid: SkipInvalidOption = False, every: EveryOption = 100_000,
    db: DbOption = None,
) -> None:
    """Load products from the core banking system (upsert on product_code)."""
    _core_import("products", file, dry_run, skip_invalid, every, db)


@app.command("accounts")
@handle_errors
def accounts(
    file: _file_argument("The accounts extract (CSV with a header row: account_no, customer_no, product_code, "
                         "balance, …)."),
    dry_run: DryRunOption = False, skip_invalid: SkipInvalidOption = False, every: EveryOption = 100_000,
    db: DbOption = None,
) -> None:
    """Load accounts and balances (upsert on account_no), then bring the holders' AUM and tiers up to date."""
    _core_import("accounts", file, dry_run, skip_invalid, every, db)


@app.command("transactions")
@handle_errors
def transactions(
    file: _file_argument("The transactions extract (CSV with a header row: txn_id, account_no, posted_at, amount, "
                         "direction, channel, …)."),
    dry_run: DryRunOption = False, skip_invalid: SkipInvalidOption = False, every: EveryOption = 100_000,
    db: DbOption = None,
) -> None:
    """Load transactions (upsert on txn_id), then bring the customers' AUM and tiers up to date."""
    _core_import("transactions", file, dry_run, skip_invalid, every, db)
