"""Sessions of logged-in terminals: who is logged in where, and ending a login from outside.

A login on a terminal opens a session (a random token the terminal keeps). The terminal
reports in every ``session.check_seconds``; the answer says whether the session is still
open. A session ends when its user logs out or quits, or from outside: an administrator
ends it or disables or locks the account, an administrator resets the password, or the
user changes their password on another terminal. The terminal hears it at its next report
and drops to the login screen, so an ended session is gone within ``session.check_seconds``.

A session not heard from for ``session.stale_minutes`` (a terminal switched off) no longer
counts as open; it continues if that terminal reports in again.

Starting a session is the audited login (``login.success``); each end is audited as
``session.end`` with the reason and who ended it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update
from sqlmodel import Session

from ocrm_tui.db.models import Organisation, StaffUser, UserSession
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied
from ocrm_tui.services.settings import get_setting

# Why a session ended.
LOGOUT = "logout"        # the user logged out, switched user or quit
DISABLED = "disabled"    # an administrator disabled the account
LOCKED = "locked"        # the account was locked (by an administrator)
PASSWORD = "password"    # the password was changed elsewhere, or reset by an administrator
ROLE = "role"            # an administrator changed the user's role
ADMIN = "admin"          # an administrator ended the session
REASONS = (LOGOUT, DISABLED, LOCKED, PASSWORD, ROLE, ADMIN)

_s = UserSession.__table__


@dataclass(frozen=True)
class SessionRow:
    id: int
    employee_no: str
    name: str
    role: str
    org_code: str
    terminal: str
    started_at: datetime
    last_seen_at: datetime
    open_sessions: int  # of this user: more than one is a concurrent login


def ended_message(reason: str | None) -> str:
    """What the terminal tells its user when their session was ended from outside."""
    return {
        DISABLED: _("Your account was disabled by an administrator; you have been logged out."),
        LOCKED: _("Your account was locked; you have been logged out."),
        PASSWORD: _("Your password was changed; log in again with the new password."),
        ROLE: _("Your role was changed by an administrator; log in again."),
        ADMIN: _("An administrator ended your session; log in again."),
    }.get(reason or "", _("Your session has ended; log in again."))


def open_session(session: Session, actor: Actor, *, terminal: str = "", clock: Clock = system_clock) -> str:
    """After a successful login: a new session for this terminal. Returns its token (commits)."""
    now = clock()
    token = secrets.token_hex(32)
    session.add(UserSession(token=token, user_id=actor.id, terminal=terminal[:64], started_at=now, last_seen_at=now))
    session.commit()
    return token


def check_in(session: Session, token: str, *, clock: Clock = system_clock) -> str | None:
    """A terminal reports in: None while its session is open, else why it ended (commits).

    A session whose account has been disabled or locked meanwhile (by any means) ends here.
    """
    now = clock()
    row = session.execute(
        select(UserSession.id, UserSession.ended_at, UserSession.end_reason, StaffUser.active, StaffUser.locked_until,
               StaffUser.id.label("user_id"))
        .join(StaffUser, StaffUser.id == UserSession.user_id).where(UserSession.token == token)).first()
    if row is None:
        return ADMIN
    if row.ended_at is not None:
        return row.end_reason or ADMIN
    reason = DISABLED if not row.active else (LOCKED if is_locked_until(row.locked_until, now) else None)
    if reason is not None:
        _end(session, [row.id], reason, None, now)
        session.commit()
        return reason
    session.execute(update(_s).where(_s.c.id == row.id, _s.c.ended_at.is_(None)).values(last_seen_at=now))
    session.commit()
    return None


def is_locked_until(locked_until: datetime | None, now: datetime) -> bool:
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=timezone.utc)
    return locked_until is not None and now < locked_until


def close_session(session: Session, token: str, *, clock: Clock = system_clock) -> None:
    """The user logs out, switches user or quits (commits)."""
    row = session.execute(select(UserSession.id).where(UserSession.token == token, UserSession.ended_at.is_(None))).first()
    if row is not None:
        _end(session, [row.id], LOGOUT, None, clock())
        session.commit()


def end_user_sessions(session: Session, actor: Actor | None, user_id: int, *, reason: str,
                      except_token: str | None = None, clock: Clock = system_clock) -> int:
    """End every open session of a user (but ``except_token``), in the caller's transaction.

    Called by the services that disable, lock, change the role or the password of a user;
    the caller commits. Returns how many sessions were ended.
    """
    stmt = select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if except_token is not None:
        stmt = stmt.where(UserSession.token != except_token)
    ids = list(session.scalars(stmt))
    if ids:
        _end(session, ids, reason, actor, clock())
    return len(ids)


def end_sessions(session: Session, actor: Actor, employee_no: str, *, clock: Clock = system_clock) -> int:
    """An administrator logs a user out of every terminal (commits). Returns how many sessions ended."""
    from ocrm_tui.services.users import get_user  # users imports this module

    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    ended = end_user_sessions(session, actor, user.id, reason=ADMIN, clock=clock)
    session.commit()
    return ended


def _end(session: Session, ids: list[int], reason: str, actor: Actor | None, now: datetime) -> None:
    ended_by = actor.employee_no if actor is not None else None
    session.execute(update(_s).where(_s.c.id.in_(ids), _s.c.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason, ended_by=ended_by))
    rows = session.execute(select(UserSession.id, UserSession.terminal, StaffUser.employee_no)
                           .join(StaffUser, StaffUser.id == UserSession.user_id).where(UserSession.id.in_(ids))
                           .order_by(UserSession.id)).all()
    for r in rows:
        audit.log_event(session, "session.end", "user_session", r.id,
                        {"user": r.employee_no, "terminal": r.terminal, "reason": reason})


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can see or end staff sessions"))


def open_sessions(session: Session, actor: Actor, *, employee_no: str | None = None, concurrent_only: bool = False,
                  clock: Clock = system_clock) -> list[SessionRow]:
    """Open sessions heard from within ``session.stale_minutes``, by user then start (admins only).

    ``open_sessions`` of a row counts the same user's open sessions: above one, the user is
    logged in on several terminals at once.
    """
    _require_admin(actor)
    now = clock()
    fresh = now - timedelta(minutes=get_setting(session, "session.stale_minutes"))
    live = (UserSession.ended_at.is_(None)) & (UserSession.last_seen_at >= fresh)
    per_user = (select(UserSession.user_id, func.count().label("n")).where(live)
                .group_by(UserSession.user_id).subquery())
    stmt = (select(UserSession, StaffUser.employee_no, StaffUser.name, StaffUser.role, Organisation.code, per_user.c.n)
            .join(StaffUser, StaffUser.id == UserSession.user_id)
            .join(Organisation, Organisation.id == StaffUser.org_id)
            .join(per_user, per_user.c.user_id == UserSession.user_id)
            .where(live))
    if employee_no:
        stmt = stmt.where(StaffUser.employee_no == employee_no.strip())
    if concurrent_only:
        stmt = stmt.where(per_user.c.n > 1)
    stmt = stmt.order_by(StaffUser.employee_no, UserSession.started_at)
    return [SessionRow(s.id, no, name, role, org, s.terminal, s.started_at, s.last_seen_at, n)
            for s, no, name, role, org, n in session.execute(stmt).all()]
