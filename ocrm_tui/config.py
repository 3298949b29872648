"""Where the database is, how to reach it, and in which language to speak.

database URL: --db, else OCRM_DATABASE_URL, else ``database_url`` in the config file,
else the SQLite file ``ocrm.db`` in the user data directory.
The password of a server database lives in the OS keyring (service ``ocrm-tui``);
it is never written to a file and never shown.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ocrm_tui.i18n import _

APP_DIR_NAME = "ocrm-tui"
KEYRING_SERVICE = "ocrm-tui"


class ConfigError(Exception):
    """The configuration cannot be used as it is (message says why)."""


class NoKeyringBackend(ConfigError):
    pass


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_DIR_NAME, appauthor=False)


def config_path() -> Path:
    if os.environ.get("OCRM_CONFIG"):
        return Path(os.environ["OCRM_CONFIG"])
    from platformdirs import user_config_path

    return user_config_path(APP_DIR_NAME, appauthor=False) / "config.toml"


def load_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(_("Cannot read the configuration file {path}: {error}", path=path, error=exc)) from exc
    return data


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'ocrm.db'}"


def resolve_database_url(option: str | None = None) -> str:
    if option:
        return option
    if os.environ.get("OCRM_DATABASE_URL"):
        return os.environ["OCRM_DATABASE_URL"]
    configured = load_config().get("database_url")
    if configured:
        from sqlalchemy.engine import make_url

        if make_url(configured).password:
            raise ConfigError(
                _("The configuration file {path} holds a database password. Remove it and store it with `ocrm db set-password`.",
                  path=config_path())
            )
        return configured
    return default_database_url()


def keyring_account(url: str) -> str:
    """The keyring entry name of a server database: user@host:port/database."""
    from ocrm_tui.db.engine import normalise_url

    u = normalise_url(url)
    return f"{u.username or ''}@{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"


def get_db_password(url: str) -> str | None:
    import keyring
    from keyring.errors import NoKeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(url))
    except NoKeyringError as exc:
        raise NoKeyringBackend(_("No keyring backend is available on this machine; the database password cannot be stored.")) from exc


def set_db_password(url: str, password: str) -> None:
    import keyring
    from keyring.errors import NoKeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, keyring_account(url), password)
    except NoKeyringError as exc:
        raise NoKeyringBackend(
            _("No keyring backend is available on this machine; the password was not stored. Install a keyring backend (for example Secret Service) or enter the password when asked.")
        ) from exc


def open_database(
    url_option: str | None = None,
    *,
    ask_password: Callable[[str], str] | None = None,
    create_sqlite: bool = True,
    check_schema: bool = True,
):
    """Connect to the configured database, ready for use.

    A new (or empty) SQLite file is brought to the current schema. A server database
    must already be at the current schema (`ocrm db upgrade`). Raises
    DatabaseUnavailable or SchemaOutdated with a message fit for the user.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from ocrm_tui.db.engine import Database, display_url, is_sqlite, normalise_url
    from ocrm_tui.services.errors import DatabaseUnavailable

    try:
        url = resolve_database_url(url_option)
        u = normalise_url(url)
    except ConfigError as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends: a malformed URL
        raise DatabaseUnavailable(_("Not a database URL: {url} ({error})", url=url_option or "", error=exc)) from exc
    password = None
    keyring_problem: str | None = None
    if not is_sqlite(u) and u.password is None:
        try:
            password = get_db_password(url)
        except NoKeyringBackend as exc:
            keyring_problem = str(exc)  # try without one: the server may not want a password
    if is_sqlite(u) and u.database not in (None, "", ":memory:"):
        path = Path(u.database).expanduser()
        if not path.exists() and not create_sqlite:
            raise DatabaseUnavailable(_("No database file at {path}", path=path))

    def connect(pw: str | None):
        db = Database(u, password=pw)
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return db

    try:
        try:
            db = connect(password)
        except SQLAlchemyError as exc:
            if keyring_problem is None or not _wants_password(exc):
                raise
            if ask_password is None:
                raise DatabaseUnavailable(keyring_problem) from exc
            db = connect(ask_password(keyring_problem))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            _("Cannot reach the database {url}: {reason}", url=display_url(u), reason=_first_line(exc))
        ) from exc
    except OSError as exc:  # an SQLite path whose folder cannot be created or read
        raise DatabaseUnavailable(_("Cannot open the database file: {reason}", reason=exc)) from exc
    if check_schema:
        ensure_schema(db, create=is_sqlite(u) and create_sqlite)
    return db


def ensure_schema(db, *, create: bool) -> None:
    """Bring an empty SQLite file to head; refuse a schema that is not current."""
    from ocrm_tui.db import migrate
    from ocrm_tui.db.engine import display_url
    from ocrm_tui.services.errors import SchemaOutdated

    status = migrate.schema_status(db.engine)
    if status.state == "current":
        return
    if status.state == "empty" and create:
        migrate.upgrade(db.engine)
        return
    if status.state == "unknown":
        raise SchemaOutdated(
            _("The database {url} has a schema newer than this version of ocrm ({current}); upgrade ocrm.",
              url=display_url(db.url), current=status.current)
        )
    raise SchemaOutdated(
        _("The database {url} needs its schema brought up to date. Run: ocrm db upgrade", url=display_url(db.url))
    )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _wants_password(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "password" in text and ("authentication failed" in text or "no password supplied" in text)
