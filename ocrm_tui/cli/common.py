"""What every `ocrm` command shares: the --db option, opening the database, and
turning expected failures into one clear line and an exit code (0 ok, 1 refused or
failed, 2 bad usage), never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from ocrm_tui.i18n import _

F = TypeVar("F", bound=Callable)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="Database URL (default: OCRM_DATABASE_URL, the config file, or the local SQLite file)."),
]


def say(text: str) -> None:
    """Print a line as it is: names, URLs and values typed by people are not rich markup."""
    console.print(text, markup=False, emoji=False, soft_wrap=True)


def role_label(role: str) -> str:
    return {"teller": _("teller"), "rm": _("rm"), "manager": _("manager"), "admin": _("admin")}.get(role, role)


def fail(message: str, code: int = 1) -> None:
    """Print one clear line on stderr and leave with the exit code."""
    from rich.markup import escape

    # The message may quote user input ("[x]"): never read it as markup.
    err_console.print(f"[bold red]{_('Error')}:[/] {escape(message)}", markup=True, soft_wrap=True, emoji=False)
    raise typer.Exit(code)


def ask_password_on_terminal(reason: str) -> str:
    """Used when no keyring exists: say so in one line and ask for the secret."""
    if not sys.stdin or not sys.stdin.isatty():
        fail(reason)
    err_console.print(reason)
    return typer.prompt(_("Database password"), hide_input=True, err=True)


# `ocrm --db URL user list` means the same as `ocrm user list --db URL`: the root
# callback records its --db here for the command that runs after it.
_root_db: str | None = None


def set_root_db(url: str | None) -> None:
    global _root_db
    _root_db = url


def open_db(url: str | None, *, check_schema: bool = True, create_sqlite: bool = True):
    from ocrm_tui import services  # noqa: F401  (installs the audit listener)
    from ocrm_tui.config import open_database

    # An unreachable server, a bad URL or an SQLite path that cannot be created all come
    # back from open_database as DatabaseUnavailable (handled by handle_errors).
    return open_database(url or _root_db, ask_password=ask_password_on_terminal, check_schema=check_schema,
                         create_sqlite=create_sqlite)


@contextmanager
def opened(url: str | None, **options) -> Iterator:
    """The database for one command (see open_db), closed when the command is done."""
    database = open_db(url, **options)
    try:
        yield database
    finally:
        database.dispose()


def handle_errors(func: F) -> F:
    """Expected failures (OcrmError, a bad config, an unreachable database) → exit 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        from ocrm_tui.config import ConfigError
        from ocrm_tui.services.errors import OcrmError

        try:
            return func(*args, **kwargs)
        except (OcrmError, ConfigError) as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(_("The database failed: {reason}", reason=str(exc.orig).strip().splitlines()[0] if exc.orig else exc))
        except SQLAlchemyError as exc:  # pragma: no cover - an unexpected database error, still no traceback
            fail(_("The database refused the operation: {reason}", reason=type(exc).__name__))
        except KeyboardInterrupt:
            fail(_("Interrupted; nothing more was done."), 130)

    return wrapper  # type: ignore[return-value]
