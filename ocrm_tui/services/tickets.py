"""Service tickets: raising, assignment, the SLA, the workflow, collaboration, ratings, the queue.

Every rule about tickets lives here: who sees a ticket, who may move it and where to,
how one is assigned, when it is due. Functions that change something commit their unit
of work (give them a write session); each takes the acting user and checks the rules
itself. What leaves this module is plain data, with the customer's name masked for tellers.

Many terminals work the same queue. Claiming an unassigned ticket takes its row with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a write session on SQLite is an IMMEDIATE
transaction, one writer at a time), and every other change is checked against the
ticket's version: of two staff closing the same ticket at the same moment one succeeds
and the other is told who was first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, exists, func, literal, or_, select, true, tuple_, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ocrm_tui.db.models import (
    Alert,
    Customer,
    Organisation,
    Role,
    StaffUser,
    Ticket,
    TicketEvent,
    TicketHelp,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.scope import customer_scope, get_customer_in_scope, org_subtree_ids, subtree_param
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.validation import normalise_text

NEW, IN_PROGRESS, RESPONDED, CLOSED = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.RESPONDED,
                                       TicketStatus.CLOSED)
OPEN_STATES = (NEW, IN_PROGRESS, RESPONDED)
# The workflow: where a ticket may go from each state (closed → in progress is a reopen).
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_PROGRESS, CLOSED}),
    IN_PROGRESS: frozenset({RESPONDED, CLOSED}),
    RESPONDED: frozenset({IN_PROGRESS, CLOSED}),
    CLOSED: frozenset({IN_PROGRESS}),
}
PRIORITY_RANK = {TicketPriority.HIGH: 0, TicketPriority.MEDIUM: 1, TicketPriority.LOW: 2}
TYPES = tuple(t.value for t in TicketType)
PRIORITIES = tuple(p.value for p in TicketPriority)
CHANNELS = ("counter", "phone", "online", "mobile", "atm", "pos")
# Who handles tickets: automatic assignment picks among these roles.
HANDLERS = frozenset({Role.RM, Role.MANAGER})
SUPERVISORS = frozenset({Role.MANAGER, Role.ADMIN})
RATINGS = (5, 4, 3, 2, 1)  # very satisfied … needs improvement

SUBJECT_MAX = 200
DESCRIPTION_MAX = 4000
TEXT_MAX = 4000  # solution, note, answer
TASK_MAX = 1000
COMMENT_MAX = 500
PAGE_SIZE = 50
MAX_SELECTION = 10_000  # a batch action beyond this asks for a narrower view


def ticket_number(ticket_id: int) -> str:
    """The number staff quote: T0000123."""
    return f"T{ticket_id:07d}"


def parse_ticket_number(text: str) -> int | None:
    text = normalise_text(text or "").upper()
    if text.startswith("T"):
        text = text[1:]
    return int(text) if text.isdigit() and 0 < len(text) <= 12 else None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite hands back naive UTC
        return value.replace(tzinfo=timezone.utc)
    return value


# -- names -------------------------------------------------------------------------------------

def type_name(value: str) -> str:
    return {"consultation": _("Consultation"), "complaint": _("Complaint"), "suggestion": _("Suggestion")}.get(value, value)


def priority_name(value: str) -> str:
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low")}.get(value, value)


def status_name(value: str) -> str:
    return {"new": _("New"), "in_progress": _("In progress"), "responded": _("Responded"),
            "closed": _("Closed")}.get(value, value)


def rating_name(value: int | None) -> str:
    return {5: _("Very satisfied"), 4: _("Satisfied"), 3: _("Neutral"), 2: _("Dissatisfied"),
            1: _("Needs improvement")}.get(value, "") if value is not None else ""


def role_name(value: str) -> str:
    return {"teller": _("Teller"), "rm": _("Relationship manager"), "manager": _("Manager"),
            "admin": _("Administrator")}.get(value, value)


# -- the SLA -----------------------------------------------------------------------------------

def sla_hours(session: Session) -> dict[str, float]:
    hours = get_setting(session, "sla.hours")
    return {p: float(hours.get(p, 24)) for p in PRIORITIES}


def due_time(priority: str, start: datetime, hours: dict[str, float]) -> datetime:
    return start + timedelta(hours=hours[priority])


def sla_state(status: str, priority: str, due_at: datetime, now: datetime, hours: dict[str, float],
              due_soon_percent: float) -> str:
    """ok / due_soon / overdue (a closed ticket is always ok)."""
    if status == CLOSED:
        return "ok"
    due_at = _aware(due_at)
    if due_at <= now:
        return "overdue"
    if due_at - now <= timedelta(hours=hours.get(priority, 24) * due_soon_percent / 100):
        return "due_soon"
    return "ok"


# -- who sees and who moves a ticket -------------------------------------------------------------

def _subtree(actor: Actor):
    """Ids of the actor's organisation and every one under it (a subquery)."""
    return org_subtree_ids(actor.org_path or "/")


def _help_for(actor: Actor):
    """Collaboration tasks addressed to the actor: by name, or to their role in the ticket's branch
    (the ticket's organisation is the actor's or one under it)."""
    by_role = and_(
        TicketHelp.to_role == actor.role,
        Ticket.org_id.in_(_subtree(actor)),
    )
    return or_(TicketHelp.to_user_id == actor.id, by_role)


def ticket_scope(actor: Actor, *, now: datetime | None = None):
    """A WHERE clause on ``Ticket``: the tickets the actor may open.

    admin — all; manager — tickets of their branch subtree; an RM — also the unassigned
    tickets of their branch's pool (``_pool``), which they may take; anyone — tickets assigned
    to them, raised by them, where their help is asked, or of a customer in their data scope.
    """
    if actor.role == Role.ADMIN:
        return true()
    subtree = _subtree(actor)
    helped = exists(select(TicketHelp.id).where(TicketHelp.ticket_id == Ticket.id, _help_for(actor)))
    own = or_(Ticket.assignee_id == actor.id, Ticket.created_by == actor.id, helped,
              Ticket.customer_id.in_(select(Customer.id).where(customer_scope(actor, now=now))))
    if actor.role in HANDLERS:  # the branch pool they take tickets from: opened before taking one
        own = or_(own, _pool(actor))
    if actor.role == Role.MANAGER:
        return or_(Ticket.org_id.in_(subtree), own)
    return own


def _get_visible(session: Session, actor: Actor, ticket_id: int, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id, ticket_scope(actor))
    if lock:
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise NotFoundError(_("No such ticket, or not one of yours"))
    return ticket


