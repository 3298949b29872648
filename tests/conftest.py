"""Shared fixtures: a fresh database per test on SQLite and (when configured) PostgreSQL.

PostgreSQL runs when OCRM_TEST_POSTGRES_URL points at a server where the user may
create databases (CI sets it). Each test gets its own database, copied from a template
migrated once per run, and dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from functools import lru_cache
from unittest.mock import patch

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import text

import ocrm_tui.services  # noqa: F401  (installs the audit listener)
from ocrm_tui.db import migrate
from ocrm_tui.db.engine import Database, normalise_url, single_connection_engine
from ocrm_tui.i18n import set_language
from ocrm_tui.services import orgs, users
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import FakeClock

PG_URL = os.environ.get("OCRM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]
PASSWORD = "counter-pass-1"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives only as long as the test."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch) -> Iterator[MemoryKeyring]:
    """No test reads the developer's config, data directory or keyring."""
    ring = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    for var in ("OCRM_DATABASE_URL", "OCRM_LANG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OCRM_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_language("en")
    yield ring
    set_language("en")
    keyring.set_keyring(previous)


def _pg_admin():
    return single_connection_engine(normalise_url(PG_URL))


def _pg_url_for(name: str) -> str:
    return normalise_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    name = f"ocrm_t_{uuid.uuid4().hex[:12]}"
    eng = _pg_admin()
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    eng.dispose()
    return name


def drop_pg_database(name: str) -> None:
    eng = _pg_admin()
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = create_pg_database()
    db = Database(_pg_url_for(name))
    migrate.upgrade(db.engine)
    db.engine.dispose()
    yield name
    drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgres" and not PG_URL:
        pytest.skip("OCRM_TEST_POSTGRES_URL is not set")
    return request.param


@pytest.fixture
def db_url(backend, tmp_path, request) -> Iterator[str]:
    """URL of a fresh database at the current schema, on this test's backend."""
    if backend == "sqlite":
        path = tmp_path / "ocrm.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    name = create_pg_database(template=request.getfixturevalue("pg_template"))
    try:
        yield _pg_url_for(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def empty_db_url(backend, tmp_path) -> Iterator[str]:
    """URL of a database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = create_pg_database()
    try:
        yield _pg_url_for(name)
    finally:
        drop_pg_database(name)


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def system() -> Actor:
    return Actor.system()


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from ocrm_tui.services.auth import hash_password

    return hash_password(PASSWORD)


class Branch:
    """A small organisation: head office → … → two outlets, one user of each role."""

    ORGS = [
        ("HO", "总行", "head", None),
        ("B1", "江南分行", "branch1", "HO"),
        ("B2", "城东二级分行", "branch2", "B1"),
        ("SB", "城东支行", "subbranch", "B2"),
        ("O1", "人民路网点", "outlet", "SB"),
        ("O2", "解放路网点", "outlet", "SB"),
        ("X1", "江北分行", "branch1", "HO"),
    ]
    USERS = [
        ("A001", "系统管理员", "admin", "HO"),
        ("M001", "王经理", "manager", "SB"),
        ("R001", "李客户经理", "rm", "O1"),
        ("R002", "赵客户经理", "rm", "O2"),
        ("T001", "陈柜员", "teller", "O1"),
        ("M900", "江北经理", "manager", "X1"),
    ]

    def __init__(self, db: Database, system: Actor, clock: FakeClock):
        self.db = db
        # One real argon2id hash of PASSWORD per run: hashing costs ~0.15 s a user.
        real = users.hash_password
        with patch.object(users, "hash_password", lambda pw: _password_hash() if pw == PASSWORD else real(pw)), \
                db.session(write=True) as s:
            for code, name, level, parent in self.ORGS:
                orgs.add_org(s, system, code=code, name=name, level=level, parent_code=parent)
            for no, name, role, org in self.USERS:
                users.add_user(s, system, employee_no=no, name=name, role=role, org_code=org, password=PASSWORD, clock=clock)


@pytest.fixture
def branch(db, system, clock) -> Branch:
    return Branch(db, system, clock)


def remove_audit_protection(conn) -> None:
    """Drop the append-only triggers, as someone with DDL rights on the server could.

    Tests of `audit verify` use it before editing or deleting records behind the
    product's back.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
    else:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_record_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_record_no_delete")
