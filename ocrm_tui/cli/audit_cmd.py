"""`ocrm audit verify|list|review|archive`."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from ocrm_tui.cli.common import DbOption, console, err_console, fail, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Audit trail.", no_args_is_help=True)

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
VALUE_WIDTH = 40  # longer values are cut in the list; `ocrm audit list --id` shows the record's rows



def parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("{value!r} is not a date like 2026-11-23", value=value)) from None


def local_midnight(day: date) -> datetime:
    """The start of a day on this machine's clock, as an aware datetime."""
    return datetime(day.year, day.month, day.day).astimezone()


def _value(v: Any) -> str:
    if v is None:
        return "∅"
    text = v if isinstance(v, str) else str(v)
    if ISO_TIME.match(text):
        try:
            text = datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    text = " ".join(text.split())  # one line per cell
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def compact_changes(changes: dict) -> str:
    """{field: [before, after]} as `field: before → after`, one per line, each value cut to the column."""
    from ocrm_tui.services.audit import describe_changes

    return describe_changes(changes, _value, sep="\n")


@app.command("verify")
@handle_errors
def verify(
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", metavar="SEQ:HASH",
        help="The head printed by an earlier verify (kept outside the database): that record must still be there.")] = None,
    archives: Annotated[list[Path] | None, typer.Option(
        "--archive", metavar="FILE",
        help="An archive file written by ocrm audit archive; give every archive, oldest first (repeat the option).")] = None,
    db: DbOption = None,
) -> None:
    """Check the hash chain of the audit trail: finds an edited or deleted record."""
    from ocrm_tui.services import audit, audit_archive

    expected = None
    if expect_head is not None:
        seq_text, _sep, hash_text = expect_head.partition(":")
        if not seq_text.isdigit() or int(seq_text) < 1 or len(hash_text) != 64:
            raise typer.BadParameter(_("expected SEQ:HASH as printed by ocrm audit verify"), param_hint="'--expect-head'")
        expected = (int(seq_text), hash_text.lower())
    with opened(db, create_sqlite=False) as database:  # reading: a mistyped path is not a new database
        with database.session() as s:
            files = audit_archive.verify_archives(s, archives) if archives else None
            report = audit.verify_chain(s, expect_head=expected)
    if files is not None:
        for check in files.files:
            if not check.ok:
                fail(_("archive {file} does not verify: {why}", file=str(check.path), why=archive_problem(check)))
            say(_("archive {file}: records {first}–{last} ({n}) and {m} login attempts intact",
                  file=str(check.path), first=check.first_seq, last=check.last_seq, n=f"{check.records:,}",
                  m=f"{check.login_attempts:,}"))
        if not files.continues:
            last = files.files[-1]
            if files.anchor_seq:
                fail(_("the audit trail in the database does not continue from {file}: it continues after record "
                       "{seq}; give the archive files up to that record", file=str(last.path), seq=files.anchor_seq))
            fail(_("the audit trail in the database has not been archived, so it does not continue from {file}",
                   file=str(last.path)))
    if report.ok:
        say(_("audit chain intact: {n} records", n=report.checked))
        if report.anchor_seq:
            say(_("it continues from the archive cut after record {seq}", seq=report.anchor_seq))
        if report.head_seq:
            # Written down outside the database, it lets a later verify notice deleted newest records.
            say(_("head: {head}", head=f"{report.head_seq}:{report.head_hash}"))
        return
    why = {
        "missing": _("record {seq} is missing (deleted)", seq=report.broken_seq),
        "altered": _("record {seq} was altered after it was written", seq=report.broken_seq),
        "link": _("record {seq} does not link to the record before it (a record was removed or replaced)",
                  seq=report.broken_seq),
        "cut": _("record {seq} is gone: the newest records were deleted", seq=report.broken_seq),
        "anchor": _("the archive cut after record {seq} does not match the archive record in the trail",
                    seq=report.broken_seq),
    }.get(report.reason or "", _("record {seq} is not valid", seq=report.broken_seq))
    fail(_("audit chain broken: {why}; {n} records before it are intact.", why=why, n=report.checked))


def archive_problem(check) -> str:
    """Why an archive file failed its check, in words."""
    seq = check.broken_seq
    return {
        "format": _("it is not a complete audit archive file"),
        "sha256": _("its content was changed after it was written (the closing SHA-256 does not match)"),
        "prev": _("it does not continue from the archive before it"),
        "missing": _("record {seq} is missing", seq=seq),
        "link": _("record {seq} does not link to the record before it", seq=seq),
        "altered": _("record {seq} was altered after it was written", seq=seq),
        "count": _("its counts do not match its records"),
        "order": _("it does not follow the archive before it (record {seq})", seq=seq),
        "unknown": _("the database has no archive cut that ends where this file ends"),
        "file": _("it is not the file the database recorded for this cut (SHA-256 differs)"),
    }.get(check.problem or "", check.problem or "")