def _supervises(session: Session, actor: Actor, ticket: Ticket) -> bool:
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER:
        return False
    path = session.scalar(select(Organisation.path).where(Organisation.id == ticket.org_id)) or ""
    return path.startswith(actor.org_path or "/")


def _may_work(session: Session, actor: Actor, ticket: Ticket) -> bool:
    """The assignee works a ticket; their manager (or an admin) may step in."""
    return (ticket.assignee_id is not None and ticket.assignee_id == actor.id) or _supervises(session, actor, ticket)


def _check_version(session: Session, ticket: Ticket, version: int | None) -> None:
    """Refuse a change made from a screen that showed an older version of the ticket."""
    if version is None or int(version) == ticket.version:
        return
    last = session.execute(
        select(TicketEvent.kind, TicketEvent.to_value, StaffUser.name, TicketEvent.at)
        .join(StaffUser, StaffUser.id == TicketEvent.actor_id, isouter=True)
        .where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id.desc()).limit(1)
    ).first()
    who = (last.name if last and last.name else _("someone else"))
    if ticket.status == CLOSED:
        message = _("{who} closed this ticket while you had it open; nothing was changed", who=who)
    else:
        message = _("{who} changed this ticket while you had it open (it is now {status}); nothing was changed",
                    who=who, status=status_name(ticket.status))
    raise StaleRecordError(message, changed={"status": ticket.status, "assignee_id": ticket.assignee_id})


# -- input -------------------------------------------------------------------------------------

def _text(value: str | None, field_name: str, label: str, *, maximum: int, required: bool) -> str:
    # Free text keeps what was typed (a full-width ：or ，stays); only the ends are trimmed.
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("{label} is required", label=label), field=field_name)
    if len(text) > maximum:
        raise ValidationError(_("{label} is at most {n} characters (now {m})", label=label, n=f"{maximum:,}",
                                m=f"{len(text):,}"), field=field_name)
    return text


def check_new_ticket(values: dict[str, str]) -> dict[str, str]:
    """The cleaned values of a new ticket; ValidationError names the first wrong field."""
    kind = (values.get("type") or "").strip()
    if kind not in TYPES:
        raise ValidationError(_("Choose the type: consultation, complaint or suggestion"), field="type")
    priority = (values.get("priority") or "").strip()
    if priority not in PRIORITIES:
        raise ValidationError(_("Choose the priority: high, medium or low"), field="priority")
    channel = (values.get("channel") or "counter").strip()
    if channel not in CHANNELS:
        raise ValidationError(_("Unknown channel {channel}", channel=channel), field="channel")
    subject = _text(values.get("subject"), "subject", _("The subject"), maximum=SUBJECT_MAX, required=True)
    description = _text(values.get("description"), "description", _("The description"), maximum=DESCRIPTION_MAX,
                        required=False)
    skill = normalise_text(values.get("required_skill") or "").lower()
    if len(skill) > 32 or ("," in skill):
        raise ValidationError(_("A skill is one word of at most 32 characters"), field="required_skill")
    return {"type": kind, "priority": priority, "channel": channel, "subject": subject,
            "description": description, "required_skill": skill}


# -- assignment --------------------------------------------------------------------------------

def _skill_match(skill: str):
    return (literal(",") + StaffUser.skills + literal(",")).like(f"%,{skill},%")


def _open_load(user_id_column):
    return (select(func.count(Ticket.id)).where(Ticket.assignee_id == user_id_column,
                                                Ticket.status.in_(OPEN_STATES))
            .correlate(StaffUser).scalar_subquery())


def _last_assigned(user_id_column):
    return (select(func.max(Ticket.assigned_at)).where(Ticket.assignee_id == user_id_column)
            .correlate(StaffUser).scalar_subquery())


