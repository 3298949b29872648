"""Staff administration: add, list, reset password, lock, unlock, disable, role and the right to unmask.

Disabling or locking an account, resetting its password or changing its role also ends the
user's open sessions: their terminals drop to the login screen at their next report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ocrm_tui.db.models import Organisation, Role, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, user_sessions
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.auth import INDEFINITE, check_password_policy, hash_password, is_locked
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code

EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
SKILL = re.compile(r"^[a-z0-9_]{1,32}$")
ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True)
class UserRow:
    employee_no: str
    name: str
    role: str
    org_code: str
    org_name: str
    skills: str
    status: str  # active / locked / disabled
    failed_attempts: int
    locked_until: datetime | None
    last_login_at: datetime | None


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can manage staff accounts"))


def get_user(session: Session, employee_no: str) -> StaffUser:
    user = session.exec(select(StaffUser).where(StaffUser.employee_no == employee_no.strip())).first()
    if user is None:
        raise NotFoundError(_("No staff member with employee number {no}", no=employee_no), field="employee_no")
    return user


def parse_skills(skills: str | None) -> str:
    items = [s.strip().lower() for s in (skills or "").split(",") if s.strip()]
    for s in items:
        if not SKILL.match(s):
            raise ValidationError(_("Skill {skill!r} must be lower-case letters, digits or '_'", skill=s), field="skills")
    return ",".join(dict.fromkeys(items))


def add_user(
    session: Session,
    actor: Actor,
    *,
    employee_no: str,
    name: str,
    role: str,
    org_code: str,
    password: str,
    skills: str | None = None,
    clock: Clock = system_clock,
) -> UserRow:
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    employee_no = employee_no.strip()
    name = name.strip()
    if not EMPLOYEE_NO.match(employee_no):
        raise ValidationError(_("Employee number must be 2–32 letters, digits, '-' or '_'"), field="employee_no")
    if not name:
        raise ValidationError(_("Name is required"), field="name")
    if role not in ROLES:
        raise ValidationError(_("Role must be one of: {roles}", roles=", ".join(ROLES)), field="role")
    org = get_org_by_code(session, org_code)
    skill_text = parse_skills(skills)
    check_password_policy(session, password)
    if session.exec(select(StaffUser.id).where(StaffUser.employee_no == employee_no)).first() is not None:
        raise ValidationError(_("Employee number {no} already exists", no=employee_no), field="employee_no")
    now = clock()
    user = StaffUser(
        employee_no=employee_no, name=name, role=role, org_id=org.id, skills=skill_text,
        password_hash=hash_password(password), password_changed_at=now, created_at=now, updated_at=now,
    )
    session.add(user)
    session.commit()
    return _row(user, org, now)


def _row(user: StaffUser, org: Organisation, now: datetime) -> UserRow:
    status = "disabled" if not user.active else ("locked" if is_locked(user, now) else "active")
    return UserRow(
        user.employee_no, user.name, user.role, org.code, org.name, user.skills, status,
        user.failed_attempts, user.locked_until, user.last_login_at,
    )


def list_users(session: Session, actor: Actor, *, org_code: str | None = None, role: str | None = None,
               clock: Clock = system_clock) -> list[UserRow]:
    _require_admin(actor)
    stmt = select(StaffUser, Organisation).join(Organisation, Organisation.id == StaffUser.org_id)
    if org_code:
        root = get_org_by_code(session, org_code)
        stmt = stmt.where(Organisation.path.startswith(root.path, autoescape=True))
    if role:
        stmt = stmt.where(StaffUser.role == role)
    now = clock()
    return [_row(u, o, now) for u, o in session.exec(stmt.order_by(StaffUser.employee_no))]


def set_password(session: Session, actor: Actor, employee_no: str, new_password: str, *, clock: Clock = system_clock) -> int:
    """An administrator resets a forgotten password (the user is told it out of band); the
    user's open sessions end. Returns how many."""
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    check_password_policy(session, new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = clock()
    user.updated_at = clock()
    audit.label(session, user, "user.password_reset")
    ended = user_sessions.end_user_sessions(session, actor, user.id, reason=user_sessions.PASSWORD, clock=clock)
    session.commit()
    return ended


def lock_user(session: Session, actor: Actor, employee_no: str, *, clock: Clock = system_clock) -> int:
    """Lock an account until an administrator unlocks it; its open sessions end. Returns how many."""
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    user.locked_until = clock() + INDEFINITE
    user.updated_at = clock()
    audit.label(session, user, "user.lock")
    ended = user_sessions.end_user_sessions(session, actor, user.id, reason=user_sessions.LOCKED, clock=clock)
    session.commit()
    return ended


def unlock_user(session: Session, actor: Actor, employee_no: str, *, clock: Clock = system_clock) -> bool:
    """Clear a lock and the failure count. Returns whether the account was locked."""
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    was_locked = is_locked(user, clock())
    user.locked_until = None
    user.failed_attempts = 0
    user.updated_at = clock()
    audit.label(session, user, "user.unlock")
    session.commit()
    return was_locked


def disable_user(session: Session, actor: Actor, employee_no: str, *, clock: Clock = system_clock) -> int:
    """Disable an account and end its open sessions. Returns how many sessions were ended."""
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    if actor.id is not None and user.id == actor.id:
        raise ValidationError(_("You cannot disable your own account"), field="employee_no")
    user.active = False
    user.updated_at = clock()
    audit.label(session, user, "user.disable")
    ended = user_sessions.end_user_sessions(session, actor, user.id, reason=user_sessions.DISABLED, clock=clock)
    session.commit()
    return ended


def change_role(session: Session, actor: Actor, employee_no: str, role: str, *, clock: Clock = system_clock) -> int:
    """Give a user another role; their open sessions end (the new role applies from their next
    login). Returns how many sessions were ended."""
    _require_admin(actor)
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    if role not in ROLES:
        raise ValidationError(_("Role must be one of: {roles}", roles=", ".join(ROLES)), field="role")
    if actor.id is not None and user.id == actor.id:
        raise ValidationError(_("You cannot change your own role"), field="employee_no")
    if user.role == role:
        raise ValidationError(_("{no} already has the role {role}", no=user.employee_no, role=role), field="role")
    user.role = role
    user.updated_at = clock()
    audit.label(session, user, "user.role_change")
    ended = user_sessions.end_user_sessions(session, actor, user.id, reason=user_sessions.ROLE, clock=clock)
    session.commit()
    return ended


UNMASK_CHOICES = {"grant": True, "withdraw": False, "role": None}


def set_unmask(session: Session, actor: Actor, employee_no: str, choice: str, *, clock: Clock = system_clock) -> None:
    """Grant a user the right to see full customer values, withdraw it, or leave it to their
    role (``grant`` / ``withdraw`` / ``role``; the roles are the setting unmask.roles)."""
    _require_admin(actor)
    if choice not in UNMASK_CHOICES:
        raise ValidationError(_("Choose grant, withdraw or role"), field="unmask")
    audit.acting_as(session, actor, clock=clock)
    user = get_user(session, employee_no)
    user.unmask = UNMASK_CHOICES[choice]
    user.updated_at = clock()
    audit.label(session, user, "user.unmask_change")
    session.commit()
