"""Staff login: a teller logs in, mistypes, gets locked out, and an admin unlocks."""

import pytest
from sqlmodel import select

from ocrm_tui.db.models import LoginAttempt, StaffUser
from ocrm_tui.services import auth, users
from ocrm_tui.services.errors import (
    AccountDisabledError,
    AccountLockedError,
    AuthenticationError,
    OcrmError,
    PermissionDenied,
    ValidationError,
)
from tests.conftest import PASSWORD


def login(db, no, pw, clock):
    with db.session(write=True) as s:
        return auth.authenticate(s, no, pw, clock=clock, terminal="counter-7")


def attempts(db, no):
    with db.session() as s:
        return [a.outcome for a in s.exec(select(LoginAttempt).where(LoginAttempt.employee_no == no).order_by(LoginAttempt.id))]


def test_password_is_stored_as_argon2id(branch, db):
    with db.session() as s:
        user = s.exec(select(StaffUser).where(StaffUser.employee_no == "T001")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_successful_login_returns_the_actor_and_is_recorded(branch, db, clock):
    actor = login(db, "T001", PASSWORD, clock)
    assert (actor.employee_no, actor.role, actor.org_code) == ("T001", "teller", "O1")
    assert attempts(db, "T001") == ["ok"]
    with db.session() as s:
        user = s.exec(select(StaffUser).where(StaffUser.employee_no == "T001")).one()
        assert user.last_login_at == clock()


def test_wrong_password_and_unknown_user_get_the_same_message(branch, db, clock):
    with pytest.raises(AuthenticationError) as wrong_pw:
        login(db, "T001", "not-the-password", clock)
    with pytest.raises(AuthenticationError) as unknown:
        login(db, "NOBODY", "whatever-1", clock)
    assert str(wrong_pw.value) == str(unknown.value) == "Wrong employee number or password"
    assert attempts(db, "T001") == ["wrong_password"]
    assert attempts(db, "NOBODY") == ["unknown_user"]


def test_five_failures_lock_for_ten_minutes_then_unlock_by_themselves(branch, db, clock):
    for _ in range(4):
        with pytest.raises(AuthenticationError) as exc:
            login(db, "T001", "bad-password", clock)
        assert not isinstance(exc.value, AccountLockedError)
    with pytest.raises(AccountLockedError):
        login(db, "T001", "bad-password", clock)
    # Locked: even the right password is refused, and the message says locked.
    clock.advance(minutes=9, seconds=59)
    with pytest.raises(AccountLockedError, match="locked"):
        login(db, "T001", PASSWORD, clock)
    clock.advance(seconds=2)
    assert login(db, "T001", PASSWORD, clock).employee_no == "T001"
    assert attempts(db, "T001") == ["wrong_password"] * 4 + ["locked_out", "locked", "ok"]


def test_a_success_resets_the_failure_count(branch, db, clock):
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            login(db, "T001", "bad-password", clock)
    login(db, "T001", PASSWORD, clock)
    for _ in range(4):
        with pytest.raises(AuthenticationError) as exc:
            login(db, "T001", "bad-password", clock)
        assert not isinstance(exc.value, AccountLockedError)


def test_admin_unlocks_a_locked_account(branch, db, clock, system):
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            login(db, "T001", "bad-password", clock)
    with db.session(write=True) as s:
        assert users.unlock_user(s, system, "T001", clock=clock) is True
    assert login(db, "T001", PASSWORD, clock).employee_no == "T001"


def test_lockout_policy_comes_from_settings(branch, db, clock):
    from ocrm_tui.services.settings import set_setting

    with db.session(write=True) as s:
        set_setting(s, "lockout.max_failures", 2)
        set_setting(s, "lockout.minutes", 30)
        s.commit()
    with pytest.raises(AuthenticationError):
        login(db, "T001", "bad-password", clock)
    with pytest.raises(AccountLockedError):
        login(db, "T001", "bad-password", clock)
    clock.advance(minutes=29)
    with pytest.raises(AccountLockedError):
        login(db, "T001", PASSWORD, clock)
    clock.advance(minutes=2)
    login(db, "T001", PASSWORD, clock)


def test_admin_lock_holds_until_unlocked(branch, db, clock, system):
    with db.session(write=True) as s:
        users.lock_user(s, system, "R001", clock=clock)
    clock.advance(days=30)
    with pytest.raises(AccountLockedError, match="administrator"):
        login(db, "R001", PASSWORD, clock)


def test_disabled_account_cannot_log_in(branch, db, clock, system):
    with db.session(write=True) as s:
        users.disable_user(s, system, "R002", clock=clock)
    with pytest.raises(AccountDisabledError):
        login(db, "R002", PASSWORD, clock)
    with pytest.raises(AuthenticationError, match="Wrong employee number or password"):
        login(db, "R002", "bad-password", clock)


def test_change_password_checks_the_old_one_and_the_policy(branch, db, clock):
    with db.session(write=True) as s, pytest.raises(AuthenticationError):
        auth.change_password(s, "R001", "wrong-old-pw", "brand-new-pw", clock=clock)
    with db.session(write=True) as s, pytest.raises(ValidationError, match="at least 8"):
        auth.change_password(s, "R001", PASSWORD, "short", clock=clock)
    with db.session(write=True) as s:
        auth.change_password(s, "R001", PASSWORD, "brand-new-pw", clock=clock)
    with pytest.raises(AuthenticationError):
        login(db, "R001", PASSWORD, clock)
    assert login(db, "R001", "brand-new-pw", clock).employee_no == "R001"


def test_add_user_validates_its_input(branch, db, clock, system):
    cases = [
        (dict(employee_no="T001"), "already exists"),
        (dict(role="boss"), "Role must be one of"),
        (dict(org_code="NOPE"), "No organisation"),
        (dict(password="1234567"), "at least 8"),
        (dict(employee_no="a b"), "Employee number must be"),
        (dict(skills="Wealth Advice"), "Skill"),
        (dict(name="  "), "Name is required"),
    ]
    for override, message in cases:
        args = dict(employee_no="T777", name="新柜员", role="teller", org_code="O1", password="long-enough-1") | override
        with db.session(write=True) as s, pytest.raises(OcrmError, match=message):
            users.add_user(s, system, clock=clock, **args)


def test_only_admins_manage_staff(branch, db, clock):
    manager = login(db, "M001", PASSWORD, clock)
    with db.session(write=True) as s, pytest.raises(PermissionDenied):
        users.add_user(s, manager, employee_no="T778", name="x", role="teller", org_code="O1", password="long-enough-1")
    with db.session(write=True) as s, pytest.raises(PermissionDenied):
        users.unlock_user(s, manager, "T001")


def test_after_a_lock_runs_out_one_typo_does_not_lock_again(branch, db, clock):
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            login(db, "T001", "bad-password", clock)
    clock.advance(minutes=11)
    with pytest.raises(AuthenticationError) as exc:
        login(db, "T001", "bad-password", clock)
    assert not isinstance(exc.value, AccountLockedError)
    assert attempts(db, "T001")[-1] == "wrong_password"
    assert login(db, "T001", PASSWORD, clock).employee_no == "T001"


def test_simultaneous_wrong_guesses_still_lock_the_account(branch, db, clock):
    """Terminals guessing at the same moment must not overwrite each other's failure count."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(_):
        try:
            login(db, "T001", "bad-password", clock)
        except AccountLockedError:
            return "locked"
        except AuthenticationError:
            return "wrong"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    assert outcomes.count("wrong") == 4 and outcomes.count("locked") == 4
    assert sorted(attempts(db, "T001")) == sorted(["wrong_password"] * 4 + ["locked_out"] + ["locked"] * 3)
    with pytest.raises(AccountLockedError):
        login(db, "T001", PASSWORD, clock)
