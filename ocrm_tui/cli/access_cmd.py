"""`ocrm access …`: ask for temporary access to customers or for an unmasked export, and
decide such requests (the requester's manager or an administrator), acting as a member of
staff (`--as EMPLOYEE_NO`). A decision (approve, reject, revoke) is made in person: the
member of staff gives their password (asked for, or one line with --password-stdin)."""

from __future__ import annotations

from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, fail, handle_errors, opened, say
from ocrm_tui.cli.report_cmd import AsOption, PasswordStdinOption, acting, acting_in_person
from ocrm_tui.i18n import _

app = typer.Typer(help="Access requests: temporary access to customers, unmasked exports, and their approval.",
                  no_args_is_help=True)

RequestId = Annotated[int, typer.Argument(metavar="ID", help="The request's number.")]
HoursOption = Annotated[int, typer.Option("--hours", metavar="N", help="For how many hours (at most the setting access.max_hours).")]
NoteOption = Annotated[str, typer.Option("--note", metavar="TEXT", help="Why (kept with the decision).")]
RequesterOption = Annotated[str | None, typer.Option(
    "--as", metavar="EMPLOYEE_NO", help="The member of staff who asks (required).")]


def _requester(session, employee_no: str | None):
    if not employee_no:
        fail(_("A request is made by a member of staff: name them with --as EMPLOYEE_NO"), 2)
    return acting(session, employee_no)


def _local(value) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def _short(value) -> str:
    # Requests live for hours: month, day and time are enough in the narrow list.
    return value.astimezone().strftime("%m-%d %H:%M") if value else ""


def _what(row) -> str:
    from ocrm_tui.services.access import EXPORT

    if row.kind == EXPORT:
        return _("export {what}", what=row.export_what)
    if row.search:
        return _("search: {words}", words=row.search)
    shown = ", ".join(row.customer_nos[:3]) + (" …" if len(row.customer_nos) > 3 else "")
    return _("{n} customers: {numbers}", n=len(row.customer_nos), numbers=shown)


def _summary(row) -> str:
    from ocrm_tui.services.access import status_name

    text = _("Request {id} ({what}) is {status}", id=row.id, what=_what(row), status=status_name(row.status))
    if row.expires_at and row.status == "approved":
        text += _(", until {time}", time=_local(row.expires_at))
    return text + "."


@app.command("request")
@handle_errors
def request(
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why the access is needed.")],
    hours: HoursOption,
    customers: Annotated[str | None, typer.Option(
        "--customers", metavar="C1,C2", help="Customer numbers (1–500, separated by commas).")] = None,
    campaign_filter: Annotated[int | None, typer.Option(
        "--campaign-filter", metavar="ID", help="The customers of a campaign's saved filter instead of numbers.")] = None,
    as_staff: RequesterOption = None,
    db: DbOption = None,
) -> None:
    """Ask to see customers outside your scope for some hours (by numbers or a saved search)."""
    from ocrm_tui.services import access

    if (customers is None) == (campaign_filter is None):
        fail(_("Name the customers with --customers C1,C2 or --campaign-filter ID (one of the two)"), 2)
    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            row = access.request_customers(s, _requester(s, as_staff), reason=reason, hours=hours,
                                           customer_nos=[customers] if customers else (), campaign_id=campaign_filter)
    say(_summary(row) + " " + _("It waits for your manager's or an administrator's decision."))


@app.command("request-export")
@handle_errors
def request_export(
    what: Annotated[str, typer.Option("--what", metavar="WHAT", help="targets:<campaign>, sms:<campaign> or sms:all.")],
    purpose: Annotated[str, typer.Option("--purpose", metavar="TEXT", help="What the file with full values is for.")],
    hours: HoursOption,
    as_staff: RequesterOption = None,
    db: DbOption = None,
) -> None:
    """Ask for one export with full names and mobiles, used once within some hours of approval."""
    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            row = access.request_export(s, _requester(s, as_staff), what=what, purpose=purpose, hours=hours)
    say(_summary(row) + " " + _("It waits for your manager's or an administrator's decision."))