def _branch_paths(path: str) -> list[str]:
    """The customer's organisation, then each node above it up to the first-level branch:
    a ticket is never handed to another branch."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(len(parts), 1, -1)] or [path]


def pick_assignee(session: Session, customer: Customer, skill: str | None) -> int | None:
    """The assignment rule.

    1. The customer's own RM, when the setting ``tickets.assign_to_rm`` says so and the RM
       is active (and has the skill, when one is required).
    2. Else the least-loaded active handler (RM or manager) of the customer's branch
       subtree whose skills include the required skill; ties go to the one given a ticket
       longest ago (never given one first), then the lower id. When nobody in the
       customer's own organisation qualifies, the organisation above is searched, up to
       the first-level branch.
    3. Else nobody: the ticket waits, unassigned, in the branch pool.
    """
    skill = (skill or "").strip().lower() or None
    if customer.rm_id is not None and get_setting(session, "tickets.assign_to_rm"):
        rm = session.get(StaffUser, customer.rm_id)
        if rm is not None and rm.active and (skill is None or skill in _skills(rm.skills)):
            return rm.id
    org_path = session.scalar(select(Organisation.path).where(Organisation.id == customer.org_id)) or "/"
    load = _open_load(StaffUser.id)
    last = _last_assigned(StaffUser.id)
    for path in _branch_paths(org_path):
        stmt = (select(StaffUser.id)
                .join(Organisation, Organisation.id == StaffUser.org_id)
                .where(StaffUser.active.is_(True), StaffUser.role.in_(HANDLERS),
                       Organisation.path.like(subtree_param(path), escape="\\"))
                .order_by(load, last.is_not(None), last, StaffUser.id).limit(1))
        if skill:
            stmt = stmt.where(_skill_match(skill))
        found = session.scalar(stmt)
        if found is not None:
            return found
    return None


def _skills(text: str | None) -> set[str]:
    return {s.strip().lower() for s in (text or "").split(",") if s.strip()}


def _event(session: Session, ticket: Ticket, actor: Actor, kind: str, at: datetime, *, from_value=None,
           to_value=None, text: str | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=at, actor_id=actor.id, kind=kind,
                            from_value=None if from_value is None else str(from_value),
                            to_value=None if to_value is None else str(to_value), text=text))


def _set_assignee(session: Session, ticket: Ticket, actor: Actor, user_id: int | None, now: datetime) -> None:
    before = ticket.assignee_id
    ticket.assignee_id = user_id
    ticket.assigned_at = now if user_id is not None else None
    ticket.unread = user_id is not None and user_id != actor.id
    _event(session, ticket, actor, "assigned", now, from_value=before, to_value=user_id)
    audit.label(session, ticket, "ticket.assign")


# -- raising a ticket --------------------------------------------------------------------------

def create_ticket(session: Session, actor: Actor, customer_id: int, values: dict[str, str], *,
                  clock: Clock = system_clock) -> int:
    """Raise a ticket for a customer in the actor's scope; it is assigned at once by the rule
    (``pick_assignee``) and due by its priority's SLA. Returns the ticket's id."""
    cleaned = check_new_ticket(values)
    customer = get_customer_in_scope(session, actor, customer_id)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    ticket = Ticket(
        customer_id=customer.id, org_id=customer.org_id, type=cleaned["type"], priority=cleaned["priority"],
        channel=cleaned["channel"], subject=cleaned["subject"], description=cleaned["description"],
        required_skill=cleaned["required_skill"] or None, status=NEW,
        due_at=due_time(cleaned["priority"], now, sla_hours(session)),
        created_by=actor.id, created_at=now, updated_by=actor.id, updated_at=now,
    )
    session.add(ticket)
    session.flush()
    _event(session, ticket, actor, "created", now, to_value=ticket.status)
    assignee = pick_assignee(session, customer, ticket.required_skill)
    if assignee is not None:
        _set_assignee(session, ticket, actor, assignee, now)
    session.commit()
    return ticket.id


# -- the workflow ------------------------------------------------------------------------------

def _refusal(from_status: str, to_status: str) -> str:
    if from_status == to_status:
        return _("The ticket is already {status}", status=status_name(to_status))
    if from_status == CLOSED:
        return _("A closed ticket can only be reopened")
    if from_status == NEW and to_status == RESPONDED:
        return _("Start work on the ticket before recording a response")
    return _("A ticket cannot go from {a} to {b}", a=status_name(from_status), b=status_name(to_status))


def allowed_moves(ticket_status: str) -> frozenset[str]:
    return TRANSITIONS.get(ticket_status, frozenset())


def _move(session: Session, actor: Actor, ticket: Ticket, to_status: str, now: datetime, *,
          text: str | None = None) -> None:
    if to_status not in allowed_moves(ticket.status):
        raise ValidationError(_refusal(ticket.status, to_status), field="status")
    before = ticket.status
    if before == CLOSED:  # a reopen: a new SLA window from now
        ticket.closed_at = None
        ticket.due_at = due_time(ticket.priority, now, sla_hours(session))
    if to_status == CLOSED:
        ticket.solution = text
        ticket.closed_at = now
        # Nobody needs to answer a request for help on a closed ticket any more.
        session.execute(update(TicketHelp).where(TicketHelp.ticket_id == ticket.id, TicketHelp.status == "open")
                        .values(status="withdrawn").execution_options(synchronize_session=False))
    ticket.status = to_status
    ticket.updated_by = actor.id
    ticket.updated_at = now
    kind = "reopened" if before == CLOSED else "status"
    _event(session, ticket, actor, kind, now, from_value=before, to_value=to_status, text=text)
    audit.label(session, ticket, f"ticket.{'reopen' if before == CLOSED else to_status}")


def _commit_or_stale(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else changed this ticket at the same moment; nothing was changed")) from None
    session.commit()


def change_status(session: Session, actor: Actor, ticket_id: int, to_status: str, *, text: str | None = None,
                  version: int | None = None, rating: int | None = None, comment: str | None = None,
                  clock: Clock = system_clock) -> int:
    """Move a ticket: start (→ in progress), respond (→ responded, with the response given),
    close (→ closed, with the solution; a rating may come with it), reopen (closed → in
    progress, with the reason). ``version`` is the version the screen showed: a change made
    from a stale screen is refused. Returns the new version."""
    to_status = str(to_status)
    if to_status == CLOSED:
        text = _text(text, "solution", _("The solution"), maximum=TEXT_MAX, required=True)
    elif to_status == RESPONDED:
        text = _text(text, "text", _("The response"), maximum=TEXT_MAX, required=True)
    else:
        text = _text(text, "text", _("The note"), maximum=TEXT_MAX, required=False) or None
    if rating is not None:
        rating = check_rating(rating)
        comment = _text(comment, "comment", _("The comment"), maximum=COMMENT_MAX, required=False) or None
    ticket = _get_visible(session, actor, ticket_id)
    _check_version(session, ticket, version)
    if not _may_work(session, actor, ticket):
        if ticket.assignee_id is None and to_status == IN_PROGRESS and actor.role in HANDLERS | {Role.TELLER}:
            return claim(session, actor, ticket_id, version=version, clock=clock) or ticket.version
        raise PermissionDenied(_("Only the ticket's assignee or their manager can move it"))
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    if ticket.status == CLOSED and to_status == IN_PROGRESS and not text:
        raise ValidationError(_("Give the reason for reopening"), field="text")
    _move(session, actor, ticket, to_status, now, text=text)
    if ticket.assignee_id == actor.id:
        ticket.unread = False
    if rating is not None:
        _rate(session, actor, ticket, rating, comment, now)
    _commit_or_stale(session)
    return ticket.version


def start(session, actor, ticket_id, **kw) -> int:
    return change_status(session, actor, ticket_id, IN_PROGRESS, **kw)


def respond(session, actor, ticket_id, text, **kw) -> int:
    return change_status(session, actor, ticket_id, RESPONDED, text=text, **kw)


def close(session, actor, ticket_id, solution, **kw) -> int:
    return change_status(session, actor, ticket_id, CLOSED, text=solution, **kw)


def reopen(session, actor, ticket_id, reason, **kw) -> int:
    return change_status(session, actor, ticket_id, IN_PROGRESS, text=reason, **kw)


def add_note(session: Session, actor: Actor, ticket_id: int, text: str, *, clock: Clock = system_clock) -> None:
    """A note on the timeline (anyone who may open the ticket)."""
    text = _text(text, "text", _("The note"), maximum=TEXT_MAX, required=True)
    ticket = _get_visible(session, actor, ticket_id)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    _event(session, ticket, actor, "note", now, text=text)
    audit.log_event(session, "ticket.note", "ticket", ticket.id)
    session.commit()


# -- satisfaction ------------------------------------------------------------------------------

def check_rating(rating) -> int:
    try:
        value = int(str(rating).strip())
    except (TypeError, ValueError):
        value = 0
    if value not in RATINGS:
        raise ValidationError(_("A rating is 1 (needs improvement) to 5 (very satisfied)"), field="rating")
    return value


def _rate(session: Session, actor: Actor, ticket: Ticket, rating: int, comment: str | None, now: datetime) -> None:
    before = ticket.rating
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.rated_at = now
    ticket.updated_by = actor.id
    ticket.updated_at = now
    _event(session, ticket, actor, "rated", now, from_value=before, to_value=rating, text=comment)
    audit.label(session, ticket, "ticket.rate")


def rate(session: Session, actor: Actor, ticket_id: int, rating, comment: str | None = None, *,
         version: int | None = None, clock: Clock = system_clock) -> int:
    """Record the customer's rating of a closed ticket (a second rating replaces the first;
    the timeline keeps both). Returns the new version."""
    rating = check_rating(rating)
    comment = _text(comment, "comment", _("The comment"), maximum=COMMENT_MAX, required=False) or None
    ticket = _get_visible(session, actor, ticket_id)
    _check_version(session, ticket, version)
    if ticket.status != CLOSED:
        raise ValidationError(_("The customer rates the service once the ticket is closed"), field="rating")
    if not (_may_work(session, actor, ticket) or ticket.created_by == actor.id):
        raise PermissionDenied(_("Only the ticket's assignee, who raised it or their manager can record a rating"))
    audit.acting_as(session, actor, clock=clock)
    _rate(session, actor, ticket, rating, comment, clock())
    _commit_or_stale(session)
    return ticket.version


# -- claiming and assigning --------------------------------------------------------------------

def _pool(actor: Actor):
    """Unassigned open tickets of the actor's branch subtree."""
    subtree = _subtree(actor)
    return and_(Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATES), Ticket.org_id.in_(subtree))