@app.command("list")
@handle_errors
def list_(
    user: Annotated[str | None, typer.Option("--user", metavar="NO", help="Only what this employee number did (os:NAME for ocrm commands).")] = None,
    entity: Annotated[str | None, typer.Option("--entity", metavar="E", help="Only records about this kind of thing (table), e.g. staff_user, customer.")] = None,
    id_: Annotated[str | None, typer.Option("--id", metavar="ID", help="Only records about the thing with this id.")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="From the start of this day.")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Up to the end of this day.")] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, max=100_000, help="At most N records.")] = 50,
    db: DbOption = None,
) -> None:
    """List audit records, newest first."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import audit

    since_day = parse_day_option(since, "--since")
    until_day = parse_day_option(until, "--until")
    if since_day and until_day and until_day < since_day:
        raise typer.BadParameter(_("--until is before --since"), param_hint="'--until'")
    with opened(db, create_sqlite=False) as database:  # reading: a mistyped path is not a new database
        with database.session() as s:
            rows = audit.list_records(
                s, actor_no=user, entity=entity, entity_id=id_,
                since=local_midnight(since_day) if since_day else None,
                until=local_midnight(until_day + timedelta(days=1)) if until_day else None,
                limit=limit,
            )
    if not rows:
        say(_("No audit records match."))
        return
    table = Table(title=_("Audit records (newest first)"), title_justify="left")
    table.add_column(_("No."), justify="right", no_wrap=True)
    table.add_column(_("Time / by"), no_wrap=True)
    table.add_column(_("Event / record"))
    table.add_column(_("Changes"), overflow="fold")
    for r in rows:
        record = f"{r.entity} {r.entity_id}" if r.entity_id else r.entity
        table.add_row(
            str(r.seq), Text(f"{r.at.astimezone().strftime('%Y-%m-%d %H:%M:%S')}\n{r.actor_no or '-'}"),
            Text(f"{r.event}\n{record}"), Text(compact_changes(r.changes)),
        )
    console.print(table)
    say(_("Total: {n}", n=len(rows)))


def parse_day_option(value: str | None, name: str) -> date | None:
    try:
        return parse_day(value)
    except typer.BadParameter as exc:
        exc.param_hint = f"'{name}'"
        raise


def on_terminal() -> bool:
    return bool(sys.stdin is not None and sys.stdin.isatty())


SHA_TEXT = re.compile(r"^[0-9a-f]{64}$")


def _cell(value: Any) -> str:
    """A review value on the terminal: local times, a SHA-256 cut to its start (the file has it whole)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # The quarter names the year; the table needs the room.
        return value.astimezone().strftime("%m-%d %H:%M")
    text = str(value)
    return text[:12] + "…" if SHA_TEXT.match(text) else text


@app.command("review")
@handle_errors
def review(
    quarter: Annotated[str, typer.Option("--quarter", metavar="YYYYQn", help="The quarter to review, e.g. 2026Q3.")],
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="Also write the review to this file (.xlsx or .csv).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """The quarter's privileged operations: tier overrides, exports, access, roles, lockouts, sessions ended."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import audit_review, exports
    from ocrm_tui.services.actor import Actor
    from ocrm_tui.services.errors import ValidationError

    try:
        q = audit_review.parse_quarter(quarter)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--quarter'") from None
    if out is not None:
        exports.check_format(None, out)
        exports.check_destination(out, overwrite=force)
    actor = Actor.system()
    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            result = audit_review.review(s, actor, q)
            written = audit_review.export_review(s, actor, result, out, None, force) if out is not None else None
    say(_("Review of privileged operations, {quarter}", quarter=q.label))
    for section in result.sections:
        table = Table(title=f"{section.title} ({section.count})", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        for i, header in enumerate(section.headers):
            table.add_column(header, overflow="fold", no_wrap=i == 0)
        for row in section.rows:
            table.add_row(*(Text(_cell(v)) for v in row))
        if section.rows:
            console.print(table)
        else:
            say(_("{title}: none", title=section.title))
    chain = Table(title=_("Audit chain"), title_justify="left", show_header=False)
    chain.add_column()
    chain.add_column(overflow="fold")
    for item, value in result.chain_rows:
        chain.add_row(Text(item), Text(str(value)))
    console.print(chain)
    if written is not None:
        say(_("Review {quarter} written to {path}: {rows} rows, SHA-256 {sha}.", quarter=q.label,
              path=str(written.path), rows=f"{written.rows:,}", sha=written.sha256))


@app.command("archive")
@handle_errors
def archive(
    before: Annotated[str, typer.Option("--before", metavar="YYYY-MM-DD", help="Archive what was written before this day.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="The archive file to write (JSON lines; .gz compresses it).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Archive without asking for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Move audit and login records older than the retention period to a verified archive file.

    The file must be new: an archive never replaces a file."""
    from ocrm_tui.services import audit_archive
    from ocrm_tui.services.actor import Actor

    day = parse_day_option(before, "--before")
    if not yes and not on_terminal():
        fail(_("Archiving removes records from the database: add --yes to archive without a terminal to ask on."), 2)
    actor = Actor.system()
    with opened(db, create_sqlite=False) as database:
        if not yes:
            with database.session() as s:
                plan = audit_archive.plan(s, actor, day)
                audit_archive.check_target(s, out)  # refused before asking, not after
            question = _("Move audit records {first}–{last} ({n}) and {m} login attempts written before {day} to "
                         "{path} and remove them from the database?", first=plan.first_seq, last=plan.last_seq,
                         n=f"{plan.records:,}", m=f"{plan.login_attempts:,}", day=day.isoformat(), path=str(out))
            try:
                confirmed = typer.confirm(question, default=False, err=True)
            except typer.Abort:
                err_console.print()
                fail(_("Nothing was archived: no answer."))
            if not confirmed:
                fail(_("Nothing was archived."))
        with database.session() as s:  # the service takes the write lock only for the cut itself
            done = audit_archive.archive(s, actor, day, out)
    say(_("Archived audit records {first}–{last} ({n}) and {m} login attempts written before {day} to {path}; "
          "SHA-256 {sha}.", first=done.first_seq, last=done.last_seq, n=f"{done.records:,}",
          m=f"{done.login_attempts:,}", day=day.isoformat(), path=str(done.path), sha=done.sha256))
    say(_("The trail in the database continues after record {seq} (hash {hash}). Keep the file: "
          "ocrm audit verify --archive FILE checks it.", seq=done.last_seq, hash=done.last_hash))
