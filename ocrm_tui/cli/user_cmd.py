"""`ocrm user add|list|passwd|lock|unlock|disable|role|unmask|sessions|logout`."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import Enum
from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, console, fail, handle_errors, opened, role_label, say
from ocrm_tui.db.enums import Role
from ocrm_tui.i18n import _

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)

EmployeeNo = Annotated[str, typer.Argument(help="Employee number, e.g. T001.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (one per line) instead of asking."),
]




def status_label(status: str) -> str:
    return {"active": _("active"), "locked": _("locked"), "disabled": _("disabled")}.get(status, status)


def when(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else "-"


def read_stdin_line(what: str) -> str:
    """One line of standard input, without its line ending; a missing line is bad usage."""
    line = sys.stdin.readline()
    if not line:
        fail(_("Expected {what} on standard input (--password-stdin).", what=what), 2)
    return line.rstrip("\r\n")


def ask_new_password(employee_no: str) -> str:
    return typer.prompt(
        _("New password for {no}", no=employee_no), hide_input=True,
        confirmation_prompt=_("Repeat the new password"), err=True,
    )


def _database(db: str | None, *, create: bool = False):
    # Only adding a user may create a new SQLite file: elsewhere a mistyped path is an error.
    return opened(db, create_sqlite=create)


@app.command("add")
@handle_errors
def add(
    employee_no: EmployeeNo,
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Full name.")],
    role: Annotated[Role, typer.Option("--role", help="Role: what the person may see and do.")],
    org: Annotated[str, typer.Option("--org", metavar="CODE", help="Code of the organisation the person works at.")],
    skills: Annotated[str | None, typer.Option("--skills", metavar="a,b", help="Comma-separated skills (for ticket routing).")] = None,
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Add a staff account; the password is asked twice (or read from standard input)."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db, create=True) as database:
        password = read_stdin_line(_("the password")) if password_stdin else ask_new_password(employee_no)
        with database.session(write=True) as s:
            row = users.add_user(s, Actor.system(), employee_no=employee_no, name=name, role=role.value,
                                 org_code=org, password=password, skills=skills)
    say(_("Added {role} {no} {name} at {org}.", role=role_label(row.role), no=row.employee_no, name=row.name,
          org=f"{row.org_code} {row.org_name}"))


@app.command("list")
@handle_errors
def list_(
    org: Annotated[str | None, typer.Option("--org", metavar="CODE", help="Only staff of this organisation and those below it.")] = None,
    role: Annotated[Role | None, typer.Option("--role", help="Only staff with this role.")] = None,
    db: DbOption = None,
) -> None:
    """List staff accounts with their status and last login."""
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session() as s:
            rows = users.list_users(s, Actor.system(), org_code=org, role=role.value if role else None)
    if not rows:
        say(_("No staff accounts match."))
        return
    table = Table(title=_("Staff accounts"), title_justify="left")
    table.add_column(_("Number"), no_wrap=True)
    table.add_column(_("Full name"), no_wrap=True)
    table.add_column(_("Role"), no_wrap=True)
    table.add_column(_("Organisation"))
    table.add_column(_("Skills"), overflow="fold")
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Last login"), no_wrap=True)
    styles = {"active": "", "locked": "yellow", "disabled": "red"}
    for r in rows:
        table.add_row(
            Text(r.employee_no), Text(r.name), role_label(r.role), Text(f"{r.org_code} {r.org_name}"),
            Text(", ".join(r.skills.split(",")) if r.skills else "-"), Text(status_label(r.status), style=styles.get(r.status, "")), when(r.last_login_at),
        )
    console.print(table)
    say(_("Total: {n}", n=len(rows)))


@app.command("passwd")
@handle_errors
def passwd(
    employee_no: EmployeeNo,
    reset: Annotated[bool, typer.Option("--reset", help="Administrator reset of a forgotten password: the old one is not asked.")] = False,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the passwords from standard input: the old one, then the new one, one per line (with --reset only the new one)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Change a password: the old one is checked, unless an administrator resets it with --reset."""
    from ocrm_tui.services import auth, users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session() as s:
            users.get_user(s, employee_no)  # an unknown number is told before any password is typed
        if reset:
            new = read_stdin_line(_("the new password")) if password_stdin else ask_new_password(employee_no)
            with database.session(write=True) as s:
                ended = users.set_password(s, Actor.system(), employee_no, new)
        else:
            if password_stdin:
                old = read_stdin_line(_("the old password"))
                new = read_stdin_line(_("the new password"))
            else:
                old = typer.prompt(_("Current password of {no}", no=employee_no), hide_input=True, err=True)
                new = ask_new_password(employee_no)
            with database.session(write=True) as s:
                ended = auth.change_password(s, employee_no, old, new)
    if reset:
        say(_("Password of {no} reset. Tell the new password to its owner in person.", no=employee_no))
    else:
        say(_("Password of {no} changed.", no=employee_no))
    say_sessions_ended(employee_no, ended)


