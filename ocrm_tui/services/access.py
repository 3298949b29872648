"""Access requests: a temporary wider data scope, or one unmasked export, asked for with a
reason and decided by a superior.

kind ``customers`` — a member of staff asks to see customers outside their scope, named by
customer number (1–500) or by a saved search (the filter of a campaign the requester sees),
for up to ``access.max_hours`` hours (checked again at approval: the maximum may have been
lowered meanwhile). The requester is never told which numbers exist. At approval the numbers
(or the search) are looked up in the *approver's* own data scope — their role's, without
grants of their own, so that a grant is never passed on or renewed without an administrator —
and each customer found becomes an ``AccessGrant`` that expires by itself (``scope.py`` reads
only grants that have not expired); a revoke ends them at once.

kind ``export`` — one export with full values (``targets:<campaign>``, ``sms:<campaign>``
or ``sms:all``), used once by the requester before it expires; the export service marks it
used in the transaction that writes the file. Asking for one and using it both need the right
to see full customer values (``customers.can_unmask``).

Who decides: an administrator, or a manager whose branch subtree holds the requester's
organisation — for a requester who is a manager, a manager strictly above their node (a peer
at the same node does not decide); never the requester. Every step is an audit event
(access.request, access.approve, access.reject, access.withdraw, access.revoke, access.use;
each grant is an access.grant record).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ocrm_tui.db.models import AccessGrant, AccessRequest, Campaign, Customer, Organisation, Role, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services import campaign_filter as cf
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.scope import customer_scope, subtree_param
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.validation import normalise_text

CUSTOMERS, EXPORT = "customers", "export"
PENDING, APPROVED, REJECTED, WITHDRAWN, REVOKED, USED, EXPIRED = (
    "pending", "approved", "rejected", "withdrawn", "revoked", "used", "expired")
STATUSES = (PENDING, APPROVED, REJECTED, WITHDRAWN, REVOKED, USED, EXPIRED)
MAX_CUSTOMERS = 500
TEXT_MAX = 255
CUSTOMER_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
WHAT = re.compile(r"^(targets|sms):([0-9]{1,9}|all)$")

_Requester = aliased(StaffUser)
_Decider = aliased(StaffUser)
_RequesterOrg = aliased(Organisation)


@dataclass(frozen=True)
class RequestRow:
    id: int
    kind: str  # customers / export
    requester_no: str
    requester_name: str
    reason: str  # for an export: its purpose
    customer_nos: tuple[str, ...]  # as asked ((): a saved search or an export)
    search: str | None  # the saved search in words, or None
    export_what: str | None  # "targets:12", "sms:12", "sms:all"
    hours: int
    status: str  # pending / approved / rejected / withdrawn / revoked / used / expired (computed)
    requested_at: datetime
    decided_by_no: str | None
    decided_at: datetime | None
    decision_note: str
    expires_at: datetime | None
    granted: int  # customers actually granted (0 until approved)
    version: int


@dataclass(frozen=True)
class ApprovalPreview:
    """What approving a customers request would grant, looked up in the approver's scope."""

    found: tuple[str, ...]  # customer numbers found in the approver's data scope
    not_found: tuple[str, ...]  # numbers asked for that are not (unknown, or outside that scope)
    matched: int  # customers a saved search matches in the approver's scope (may exceed the cap)


def status_name(status: str) -> str:
    return {PENDING: _("pending"), APPROVED: _("approved"), REJECTED: _("rejected"), WITHDRAWN: _("withdrawn"),
            REVOKED: _("revoked"), USED: _("used"), EXPIRED: _("expired")}.get(status, status)


def kind_name(kind: str) -> str:
    return {CUSTOMERS: _("customers"), EXPORT: _("unmasked export")}.get(kind, kind)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _status(req: AccessRequest, now: datetime) -> str:
    if req.status == APPROVED and req.expires_at is not None and _aware(req.expires_at) <= now:
        return EXPIRED
    return req.status


# -- reading ----------------------------------------------------------------------------------

def _describe_search(session: Session, filter_json: str | None) -> str | None:
    if not filter_json:
        return None
    filt = cf.from_json(filter_json)
    try:
        return cf.describe(filt, cf.resolve(session, filt))
    except ValidationError:  # a tag or branch it names is gone: the words as saved
        return cf.describe(filt)


