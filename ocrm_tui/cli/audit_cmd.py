"""`ocrm audit verify|list`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import typer

from ocrm_tui.cli.common import DbOption, console, fail, handle_errors, opened, say
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
    """{field: [before, after]} as `field: before → after`, one per line; a created field
    shows its value only. updated_at beside other changes is left out: the record's time says it."""
    parts = []
    for field, pair in changes.items():
        if field == "updated_at" and len(changes) > 1:
            continue
        if isinstance(pair, list) and len(pair) == 2:
            before, after = pair
            if before is None:
                parts.append(f"{field}: {_value(after)}")
            else:
                parts.append(f"{field}: {_value(before)} → {_value(after)}")
        else:
            parts.append(f"{field}: {_value(pair)}")
    return "\n".join(parts)


@app.command("verify")
@handle_errors
def verify(
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", metavar="SEQ:HASH",
        help="The head printed by an earlier verify (kept outside the database): that record must still be there.")] = None,
    db: DbOption = None,
) -> None:
    """Check the hash chain of the audit trail: finds an edited or deleted record."""
    from ocrm_tui.services import audit

    expected = None
    if expect_head is not None:
        seq_text, _sep, hash_text = expect_head.partition(":")
        if not seq_text.isdigit() or int(seq_text) < 1 or len(hash_text) != 64:
            raise typer.BadParameter(_("expected SEQ:HASH as printed by ocrm audit verify"), param_hint="'--expect-head'")
        expected = (int(seq_text), hash_text.lower())
    with opened(db, create_sqlite=False) as database:  # reading: a mistyped path is not a new database
        with database.session() as s:
            report = audit.verify_chain(s, expect_head=expected)
    if report.ok:
        say(_("audit chain intact: {n} records", n=report.checked))
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
    }.get(report.reason or "", _("record {seq} is not valid", seq=report.broken_seq))
    fail(_("audit chain broken: {why}; {n} records before it are intact.", why=why, n=report.checked))


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