@app.command("lock")
@handle_errors
def lock(employee_no: EmployeeNo, db: DbOption = None) -> None:
    """Lock an account until an administrator unlocks it."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            ended = users.lock_user(s, Actor.system(), employee_no)
    say(_("{no} is locked until an administrator unlocks it (ocrm user unlock {no}).", no=employee_no))
    say_sessions_ended(employee_no, ended)


@app.command("unlock")
@handle_errors
def unlock(employee_no: EmployeeNo, db: DbOption = None) -> None:
    """Unlock an account and clear its failed login count."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            was_locked = users.unlock_user(s, Actor.system(), employee_no)
    if was_locked:
        say(_("{no} is unlocked.", no=employee_no))
    else:
        say(_("{no} was not locked; its failed login count is cleared.", no=employee_no))


@app.command("disable")
@handle_errors
def disable(employee_no: EmployeeNo, db: DbOption = None) -> None:
    """Disable an account for good (the person has left); its history stays."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            ended = users.disable_user(s, Actor.system(), employee_no)
    say(_("{no} is disabled and can no longer log in.", no=employee_no))
    say_sessions_ended(employee_no, ended)


def say_sessions_ended(employee_no: str, ended: int) -> None:
    if ended:
        say(_("{n} open session(s) of {no} ended: their terminals return to the login screen within a minute.",
              n=ended, no=employee_no))


@app.command("role")
@handle_errors
def role_(
    employee_no: EmployeeNo,
    role: Annotated[Role, typer.Argument(help="The new role.")],
    db: DbOption = None,
) -> None:
    """Give a member of staff another role; their open sessions end so that it applies at once."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            ended = users.change_role(s, Actor.system(), employee_no, role.value)
    say(_("{no} now has the role {role}.", no=employee_no, role=role_label(role.value)))
    say_sessions_ended(employee_no, ended)


class UnmaskChoice(str, Enum):
    grant = "grant"
    withdraw = "withdraw"
    role = "role"


@app.command("unmask")
@handle_errors
def unmask(
    employee_no: EmployeeNo,
    choice: Annotated[UnmaskChoice, typer.Argument(
        help="grant: may see full customer values; withdraw: may not; role: as the role allows (setting unmask.roles).")],
    db: DbOption = None,
) -> None:
    """Grant or withdraw one person's right to see full customer values (each view stays audited)."""
    from ocrm_tui.services import users
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            users.set_unmask(s, Actor.system(), employee_no, choice.value)
    say({
        "grant": _("{no} may now see full customer values; each view is audited."),
        "withdraw": _("{no} now sees customer data masked only."),
        "role": _("{no} sees full customer values as their role allows (setting unmask.roles)."),
    }[choice.value].format(no=employee_no))


@app.command("sessions")
@handle_errors
def sessions(
    employee_no: Annotated[str | None, typer.Argument(help="Only this member of staff.")] = None,
    concurrent: Annotated[bool, typer.Option("--concurrent", help="Only staff logged in on more than one terminal.")] = False,
    db: DbOption = None,
) -> None:
    """Who is logged in on which terminal, since when; staff logged in on several terminals at once stand out."""
    from rich.table import Table
    from rich.text import Text

    from ocrm_tui.services import user_sessions
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session() as s:
            rows = user_sessions.open_sessions(s, Actor.system(), employee_no=employee_no, concurrent_only=concurrent)
    if not rows:
        say(_("Nobody is logged in.") if not (employee_no or concurrent) else _("No open sessions match."))
        return
    table = Table(title=_("Open sessions"), title_justify="left")
    # Times and numbers keep their width; the name and the terminal wrap on a narrow terminal.
    table.add_column(_("Number"), no_wrap=True, min_width=max(len(r.employee_no) for r in rows))
    table.add_column(_("Full name"), overflow="fold")
    table.add_column(_("Terminal"), overflow="fold")
    table.add_column(_("Logged in"), no_wrap=True, min_width=11)
    table.add_column(_("Last heard"), no_wrap=True, min_width=8)
    table.add_column(_("Sessions"), justify="right", no_wrap=True, min_width=4)
    for r in rows:
        style = "bold yellow" if r.open_sessions > 1 else ""
        table.add_row(Text(r.employee_no, style=style), Text(f"{r.name} ({role_label(r.role)}, {r.org_code})"),
                      Text(r.terminal), r.started_at.astimezone().strftime("%m-%d %H:%M"),
                      r.last_seen_at.astimezone().strftime("%H:%M:%S"), Text(str(r.open_sessions), style=style))
    console.print(table)
    several = len({r.employee_no for r in rows if r.open_sessions > 1})
    say(_("Total: {n}", n=len(rows)))
    if several:
        say(_("{n} member(s) of staff are logged in on more than one terminal.", n=several))


@app.command("logout")
@handle_errors
def logout(employee_no: EmployeeNo, db: DbOption = None) -> None:
    """End every open session of a member of staff (their terminals drop to the login screen)."""
    from ocrm_tui.services import user_sessions
    from ocrm_tui.services.actor import Actor

    with _database(db) as database:
        with database.session(write=True) as s:
            ended = user_sessions.end_sessions(s, Actor.system(), employee_no)
    if ended:
        say_sessions_ended(employee_no, ended)
    else:
        say(_("{no} has no open session.", no=employee_no))
