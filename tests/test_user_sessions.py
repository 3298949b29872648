"""Session control: a login opens a session on its terminal; an administrator sees who is
logged in where (several terminals at once stand out) and ends sessions; disabling or
locking an account, resetting its password or changing its role ends its sessions; a
password change ends the user's other sessions but not the one it was made on. Each end
is audited. Services and the `ocrm user` commands, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord, UserSession
from ocrm_tui.services import audit, auth, user_sessions, users
from ocrm_tui.services.errors import PermissionDenied
from tests.conftest import PASSWORD

runner = CliRunner()


def log_in(db, no: str, clock, terminal: str) -> str:
    with db.session(write=True) as s:
        actor = auth.authenticate(s, no, PASSWORD, clock=clock, terminal=terminal)
        return user_sessions.open_session(s, actor, terminal=terminal, clock=clock)


def check(db, token: str, clock) -> str | None:
    with db.session(write=True) as s:
        return user_sessions.check_in(s, token, clock=clock)


def session_ends(db) -> list[dict]:
    with db.session() as s:
        import json
        return [json.loads(r.changes) for r in s.scalars(
            select(AuditRecord).where(AuditRecord.event == "session.end").order_by(AuditRecord.seq))]


def admin(db, no: str = "A001"):
    with db.session() as s:
        return auth.actor_for(s, users.get_user(s, no))


def test_an_open_session_reports_in_and_a_logout_closes_it(branch, db, clock):
    token = log_in(db, "R001", clock, "counter-1")
    clock.advance(seconds=30)
    assert check(db, token, clock) is None
    with db.session() as s:
        row = s.scalars(select(UserSession).where(UserSession.token == token)).one()
        assert row.last_seen_at == clock() and row.ended_at is None and row.terminal == "counter-1"
    with db.session(write=True) as s:
        user_sessions.close_session(s, token, clock=clock)
    assert check(db, token, clock) == user_sessions.LOGOUT
    assert session_ends(db) == [{"user": "R001", "terminal": "counter-1", "reason": "logout"}]


def test_admins_see_concurrent_logins_and_stale_terminals_drop_out(branch, db, clock):
    a = log_in(db, "R001", clock, "counter-1")
    log_in(db, "R001", clock, "laptop-9")
    log_in(db, "T001", clock, "counter-2")
    with db.session() as s:
        rows = user_sessions.open_sessions(s, admin(db), clock=clock)
        assert [(r.employee_no, r.terminal, r.open_sessions) for r in rows] == [
            ("R001", "counter-1", 2), ("R001", "laptop-9", 2), ("T001", "counter-2", 1)]
        assert [r.terminal for r in user_sessions.open_sessions(s, admin(db), concurrent_only=True, clock=clock)] == [
            "counter-1", "laptop-9"]
        with pytest.raises(PermissionDenied):
            user_sessions.open_sessions(s, admin(db, "M001"), clock=clock)
    # Only counter-1 keeps reporting: after session.stale_minutes the others no longer count as open.
    clock.advance(minutes=4)
    assert check(db, a, clock) is None
    clock.advance(minutes=2)
    with db.session() as s:
        rows = user_sessions.open_sessions(s, admin(db), clock=clock)
    assert [(r.employee_no, r.terminal, r.open_sessions) for r in rows] == [("R001", "counter-1", 1)]


@pytest.mark.parametrize("how, reason", [
    ("disable", user_sessions.DISABLED), ("lock", user_sessions.LOCKED), ("reset", user_sessions.PASSWORD),
    ("role", user_sessions.ROLE), ("logout", user_sessions.ADMIN)])
def test_an_administrator_ends_every_session_of_a_user(branch, db, clock, how, reason):
    first = log_in(db, "R001", clock, "counter-1")
    second = log_in(db, "R001", clock, "laptop-9")
    other = log_in(db, "R002", clock, "counter-3")
    actor = admin(db)
    with db.session(write=True) as s:
        ended = {
            "disable": lambda: users.disable_user(s, actor, "R001", clock=clock),
            "lock": lambda: users.lock_user(s, actor, "R001", clock=clock),
            "reset": lambda: users.set_password(s, actor, "R001", "another-pass-1", clock=clock),
            "role": lambda: users.change_role(s, actor, "R001", "manager", clock=clock),
            "logout": lambda: user_sessions.end_sessions(s, actor, "R001", clock=clock),
        }[how]()
    assert ended == 2
    assert check(db, first, clock) == check(db, second, clock) == reason
    assert check(db, other, clock) is None
    assert [e for e in session_ends(db)] == [
        {"user": "R001", "terminal": t, "reason": reason} for t in ("counter-1", "laptop-9")]
    with db.session() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.event == "session.end")).first()
        assert rec.actor_no == "A001"
        assert audit.verify_chain(s).ok
    assert user_sessions.ended_message(reason) != user_sessions.ended_message(None) or reason == user_sessions.LOGOUT


def test_a_password_change_ends_the_other_sessions_only(branch, db, clock):
    here = log_in(db, "R001", clock, "counter-1")
    there = log_in(db, "R001", clock, "laptop-9")
    with db.session(write=True) as s:
        ended = auth.change_password(s, "R001", PASSWORD, "brand-new-pass-7", clock=clock, keep_session=here)
    assert ended == 1
    assert check(db, here, clock) is None
    assert check(db, there, clock) == user_sessions.PASSWORD
    assert session_ends(db) == [{"user": "R001", "terminal": "laptop-9", "reason": "password"}]


def test_a_session_of_an_account_disabled_behind_its_back_ends_at_the_next_report(branch, db, clock):
    from ocrm_tui.db.models import StaffUser

    token = log_in(db, "T001", clock, "counter-2")
    with db.session(write=True) as s:  # e.g. an account switched off directly by the directory sync
        s.scalars(select(StaffUser).where(StaffUser.employee_no == "T001")).one().active = False
        s.commit()
    assert check(db, token, clock) == user_sessions.DISABLED
    assert check(db, "no-such-token", clock) == user_sessions.ADMIN


def test_a_role_change_is_checked(branch, db, clock):
    from ocrm_tui.services.errors import ValidationError

    with db.session(write=True) as s:
        with pytest.raises(ValidationError):
            users.change_role(s, admin(db), "R001", "rm", clock=clock)
        with pytest.raises(ValidationError):
            users.change_role(s, admin(db), "R001", "superuser", clock=clock)
        with pytest.raises(ValidationError):
            users.change_role(s, admin(db), "A001", "rm", clock=clock)
        with pytest.raises(PermissionDenied):
            users.change_role(s, admin(db, "M001"), "R001", "manager", clock=clock)
    with db.session() as s:
        assert users.get_user(s, "R001").role == "rm"


# -- the commands --------------------------------------------------------------------------------

def ocrm(*args: str):
    return runner.invoke(app, list(args))


def test_user_sessions_lists_concurrent_logins_and_logout_ends_them(db_url, branch, db):
    from ocrm_tui.services.clock import system_clock

    log_in(db, "R001", system_clock, "counter-1")
    log_in(db, "R001", system_clock, "laptop-9")
    log_in(db, "T001", system_clock, "counter-2")
    listed = ocrm("user", "sessions", "--db", db_url)
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.stdout.splitlines() if "counter-" in line or "laptop-" in line]
    assert len(lines) == 3 and "1 member(s) of staff are logged in on more than one terminal." in listed.stdout
    concurrent = ocrm("user", "sessions", "--concurrent", "--db", db_url)
    assert "T001" not in concurrent.stdout and concurrent.stdout.count("R001") == 2

    out = ocrm("user", "logout", "R001", "--db", db_url)
    assert out.exit_code == 0 and "2 open session(s) of R001 ended" in out.stdout
    again = ocrm("user", "logout", "R001", "--db", db_url)
    assert again.exit_code == 0 and "R001 has no open session." in again.stdout
    left = ocrm("user", "sessions", "--db", db_url)
    assert "R001" not in left.stdout and "T001" in left.stdout
    disabled = ocrm("user", "disable", "T001", "--db", db_url)
    assert disabled.exit_code == 0 and "1 open session(s) of T001 ended" in disabled.stdout
    assert "Nobody is logged in." in ocrm("user", "sessions", "--db", db_url).stdout
    unknown = ocrm("user", "logout", "Z999", "--db", db_url)
    assert unknown.exit_code == 1 and "No staff member with employee number Z999" in unknown.stderr


def test_user_role_and_unmask_commands(db_url, branch, db):
    role = ocrm("user", "role", "R002", "manager", "--db", db_url)
    assert role.exit_code == 0, role.output
    grant = ocrm("user", "unmask", "T001", "grant", "--db", db_url)
    assert grant.exit_code == 0 and "T001 may now see full customer values" in grant.stdout
    bad = ocrm("user", "unmask", "T001", "always", "--db", db_url)
    assert bad.exit_code == 2
    with db.session() as s:
        assert users.get_user(s, "R002").role == "manager"
        assert users.get_user(s, "T001").unmask is True
        events = [r.event for r in audit.list_records(s, entity="staff_user")]
    assert "user.role_change" in events and "user.unmask_change" in events
    same = ocrm("user", "role", "R002", "manager", "--db", db_url)
    assert same.exit_code == 1 and "already has the role" in same.stderr
