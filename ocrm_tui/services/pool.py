"""The customer pool (公海) and the RMs' books (私海): claiming, releasing, moving, the sweep.

A customer without a relationship manager sits in the pool of their branch. An RM sees
the pool of their own node and everything under it (a manager their subtree, an admin
the whole bank) and claims customers into their book, up to the book size the bank
allows (setting ``pool.max_book``); the owning RM or a manager releases one back with a
reason; a manager moves customers between the RMs of their branch (one, a selection, or
a whole book when staff change). The sweep returns customers claimed ``pool.sweep_days``
days ago without any service contact since, and tells their RM.

Many terminals claim from the same pool. A claim is one conditional UPDATE (``… WHERE
rm_id IS NULL``): of two RMs claiming the same customer at the same moment exactly one
gets a row back, the other is told who was first. The rows are changed with Core
statements (no ORM objects), so each statement bumps the customer's version column
itself, as the ORM would: a screen still holding the customer's older version is
refused when it saves. Every change is audited per customer (before → after of the RM),
the sweep also as one summary event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlmodel import Session

from ocrm_tui.db.models import AuditRecord, Customer, Organisation, Role, ServiceContact, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, masking
from ocrm_tui.services.alerts import raise_alert
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.customer_search import describe, parse
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.scope import customer_scope, org_subtree_ids
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.validation import normalise_text

PAGE_SIZE = 50
MAX_SELECTION = 10_000  # a batch beyond this asks for a narrower view
CHUNK = 500  # ids per statement
SWEEP_CHUNK = 1_000  # customers returned per transaction by the sweep
REASON_MAX = 200
WORKERS = frozenset({Role.RM, Role.MANAGER, Role.ADMIN})
SUPERVISORS = frozenset({Role.MANAGER, Role.ADMIN})
# The audit events that put a customer back into the pool (the start of their time there).
RETURN_EVENTS = ("pool.release", "pool.return")

_customer = Customer.__table__  # type: ignore[attr-defined]


# -- what leaves this module -------------------------------------------------------------------

@dataclass(frozen=True)
class PoolRow:
    """One customer of the pool or of a book, as a list shows them."""

    id: int
    customer_no: str
    name: str  # masked for the actor as every list is
    tier: str
    aum_daily_avg: Decimal
    org_name: str
    days_in_pool: int | None  # pool rows: since the file was made or last returned to the pool
    claimed_at: datetime | None  # book rows: when the RM claimed them (None: given another way)
    opens_profile: bool  # the customer is in the actor's data scope (an RM's pool rows are not)


@dataclass(frozen=True)
class PoolPage:
    rows: list[PoolRow]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True)
class PoolPolicy:
    """The bank's pool rules and, for an RM, how full their book is."""

    max_book: int
    sweep_days: int
    book_size: int | None  # the actor's own book (RMs only)


@dataclass(frozen=True)
class RmChoice:
    """A relationship manager a manager may look at or move customers to."""

    id: int
    employee_no: str
    name: str
    org_name: str
    book_size: int


@dataclass(frozen=True)
class Refusal:
    """A customer a batch could not change, and why. The number and name are given only for
    customers the actor may see."""

    customer_id: int
    customer_no: str
    name: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    done: tuple[int, ...]  # the customers changed, in the order asked
    refused: tuple[Refusal, ...]

    @property
    def count(self) -> int:
        return len(self.done)


@dataclass(frozen=True)
class SweepReturn:
    """How many customers went back to the pool from one RM's book."""

    rm_id: int
    employee_no: str
    name: str
    customers: int


@dataclass(frozen=True)
class SweepResult:
    returned: int
    days: int
    by_rm: tuple[SweepReturn, ...]


# -- who works the pool ----------------------------------------------------------------------------

def may_use_pool(actor: Actor | None) -> bool:
    """Relationship managers, managers and administrators work the pool; tellers do not."""
    return actor is not None and actor.role in WORKERS


def _require_worker(actor: Actor) -> None:
    if not may_use_pool(actor):
        raise PermissionDenied(_("The customer pool is worked by relationship managers and managers"))


def actions_for(actor: Actor | None, view: str) -> frozenset[str]:
    """What the actor may do to customers of a list: in the pool an RM claims and a manager
    moves; in a book the owner or a manager releases, and a manager moves."""
    if not may_use_pool(actor):
        return frozenset()
    if actor.role == Role.RM:
        return frozenset({"claim"}) if view == "pool" else frozenset({"release"})
    return frozenset({"move"}) if view == "pool" else frozenset({"release", "move"})


