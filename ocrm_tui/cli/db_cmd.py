"""`ocrm db upgrade|status|set-password`."""

from __future__ import annotations

from typing import Annotated

import typer

from ocrm_tui.cli.common import DbOption, err_console, fail, handle_errors, opened, say
from ocrm_tui.i18n import _

app = typer.Typer(help="Database schema and connection.", no_args_is_help=True)



def _state_label(state: str) -> str:
    return {
        "empty": _("empty (no tables yet)"),
        "current": _("up to date"),
        "outdated": _("needs upgrade"),
        "unknown": _("newer than this version of ocrm"),
    }.get(state, state)


@app.command("upgrade")
@handle_errors
def upgrade(db: DbOption = None) -> None:
    """Apply the schema migrations up to the newest (works on an empty database)."""
    from ocrm_tui.db import migrate
    from ocrm_tui.db.engine import display_url

    with opened(db, check_schema=False) as database:
        shown = display_url(database.url)
        status = migrate.schema_status(database.engine)
        if status.state == "unknown":
            fail(_("The database {url} has a schema newer than this version of ocrm ({current}); upgrade ocrm.",
                   url=shown, current=status.current))
        if status.current is None and status.has_tables:
            fail(_("The database {url} has tables but no migration history; it was not created by ocrm. Nothing was changed.",
                   url=shown))
        pending = migrate.pending_revisions(database.engine)
        if not pending:
            say(_("{url}: already up to date (revision {rev}).", url=shown, rev=status.current))
            return
        migrate.upgrade(database.engine)
        for rev, message in pending:
            say(_("Applied {rev}: {message}", rev=rev, message=message or "-"))
        say(_("{url}: schema now at revision {rev}.", url=shown, rev=migrate.current_revision(database.engine)))


@app.command("status")
@handle_errors
def status(db: DbOption = None) -> None:
    """Show the schema revision of the database, the newest one, and what is pending."""
    from ocrm_tui.db import migrate
    from ocrm_tui.db.engine import display_url

    with opened(db, check_schema=False, create_sqlite=False) as database:
        st = migrate.schema_status(database.engine)
        pending = migrate.pending_revisions(database.engine) if st.state in ("empty", "outdated") else []
        none = _("none")
        say(_("Database: {url}", url=display_url(database.url)))
        say(_("Current revision: {rev}", rev=st.current or none))
        say(_("Newest revision: {rev}", rev=st.head))
        say(_("State: {state}", state=_state_label(st.state)))
        if pending:
            say(_("Pending migrations:"))
            for rev, message in pending:
                say(f"  {rev}  {message}")
            say(_("Run: ocrm db upgrade"))
        else:
            say(_("Pending migrations: {none}", none=none))


@app.command("set-password")
@handle_errors
def set_password(
    db: DbOption = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")] = False,
) -> None:
    """Store the database server password in the OS keyring (never in a file)."""
    import sys

    from keyring.errors import KeyringError

    from ocrm_tui import config
    from ocrm_tui.db.engine import display_url, is_sqlite, normalise_url

    url = config.resolve_database_url(db)
    try:
        u = normalise_url(url)
    except Exception as exc:  # a malformed URL
        fail(_("Not a database URL: {url} ({error})", url=db or "", error=exc), 2)
    if is_sqlite(u):
        fail(_("{url} is an SQLite file; it has no password to store.", url=display_url(u)))
    if u.password is not None:
        fail(_("Give the URL without a password; the password is asked for separately."), 2)
    try:
        config.get_db_password(url)  # is there a keyring at all? Ask before the user types a secret.
    except KeyringError as exc:
        fail(_("The keyring refused: {reason}", reason=type(exc).__name__))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        err_console.print(_("Password of {account} (stored in the OS keyring):", account=config.keyring_account(url)), markup=False)
        password = typer.prompt(_("Database password"), hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        fail(_("The password is empty; nothing was stored."))
    try:
        config.set_db_password(url, password)
    except KeyringError as exc:
        fail(_("The keyring refused: {reason}", reason=type(exc).__name__))
    say(_("Password for {account} stored in the OS keyring.", account=config.keyring_account(url)))