def _select():
    granted = (select(func.count()).select_from(AccessGrant)
               .where(AccessGrant.request_id == AccessRequest.id).scalar_subquery())
    return (select(AccessRequest, _Requester.employee_no, _Requester.name, _Decider.employee_no, granted)
            .join(_Requester, _Requester.id == AccessRequest.requester_id)
            .join(_RequesterOrg, _RequesterOrg.id == _Requester.org_id, isouter=True)
            .join(_Decider, _Decider.id == AccessRequest.decided_by, isouter=True))


def _rows(session: Session, stmt, now: datetime) -> list[RequestRow]:
    out = []
    for req, requester_no, requester_name, decider_no, granted in session.execute(stmt).all():
        out.append(RequestRow(
            id=req.id, kind=req.kind, requester_no=requester_no, requester_name=requester_name, reason=req.reason,
            customer_nos=tuple(n for n in req.customer_nos.split(",") if n),
            search=_describe_search(session, req.filter_json), export_what=req.export_what, hours=req.hours,
            status=_status(req, now), requested_at=_aware(req.requested_at), decided_by_no=decider_no,
            decided_at=_aware(req.decided_at), decision_note=req.decision_note, expires_at=_aware(req.expires_at),
            granted=int(granted or 0), version=req.version))
    return out


def _row(session: Session, request_id: int, now: datetime) -> RequestRow:
    (row,) = _rows(session, _select().where(AccessRequest.id == request_id), now)
    return row


def _decider_clause(actor: Actor):
    """Requests the actor may decide (any status), as a WHERE clause over ``_select()`` (the
    same rule as ``_decides``)."""
    if actor.role == Role.ADMIN:
        rule = true()
    elif actor.role == Role.MANAGER:
        own = actor.org_path or "/"
        rule = (_RequesterOrg.path.like(subtree_param(own), escape="\\")
                & or_(_Requester.role != Role.MANAGER, _RequesterOrg.path != own))
    else:
        return AccessRequest.id.is_(None)
    if actor.id is not None:
        return rule & (AccessRequest.requester_id != actor.id)
    return rule


def _visible_clause(actor: Actor):
    """Requests the actor may read: their own, those they may decide, those they decided."""
    clauses = [_decider_clause(actor)]
    if actor.id is not None:
        clauses += [AccessRequest.requester_id == actor.id, AccessRequest.decided_by == actor.id]
    return or_(*clauses)


def pending_for(session: Session, actor: Actor, *, clock: Clock = system_clock, limit: int = 200) -> list[RequestRow]:
    """Requests waiting for this actor's decision, oldest first."""
    stmt = (_select().where(AccessRequest.status == PENDING, _decider_clause(actor))
            .order_by(AccessRequest.requested_at, AccessRequest.id).limit(limit))
    return _rows(session, stmt, clock())


def running_for(session: Session, actor: Actor, *, clock: Clock = system_clock, limit: int = 200) -> list[RequestRow]:
    """Approved requests this actor may decide that have not expired yet (one of them may be
    revoked), the latest decided first."""
    now = clock()
    stmt = (_select().where(AccessRequest.status == APPROVED, AccessRequest.expires_at > now, _decider_clause(actor))
            .order_by(AccessRequest.decided_at.desc(), AccessRequest.id.desc()).limit(limit))
    return _rows(session, stmt, now)


def pending_count(session: Session, actor: Actor, *, clock: Clock = system_clock) -> int:
    stmt = (select(func.count()).select_from(AccessRequest)
            .join(_Requester, _Requester.id == AccessRequest.requester_id)
            .join(_RequesterOrg, _RequesterOrg.id == _Requester.org_id, isouter=True)
            .where(AccessRequest.status == PENDING, _decider_clause(actor)))
    return int(session.scalar(stmt) or 0)


def my_requests(session: Session, actor: Actor, *, clock: Clock = system_clock, limit: int = 200) -> list[RequestRow]:
    """The actor's own requests, newest first."""
    if actor.id is None:
        return []
    stmt = (_select().where(AccessRequest.requester_id == actor.id)
            .order_by(AccessRequest.requested_at.desc(), AccessRequest.id.desc()).limit(limit))
    return _rows(session, stmt, clock())


def _not_found() -> NotFoundError:
    return NotFoundError(_("No such access request, or not one you may see"), field="request")