def _check_can_claim(actor: Actor) -> None:
    if actor.id is None or actor.role not in HANDLERS:
        raise PermissionDenied(_("Only relationship managers and managers take tickets from the pool"))


def _take(session: Session, actor: Actor, ticket: Ticket, now: datetime) -> None:
    _set_assignee(session, ticket, actor, actor.id, now)
    if ticket.status == NEW:
        _move(session, actor, ticket, IN_PROGRESS, now)
    ticket.updated_by = actor.id
    ticket.updated_at = now


def claim(session: Session, actor: Actor, ticket_id: int, *, version: int | None = None,
          clock: Clock = system_clock) -> int | None:
    """Take one unassigned ticket of the pool. Of two staff taking it at the same moment one
    gets it; the other is told it was taken. Returns the new version."""
    _check_can_claim(actor)
    branch = Ticket.org_id.in_(_subtree(actor))
    stmt = select(Ticket).where(Ticket.id == ticket_id, ticket_scope(actor) | branch)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = session.scalars(stmt).first()
    if ticket is None:
        raise NotFoundError(_("No such ticket, or not one of yours"))
    if ticket.assignee_id is not None:
        who = session.scalar(select(StaffUser.name).where(StaffUser.id == ticket.assignee_id))
        raise StaleRecordError(_("{who} has already taken this ticket", who=who or _("someone else")))
    _check_version(session, ticket, version)
    audit.acting_as(session, actor, clock=clock)
    _take(session, actor, ticket, clock())
    _commit_or_stale(session)
    return ticket.version


def claim_next(session: Session, actor: Actor, *, clock: Clock = system_clock) -> int | None:
    """Take the most urgent unassigned ticket of the pool (by priority, then due time).

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` — terminals claiming at once each get a
    different ticket without waiting for each other. SQLite: the write session's IMMEDIATE
    transaction makes claims one at a time. Returns the ticket's id, or None when the pool
    is empty.
    """
    _check_can_claim(actor)
    stmt = (select(Ticket).where(_pool(actor))
            .order_by(_priority_rank(), Ticket.due_at, Ticket.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Ticket)
    ticket = session.scalars(stmt).first()
    if ticket is None:
        session.rollback()
        return None
    audit.acting_as(session, actor, clock=clock)
    _take(session, actor, ticket, clock())
    _commit_or_stale(session)
    return ticket.id


def _assignable(session: Session, actor: Actor, employee_no_or_id) -> StaffUser:
    if isinstance(employee_no_or_id, int):
        user = session.get(StaffUser, employee_no_or_id)
    else:
        user = session.scalars(select(StaffUser).where(StaffUser.employee_no == str(employee_no_or_id).strip())).first()
    if user is None:
        raise NotFoundError(_("No member of staff {who}", who=employee_no_or_id))
    if not user.active:
        raise ValidationError(_("{name}'s account is disabled: choose someone else", name=user.name), field="assignee")
    if user.role == Role.ADMIN:
        raise ValidationError(_("Administrators do not handle tickets: choose someone else"), field="assignee")
    return user


def assign(session: Session, actor: Actor, ticket_id: int, employee_no_or_id, *, version: int | None = None,
           clock: Clock = system_clock) -> int:
    """A manager gives a ticket to a named member of staff (audited). Returns the new version."""
    if actor.role not in SUPERVISORS:
        raise PermissionDenied(_("Only a manager can assign tickets"))
    user = _assignable(session, actor, employee_no_or_id)
    ticket = _get_visible(session, actor, ticket_id)
    _check_version(session, ticket, version)
    if not _supervises(session, actor, ticket):
        raise PermissionDenied(_("This ticket belongs to another branch"))
    if ticket.status == CLOSED:
        raise ValidationError(_("The ticket is closed: reopen it first"), field="status")
    if ticket.assignee_id == user.id:
        raise ValidationError(_("The ticket is already assigned to {name}", name=user.name), field="assignee")
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    _set_assignee(session, ticket, actor, user.id, now)
    ticket.updated_by = actor.id
    ticket.updated_at = now
    _commit_or_stale(session)
    return ticket.version


@dataclass(frozen=True)
class StaffChoice:
    id: int
    employee_no: str
    name: str
    role: str
    org_name: str
    skills: str
    open_tickets: int


def find_staff(session: Session, actor: Actor, text: str, *, limit: int = 20, for_assignment: bool = True) -> list[StaffChoice]:
    """Active staff matching an employee number prefix or a part of the name: whom to assign
    a ticket to (a manager: their branch subtree) or ask for help (anyone in the bank)."""
    text = normalise_text(text or "")
    load = _open_load(StaffUser.id)
    stmt = (select(StaffUser.id, StaffUser.employee_no, StaffUser.name, StaffUser.role, Organisation.name,
                   StaffUser.skills, load)
            .join(Organisation, Organisation.id == StaffUser.org_id)
            .where(StaffUser.active.is_(True), StaffUser.role != Role.ADMIN)
            .order_by(StaffUser.employee_no).limit(limit))
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(StaffUser.employee_no.like(escaped + "%", escape="\\"),
                              StaffUser.name.like("%" + escaped + "%", escape="\\")))
    if for_assignment and actor.role != Role.ADMIN:
        stmt = stmt.where(Organisation.path.like(subtree_param(actor.org_path or "/"), escape="\\"))
    if actor.id is not None and not for_assignment:
        stmt = stmt.where(StaffUser.id != actor.id)
    return [StaffChoice(*row) for row in session.execute(stmt).all()]


