"""The admin command line, as an administrator at the server uses it: `ocrm db|org|user|audit`.

Every command runs through Typer's CliRunner on a fresh database of each backend; what
it did is checked through the services, not by trusting its output.
"""

from __future__ import annotations

import re

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from sqlalchemy import text
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db import migrate
from ocrm_tui.db.engine import Database
from ocrm_tui.services import audit, auth, orgs, users
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.errors import AccountDisabledError, AccountLockedError, AuthenticationError
from tests.conftest import remove_audit_protection, PASSWORD

runner = CliRunner()
NEW_PASSWORD = "fresh-pass-22"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


def ocrm(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def one_line_error(result) -> str:
    """The refusal is one clear line on stderr, never a traceback."""
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def can_log_in(db: Database, employee_no: str, password: str) -> bool:
    with db.session(write=True) as s:
        try:
            auth.authenticate(s, employee_no, password)
        except AuthenticationError:
            return False
    return True


def user_row(db: Database, employee_no: str) -> users.UserRow:
    with db.session() as s:
        return next(r for r in users.list_users(s, Actor.system()) if r.employee_no == employee_no)


# -- ocrm db ---------------------------------------------------------------------------

def test_db_upgrade_brings_an_empty_database_to_the_current_schema(empty_db_url):
    empty = Database(empty_db_url)
    with empty.engine.connect():  # an empty SQLite file exists too
        pass
    empty.dispose()

    before = ocrm("db", "status", "--db", empty_db_url)
    assert before.exit_code == 0, before.output
    assert "Current revision: none" in before.stdout
    assert "State: empty (no tables yet)" in before.stdout
    assert f"{migrate.head_revision()}  " in before.stdout  # listed as pending
    assert "ocrm db upgrade" in before.stdout

    result = ocrm("db", "upgrade", "--db", empty_db_url)
    assert result.exit_code == 0, result.output
    assert f"Applied {migrate.head_revision()}:" in result.stdout
    db = Database(empty_db_url)
    assert migrate.schema_status(db.engine).state == "current"
    db.dispose()

    again = ocrm("db", "upgrade", "--db", empty_db_url)
    assert again.exit_code == 0
    assert "already up to date" in again.stdout
    assert "Applied" not in again.stdout

    after = ocrm("db", "status", "--db", empty_db_url)
    assert after.exit_code == 0
    assert f"Current revision: {migrate.head_revision()}" in after.stdout
    assert "State: up to date" in after.stdout
    assert "Pending migrations: none" in after.stdout


def test_db_upgrade_refuses_tables_that_ocrm_did_not_create(empty_db_url):
    db = Database(empty_db_url)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE somebody_elses (id INTEGER PRIMARY KEY)"))
    result = ocrm("db", "upgrade", "--db", empty_db_url)
    assert result.exit_code == 1
    assert "no migration history" in one_line_error(result)
    assert migrate.current_revision(db.engine) is None
    db.dispose()


def test_db_status_of_a_missing_sqlite_file_says_so_and_creates_nothing(tmp_path):
    path = tmp_path / "nowhere.db"
    result = ocrm("db", "status", "--db", f"sqlite:///{path}")
    assert result.exit_code == 1
    assert "No database file" in one_line_error(result)
    assert not path.exists()


def test_an_unreadable_schema_tells_which_command_fixes_it(backend, empty_db_url):
    if backend == "sqlite":
        pytest.skip("an empty SQLite file is brought to the current schema on first use")
    result = ocrm("user", "list", "--db", empty_db_url)
    assert result.exit_code == 1
    assert "ocrm db upgrade" in one_line_error(result)


def test_set_password_stores_the_server_password_in_the_keyring(isolated_environment):
    url = "postgresql://ocrm@db.example:5432/ocrm"
    result = ocrm("db", "set-password", "--db", url, "--password-stdin", input="s3cret-pw\n")
    assert result.exit_code == 0, result.output
    assert isolated_environment.store == {("ocrm-tui", "ocrm@db.example:5432/ocrm"): "s3cret-pw"}
    assert "s3cret-pw" not in result.output
    assert "ocrm@db.example:5432/ocrm" in result.stdout


def test_set_password_asks_twice_until_both_entries_match(isolated_environment):
    url = "postgresql://ocrm@db.example/ocrm"
    result = ocrm("db", "set-password", "--db", url, input="first-pw\nother-pw\nfinal-pw\nfinal-pw\n")
    assert result.exit_code == 0, result.output
    assert isolated_environment.store == {("ocrm-tui", "ocrm@db.example:5432/ocrm"): "final-pw"}
    for secret in ("first-pw", "other-pw", "final-pw"):
        assert secret not in result.output


def test_set_password_refuses_an_sqlite_database(isolated_environment, tmp_path):
    result = ocrm("db", "set-password", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--password-stdin", input="pw-pw-pw\n")
    assert result.exit_code == 1
    assert "SQLite" in one_line_error(result)
    assert isolated_environment.store == {}


def test_set_password_without_a_keyring_backend_writes_nothing_anywhere(isolated_environment, tmp_path):
    files_before = sorted(tmp_path.rglob("*"))
    keyring.set_keyring(NoKeyring())
    result = ocrm("db", "set-password", "--db", "postgresql://ocrm@db.example/ocrm", input="s3cret-pw\ns3cret-pw\n")
    assert result.exit_code == 1
    assert "No keyring backend" in one_line_error(result)
    assert "Database password" not in result.output  # told before any secret is typed
    assert "s3cret-pw" not in result.output
    assert isolated_environment.store == {}
    assert sorted(tmp_path.rglob("*")) == files_before


def test_set_password_refuses_an_empty_password(isolated_environment):
    result = ocrm("db", "set-password", "--db", "postgresql://ocrm@db.example/ocrm", "--password-stdin", input="\n")
    assert result.exit_code == 1
    assert "empty" in one_line_error(result)
    assert isolated_environment.store == {}


# -- an unreachable or unusable database ------------------------------------------------

@pytest.mark.parametrize(
    "command",
    [["db", "status"], ["db", "upgrade"], ["org", "list"], ["user", "list"], ["user", "unlock", "R001"],
     ["audit", "verify"], ["audit", "list"]],
)
def test_an_unreachable_database_is_one_line_and_exit_1(command):
    result = ocrm(*command, "--db", UNREACHABLE)
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "Cannot reach the database" in line
    assert "127.0.0.1:1" in line


@pytest.mark.parametrize("url", ["nonsense://", "sqlite:////proc/no-such-dir/ocrm.db"])
def test_an_unusable_database_url_is_one_line_and_exit_1(url):
    result = ocrm("user", "list", "--db", url)
    assert result.exit_code == 1
    one_line_error(result)


# -- ocrm org ---------------------------------------------------------------------------

def test_org_add_builds_the_tree_and_list_shows_it_indented(db_url):
    assert ocrm("org", "add", "HO", "--name", "总行", "--level", "head", "--db", db_url).exit_code == 0
    result = ocrm("org", "add", "JN", "--name", "江南分行", "--level", "branch1", "--parent", "HO", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "JN 江南分行" in result.stdout and "HO" in result.stdout
    assert ocrm("org", "add", "RM", "--name", "人民路网点", "--level", "outlet", "--parent", "JN", "--db", db_url).exit_code == 0
    assert ocrm("org", "add", "JB", "--name", "江北分行", "--level", "branch1", "--parent", "HO", "--db", db_url).exit_code == 0

    db = Database(db_url)
    with db.session() as s:
        tree = [(r.code, r.parent_code, r.depth, r.level) for r in orgs.list_orgs(s)]
    db.dispose()
    assert tree == [("HO", None, 0, "head"), ("JB", "HO", 1, "branch1"), ("JN", "HO", 1, "branch1"),
                    ("RM", "JN", 2, "outlet")]

    listed = ocrm("org", "list", "--db", db_url)
    assert listed.exit_code == 0
    assert re.search(r"│ HO\s", listed.stdout)
    assert re.search(r"│   JN\s", listed.stdout)
    assert re.search(r"│     RM\s", listed.stdout)
    assert "人民路网点" in listed.stdout
    assert listed.stdout.index("JN") < listed.stdout.index("RM")

    under = ocrm("org", "list", "--under", "JN", "--db", db_url)
    assert under.exit_code == 0
    assert re.search(r"│ JN\s", under.stdout)  # the subtree starts at the left
    assert re.search(r"│   RM\s", under.stdout)
    assert "JB" not in under.stdout and "总行" not in under.stdout


def test_org_add_refusals_are_one_line_and_change_nothing(db_url, branch):
    cases = [
        (["O1", "--name", "again", "--level", "outlet", "--parent", "SB"], "Organisation code O1 already exists"),
        (["O9", "--name", "new", "--level", "outlet", "--parent", "NOPE"], "No organisation with code NOPE"),
        (["O9", "--name", "new", "--level", "outlet"], "needs --parent"),
        (["O9", "--name", "new", "--level", "branch1", "--parent", "SB"], "cannot sit under"),
    ]
    for args, message in cases:
        result = ocrm("org", "add", *args, "--db", db_url)
        assert result.exit_code == 1, args
        assert message in one_line_error(result)
    with branch.db.session() as s:
        assert len(orgs.list_orgs(s)) == len(branch.ORGS)


def test_org_bad_usage_exits_2(db_url):
    assert ocrm("org", "add", "HO", "--name", "总行", "--level", "bank", "--db", db_url).exit_code == 2
    assert ocrm("org", "add", "HO", "--level", "head", "--db", db_url).exit_code == 2
    assert ocrm("org", "list", "--frobnicate", "--db", db_url).exit_code == 2


def test_org_list_under_an_unknown_code_is_refused(db_url, branch):
    result = ocrm("org", "list", "--under", "NOPE", "--db", db_url)
    assert result.exit_code == 1
    assert "No organisation with code NOPE" in one_line_error(result)


# -- ocrm user --------------------------------------------------------------------------

def test_user_add_with_password_stdin_creates_an_account_that_can_log_in(db_url, branch):
    result = ocrm("user", "add", "T002", "--name", "周柜员", "--role", "teller", "--org", "O2",
                  "--skills", "cash,FX", "--password-stdin", "--db", db_url, input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "T002" in result.stdout and "周柜员" in result.stdout
    assert NEW_PASSWORD not in result.output
    row = user_row(branch.db, "T002")
    assert (row.name, row.role, row.org_code, row.skills, row.status) == ("周柜员", "teller", "O2", "cash,fx", "active")
    assert can_log_in(branch.db, "T002", NEW_PASSWORD)


def test_user_add_asks_for_the_password_twice(db_url, branch):
    result = ocrm("user", "add", "R003", "--name", "钱客户经理", "--role", "rm", "--org", "O1", "--db", db_url,
                  input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat the new password" in result.output
    assert NEW_PASSWORD not in result.output
    assert can_log_in(branch.db, "R003", NEW_PASSWORD)


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["T001", "--name", "x", "--role", "teller", "--org", "O1"], NEW_PASSWORD, "Employee number T001 already exists"),
        (["T002", "--name", "x", "--role", "teller", "--org", "NOPE"], NEW_PASSWORD, "No organisation with code NOPE"),
        (["T002", "--name", "x", "--role", "teller", "--org", "O1"], "short", "at least 8 characters"),
        (["T002", "--name", "x", "--role", "teller", "--org", "O1", "--skills", "Cash Desk"], NEW_PASSWORD, "Skill"),
    ],
)
def test_user_add_refusals_are_one_line_and_add_nobody(db_url, branch, args, password, message):
    result = ocrm("user", "add", *args, "--password-stdin", "--db", db_url, input=f"{password}\n")
    assert result.exit_code == 1
    assert message in one_line_error(result)
    with branch.db.session() as s:
        assert len(users.list_users(s, Actor.system())) == len(branch.USERS)


def test_user_bad_usage_exits_2(db_url, branch):
    base = ["user", "add", "T002", "--name", "x", "--org", "O1", "--password-stdin", "--db", db_url]
    assert ocrm(*base, "--role", "cashier", input=f"{NEW_PASSWORD}\n").exit_code == 2
    assert ocrm(*base, input=f"{NEW_PASSWORD}\n").exit_code == 2  # no --role
    no_line = ocrm(*base, "--role", "teller", input="")
    assert no_line.exit_code == 2
    assert "standard input" in one_line_error(no_line)
    assert ocrm("user", "list", "--role", "boss", "--db", db_url).exit_code == 2
    assert ocrm("user", "lock", "--db", db_url).exit_code == 2  # no employee number
    with branch.db.session() as s:
        assert len(users.list_users(s, Actor.system())) == len(branch.USERS)


def test_user_list_shows_every_account_and_filters_by_org_and_role(db_url, branch):
    assert can_log_in(branch.db, "R001", PASSWORD)  # gives R001 a last login
    everyone = ocrm("user", "list", "--db", db_url)
    assert everyone.exit_code == 0, everyone.output
    for no, name, *_ in branch.USERS:
        assert no in everyone.stdout and name in everyone.stdout
    r001 = next(line for line in everyone.stdout.splitlines() if "R001" in line)
    assert "rm" in r001 and "O1" in r001 and "active" in r001
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", r001)  # last login

    sub_branch = ocrm("user", "list", "--org", "SB", "--db", db_url)
    assert sub_branch.exit_code == 0
    assert {no for no in ("A001", "M001", "R001", "R002", "T001", "M900") if no in sub_branch.stdout} == {
        "M001", "R001", "R002", "T001"}

    rms = ocrm("user", "list", "--role", "rm", "--db", db_url)
    assert rms.exit_code == 0
    assert {no for no in ("A001", "M001", "R001", "R002", "T001", "M900") if no in rms.stdout} == {"R001", "R002"}

    nobody = ocrm("user", "list", "--org", "X1", "--role", "teller", "--db", db_url)
    assert nobody.exit_code == 0
    assert "No staff accounts match." in nobody.stdout

    unknown = ocrm("user", "list", "--org", "NOPE", "--db", db_url)
    assert unknown.exit_code == 1
    assert "No organisation with code NOPE" in one_line_error(unknown)


def test_user_passwd_checks_the_old_password(db_url, branch):
    result = ocrm("user", "passwd", "R001", "--password-stdin", "--db", db_url, input=f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password of R001 changed." in result.stdout
    assert can_log_in(branch.db, "R001", NEW_PASSWORD)
    assert not can_log_in(branch.db, "R001", PASSWORD)


def test_user_passwd_with_a_wrong_old_password_is_refused(db_url, branch):
    result = ocrm("user", "passwd", "R001", "--password-stdin", "--db", db_url, input=f"not-my-password\n{NEW_PASSWORD}\n")
    assert result.exit_code == 1
    assert "Wrong employee number or password" in one_line_error(result)
    assert can_log_in(branch.db, "R001", PASSWORD)
    assert not can_log_in(branch.db, "R001", NEW_PASSWORD)


def test_user_passwd_prompts_for_old_then_new_twice(db_url, branch):
    result = ocrm("user", "passwd", "T001", "--db", db_url, input=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Current password of T001" in result.output
    assert PASSWORD not in result.output and NEW_PASSWORD not in result.output
    assert can_log_in(branch.db, "T001", NEW_PASSWORD)


def test_user_passwd_reset_needs_no_old_password(db_url, branch):
    result = ocrm("user", "passwd", "T001", "--reset", "--password-stdin", "--db", db_url, input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "reset" in result.stdout
    with branch.db.session() as s:
        assert audit.list_records(s, entity="staff_user", limit=1)[0].event == "user.password_reset"
    assert can_log_in(branch.db, "T001", NEW_PASSWORD)
    assert not can_log_in(branch.db, "T001", PASSWORD)


def test_user_passwd_of_an_unknown_number_is_refused_before_any_password(db_url, branch):
    result = ocrm("user", "passwd", "Z999", "--db", db_url, input=f"{PASSWORD}\n")
    assert result.exit_code == 1
    assert "No staff member with employee number Z999" in one_line_error(result)
    assert "Current password" not in result.output


def test_user_lock_unlock_and_disable(db_url, branch):
    locked = ocrm("user", "lock", "R001", "--db", db_url)
    assert locked.exit_code == 0, locked.output
    assert "R001" in locked.stdout
    assert user_row(branch.db, "R001").status == "locked"
    with branch.db.session(write=True) as s, pytest.raises(AccountLockedError):
        auth.authenticate(s, "R001", PASSWORD)
    listed = ocrm("user", "list", "--role", "rm", "--db", db_url)
    assert "locked" in next(line for line in listed.stdout.splitlines() if "R001" in line)

    unlocked = ocrm("user", "unlock", "R001", "--db", db_url)
    assert unlocked.exit_code == 0
    assert "R001 is unlocked." in unlocked.stdout
    assert user_row(branch.db, "R001").status == "active"
    assert can_log_in(branch.db, "R001", PASSWORD)
    not_locked = ocrm("user", "unlock", "R001", "--db", db_url)
    assert not_locked.exit_code == 0
    assert "was not locked" in not_locked.stdout

    disabled = ocrm("user", "disable", "R001", "--db", db_url)
    assert disabled.exit_code == 0
    assert user_row(branch.db, "R001").status == "disabled"
    with branch.db.session(write=True) as s, pytest.raises(AccountDisabledError):
        auth.authenticate(s, "R001", PASSWORD)


@pytest.mark.parametrize("command", ["lock", "unlock", "disable"])
def test_user_lock_unlock_disable_of_an_unknown_number_is_refused(db_url, branch, command):
    result = ocrm("user", command, "Z999", "--db", db_url)
    assert result.exit_code == 1
    assert "No staff member with employee number Z999" in one_line_error(result)


# -- ocrm audit -------------------------------------------------------------------------

def test_audit_verify_reports_an_intact_chain(db_url, branch):
    with branch.db.session() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.checked > len(branch.ORGS) + len(branch.USERS) - 1
    result = ocrm("audit", "verify", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert f"audit chain intact: {report.checked} records" in result.stdout


def test_audit_verify_finds_an_altered_record(db_url, branch):
    with branch.db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("UPDATE audit_record SET changes = '{}' WHERE seq = 3"))
    result = ocrm("audit", "verify", "--db", db_url)
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "record 3 was altered" in line
    assert "2 records before it are intact" in line


def test_audit_verify_finds_a_deleted_record(db_url, branch):
    with branch.db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("DELETE FROM audit_record WHERE seq = 2"))
    result = ocrm("audit", "verify", "--db", db_url)
    assert result.exit_code == 1
    assert "record 2 is missing" in one_line_error(result)


def test_audit_list_shows_newest_first_with_changes(db_url, branch):
    assert ocrm("user", "lock", "R001", "--db", db_url).exit_code == 0
    with branch.db.session() as s:
        newest = audit.list_records(s, limit=1)[0]
        r001_id = str(users.get_user(s, "R001").id)
    assert (newest.event, newest.entity, newest.entity_id) == ("user.lock", "staff_user", r001_id)

    result = ocrm("audit", "list", "--limit", "3", "--db", db_url)
    assert result.exit_code == 0, result.output
    seqs = [int(m) for m in re.findall(r"^│\s+(\d+) │", result.stdout, flags=re.M)]
    assert seqs == [newest.seq, newest.seq - 1, newest.seq - 2]
    assert "user.lock" in result.stdout
    assert "locked_until: ∅ →" not in result.stdout  # a field set from nothing shows its value only
    assert re.search(r"locked_until: \d{4}-\d{2}-\d{2}", result.stdout)
    assert Actor.system().employee_no in result.stdout

    by_id = ocrm("audit", "list", "--entity", "staff_user", "--id", r001_id, "--db", db_url)
    assert by_id.exit_code == 0
    assert "user.lock" in by_id.stdout and "staff_user.create" in by_id.stdout
    assert f"staff_user {int(r001_id) + 1}" not in by_id.stdout

    by_user = ocrm("audit", "list", "--user", "R001", "--db", db_url)
    assert by_user.exit_code == 0
    assert "No audit records match." in by_user.stdout


def test_audit_list_filters_by_day(db_url, branch):
    # The staff accounts were created on the fixture's clock (2026-01-05); the organisations today.
    that_day = ocrm("audit", "list", "--since", "2026-01-05", "--until", "2026-01-05", "--db", db_url)
    assert that_day.exit_code == 0, that_day.output
    assert that_day.stdout.count("staff_user.create") == len(branch.USERS)
    assert "organisation.create" not in that_day.stdout

    before = ocrm("audit", "list", "--until", "2026-01-04", "--db", db_url)
    assert before.exit_code == 0
    assert "No audit records match." in before.stdout

    after = ocrm("audit", "list", "--since", "2026-01-06", "--entity", "organisation", "--db", db_url)
    assert after.exit_code == 0
    assert after.stdout.count("organisation.create") == len(branch.ORGS)


@pytest.mark.parametrize(
    "args",
    [["--since", "2026-13-01"], ["--until", "yesterday"], ["--limit", "0"], ["--limit", "many"],
     ["--since", "2026-02-01", "--until", "2026-01-01"]],
)
def test_audit_list_bad_usage_exits_2(db_url, args):
    result = ocrm("audit", "list", *args, "--db", db_url)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# -- in Chinese -------------------------------------------------------------------------

def test_lang_zh_gives_chinese_messages(db_url, branch):
    duplicate = ocrm("--lang", "zh", "user", "add", "T001", "--name", "x", "--role", "teller", "--org", "O1",
                     "--password-stdin", "--db", db_url, input=f"{NEW_PASSWORD}\n")
    assert duplicate.exit_code == 1
    assert "员工号 T001 已存在" in one_line_error(duplicate)

    verified = ocrm("--lang", "zh", "audit", "verify", "--db", db_url)
    assert verified.exit_code == 0
    assert "审计链完整" in verified.stdout

    listed = ocrm("--lang", "zh", "user", "list", "--role", "teller", "--db", db_url)
    assert listed.exit_code == 0
    assert "员工账号" in listed.stdout and "柜员" in listed.stdout and "正常" in listed.stdout

    locked = ocrm("--lang", "zh", "user", "lock", "T001", "--db", db_url)
    assert "T001 已锁定" in locked.stdout


def test_lang_zh_for_an_unreachable_database():
    result = ocrm("--lang", "zh", "org", "list", "--db", UNREACHABLE)
    assert result.exit_code == 1
    assert one_line_error(result).startswith("错误")


def test_audit_verify_with_a_written_down_head_finds_deleted_newest_records(db_url, branch):
    first = ocrm("audit", "verify", "--db", db_url)
    assert first.exit_code == 0, first.output
    head = re.search(r"head: (\d+:[0-9a-f]{64})", first.stdout).group(1)
    assert ocrm("user", "lock", "R001", "--db", db_url).exit_code == 0  # the chain grows: still fine
    assert ocrm("audit", "verify", "--expect-head", head, "--db", db_url).exit_code == 0
    seq = int(head.split(":")[0])
    with branch.db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("DELETE FROM audit_record WHERE seq >= :s"), {"s": seq})
    assert ocrm("audit", "verify", "--db", db_url).exit_code == 0  # the chain alone cannot tell
    cut = ocrm("audit", "verify", "--expect-head", head, "--db", db_url)
    assert cut.exit_code == 1
    assert f"record {seq} is gone" in one_line_error(cut)
    assert ocrm("audit", "verify", "--expect-head", "12:abc", "--db", db_url).exit_code == 2


def test_reading_commands_do_not_create_a_database_at_a_mistyped_path(tmp_path):
    typo = tmp_path / "typo.db"
    for args in (("audit", "verify"), ("audit", "list"), ("user", "list"), ("org", "list")):
        result = ocrm(*args, "--db", f"sqlite:///{typo}")
        assert result.exit_code == 1, (args, result.output)
        assert "No database file" in one_line_error(result)
    assert not typo.exists()


def test_db_given_before_the_command_is_the_database_used(db_url, branch):
    result = ocrm("--db", db_url, "user", "list")
    assert result.exit_code == 0, result.output
    assert "R001" in result.stdout