def get_request(session: Session, actor: Actor, request_id: int, *, clock: Clock = system_clock) -> RequestRow:
    """One request, for its requester, those who may decide it, and admins."""
    rows = _rows(session, _select().where(AccessRequest.id == request_id, _visible_clause(actor)), clock())
    if not rows:
        raise _not_found()
    return rows[0]


def _requester_place(session: Session, req: AccessRequest) -> tuple[str | None, str | None]:
    """The requester's role and organisation path (None without an organisation)."""
    row = session.execute(select(StaffUser.role, Organisation.path)
                          .join(Organisation, Organisation.id == StaffUser.org_id, isouter=True)
                          .where(StaffUser.id == req.requester_id)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def _decides(session: Session, actor: Actor, req: AccessRequest) -> bool:
    """An administrator; or a manager whose branch subtree holds the requester's node — when
    the requester is a manager too, a node strictly above theirs: a peer does not decide."""
    if actor.id is not None and actor.id == req.requester_id:
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER:
        return False
    role, path = _requester_place(session, req)
    own = actor.org_path or "/"
    if path is None or not path.startswith(own):
        return False
    return role != Role.MANAGER or path != own


def can_decide(session: Session, actor: Actor, request_id: int) -> bool:
    """Whether the actor is one of the request's deciders (its status aside: a screen shows
    approve/reject on a pending request and revoke on an approved one)."""
    req = session.get(AccessRequest, request_id)
    return req is not None and actor.id is not None and _decides(session, actor, req)


def _require_decider(session: Session, actor: Actor, req: AccessRequest) -> None:
    if actor.id is not None and actor.id == req.requester_id:
        raise PermissionDenied(_("You cannot approve your own request"))
    if actor.id is None:
        # A grant names the member of staff who approved it; the server's account is nobody.
        raise PermissionDenied(_("An access request is decided by a named member of staff, not by the server's account"))
    if not _decides(session, actor, req):
        raise PermissionDenied(_("Only the requester's manager or an administrator decides an access request"))


# -- asking -----------------------------------------------------------------------------------

def _text(value: str | None, field_name: str, label: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_("{field} is required", field=label), field=field_name)
    if len(text) > TEXT_MAX:
        raise ValidationError(_("{field} is at most {n} characters", field=label, n=TEXT_MAX), field=field_name)
    return text


def max_hours(session: Session) -> int:
    return int(get_setting(session, "access.max_hours"))


def _hours(session: Session, hours) -> int:
    limit = max_hours(session)
    try:
        value = int(str(hours).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or isinstance(hours, bool) or not 1 <= value <= limit:
        raise ValidationError(_("Access is asked for 1–{max} hours (setting access.max_hours)", max=limit),
                              field="hours")
    return value


def parse_customer_nos(values: Sequence[str] | str) -> tuple[str, ...]:
    """Customer numbers as typed (commas, spaces or one per item): checked, duplicates folded."""
    items = [values] if isinstance(values, str) else list(values)
    numbers: list[str] = []
    for item in items:
        numbers += [n for n in _SEPARATORS.split(normalise_text(str(item))) if n]
    bad = [n for n in dict.fromkeys(numbers) if not CUSTOMER_NO.match(n)]
    if bad:
        shown = ", ".join(bad[:5]) + ("…" if len(bad) > 5 else "")
        raise ValidationError(_("Not a customer number: {numbers}", numbers=shown), field="customer_nos")
    unique = tuple(dict.fromkeys(numbers))
    if len(unique) > MAX_CUSTOMERS:
        raise ValidationError(_("At most {max} customers in one request ({n} given)", max=MAX_CUSTOMERS, n=len(unique)),
                              field="customer_nos")
    return unique


def _saved_search(session: Session, actor: Actor, campaign_id) -> str:
    """The filter of a campaign the requester sees (another one: as if it did not exist)."""
    from ocrm_tui.services.campaigns import campaign_scope

    try:
        cid = int(campaign_id)
    except (TypeError, ValueError):
        raise ValidationError(_("A saved search is named by its campaign number"), field="campaign") from None
    text = session.scalar(select(Campaign.filter_json).where(Campaign.id == cid, campaign_scope(actor)))
    if text is None:
        raise NotFoundError(_("No such campaign"), field="campaign")
    filt = cf.check(cf.from_json(text))
    if filt.is_empty():
        raise ValidationError(_("The saved search of campaign {id} has no conditions: it would name every customer",
                                id=cid), field="campaign")
    saved = cf.to_json(filt)
    if len(saved) > 4000:
        raise ValidationError(_("The saved search of campaign {id} is too long for a request", id=cid), field="campaign")
    return saved


def _add(session: Session, actor: Actor, req: AccessRequest, clock: Clock) -> RequestRow:
    session.add(req)
    audit.label(session, req, "access.request")
    session.commit()
    return _row(session, req.id, clock())


def _require_staff(actor: Actor) -> None:
    if actor.id is None:
        raise PermissionDenied(_("An access request is made by a named member of staff, not by the server's account"))


def request_customers(session: Session, actor: Actor, *, reason: str, hours: int, customer_nos: Sequence[str] = (),
                      campaign_id: int | None = None, clock: Clock = system_clock) -> RequestRow:
    """Ask to see customers outside one's scope for some hours: by customer numbers or a saved search."""
    _require_staff(actor)
    audit.acting_as(session, actor, clock=clock)
    reason = _text(reason, "reason", _("Reason"))
    hours = _hours(session, hours)
    numbers = parse_customer_nos(customer_nos)
    if bool(numbers) == (campaign_id is not None):
        raise ValidationError(_("Name the customers either by customer numbers or by a saved search, one of the two"),
                              field="customer_nos")
    saved = _saved_search(session, actor, campaign_id) if campaign_id is not None else None
    req = AccessRequest(kind=CUSTOMERS, requester_id=actor.id, reason=reason, customer_nos=",".join(numbers),
                        filter_json=saved, hours=hours, status=PENDING, requested_at=clock())
    return _add(session, actor, req, clock)


def _require_unmask(session: Session, actor: Actor) -> None:
    from ocrm_tui.services.customers import can_unmask

    if not can_unmask(session, actor):
        raise PermissionDenied(_("An unmasked export needs the right to see full customer values, which you do not "
                                 "have"))


def check_export_what(session: Session, actor: Actor, what: str) -> str:
    """``targets:<campaign>``, ``sms:<campaign>`` or ``sms:all``: the form, the campaign, a
    role that makes such an export at all, and the right to see full values."""
    from ocrm_tui.services.campaign_reports import EXPORTERS
    from ocrm_tui.services.campaigns import campaign_scope

    value = (what or "").strip().lower()
    m = WHAT.match(value)
    if m is None or (m.group(1) == "targets" and m.group(2) == "all"):
        raise ValidationError(_("The export is named targets:<campaign no.>, sms:<campaign no.> or sms:all"),
                              field="what")
    kind, target = m.groups()
    if kind == "targets" and actor.role not in EXPORTERS:
        raise PermissionDenied(_("Only a manager or an administrator exports target lists"))
    if kind == "sms" and not actor.is_admin:
        raise PermissionDenied(_("Only an administrator exports the SMS outbox"))
    _require_unmask(session, actor)
    if target != "all":
        found = session.scalar(select(Campaign.id).where(Campaign.id == int(target), campaign_scope(actor)))
        if found is None:
            raise NotFoundError(_("No such campaign, or not one of yours"), field="what")
        value = f"{kind}:{int(target)}"
    return value


def request_export(session: Session, actor: Actor, *, what: str, purpose: str, hours: int,
                   clock: Clock = system_clock) -> RequestRow:
    """Ask for one export with full values (names, mobiles), for a purpose, within some hours."""
    _require_staff(actor)
    audit.acting_as(session, actor, clock=clock)
    purpose = _text(purpose, "purpose", _("Purpose"))
    hours = _hours(session, hours)
    what = check_export_what(session, actor, what)
    req = AccessRequest(kind=EXPORT, requester_id=actor.id, reason=purpose, export_what=what, hours=hours,
                        status=PENDING, requested_at=clock())
    return _add(session, actor, req, clock)


# -- deciding ---------------------------------------------------------------------------------

def _load(session: Session, request_id: int, *, lock: bool = True) -> AccessRequest:
    stmt = select(AccessRequest).where(AccessRequest.id == request_id).execution_options(populate_existing=True)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=AccessRequest)
    req = session.scalars(stmt).first()
    if req is None:
        raise _not_found()
    return req


def _decided_words(session: Session, req: AccessRequest, now: datetime) -> str:
    who = session.scalar(select(StaffUser.name).where(StaffUser.id == req.decided_by)) if req.decided_by else None
    when = _aware(req.decided_at).astimezone().strftime("%Y-%m-%d %H:%M") if req.decided_at else "?"
    return _("{who} {status} this request at {time}", who=who or _("someone else"),
             status=status_name(_status(req, now)), time=when)


def _require_pending(session: Session, req: AccessRequest, version: int | None, now: datetime) -> None:
    if version is not None and int(version) != req.version:
        if req.status == PENDING:
            raise StaleRecordError(_("This request changed while you had it open; nothing was changed"),
                                   changed={"status": req.status, "version": req.version})
        raise StaleRecordError(_decided_words(session, req, now) + _("; nothing was changed"),
                               changed={"status": req.status, "version": req.version})
    if req.status != PENDING:
        raise ValidationError(_("This request is no longer pending: {what}", what=_decided_words(session, req, now)),
                              field="status")


def _note(note: str | None, *, required: bool) -> str:
    return _text(note, "note", _("Note"), required=required)


def _commit_or_stale(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else decided this request at the same moment; nothing was changed")) from None
    session.commit()


def _found(session: Session, actor: Actor, req: AccessRequest, now: datetime, *, limit: int | None) -> tuple[list, int]:
    """Customers of a request in the actor's scope: ([(id, customer_no)], how many match)."""
    # The approver's own scope: a grant of theirs is not theirs to pass on.
    scope = customer_scope(actor, now=now, grants=False)
    if req.filter_json:
        filt = cf.from_json(req.filter_json)
        match = cf.where(cf.conditions(filt, cf.resolve(session, filt), now=now))
    else:
        match = Customer.customer_no.in_([n for n in req.customer_nos.split(",") if n])
    stmt = select(Customer.id, Customer.customer_no).where(match, scope).order_by(Customer.customer_no)
    rows = [tuple(r) for r in session.execute(stmt if limit is None else stmt.limit(limit)).all()]
    if limit is not None and len(rows) >= limit:
        return rows, int(session.scalar(select(func.count()).select_from(Customer).where(match, scope)) or 0)
    return rows, len(rows)


def approval_preview(session: Session, actor: Actor, request_id: int, *, clock: Clock = system_clock) -> ApprovalPreview:
    """For the approver of a pending customers request: which customers it would grant."""
    req = _load(session, request_id, lock=False)
    _require_decider(session, actor, req)
    if req.kind != CUSTOMERS:
        return ApprovalPreview((), (), 0)
    rows, matched = _found(session, actor, req, clock(), limit=MAX_CUSTOMERS + 1)
    found = tuple(no for _id, no in rows[:MAX_CUSTOMERS])
    asked = [n for n in req.customer_nos.split(",") if n]
    return ApprovalPreview(found, tuple(n for n in asked if n not in set(found)), matched)


def approve(session: Session, actor: Actor, request_id: int, *, note: str = "", version: int | None = None,
            clock: Clock = system_clock) -> RequestRow:
    """Approve a pending request (asking no more hours than ``access.max_hours`` allows now); a
    customers request grants the customers found in the approver's own scope."""
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    req = _load(session, request_id)
    _require_decider(session, actor, req)
    _require_pending(session, req, version, now)
    note = _note(note, required=False)
    limit = max_hours(session)
    if req.hours > limit:
        raise ValidationError(_("Request {id} asks for {n} hours, more than the {max} hours now allowed (setting "
                                "access.max_hours); reject it, and the requester can ask again",
                                id=req.id, n=req.hours, max=limit), field="hours")
    customers: list = []
    if req.kind == CUSTOMERS:
        customers, matched = _found(session, actor, req, now, limit=MAX_CUSTOMERS + 1)
        if matched > MAX_CUSTOMERS:
            raise ValidationError(_("The saved search matches {n} customers in your scope; at most {max} are granted "
                                    "at once", n=f"{matched:,}", max=MAX_CUSTOMERS), field="search")
        if not customers:
            raise ValidationError(_("None of the customers asked for is in your scope; nothing can be granted "
                                    "(reject the request instead)"), field="customer_nos")
    req.status, req.decided_by, req.decided_at, req.decision_note = APPROVED, actor.id, now, note
    req.expires_at = now + timedelta(hours=req.hours)
    audit.label(session, req, "access.approve")
    for customer_id, _no in customers:
        grant = AccessGrant(request_id=req.id, user_id=req.requester_id, customer_id=customer_id, approved_by=actor.id,
                            reason=req.reason, expires_at=req.expires_at, created_at=now)
        session.add(grant)
        audit.label(session, grant, "access.grant")
    _commit_or_stale(session)
    return _row(session, req.id, now)


def reject(session: Session, actor: Actor, request_id: int, *, note: str, version: int | None = None,
           clock: Clock = system_clock) -> RequestRow:
    """Refuse a pending request, saying why."""
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    req = _load(session, request_id)
    _require_decider(session, actor, req)
    _require_pending(session, req, version, now)
    req.decision_note = _text(note, "note", _("A note saying why"))
    req.status, req.decided_by, req.decided_at = REJECTED, actor.id, now
    audit.label(session, req, "access.reject")
    _commit_or_stale(session)
    return _row(session, req.id, now)


def withdraw(session: Session, actor: Actor, request_id: int, *, clock: Clock = system_clock) -> RequestRow:
    """The requester takes back a request that is still pending."""
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    req = _load(session, request_id)
    if actor.id is None or actor.id != req.requester_id:
        if not session.scalar(_select().with_only_columns(AccessRequest.id)
                              .where(AccessRequest.id == request_id, _visible_clause(actor))):
            raise _not_found()
        raise PermissionDenied(_("Only the member of staff who asked withdraws a request"))
    _require_pending(session, req, None, now)
    req.status, req.decided_by, req.decided_at = WITHDRAWN, actor.id, now
    audit.label(session, req, "access.withdraw")
    _commit_or_stale(session)
    return _row(session, req.id, now)


def revoke(session: Session, actor: Actor, request_id: int, *, note: str, clock: Clock = system_clock) -> RequestRow:
    """End an approved request now: its grants stop (an export approval can no longer be used)."""
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    req = _load(session, request_id)
    _require_decider(session, actor, req)
    note = _text(note, "note", _("A note saying why"))
    if _status(req, now) != APPROVED:
        raise ValidationError(_("Only an approved request that is still running can be revoked: {what}",
                                what=_decided_words(session, req, now)), field="status")
    req.status, req.decided_by, req.decided_at, req.decision_note, req.expires_at = REVOKED, actor.id, now, note, now
    audit.label(session, req, "access.revoke")
    for grant in session.scalars(select(AccessGrant).where(AccessGrant.request_id == req.id,
                                                            AccessGrant.expires_at > now)):
        grant.expires_at = now
    _commit_or_stale(session)
    return _row(session, req.id, now)


# -- using an export approval -------------------------------------------------------------------

def use_export_approval(session: Session, actor: Actor, request_id: int, what: str, *,
                        clock: Clock = system_clock) -> RequestRow:
    """Spend an approved export request on the export ``what`` (called by the export service
    inside its own transaction, which commits it together with the file's audit event)."""
    now = clock()
    req = session.scalars(select(AccessRequest).where(AccessRequest.id == request_id)).first()
    if req is None:
        raise _not_found()
    if actor.id is None or actor.id != req.requester_id:
        raise PermissionDenied(_("Request {id} is not yours: an approved export is made by the member of staff "
                                 "who asked for it", id=request_id))
    _require_unmask(session, actor)  # withdrawn since the request was approved: no file with full values
    req = _load(session, request_id)
    if req.kind != EXPORT:
        raise ValidationError(_("Request {id} is for customers, not for an export", id=request_id), field="request")
    status = _status(req, now)
    if status == USED:
        raise ValidationError(_("Request {id} has been used already: an approval is for one export", id=request_id),
                              field="request")
    if status == EXPIRED:
        raise ValidationError(_("The approval of request {id} has expired; ask again", id=request_id), field="request")
    if status != APPROVED:
        raise ValidationError(_("Request {id} is {status}, not approved", id=request_id, status=status_name(status)),
                              field="request")
    if req.export_what != what:
        raise ValidationError(_("Request {id} approves the export {approved}, not {what}", id=request_id,
                                approved=req.export_what, what=what), field="request")
    req.status, req.used_at = USED, now
    audit.label(session, req, "access.use")
    session.flush()
    return _row(session, req.id, now)


def decider_label(session: Session, row: RequestRow) -> str:
    """The decider of a request as files and messages name them: "王经理 (M001)"."""
    name = session.scalar(select(StaffUser.name).where(StaffUser.employee_no == row.decided_by_no)) \
        if row.decided_by_no else None
    return f"{name} ({row.decided_by_no})" if name else _("someone else")