def _reach(actor: Actor):
    """Customers of the actor's organisation subtree (everyone for an admin), or None: no limit."""
    if actor.role == Role.ADMIN:
        return None
    return Customer.org_id.in_(org_subtree_ids(actor.org_path or "/"))


def _in_reach(actor: Actor):
    clause = _reach(actor)
    return clause if clause is not None else Customer.id.is_not(None)


def _text_clause(text: str | None):
    """A narrowing of the list by what was typed: a name or pinyin prefix, a customer number
    prefix, a mobile or an ID number."""
    query = parse(text or "")
    term = query.term
    if query.kind == "empty":
        return None
    if query.kind == "name":
        return and_(Customer.name >= term, Customer.name < term[:-1] + chr(ord(term[-1]) + 1))
    if query.kind == "pinyin":
        return or_(Customer.name_pinyin.startswith(term, autoescape=True),
                   Customer.name_initials.startswith(term, autoescape=True))
    if query.kind == "number":
        return or_(Customer.customer_no.startswith(term, autoescape=True), Customer.id_number == term)
    if query.kind == "mobile":
        return Customer.mobile == term
    if query.kind == "id":
        return Customer.id_number == term
    if query.kind == "tail":
        return Customer.mobile.endswith(term, autoescape=True)
    raise ValidationError(describe(query), field="text")


def _pool_clauses(actor: Actor, text: str | None) -> list:
    clauses = [Customer.rm_id.is_(None)]
    for clause in (_reach(actor), _text_clause(text)):
        if clause is not None:
            clauses.append(clause)
    return clauses


def _book_clauses(session: Session, actor: Actor, rm_id: int, text: str | None = None) -> list:
    """A book the actor may look at: an RM their own, a manager that of an RM of their branch."""
    _require_worker(actor)
    if actor.role == Role.RM and rm_id != actor.id:
        raise PermissionDenied(_("A relationship manager sees their own book only"))
    if actor.role == Role.MANAGER:
        path = session.scalar(select(Organisation.path).join(StaffUser, StaffUser.org_id == Organisation.id)
                              .where(StaffUser.id == rm_id))
        if path is None or not path.startswith(actor.org_path or "/"):
            raise NotFoundError(_("No such relationship manager in your branch"))
    clauses = [Customer.rm_id == rm_id]
    for clause in (_reach(actor) if actor.role != Role.RM else None, _text_clause(text)):
        if clause is not None:
            clauses.append(clause)
    return clauses


# -- lists -------------------------------------------------------------------------------------------

def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite hands back naive UTC
        return value.replace(tzinfo=timezone.utc)
    return value


def _returned_at(session: Session, ids: Sequence[int]) -> dict[int, datetime]:
    """When each customer last went back to the pool (released or swept), from the audit trail."""
    if not ids:
        return {}
    rows = session.execute(
        select(AuditRecord.entity_id, func.max(AuditRecord.at))
        .where(AuditRecord.entity == "customer", AuditRecord.entity_id.in_([str(i) for i in ids]),
               AuditRecord.event.in_(RETURN_EVENTS))
        .group_by(AuditRecord.entity_id)
    ).all()
    return {int(entity_id): _aware(at) for entity_id, at in rows}


def _page(session: Session, actor: Actor, clauses: list, *, offset: int, limit: int, now: datetime,
          in_pool: bool) -> PoolPage:
    total = int(session.scalar(select(func.count()).select_from(Customer).where(*clauses)) or 0)
    visible = case((customer_scope(actor, now=now), 1), else_=0).label("visible")
    stmt = (select(Customer.id, Customer.customer_no, Customer.name, Customer.tier, Customer.aum_daily_avg,
                   Organisation.name.label("org_name"), Customer.created_at, Customer.claimed_at, visible)
            .join(Organisation, Organisation.id == Customer.org_id)
            .where(*clauses)
            .order_by(Customer.aum_daily_avg.desc(), Customer.id)
            .offset(max(0, offset)).limit(max(0, limit)))
    rows = session.execute(stmt).all()
    returned = _returned_at(session, [r.id for r in rows]) if in_pool else {}
    teller = actor.role == Role.TELLER

    def days(r) -> int | None:
        since = max(filter(None, (_aware(r.created_at), returned.get(r.id))), default=None)
        return None if since is None else max(0, (now - since).days)

    return PoolPage(
        rows=[PoolRow(r.id, r.customer_no, masking.customer_name(r.name, r.customer_no, mask=teller), r.tier,
                      r.aum_daily_avg, r.org_name, days(r) if in_pool else None,
                      None if in_pool else _aware(r.claimed_at), bool(r.visible)) for r in rows],
        total=total, offset=max(0, offset), limit=limit)