@app.command("list")
@handle_errors
def list_requests(
    pending: Annotated[bool, typer.Option("--pending", help="The requests waiting for your decision.")] = False,
    as_staff: AsOption = None,
    db: DbOption = None,
) -> None:
    """Your own requests (newest first), or with --pending those you may decide (oldest first)."""
    from rich import box
    from rich.table import Table

    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session() as s:
            actor = acting(s, as_staff)
            rows = access.pending_for(s, actor) if pending else access.my_requests(s, actor)
    if not rows:
        say(_("No request waits for your decision.") if pending else _("You have made no access request."))
        return
    # Narrow enough for an 80-column terminal: long text wraps inside its cell, nothing is cut.
    table = Table(title=_("Waiting for my decision") if pending else _("My requests"), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(_("No."), no_wrap=True, justify="right")
    table.add_column(_("Requester"), overflow="fold", min_width=8)
    table.add_column(_("Asked for"), overflow="fold", min_width=12)
    table.add_column(_("Reason"), overflow="fold", min_width=10)
    table.add_column(_("Status"), overflow="fold", min_width=8)
    table.add_column(_("Requested / decided"), overflow="fold", min_width=11)
    for r in rows:
        decided = _("{who} until {time}", who=r.decided_by_no or "", time=_short(r.expires_at)) \
            if r.expires_at else (r.decided_by_no or "")
        table.add_row(str(r.id), f"{r.requester_name} ({r.requester_no})", _what(r), r.reason,
                      access.status_name(r.status) + "\n" + _("{n} h", n=r.hours),
                      _short(r.requested_at) + ("\n" + decided if decided else ""))
    console.print(table, markup=False, emoji=False, highlight=False)


@app.command("approve")
@handle_errors
def approve(
    request_id: RequestId,
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="A note kept with the approval.")] = "",
    as_staff: AsOption = None,
    password_stdin: PasswordStdinOption = False,
    db: DbOption = None,
) -> None:
    """Approve a pending request: its customers found in your scope are granted until it expires."""
    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            actor = acting_in_person(s, as_staff, password_stdin=password_stdin)
            preview = access.approval_preview(s, actor, request_id)
            row = access.approve(s, actor, request_id, note=note)
    say(_summary(row))
    if row.kind == access.CUSTOMERS:
        say(_("Granted: {n} customers.", n=row.granted))
        if preview.not_found:
            say(_("Not in your customers, not granted: {numbers}", numbers=", ".join(preview.not_found)))


@app.command("reject")
@handle_errors
def reject(request_id: RequestId, note: NoteOption, as_staff: AsOption = None,
           password_stdin: PasswordStdinOption = False, db: DbOption = None) -> None:
    """Refuse a pending request, saying why."""
    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            row = access.reject(s, acting_in_person(s, as_staff, password_stdin=password_stdin), request_id, note=note)
    say(_summary(row))


@app.command("withdraw")
@handle_errors
def withdraw(request_id: RequestId, as_staff: RequesterOption = None, db: DbOption = None) -> None:
    """Take back your own request while it is pending."""
    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            row = access.withdraw(s, _requester(s, as_staff), request_id)
    say(_summary(row))


@app.command("revoke")
@handle_errors
def revoke(request_id: RequestId, note: NoteOption, as_staff: AsOption = None,
           password_stdin: PasswordStdinOption = False, db: DbOption = None) -> None:
    """End an approved request now: its access stops at once."""
    from ocrm_tui.services import access

    with opened(db, create_sqlite=False) as database:
        with database.session(write=True) as s:
            row = access.revoke(s, acting_in_person(s, as_staff, password_stdin=password_stdin), request_id, note=note)
    say(_summary(row))