# -- collaboration -----------------------------------------------------------------------------

def request_help(session: Session, actor: Actor, ticket_id: int, task: str, *, to_user=None,
                 to_role: str | None = None, clock: Clock = system_clock) -> int:
    """Ask a named colleague (``to_user``: employee number or id) or any colleague of a role in
    the ticket's branch (``to_role``) for help with a task. Returns the task's id."""
    task = _text(task, "task", _("The task"), maximum=TASK_MAX, required=True)
    if (to_user is None) == (to_role is None):
        raise ValidationError(_("Ask either a named colleague or a role"), field="to")
    ticket = _get_visible(session, actor, ticket_id)
    if ticket.status == CLOSED:
        raise ValidationError(_("The ticket is closed: reopen it first"), field="status")
    target_id = None
    if to_user is not None:
        user = _assignable(session, actor, to_user)
        if user.id == actor.id:
            raise ValidationError(_("Ask someone other than yourself"), field="to")
        target_id = user.id
    else:
        if to_role not in {Role.TELLER, Role.RM, Role.MANAGER}:
            raise ValidationError(_("Ask a teller, a relationship manager or a manager"), field="to")
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    help_task = TicketHelp(ticket_id=ticket.id, requested_by=actor.id, to_user_id=target_id, to_role=to_role,
                           task=task, created_at=now)
    session.add(help_task)
    session.flush()
    # The timeline keeps who was asked as an id or a role code: each reader sees it in their language.
    _event(session, ticket, actor, "help_requested", now,
           to_value=str(target_id) if target_id is not None else f"role:{to_role}", text=task)
    if target_id is not None:
        session.add(Alert(kind="ticket.help", dedupe_key=f"ticket.help:{help_task.id}", user_id=target_id,
                          org_id=ticket.org_id, customer_id=ticket.customer_id, entity="ticket",
                          entity_id=str(ticket.id), created_at=now,
                          message=_("{who} asks for your help on ticket {no}: {task}", who=actor.name,
                                    no=ticket_number(ticket.id), task=task)[:500]))
    session.commit()
    return help_task.id


def answer_help(session: Session, actor: Actor, help_id: int, answer: str, *, clock: Clock = system_clock) -> None:
    """Answer a collaboration task addressed to the actor (by name or role). The answer shows on
    the ticket, which is marked unread for its assignee."""
    answer = _text(answer, "answer", _("The answer"), maximum=TEXT_MAX, required=True)
    row = session.execute(select(TicketHelp, Ticket).join(Ticket, Ticket.id == TicketHelp.ticket_id)
                          .where(TicketHelp.id == help_id, _help_for(actor))).first()
    if row is None:
        raise NotFoundError(_("No such request for help, or not addressed to you"))
    help_task, ticket = row
    if help_task.status == "withdrawn":
        raise StaleRecordError(_("The ticket was closed; this request needs no answer any more"))
    if help_task.status != "open":
        who = session.scalar(select(StaffUser.name).where(StaffUser.id == help_task.answered_by))
        raise StaleRecordError(_("{who} has already answered this request", who=who or _("someone else")))
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    done = session.execute(update(TicketHelp).where(TicketHelp.id == help_id, TicketHelp.status == "open")
                           .values(status="answered", answer=answer, answered_by=actor.id, answered_at=now))
    if done.rowcount != 1:  # answered by a colleague of the same role at the same moment
        session.rollback()
        raise StaleRecordError(_("Someone else answered this request at the same moment"))
    audit.log_event(session, "ticket.help_answer", "ticket_help", help_id)
    _event(session, ticket, actor, "help_answered", now, text=answer)
    if ticket.assignee_id is not None and ticket.assignee_id != actor.id:
        ticket.unread = True
    session.commit()


# -- opening a ticket --------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    from_value: str | None
    to_value: str | None
    text: str | None


@dataclass(frozen=True)
class HelpTask:
    id: int
    task: str
    requested_by: str
    to: str
    status: str
    answer: str | None
    answered_by: str | None
    at: datetime
    mine_to_answer: bool


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    version: int
    type: str
    priority: str
    channel: str
    subject: str
    description: str
    status: str
    sla: str  # ok / due_soon / overdue
    due_at: datetime
    created_at: datetime
    closed_at: datetime | None
    customer_id: int
    customer_no: str
    customer_name: str
    customer_mobile: str | None
    customer_tier: str
    assignee_id: int | None
    assignee: str | None
    required_skill: str | None
    solution: str | None
    rating: int | None
    rating_comment: str | None
    created_by: str | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    help: list[HelpTask] = field(default_factory=list)
    moves: frozenset[str] = frozenset()  # statuses the actor may move it to
    can_assign: bool = False
    can_claim: bool = False
    can_rate: bool = False


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(wanted))).all())


def _timeline_value(kind: str, value: str | None, names: dict[int, str]) -> str | None:
    if value is None:
        return None
    if kind in ("assigned", "help_requested"):
        if value.isdigit():
            return names.get(int(value), value)
        if value.startswith("role:"):
            return role_name(value[5:])
    return value