def pool_customers(session: Session, actor: Actor, *, text: str | None = None, offset: int = 0,
                   limit: int = PAGE_SIZE, now: datetime | None = None) -> PoolPage:
    """The pool the actor works (their organisation subtree; an admin's: the whole bank), the
    most valuable customers (daily-average AUM) first, one page."""
    _require_worker(actor)
    return _page(session, actor, _pool_clauses(actor, text), offset=offset, limit=limit,
                 now=now or system_clock(), in_pool=True)


def pool_customer_ids(session: Session, actor: Actor, *, text: str | None = None,
                      limit: int = MAX_SELECTION + 1) -> list[int]:
    """Every customer of the pool list (Ctrl+A selects the whole result, not the page)."""
    _require_worker(actor)
    return list(session.scalars(select(Customer.id).where(*_pool_clauses(actor, text))
                                .order_by(Customer.aum_daily_avg.desc(), Customer.id).limit(limit)))


def book_customers(session: Session, actor: Actor, rm_id: int, *, text: str | None = None, offset: int = 0,
                   limit: int = PAGE_SIZE, now: datetime | None = None) -> PoolPage:
    """The book of one RM (an RM: their own; a manager: an RM of their branch), most valuable first."""
    return _page(session, actor, _book_clauses(session, actor, rm_id, text), offset=offset, limit=limit,
                 now=now or system_clock(), in_pool=False)


def book_customer_ids(session: Session, actor: Actor, rm_id: int, *, text: str | None = None,
                      limit: int = MAX_SELECTION + 1) -> list[int]:
    return list(session.scalars(select(Customer.id).where(*_book_clauses(session, actor, rm_id, text))
                                .order_by(Customer.aum_daily_avg.desc(), Customer.id).limit(limit)))


def _book_size(session: Session, rm_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Customer).where(Customer.rm_id == rm_id)) or 0)


def policy(session: Session, actor: Actor) -> PoolPolicy:
    """The cap on a book and the sweep's days; for an RM, the size of their book now."""
    return PoolPolicy(int(get_setting(session, "pool.max_book")), int(get_setting(session, "pool.sweep_days")),
                      _book_size(session, actor.id) if actor.role == Role.RM and actor.id is not None else None)


def rms_in_scope(session: Session, actor: Actor, *, text: str = "", limit: int = 50) -> list[RmChoice]:
    """Active relationship managers the actor may look at or move customers to: a manager's
    branch subtree, the whole bank for an admin, an RM only themselves. ``text`` narrows by an
    employee number prefix or a part of the name."""
    _require_worker(actor)
    book = (select(func.count()).select_from(Customer).where(Customer.rm_id == StaffUser.id)
            .correlate(StaffUser).scalar_subquery())
    stmt = (select(StaffUser.id, StaffUser.employee_no, StaffUser.name, Organisation.name, book)
            .join(Organisation, Organisation.id == StaffUser.org_id)
            .where(StaffUser.active.is_(True), StaffUser.role == Role.RM)
            .order_by(StaffUser.employee_no).limit(limit))
    if actor.role == Role.RM:
        stmt = stmt.where(StaffUser.id == actor.id)
    elif actor.role == Role.MANAGER:
        stmt = stmt.where(StaffUser.org_id.in_(org_subtree_ids(actor.org_path or "/")))
    text = normalise_text(text or "")
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(StaffUser.employee_no.like(escaped + "%", escape="\\"),
                              StaffUser.name.like("%" + escaped + "%", escape="\\")))
    return [RmChoice(*row) for row in session.execute(stmt).all()]


# -- changing whose customer it is ------------------------------------------------------------------

@dataclass(frozen=True)
class _Fact:
    customer_no: str
    name: str
    org_id: int
    rm_id: int | None
    rm_name: str | None
    claimed_at: datetime | None
    reach: bool  # in the actor's pool / branch


