"""Staff login: argon2id passwords, lockout after repeated failures, every attempt recorded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlmodel import Session, select

from ocrm_tui.db.models import LoginAttempt, Organisation, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import (
    AccountDisabledError,
    AccountLockedError,
    AuthenticationError,
    ValidationError,
)
from ocrm_tui.services.settings import get_setting

# Locking "until an admin unlocks" is a lock far in the future.
INDEFINITE = timedelta(days=365 * 100)


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher  # argon2id with the library's OWASP-conforming defaults

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(session: Session, password: str) -> None:
    minimum = get_setting(session, "password.min_length")
    if len(password) < minimum:
        raise ValidationError(_("The password must have at least {n} characters", n=minimum), field="password")
    if password.strip() != password or not password.strip():
        raise ValidationError(_("The password must not start or end with spaces"), field="password")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def is_locked(user: StaffUser, now: datetime) -> bool:
    until = _aware(user.locked_until)
    return until is not None and now < until


def actor_for(session: Session, user: StaffUser) -> Actor:
    org = session.get(Organisation, user.org_id)
    return Actor(
        id=user.id,
        employee_no=user.employee_no,
        name=user.name,
        role=user.role,
        org_id=user.org_id,
        org_path=org.path if org else "/",
        org_code=org.code if org else "",
        org_name=org.name if org else "",
    )


def locked_message(until: datetime) -> str:
    if until - datetime.now(timezone.utc) > INDEFINITE / 2:
        return _("This account is locked. Ask an administrator to unlock it.")
    local = until.astimezone().strftime("%H:%M")
    return _("This account is locked until {time}. Ask an administrator to unlock it sooner.", time=local)


def authenticate(
    session: Session,
    employee_no: str,
    password: str,
    *,
    clock: Clock = system_clock,
    terminal: str = "",
    purpose: str = "login",
) -> Actor:
    """Check a staff login. Commits the recorded attempt whatever the outcome.

    Raises AuthenticationError (wrong number or password, never saying which),
    AccountLockedError (while locked, the password is not even checked) or
    AccountDisabledError.
    """
    now = clock()
    employee_no = employee_no.strip()
    # FOR UPDATE: simultaneous wrong guesses on PostgreSQL must not overwrite each other's
    # failure count (SQLite write sessions are IMMEDIATE, which serialises them anyway).
    user = session.exec(select(StaffUser).where(StaffUser.employee_no == employee_no).with_for_update()).first()
    audit.acting_as(session, actor_for(session, user) if user else None, clock=clock)

    def record(outcome: str) -> None:
        attempt = LoginAttempt(
            employee_no=employee_no[:32], user_id=user.id if user else None, at=now,
            success=outcome == "ok", outcome=outcome, purpose=purpose, terminal=terminal[:64],
        )
        session.add(attempt)
        audit.label(session, attempt, f"{purpose}.{'success' if outcome == 'ok' else 'failure'}")
        session.commit()

    wrong = _("Wrong employee number or password")
    if user is None:
        _verify(_dummy_hash(), password)  # same work as a real check: no timing hint
        record("unknown_user")
        raise AuthenticationError(wrong)
    if is_locked(user, now):
        record("locked")
        raise AccountLockedError(locked_message(_aware(user.locked_until)), locked_until=_aware(user.locked_until))
    if user.locked_until is not None:
        # A lock that has run out starts a fresh count: one typo must not lock again.
        user.locked_until = None
        user.failed_attempts = 0
    if not _verify(user.password_hash, password):
        user.failed_attempts += 1
        user.updated_at = now
        if user.failed_attempts >= get_setting(session, "lockout.max_failures"):
            user.locked_until = now + timedelta(minutes=get_setting(session, "lockout.minutes"))
            audit.label(session, user, "user.lockout")
            record("locked_out")
            raise AccountLockedError(locked_message(user.locked_until), locked_until=user.locked_until)
        record("wrong_password")
        raise AuthenticationError(wrong)
    if not user.active:
        record("disabled")
        raise AccountDisabledError(_("This account is disabled. Ask an administrator."))
    user.failed_attempts = 0
    user.locked_until = None
    if purpose == "login":
        user.last_login_at = now
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.updated_at = now
    record("ok")
    return actor_for(session, user)


def change_password(
    session: Session, employee_no: str, old_password: str, new_password: str, *, clock: Clock = system_clock,
    keep_session: str | None = None,
) -> int:
    """A user changes their own password: the old one is checked like a login. Their other
    sessions end (``keep_session``: the token of the terminal they changed it on). Returns how
    many sessions were ended."""
    from ocrm_tui.services import user_sessions

    authenticate(session, employee_no, old_password, clock=clock, purpose="passwd")
    check_password_policy(session, new_password)
    if new_password == old_password:
        raise ValidationError(_("The new password must differ from the old one"), field="password")
    user = session.exec(select(StaffUser).where(StaffUser.employee_no == employee_no.strip())).one()
    audit.acting_as(session, actor_for(session, user), clock=clock)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = clock()
    user.updated_at = clock()
    audit.label(session, user, "user.password_change")
    ended = user_sessions.end_user_sessions(session, actor_for(session, user), user.id, reason=user_sessions.PASSWORD,
                                            except_token=keep_session, clock=clock)
    session.commit()
    return ended