def get_ticket(session: Session, actor: Actor, ticket_id: int, *, now: datetime | None = None) -> TicketView:
    now = now or system_clock()
    ticket = _get_visible(session, actor, ticket_id)
    customer = session.get(Customer, ticket.customer_id)
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)).all()
    helps = session.scalars(select(TicketHelp).where(TicketHelp.ticket_id == ticket.id).order_by(TicketHelp.id)).all()
    ids = {ticket.assignee_id, ticket.created_by}
    ids |= {e.actor_id for e in events}
    ids |= {int(v) for e in events if e.kind in ("assigned", "help_requested")
            for v in (e.from_value, e.to_value) if v and v.isdigit()}
    ids |= {h.requested_by for h in helps} | {h.to_user_id for h in helps} | {h.answered_by for h in helps}
    names = _names(session, ids)
    mine = set(session.scalars(select(TicketHelp.id).join(Ticket, Ticket.id == TicketHelp.ticket_id).where(
        TicketHelp.ticket_id == ticket.id, TicketHelp.status == "open", _help_for(actor))).all())
    teller = actor.role == Role.TELLER
    works = _may_work(session, actor, ticket)
    hours = sla_hours(session)
    return TicketView(
        id=ticket.id, number=ticket_number(ticket.id), version=ticket.version, type=ticket.type,
        priority=ticket.priority, channel=ticket.channel, subject=ticket.subject, description=ticket.description,
        status=ticket.status,
        sla=sla_state(ticket.status, ticket.priority, ticket.due_at, now, hours,
                      float(get_setting(session, "sla.due_soon_percent"))),
        due_at=_aware(ticket.due_at), created_at=_aware(ticket.created_at), closed_at=_aware(ticket.closed_at),
        customer_id=customer.id, customer_no=customer.customer_no,
        customer_name=masking.customer_name(customer.name, customer.customer_no, mask=teller),
        customer_mobile=masking.mask_mobile(customer.mobile), customer_tier=customer.tier,
        assignee_id=ticket.assignee_id, assignee=names.get(ticket.assignee_id),
        required_skill=ticket.required_skill, solution=ticket.solution, rating=ticket.rating,
        rating_comment=ticket.rating_comment, created_by=names.get(ticket.created_by),
        timeline=[TimelineEntry(_aware(e.at), e.kind, names.get(e.actor_id, ""),
                                _timeline_value(e.kind, e.from_value, names), _timeline_value(e.kind, e.to_value, names),
                                e.text) for e in events],
        help=[HelpTask(h.id, h.task, names.get(h.requested_by, ""),
                       names.get(h.to_user_id, "") if h.to_user_id else role_name(h.to_role or ""),
                       h.status, h.answer, names.get(h.answered_by), _aware(h.created_at), h.id in mine)
              for h in helps],
        moves=allowed_moves(ticket.status) if works else frozenset(),
        can_assign=_supervises(session, actor, ticket) and ticket.status != CLOSED,
        can_claim=ticket.assignee_id is None and ticket.status != CLOSED and actor.role in HANDLERS,
        can_rate=ticket.status == CLOSED and (works or ticket.created_by == actor.id),
    )


def open_ticket(session: Session, actor: Actor, ticket_id: int, *, clock: Clock = system_clock) -> TicketView:
    """What a screen shows when a ticket is opened; the assignee's unread marker goes.
    Give it a write session."""
    session.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.assignee_id == actor.id,
                                         Ticket.unread.is_(True))
                    .values(unread=False).execution_options(synchronize_session=False))
    session.commit()
    return get_ticket(session, actor, ticket_id, now=clock())


# -- the queue ---------------------------------------------------------------------------------

# The views of "My tickets", in tab order.
VIEWS = ("unread", "in_progress", "waiting", "help", "overdue", "closed_today", "pool", "team")


def view_name(view: str) -> str:
    return {"unread": _("New/unread"), "in_progress": _("In progress"), "waiting": _("Waiting for others"),
            "help": _("Help requested"), "overdue": _("Overdue"), "closed_today": _("Closed today"),
            "pool": _("Unassigned"), "team": _("Team")}.get(view, view)


def views_for(actor: Actor) -> tuple[str, ...]:
    """The views a role has: the pool for those who take tickets, the team for supervisors."""
    shown = ["unread", "in_progress", "waiting", "help", "overdue", "closed_today"]
    if actor.role in HANDLERS:
        shown.append("pool")
    if actor.role in SUPERVISORS:
        shown.append("team")
    return tuple(shown)


def _start_of_day(now: datetime) -> datetime:
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _view_filter(actor: Actor, view: str, now: datetime):
    mine = Ticket.assignee_id == actor.id
    is_open = Ticket.status.in_(OPEN_STATES)
    # Help tasks as "ticket.id IN (SELECT ticket_id …)", not a correlated EXISTS: SQLite runs
    # EXISTS once per ticket of the whole table (~30 ms each at 100,000 tickets); the IN list
    # comes from the few open tasks and then finds their tickets by id.
    open_help = select(TicketHelp.ticket_id).where(TicketHelp.status == "open")
    waiting = Ticket.id.in_(open_help.where(TicketHelp.requested_by == actor.id))
    if view == "unread":
        return and_(mine, or_(Ticket.status == NEW, and_(Ticket.unread.is_(True), is_open)))
    if view == "in_progress":
        return and_(mine, Ticket.status.in_((IN_PROGRESS, RESPONDED)))
    if view == "waiting":
        return and_(or_(mine, Ticket.created_by == actor.id), is_open, waiting)
    if view == "help":
        # _help_for(actor) on the task's own ticket row (one IN list; an OR of two IN lists makes
        # PostgreSQL scan every ticket).
        asked = aliased(Ticket)
        branch = _subtree(actor)
        return Ticket.id.in_(open_help.join(asked, asked.id == TicketHelp.ticket_id).where(
            or_(TicketHelp.to_user_id == actor.id, and_(TicketHelp.to_role == actor.role, asked.org_id.in_(branch)))))
    if view == "overdue":
        # "!= closed", not "IN (open states)": with ANALYZE statistics SQLite 3.40 answers
        # assignee = ? AND status IN (…) AND due_at <= ? with a SeekScan that skips the due_at
        # bound and returns tickets not yet due (the demo database showed it).
        return and_(mine, Ticket.status != CLOSED, Ticket.due_at <= now)
    if view == "closed_today":
        return and_(mine, Ticket.status == CLOSED, Ticket.closed_at >= _start_of_day(now))
    if view == "pool":
        return _pool(actor)
    if view == "team":
        if actor.role not in SUPERVISORS:
            return Ticket.id.is_(None)
        if actor.role == Role.ADMIN:
            return is_open
        subtree = _subtree(actor)
        return and_(is_open, Ticket.org_id.in_(subtree))
    raise ValidationError(_("Unknown view {view}", view=view), field="view")


def _priority_rank():
    return case({p: r for p, r in PRIORITY_RANK.items()}, value=Ticket.priority, else_=3)


def _sort_keys(view: str, now: datetime):
    """Overdue first, then by priority, then by due time (closed today: newest ticket first)."""
    if view == "closed_today":
        return [(-Ticket.id).label("k0")]
    overdue = case((Ticket.due_at <= now, 0), else_=1)
    return [overdue.label("k0"), _priority_rank().label("k1"), Ticket.due_at.label("k2"), Ticket.id.label("k3")]


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    type: str
    priority: str
    status: str
    subject: str
    customer_id: int
    customer_name: str
    assignee: str | None
    due_at: datetime
    sla: str
    unread: bool
    help_open: bool


@dataclass(frozen=True)
class QueuePage:
    view: str
    rows: list[QueueRow]
    next: tuple | None  # pass as ``after`` for the next page
    now: datetime