def _ids(customer_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    if not ids:
        raise ValidationError(_("Select the customers first (Space, or Ctrl+A for all)"), field="selection")
    if len(ids) > MAX_SELECTION:
        raise ValidationError(_("At most {n} customers at a time", n=f"{MAX_SELECTION:,}"), field="selection")
    return ids


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start_at in range(0, len(ids), CHUNK):
        yield list(ids[start_at:start_at + CHUNK])


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _facts(session: Session, actor: Actor, ids: Sequence[int], *, lock: bool) -> dict[int, _Fact]:
    """What the batch needs to know of each customer. ``lock``: their rows are held until the
    commit (PostgreSQL; SQLite's write transaction already excludes other writers)."""
    facts: dict[int, _Fact] = {}
    reach = case((_in_reach(actor), 1), else_=0)
    for chunk in _chunks(ids):
        stmt = (select(Customer.id, Customer.customer_no, Customer.name, Customer.org_id, Customer.rm_id,
                       StaffUser.name, Customer.claimed_at, reach)
                .join(StaffUser, StaffUser.id == Customer.rm_id, isouter=True)
                .where(Customer.id.in_(chunk)).order_by(Customer.id))
        if lock and _pg(session):
            stmt = stmt.with_for_update(of=_customer)
        for cid, no, name, org_id, rm_id, rm_name, claimed_at, in_reach in session.execute(stmt).all():
            facts[cid] = _Fact(no, masking.customer_name(name, no), org_id, rm_id, rm_name, _aware(claimed_at),
                               bool(in_reach))
    return facts


def _refusal(customer_id: int, fact: _Fact | None, reason: str, *, known: bool = True) -> Refusal:
    if fact is None or not known:
        return Refusal(customer_id, "", "", reason)
    return Refusal(customer_id, fact.customer_no, fact.name, reason)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def _set_rm(session: Session, ids: Sequence[int], rm_id: int | None, now: datetime, *, claimed: bool,
            only_unowned: bool = False, reach=None) -> set[int]:
    """Give the customers ``ids`` to ``rm_id`` (None: the pool), bumping their version; returns
    the ids changed. ``only_unowned``: only those still in the pool (a claim)."""
    changed: set[int] = set()
    for chunk in _chunks(ids):
        where = [_customer.c.id.in_(chunk)]
        if only_unowned:
            where.append(_customer.c.rm_id.is_(None))
        if reach is not None:
            where.append(reach)
        stmt = (update(_customer).where(*where)
                .values(rm_id=rm_id, claimed_at=now if claimed else None, updated_at=now,
                        version=_customer.c.version + 1)
                .returning(_customer.c.id))
        changed.update(session.execute(stmt).scalars())
    return changed


def _audit_each(session: Session, event: str, ids: Iterable[int], facts: dict[int, _Fact], to_rm: int | None,
                now: datetime | None, extra: dict | None = None) -> None:
    for cid in ids:
        fact = facts[cid]
        changes = {"rm_id": [fact.rm_id, to_rm], "claimed_at": [_iso(fact.claimed_at), _iso(now)]}
        if changes["claimed_at"][0] == changes["claimed_at"][1]:
            del changes["claimed_at"]
        audit.log_event(session, event, "customer", cid, {**changes, **(extra or {})})


def _not_found() -> str:
    return _("no such customer, or not in your branch")


def claim(session: Session, actor: Actor, customer_ids: Sequence[int], *, clock: Clock = system_clock) -> BatchResult:
    """An RM takes customers of their pool into their book, as far as the book's cap allows.

    Of two RMs claiming the same customer at the same moment one gets it; the other is
    told who was first. Claims of one RM are made one at a time (their staff row is
    locked on PostgreSQL), so that two terminals of the same RM cannot pass the cap together.
    """
    if actor.role != Role.RM or actor.id is None:
        raise PermissionDenied(_("Only relationship managers claim customers from the pool"))
    ids = _ids(customer_ids)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    me = select(StaffUser.active).where(StaffUser.id == actor.id)
    if _pg(session):
        me = me.with_for_update()
    if not session.scalar(me):
        raise PermissionDenied(_("Your account is disabled"))
    cap = int(get_setting(session, "pool.max_book"))
    room = max(0, cap - _book_size(session, actor.id))
    facts = _facts(session, actor, ids, lock=False)
    refused: list[Refusal] = []
    wanted: list[int] = []
    for cid in ids:
        fact = facts.get(cid)
        if fact is None or not fact.reach:
            refused.append(_refusal(cid, fact, _("no such customer, or not in your branch's pool"), known=False))
        elif fact.rm_id == actor.id:
            refused.append(_refusal(cid, fact, _("already in your book")))
        elif fact.rm_id is not None:
            refused.append(_refusal(cid, fact, _("already claimed by {name}", name=fact.rm_name)))
        else:
            wanted.append(cid)
    full = _("your book is full: at most {cap} customers (setting pool.max_book)", cap=f"{cap:,}")
    refused.extend(_refusal(cid, facts[cid], full) for cid in wanted[room:])
    wanted = wanted[:room]
    got = _set_rm(session, wanted, actor.id, now, claimed=True, only_unowned=True, reach=_reach(actor))
    lost = [cid for cid in wanted if cid not in got]
    if lost:  # claimed by someone else since they were read: say by whom
        winners = dict(session.execute(select(Customer.id, StaffUser.name)
                                       .join(StaffUser, StaffUser.id == Customer.rm_id, isouter=True)
                                       .where(Customer.id.in_(lost))).all())
        refused.extend(_refusal(cid, facts[cid], _("already claimed by {name}",
                                                   name=winners.get(cid) or _("someone else"))) for cid in lost)
    done = tuple(cid for cid in wanted if cid in got)
    _audit_each(session, "pool.claim", done, facts, actor.id, now)
    session.commit()
    return BatchResult(done, _in_order(ids, refused))


def _in_order(ids: list[int], refused: list[Refusal]) -> tuple[Refusal, ...]:
    position = {cid: i for i, cid in enumerate(ids)}
    return tuple(sorted(refused, key=lambda r: position[r.customer_id]))


def check_reason(reason: str | None) -> str:
    """Releasing a customer needs a reason (it is kept in the audit trail)."""
    text = (reason or "").strip()  # as written: NFKC would turn Chinese punctuation into ASCII
    if not text:
        raise ValidationError(_("Give a reason for releasing the customers to the pool"), field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(_("A reason is at most {n} characters", n=REASON_MAX), field="reason")
    return text


def release(session: Session, actor: Actor, customer_ids: Sequence[int], reason: str, *,
            clock: Clock = system_clock) -> BatchResult:
    """Customers go back to the pool with a reason: an RM releases their own, a manager any of
    their branch (an admin any)."""
    reason = check_reason(reason)
    _require_worker(actor)
    ids = _ids(customer_ids)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    facts = _facts(session, actor, ids, lock=True)
    refused: list[Refusal] = []
    wanted: list[int] = []
    for cid in ids:
        fact = facts.get(cid)
        # An RM releases their own customers (wherever they are filed) and sees their pool.
        own = fact is not None and actor.role == Role.RM and fact.rm_id == actor.id
        if fact is None or not (own or fact.reach) or (actor.role == Role.RM and fact.rm_id not in (None, actor.id)):
            refused.append(_refusal(cid, fact, _("no such customer, or not in your customers"), known=False))
        elif fact.rm_id is None:
            refused.append(_refusal(cid, fact, _("already in the pool")))
        else:
            wanted.append(cid)
    reach = Customer.rm_id == actor.id if actor.role == Role.RM else _reach(actor)
    got = _set_rm(session, wanted, None, now, claimed=False, reach=reach)
    done = tuple(cid for cid in wanted if cid in got)
    _audit_each(session, "pool.release", done, facts, None, None, {"reason": reason})
    session.commit()
    return BatchResult(done, _in_order(ids, refused))


def _receiving_rm(session: Session, actor: Actor, employee_no: str) -> StaffUser:
    who = normalise_text(str(employee_no or ""))
    row = session.execute(select(StaffUser, Organisation.path).join(Organisation, Organisation.id == StaffUser.org_id)
                          .where(StaffUser.employee_no == who)).first()
    if row is None:
        raise NotFoundError(_("No member of staff {who}", who=who))
    user, path = row
    if actor.role != Role.ADMIN and not path.startswith(actor.org_path or "/"):
        raise PermissionDenied(_("{name} works outside your branch: choose a relationship manager of your branch",
                                 name=user.name))
    if not user.active:
        raise ValidationError(_("{name}'s account is disabled: choose someone else", name=user.name), field="to")
    if user.role != Role.RM:
        raise ValidationError(_("{name} is not a relationship manager: customers are moved to a relationship manager",
                                name=user.name), field="to")
    return user


def move(session: Session, actor: Actor, customer_ids: Sequence[int], to_employee_no: str, *,
         clock: Clock = system_clock) -> BatchResult:
    """A manager gives customers of their branch (from the pool or from another RM's book: a
    staff change) to an active RM of their branch. The claim date is cleared: the customer was
    given, not claimed, and the sweep leaves them alone."""
    if actor.role not in SUPERVISORS:
        raise PermissionDenied(_("Only a manager moves customers between relationship managers"))
    target = _receiving_rm(session, actor, to_employee_no)
    ids = _ids(customer_ids)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    facts = _facts(session, actor, ids, lock=True)
    refused: list[Refusal] = []
    wanted: list[int] = []
    for cid in ids:
        fact = facts.get(cid)
        if fact is None or not fact.reach:
            refused.append(_refusal(cid, fact, _not_found(), known=False))
        elif fact.rm_id == target.id:
            refused.append(_refusal(cid, fact, _("already in {name}'s book", name=target.name)))
        else:
            wanted.append(cid)
    got = _set_rm(session, wanted, target.id, now, claimed=False, reach=_reach(actor))
    done = tuple(cid for cid in wanted if cid in got)
    _audit_each(session, "pool.move", done, facts, target.id, None)
    session.commit()
    return BatchResult(done, _in_order(ids, refused))


# -- the sweep ---------------------------------------------------------------------------------------

def _neglected(cutoff: datetime):
    """Claimed before ``cutoff`` (more than the sweep's days ago) and not contacted by anyone since the claim."""
    contacted = exists(select(ServiceContact.id).where(ServiceContact.customer_id == Customer.id,
                                                       ServiceContact.at >= Customer.claimed_at))
    return and_(Customer.rm_id.is_not(None), Customer.claimed_at.is_not(None), Customer.claimed_at < cutoff,
                ~contacted)


def sweep(session: Session, actor: Actor, *, clock: Clock = system_clock) -> SweepResult:
    """Return to the pool every customer claimed more than ``pool.sweep_days`` days ago without
    any service contact since the claim, and tell each RM on their work platform (one alert
    per customer and claim). Safe to run again: what went back is no longer claimed.

    Set-based, a chunk of customers per transaction: the selection is one statement over the
    customer table with an anti-join on the contacts (their index on customer_id).
    """
    if actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator runs the pool sweep"))
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    days = int(get_setting(session, "pool.sweep_days"))
    cutoff = now - timedelta(days=days)
    by_rm: Counter[int] = Counter()
    last_id = 0
    while True:
        stmt = (select(Customer.id, Customer.customer_no, Customer.name, Customer.org_id, Customer.rm_id,
                       Customer.claimed_at)
                .where(_neglected(cutoff), Customer.id > last_id).order_by(Customer.id).limit(SWEEP_CHUNK))
        if _pg(session):
            stmt = stmt.with_for_update(of=_customer)
        rows = session.execute(stmt).all()
        if not rows:
            break
        last_id = rows[-1].id
        ids = [r.id for r in rows]
        session.execute(update(_customer).where(_customer.c.id.in_(ids))
                        .values(rm_id=None, claimed_at=None, updated_at=now, version=_customer.c.version + 1))
        for r in rows:
            claimed_at = _aware(r.claimed_at)
            by_rm[r.rm_id] += 1
            audit.log_event(session, "pool.return", "customer", r.id,
                            {"rm_id": [r.rm_id, None], "claimed_at": [_iso(claimed_at), None], "days": days})
            raise_alert(session, kind="pool.returned",
                        dedupe_key=f"pool.returned:{r.id}:{claimed_at.date().isoformat()}",
                        customer_id=r.id, user_id=r.rm_id, org_id=r.org_id, entity="customer", entity_id=str(r.id),
                        message=(f"{masking.customer_name(r.name, r.customer_no)} ({r.customer_no}) went back to the "
                                 f"pool: no contact in the {days} days after you claimed them on "
                                 f"{claimed_at.date().isoformat()}.")[:500],
                        severity="low", due_on=None, now=now)
        session.commit()
    names = {uid: (no, name) for uid, no, name in session.execute(
        select(StaffUser.id, StaffUser.employee_no, StaffUser.name).where(StaffUser.id.in_(list(by_rm)))).all()}
    result = SweepResult(
        returned=sum(by_rm.values()), days=days,
        by_rm=tuple(SweepReturn(uid, *names.get(uid, ("", "")), n)
                    for uid, n in sorted(by_rm.items(), key=lambda kv: names.get(kv[0], ("",))[0])))
    if result.returned:
        audit.log_event(session, "pool.sweep", "customer", None, {
            "returned": result.returned, "days": days,
            "by_rm": {r.employee_no: r.customers for r in result.by_rm}})
    session.commit()
    return result
