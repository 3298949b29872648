"""How the product talks to its databases: SQLite settings, write locks, versions, secrets."""

import sqlite3

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from ocrm_tui import config
from ocrm_tui.config import open_database
from ocrm_tui.db.engine import Database, display_url
from ocrm_tui.db.models import Customer
from ocrm_tui.services.errors import DatabaseUnavailable
from ocrm_tui.services.orgs import get_org_by_code


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    db.dispose()


def test_sqlite_write_sessions_take_the_write_lock_at_begin(tmp_path):
    path = tmp_path / "x.db"
    db = open_database(f"sqlite:///{path}")
    with db.session(write=True) as s:
        s.execute(text("SELECT 1"))  # nothing written yet, but the transaction is IMMEDIATE
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with db.session() as s:  # a read session leaves writers alone
        s.execute(text("SELECT count(*) FROM organisation"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
    db.dispose()


def test_sqlite_enforces_foreign_keys(db, backend):
    with db.session(write=True) as s:
        s.add(Customer(customer_no="C1", name="张伟", mobile="13800001234", org_id=424242))
        with pytest.raises(Exception, match="(?i)foreign key"):
            s.commit()


def test_a_stale_save_is_refused_not_overwritten(db, branch):
    with db.session(write=True) as s:
        org_id = get_org_by_code(s, "O1").id
        c = Customer(customer_no="C1", name="张伟", mobile="13800001234", org_id=org_id)
        s.add(c)
        s.commit()
        cid = c.id
    with db.session() as first:  # two terminals read the same customer
        mine = first.get(Customer, cid)
    with db.session() as second:
        theirs = second.get(Customer, cid)
    with db.session(write=True) as s:
        s.add(theirs)
        theirs.mobile = "13900000001"
        s.commit()
    with db.session(write=True) as s:
        s.add(mine)
        mine.address = "人民路1号"
        with pytest.raises(StaleDataError):
            s.commit()
    with db.session() as s:
        saved = s.get(Customer, cid)
        assert (saved.mobile, saved.address, saved.version) == ("13900000001", None, 2)


def test_server_password_comes_from_the_keyring_and_is_never_shown(isolated_environment):
    url = "postgresql://ocrm@db.example:5432/ocrm"
    config.set_db_password(url, "s3cret-pw")
    assert isolated_environment.store[("ocrm-tui", "ocrm@db.example:5432/ocrm")] == "s3cret-pw"
    assert config.get_db_password(url) == "s3cret-pw"
    db = Database(url, password=config.get_db_password(url))
    assert db.engine.url.password == "s3cret-pw"
    assert "s3cret" not in display_url(db.engine.url) and "s3cret" not in repr(db)


def test_without_a_keyring_the_password_is_not_stored_and_the_user_is_told():
    keyring.set_keyring(NoKeyring())
    with pytest.raises(config.NoKeyringBackend, match="No keyring backend"):
        config.set_db_password("postgresql://ocrm@db.example/ocrm", "pw-123456")


def test_a_password_in_the_config_file_is_refused(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('database_url = "postgresql://ocrm:pw@db.example/ocrm"\n', encoding="utf-8")
    monkeypatch.setenv("OCRM_CONFIG", str(cfg))
    with pytest.raises(DatabaseUnavailable, match="set-password"):
        open_database()


def test_the_default_database_is_a_sqlite_file_in_the_user_data_directory(tmp_path):
    db = open_database()
    assert db.is_sqlite
    assert str(db.url.database).startswith(str(tmp_path / "data"))
    db.dispose()


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/nothing", "nosuchdb://x"])
def test_an_unreachable_database_is_one_clear_message(url):
    with pytest.raises(DatabaseUnavailable, match="Cannot reach the database|Not a database URL"):
        open_database(url)