def queue_page(session: Session, actor: Actor, view: str, *, after: tuple | None = None, limit: int = PAGE_SIZE,
               now: datetime | None = None) -> QueuePage:
    """One page of a view of the actor's queue, sorted overdue first, then by priority and due
    time; keyset paging (``after`` is the previous page's ``next``)."""
    now = now or system_clock()
    keys = _sort_keys(view, now)
    assignee = aliased(StaffUser)
    helping = exists(select(TicketHelp.id).where(TicketHelp.ticket_id == Ticket.id, TicketHelp.status == "open"))
    stmt = (select(Ticket.id, Ticket.type, Ticket.priority, Ticket.status, Ticket.subject, Ticket.customer_id,
                   Customer.name, assignee.name, Ticket.due_at, Ticket.unread, Ticket.assignee_id, helping, *keys)
            .join(Customer, Customer.id == Ticket.customer_id)
            .join(assignee, assignee.id == Ticket.assignee_id, isouter=True)
            .where(_view_filter(actor, view, now))
            .order_by(*[k.element for k in keys]).limit(limit + 1))
    if view in ("help", "waiting", "team"):
        stmt = stmt.where(ticket_scope(actor, now=now))
    if after is not None:
        # Typed like the sort keys: a time compares as the database stores it.
        stmt = stmt.where(tuple_(*[k.element for k in keys])
                          > tuple_(*[literal(v, type_=k.element.type) for k, v in zip(keys, after)]))
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    hours = sla_hours(session)
    percent = float(get_setting(session, "sla.due_soon_percent"))
    teller = actor.role == Role.TELLER
    out = [QueueRow(
        id=r[0], number=ticket_number(r[0]), type=r[1], priority=r[2], status=r[3], subject=r[4], customer_id=r[5],
        customer_name=masking.mask_name(r[6]) if teller else r[6], assignee=r[7], due_at=_aware(r[8]),
        sla=sla_state(r[3], r[2], r[8], now, hours, percent),
        unread=bool(r[9]) and r[10] == actor.id, help_open=bool(r[11]),
    ) for r in rows]
    nxt = tuple(_key_value(v) for v in rows[-1][12:]) if more and rows else None
    return QueuePage(view=view, rows=out, next=nxt, now=now)


def _key_value(value):
    return _aware(value) if isinstance(value, datetime) else value


def queue_counts(session: Session, actor: Actor, *, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each of the actor's views holds (the tab labels)."""
    now = now or system_clock()
    counts = {}
    for view in views_for(actor):
        stmt = select(func.count(Ticket.id)).where(_view_filter(actor, view, now))
        if view in ("help", "waiting", "team"):
            stmt = stmt.where(ticket_scope(actor, now=now))
        counts[view] = session.scalar(stmt) or 0
    return counts


def queue_ids(session: Session, actor: Actor, view: str, *, limit: int = MAX_SELECTION + 1,
              now: datetime | None = None) -> list[int]:
    """Every ticket of a view (Ctrl+A: the whole view, not only the page shown)."""
    now = now or system_clock()
    stmt = select(Ticket.id).where(_view_filter(actor, view, now)).order_by(Ticket.id).limit(limit)
    if view in ("help", "waiting", "team"):
        stmt = stmt.where(ticket_scope(actor, now=now))
    return list(session.scalars(stmt).all())


def customer_tickets(session: Session, actor: Actor, customer_id: int, *, limit: int = 10,
                     now: datetime | None = None) -> list[QueueRow]:
    """A customer's tickets, open ones first (the profile's ticket section)."""
    now = now or system_clock()
    assignee = aliased(StaffUser)
    rows = session.execute(
        select(Ticket.id, Ticket.type, Ticket.priority, Ticket.status, Ticket.subject, assignee.name, Ticket.due_at)
        .join(assignee, assignee.id == Ticket.assignee_id, isouter=True)
        .where(Ticket.customer_id == customer_id)
        .order_by(case((Ticket.status == CLOSED, 1), else_=0), Ticket.id.desc()).limit(limit)
    ).all()
    hours = sla_hours(session)
    percent = float(get_setting(session, "sla.due_soon_percent"))
    return [QueueRow(id=r[0], number=ticket_number(r[0]), type=r[1], priority=r[2], status=r[3], subject=r[4],
                     customer_id=customer_id, customer_name="", assignee=r[5], due_at=_aware(r[6]),
                     sla=sla_state(r[3], r[2], r[6], now, hours, percent), unread=False, help_open=False)
            for r in rows]


def _end_of_day(now: datetime) -> datetime:
    return _start_of_day(now) + timedelta(days=1)


def today_tickets(session: Session, actor: Actor, *, limit: int = 50,
                  now: datetime | None = None) -> tuple[list[QueueRow], dict[str, int]]:
    """The tickets of the work platform, with their counts.

    For those who work tickets: their own open tickets overdue or due before the end of
    today, the most overdue first (counts ``overdue`` and ``due_today``). For a teller: the
    counter queue, the open tickets they raised, oldest first (count ``open``)."""
    now = now or system_clock()
    assignee = aliased(StaffUser)
    if actor.role == Role.TELLER:
        where = and_(Ticket.created_by == actor.id, Ticket.status != CLOSED)
        order = [Ticket.id]
        counts = {"open": session.scalar(select(func.count(Ticket.id)).where(where)) or 0}
    else:
        # "!= closed" with the due bound: see _view_filter("overdue").
        where = and_(Ticket.assignee_id == actor.id, Ticket.status != CLOSED, Ticket.due_at < _end_of_day(now))
        order = [Ticket.due_at, Ticket.id]
        overdue = func.sum(case((Ticket.due_at <= now, 1), else_=0))
        total, late = session.execute(select(func.count(Ticket.id), overdue).where(where)).one()
        counts = {"overdue": int(late or 0), "due_today": int(total or 0) - int(late or 0)}
    rows = session.execute(
        select(Ticket.id, Ticket.type, Ticket.priority, Ticket.status, Ticket.subject, Ticket.customer_id,
               Customer.name, Customer.customer_no, assignee.name, Ticket.due_at, Ticket.unread, Ticket.assignee_id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .join(assignee, assignee.id == Ticket.assignee_id, isouter=True)
        .where(where).order_by(*order).limit(limit)).all()
    hours = sla_hours(session)
    percent = float(get_setting(session, "sla.due_soon_percent"))
    teller = actor.role == Role.TELLER
    out = [QueueRow(
        id=r[0], number=ticket_number(r[0]), type=r[1], priority=r[2], status=r[3], subject=r[4], customer_id=r[5],
        customer_name=masking.customer_name(r[6], r[7], mask=teller), assignee=r[8], due_at=_aware(r[9]),
        sla=sla_state(r[3], r[2], r[9], now, hours, percent), unread=bool(r[10]) and r[11] == actor.id,
        help_open=False) for r in rows]
    return out, counts


# -- batch actions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchResult:
    ticket_id: int
    number: str
    ok: bool
    reason: str = ""


def _lock_batch(session: Session, actor: Actor, ids: Sequence[int]) -> tuple[dict[int, Ticket], set[int]]:
    """The visible tickets among ``ids``, their rows locked; and the ids another terminal holds."""
    found: dict[int, Ticket] = {}
    busy: set[int] = set()
    pg = session.get_bind().dialect.name == "postgresql"
    for start_at in range(0, len(ids), 500):
        chunk = list(ids[start_at:start_at + 500])
        stmt = select(Ticket).where(Ticket.id.in_(chunk), ticket_scope(actor))
        if pg:
            stmt = stmt.with_for_update(skip_locked=True, of=Ticket)
        got = {t.id: t for t in session.scalars(stmt).all()}
        found.update(got)
        if pg and len(got) < len(chunk):
            present = set(session.scalars(select(Ticket.id).where(Ticket.id.in_(chunk), ticket_scope(actor))).all())
            busy |= present - set(got)
    return found, busy


def _batch(session: Session, actor: Actor, ids: Sequence[int], apply, clock: Clock) -> list[BatchResult]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if len(ids) > MAX_SELECTION:
        raise ValidationError(_("At most {n} tickets at a time", n=f"{MAX_SELECTION:,}"), field="selection")
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    tickets, busy = _lock_batch(session, actor, ids)
    results = []
    for ticket_id in ids:
        number = ticket_number(ticket_id)
        if ticket_id in busy:
            results.append(BatchResult(ticket_id, number, False, _("being changed at another terminal; try again")))
            continue
        ticket = tickets.get(ticket_id)
        if ticket is None:
            results.append(BatchResult(ticket_id, number, False, _("no such ticket, or not one of yours")))
            continue
        reason = apply(ticket, now)
        results.append(BatchResult(ticket_id, number, reason is None, reason or ""))
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else changed some of these tickets at the same moment; nothing was changed;"
                                 " try again")) from None
    session.commit()
    return results


def batch_close(session: Session, actor: Actor, ids: Sequence[int], solution: str, *,
                clock: Clock = system_clock) -> list[BatchResult]:
    """Close many tickets with one solution text; a result per ticket (some may already be
    closed, or not the actor's to close)."""
    solution = _text(solution, "solution", _("The solution"), maximum=TEXT_MAX, required=True)

    def apply(ticket: Ticket, now: datetime) -> str | None:
        if ticket.status == CLOSED:
            who = _names(session, [ticket.updated_by]).get(ticket.updated_by) if ticket.updated_by else None
            return _("already closed by {who}", who=who) if who else _("already closed")
        if not _may_work(session, actor, ticket):
            return _("not assigned to you")
        _move(session, actor, ticket, CLOSED, now, text=solution)
        if ticket.assignee_id == actor.id:
            ticket.unread = False
        return None

    return _batch(session, actor, ids, apply, clock)


def batch_assign(session: Session, actor: Actor, ids: Sequence[int], employee_no_or_id, *,
                 clock: Clock = system_clock) -> list[BatchResult]:
    """A manager gives many tickets to one member of staff."""
    if actor.role not in SUPERVISORS:
        raise PermissionDenied(_("Only a manager can assign tickets"))
    user = _assignable(session, actor, employee_no_or_id)

    def apply(ticket: Ticket, now: datetime) -> str | None:
        if ticket.status == CLOSED:
            return _("closed")
        if not _supervises(session, actor, ticket):
            return _("of another branch")
        if ticket.assignee_id == user.id:
            return _("already assigned to {name}", name=user.name)
        _set_assignee(session, ticket, actor, user.id, now)
        ticket.updated_by = actor.id
        ticket.updated_at = now
        return None

    return _batch(session, actor, ids, apply, clock)


def mark_read(session: Session, actor: Actor, ids: Sequence[int], *, clock: Clock = system_clock) -> int:
    """Clear the unread marker on the actor's own tickets among ``ids``; returns how many changed."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    changed = 0
    for start_at in range(0, len(ids), 500):
        result = session.execute(update(Ticket).where(Ticket.id.in_(ids[start_at:start_at + 500]),
                                                      Ticket.assignee_id == actor.id, Ticket.unread.is_(True))
                                 .values(unread=False).execution_options(synchronize_session=False))
        changed += result.rowcount or 0
    session.commit()
    return changed


# -- the SLA scan ------------------------------------------------------------------------------

def sla_scan(session: Session, actor: Actor, *, clock: Clock = system_clock) -> int:
    """Raise an alert for each open ticket that has become overdue, exactly once (the alert's
    key names the ticket and its due time: a reopened ticket that runs over again is alerted
    again). The assignee gets it; an unassigned ticket's alert goes to its branch. Safe to
    run from several places at once. Returns how many alerts were raised."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    now = clock()
    overdue = session.execute(
        select(Ticket.id, Ticket.due_at, Ticket.assignee_id, Ticket.org_id, Ticket.customer_id, Ticket.subject,
               Ticket.priority)
        .where(Ticket.status.in_(OPEN_STATES), Ticket.due_at <= now).order_by(Ticket.id)
    ).all()
    raised = 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start_at in range(0, len(overdue), 1000):
        chunk = overdue[start_at:start_at + 1000]
        keys = {f"ticket.overdue:{r.id}:{_aware(r.due_at).strftime('%Y%m%d%H%M%S')}": r for r in chunk}
        known = set(session.scalars(select(Alert.dedupe_key).where(Alert.dedupe_key.in_(list(keys)))).all())
        rows = [dict(kind="ticket.overdue", dedupe_key=key, user_id=r.assignee_id, org_id=r.org_id,
                     customer_id=r.customer_id, entity="ticket", entity_id=str(r.id), created_at=now,
                     severity=r.priority,  # an overdue complaint (high priority) is a high alert
                     message=_("Ticket {no} is overdue (due {due}): {subject}", no=ticket_number(r.id),
                               due=_aware(r.due_at).astimezone().strftime("%Y-%m-%d %H:%M"), subject=r.subject)[:500])
                for key, r in keys.items() if key not in known]
        if rows:
            # A scan running elsewhere at the same moment may have raised some: those are skipped.
            result = session.execute(insert(Alert).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
                                     .returning(Alert.id))
            raised += len(result.all())
    audit.acting_as(session, actor, clock=clock)
    if raised:
        audit.log_event(session, "tickets.sla_scan", "alert", None, {"raised": raised})
    session.commit()
    return raised
