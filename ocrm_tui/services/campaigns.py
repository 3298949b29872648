"""Marketing campaigns: the campaign, its target list, the RMs' outcomes, the metrics, SMS.

Every campaign rule lives here: who may see and change a campaign, which customers a
filter matches inside the campaign's scope (``preview``), how the list is made and
shared among RMs (``generate``, one INSERT … SELECT), how an outcome is recorded, what
the metrics mean, and how SMS messages are queued. What leaves this module is plain data.

Metrics:
  contacted      targets reached: contacted, interested, converted or declined
  participation  targets who took part: interested or converted
  conversion     targets converted; rates are shares of all targets
  ROI            (converted amount − actual cost) / actual cost, when a cost is recorded
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, true, update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ocrm_tui.db.models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CampaignType,
    Customer,
    CustomerTag,
    Organisation,
    Product,
    Role,
    ServiceContact,
    SmsMessage,
    StaffUser,
    Tag,
    TargetStatus,
    Tier,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, masking
from ocrm_tui.services import campaign_filter as cf
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.scope import org_subtree_ids
from ocrm_tui.services.validation import MOBILE, check_amount

DRAFT, ACTIVE, PAUSED, ENDED = (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED,
                                CampaignStatus.ENDED)
TYPES = tuple(t.value for t in CampaignType)
STATUSES = tuple(s.value for s in CampaignStatus)
# Where a campaign may go from each state.
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({ACTIVE, ENDED}),
    ACTIVE: frozenset({PAUSED, ENDED}),
    PAUSED: frozenset({ACTIVE, ENDED}),
    ENDED: frozenset(),
}
OUTCOMES = tuple(s.value for s in TargetStatus)
REACHED = (TargetStatus.CONTACTED, TargetStatus.INTERESTED, TargetStatus.CONVERTED, TargetStatus.DECLINED)
PARTICIPATED = (TargetStatus.INTERESTED, TargetStatus.CONVERTED)
ORGANISERS = frozenset({Role.MANAGER, Role.ADMIN})
WORKERS = frozenset({Role.RM, Role.MANAGER, Role.ADMIN})
NAME_MAX = 100
GOAL_MAX = 255
NOTE_MAX = 500
TEMPLATE_MAX = 500
PAGE_SIZE = 50
MAX_SELECTION = 10_000
PLACEHOLDERS = ("surname", "title", "product", "rm_name")
_TARGET = CampaignTarget.__table__  # type: ignore[attr-defined]


# -- names ------------------------------------------------------------------------------------

def type_name(value: str) -> str:
    return {CampaignType.SMS: _("SMS blast"), CampaignType.BENEFIT: _("Benefit claim"),
            CampaignType.SALON: _("Offline salon"), CampaignType.PHONE: _("Phone outreach")}.get(value, value)


def status_name(value: str) -> str:
    return {DRAFT: _("Draft"), ACTIVE: _("Active"), PAUSED: _("Paused"), ENDED: _("Ended")}.get(value, value)


def outcome_name(value: str) -> str:
    return {TargetStatus.PENDING: _("Pending"), TargetStatus.CONTACTED: _("Contacted"),
            TargetStatus.INTERESTED: _("Interested"), TargetStatus.CONVERTED: _("Converted"),
            TargetStatus.DECLINED: _("Declined"), TargetStatus.UNREACHABLE: _("Unreachable")}.get(value, value)


def customer_label(name: str | None, customer_no: str) -> str:
    """A customer as staff see them: the name, or "Customer <number>" for a file without one."""
    return masking.customer_name(name, customer_no)


# -- visibility and permissions ---------------------------------------------------------------

def _org_path(session: Session, org_id: int | None) -> str:
    if org_id is None:
        return "/"
    return session.scalar(select(Organisation.path).where(Organisation.id == org_id)) or "/"


def campaign_scope(actor: Actor):
    """Campaigns the actor sees: an admin all; a manager those whose scope overlaps their
    branch (theirs, below it, or above it: a bank-wide campaign reaches their customers);
    an RM those with targets of theirs."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.MANAGER:
        path = actor.org_path or "/"
        ancestors = [path[:i + 1] for i, ch in enumerate(path) if ch == "/" and i > 0]
        return or_(Campaign.org_id.is_(None),
                   Campaign.org_id.in_(org_subtree_ids(path)),
                   Campaign.org_id.in_(select(Organisation.id).where(Organisation.path.in_(ancestors))))
    if actor.role == Role.RM:
        return Campaign.id.in_(select(CampaignTarget.campaign_id).where(CampaignTarget.rm_id == actor.id))
    return Campaign.id.is_(None)


def target_scope(actor: Actor):
    """Targets the actor works or oversees: an RM their own, a manager those of customers in
    their branch subtree, an admin all."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.MANAGER:
        return CampaignTarget.customer_id.in_(
            select(Customer.id).where(Customer.org_id.in_(org_subtree_ids(actor.org_path or "/"))))
    if actor.role == Role.RM:
        return CampaignTarget.rm_id == actor.id
    return CampaignTarget.id.is_(None)


def _get(session: Session, actor: Actor, campaign_id: int, *, lock: bool = False) -> Campaign:
    stmt = select(Campaign).where(Campaign.id == campaign_id, campaign_scope(actor))
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Campaign)
    campaign = session.scalars(stmt).first()
    if campaign is None:
        raise NotFoundError(_("No such campaign, or not one of yours"))
    return campaign


def can_organise(session: Session, actor: Actor, campaign: Campaign | None = None, *, org_id: int | None = None) -> bool:
    """Managers organise campaigns of their branch subtree; admins any, bank-wide included."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER:
        return False
    target_org = campaign.org_id if campaign is not None else org_id
    if target_org is None:
        return False
    return _org_path(session, target_org).startswith(actor.org_path or "/")


def _require_organiser(session: Session, actor: Actor, campaign: Campaign | None = None, *,
                       org_id: int | None = None) -> None:
    if not can_organise(session, actor, campaign, org_id=org_id):
        if actor.role == Role.MANAGER:
            raise PermissionDenied(_("A manager organises campaigns of their own branch; a bank-wide campaign "
                                     "is organised by an administrator"))
        raise PermissionDenied(_("Only a manager or an administrator organises campaigns"))


def _check_version(campaign: Campaign, version: int | None, session: Session) -> None:
    if version is None or int(version) == campaign.version:
        return
    who = session.scalar(select(StaffUser.name).where(StaffUser.id == campaign.updated_by)) if campaign.updated_by else None
    raise StaleRecordError(
        _("{who} changed this campaign while you had it open (it is now {status}); nothing was changed",
          who=who or _("someone else"), status=status_name(campaign.status)),
        changed={"status": campaign.status, "version": campaign.version})


def _commit_or_stale(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else changed this campaign at the same moment; nothing was changed")) from None
    session.commit()


# -- the campaign -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignValues:
    """A campaign's editable fields, checked."""

    name: str
    type: str
    goal: str
    org_id: int | None
    starts_on: date | None
    ends_on: date | None
    budget: Decimal
    actual_cost: Decimal
    product_id: int | None
    sms_template: str | None
    filter: cf.CampaignFilter


def _parse_date(value: str, field_name: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("A date is written YYYY-MM-DD"), field=field_name) from None


def check_template(template: str | None) -> str | None:
    """An SMS text: at most 500 characters, only the known placeholders, braces that close."""
    text = (template or "").strip()
    if not text:
        return None
    if len(text) > TEMPLATE_MAX:
        raise ValidationError(_("An SMS text is at most {n} characters (now {m})", n=TEMPLATE_MAX, m=len(text)),
                              field="sms_template")
    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise ValidationError(_("A brace in the SMS text is not closed; placeholders are written {{surname}}"),
                              field="sms_template") from None
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(_("Unknown placeholder {{{name}}} in the SMS text; use {known}", name=unknown[0],
                                known=" ".join("{" + p + "}" for p in PLACEHOLDERS)), field="sms_template")
    return text


def check_values(session: Session, values: dict) -> CampaignValues:
    """Check a campaign form: every wrong field is refused with its name and why."""
    name = (values.get("name") or "").strip()
    if not name:
        raise ValidationError(_("A campaign needs a name"), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(_("A name is at most {n} characters", n=NAME_MAX), field="name")
    ctype = (values.get("type") or CampaignType.PHONE).strip()
    if ctype not in TYPES:
        raise ValidationError(_("Unknown campaign type: {value}", value=ctype), field="type")
    goal = (values.get("goal") or "").strip()
    if len(goal) > GOAL_MAX:
        raise ValidationError(_("A goal is at most {n} characters", n=GOAL_MAX), field="goal")
    starts_on = _parse_date(values.get("starts_on") or "", "starts_on")
    ends_on = _parse_date(values.get("ends_on") or "", "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError(_("The campaign ends before it starts"), field="ends_on")
    budget = check_amount(values.get("budget") or "0", field="budget")
    cost = check_amount(values.get("actual_cost") or "0", field="actual_cost")
    org_id = None
    org_code = (values.get("org_code") or "").strip()
    if org_code:
        org_id = session.scalar(select(Organisation.id).where(Organisation.code == org_code))
        if org_id is None:
            raise ValidationError(_("No organisation with code {code}", code=org_code), field="org_code")
    product_id = None
    product_code = (values.get("product_code") or "").strip()
    if product_code:
        product_id = session.scalar(select(Product.id).where(Product.product_code == product_code))
        if product_id is None:
            raise ValidationError(_("No product with code {code}", code=product_code), field="product_code")
    template = check_template(values.get("sms_template"))
    raw_filter = values.get("filter")
    filt = raw_filter if isinstance(raw_filter, cf.CampaignFilter) else cf.from_dict(raw_filter or {})
    cf.check(filt)
    cf.resolve(session, filt)
    if ctype == CampaignType.SMS and template is None:
        raise ValidationError(_("An SMS campaign needs the text of its message"), field="sms_template")
    return CampaignValues(name, ctype, goal, org_id, starts_on, ends_on, budget, cost, product_id, template, filt)


def _apply(campaign: Campaign, v: CampaignValues) -> None:
    campaign.name, campaign.type, campaign.goal = v.name, v.type, v.goal
    campaign.org_id, campaign.starts_on, campaign.ends_on = v.org_id, v.starts_on, v.ends_on
    campaign.budget, campaign.actual_cost = v.budget, v.actual_cost
    campaign.product_id, campaign.sms_template = v.product_id, v.sms_template
    campaign.filter_json = cf.to_json(v.filter)


def create_campaign(session: Session, actor: Actor, values: dict, *, clock: Clock = system_clock) -> int:
    """A new draft campaign; a manager's is for their branch unless another of their subtree is named."""
    audit.acting_as(session, actor, clock=clock)
    if actor.role == Role.MANAGER and not (values.get("org_code") or "").strip():
        values = {**values, "org_code": actor.org_code}
    v = check_values(session, values)
    _require_organiser(session, actor, org_id=v.org_id)
    now = clock()
    campaign = Campaign(owner_id=actor.id, created_by=actor.id, updated_by=actor.id, created_at=now, updated_at=now,
                        status=DRAFT)
    _apply(campaign, v)
    session.add(campaign)
    session.commit()
    return campaign.id


def update_campaign(session: Session, actor: Actor, campaign_id: int, values: dict, *, version: int | None = None,
                    clock: Clock = system_clock) -> int:
    """Save the campaign form. An ended campaign keeps its definition; only its cost and goal
    can still be corrected. Returns the new version."""
    audit.acting_as(session, actor, clock=clock)
    campaign = _get(session, actor, campaign_id, lock=True)
    _require_organiser(session, actor, campaign)
    _check_version(campaign, version, session)
    v = check_values(session, values)
    if v.org_id != campaign.org_id:
        _require_organiser(session, actor, org_id=v.org_id)
        if campaign.status != DRAFT:
            raise ValidationError(_("The scope of a campaign is fixed once it has started"), field="org_code")
    if campaign.status == ENDED:
        campaign.actual_cost, campaign.goal = v.actual_cost, v.goal
    else:
        _apply(campaign, v)
    campaign.updated_by, campaign.updated_at = actor.id, clock()
    _commit_or_stale(session)
    return campaign.version


def set_status(session: Session, actor: Actor, campaign_id: int, to_status: str, *, version: int | None = None,
               clock: Clock = system_clock) -> int:
    """Start, pause, resume or end a campaign. Starting needs a target list. Returns the new version."""
    audit.acting_as(session, actor, clock=clock)
    campaign = _get(session, actor, campaign_id, lock=True)
    _require_organiser(session, actor, campaign)
    _check_version(campaign, version, session)
    if to_status not in TRANSITIONS.get(campaign.status, frozenset()):
        if campaign.status == ENDED:
            raise ValidationError(_("The campaign has ended; it cannot be changed"), field="status")
        raise ValidationError(_("A campaign cannot go from {a} to {b}", a=status_name(campaign.status),
                                b=status_name(to_status)), field="status")
    if to_status == ACTIVE and campaign.status == DRAFT:
        count = session.scalar(select(func.count()).select_from(CampaignTarget)
                               .where(CampaignTarget.campaign_id == campaign.id))
        if not count:
            raise ValidationError(_("Generate the target list before starting the campaign"), field="status")
    verb = {ACTIVE: "start", PAUSED: "pause", ENDED: "end"}[to_status]
    audit.label(session, campaign, "campaign.resume" if campaign.status == PAUSED and to_status == ACTIVE
                else f"campaign.{verb}")
    campaign.status = to_status
    campaign.updated_by, campaign.updated_at = actor.id, clock()
    _commit_or_stale(session)
    return campaign.version


# -- reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    type: str
    status: str
    starts_on: date | None
    ends_on: date | None
    scope: str  # the branch name, or "Bank-wide"
    targets: int
    converted: int
    mine_pending: int  # targets of the actor still to contact


def list_campaigns(session: Session, actor: Actor, *, status: str | None = None, limit: int = 200) -> list[CampaignRow]:
    """The campaigns the actor sees: live ones first, then drafts, then ended; newest first."""
    counts = (select(CampaignTarget.campaign_id.label("cid"), func.count().label("n"),
                     func.sum(case((CampaignTarget.status == TargetStatus.CONVERTED, 1), else_=0)).label("conv"),
                     func.sum(case((and_(CampaignTarget.rm_id == actor.id,
                                         CampaignTarget.status == TargetStatus.PENDING), 1), else_=0)).label("mine"))
              .where(target_scope(actor)).group_by(CampaignTarget.campaign_id).subquery())
    order = case({ACTIVE: 0, PAUSED: 1, DRAFT: 2, ENDED: 3}, value=Campaign.status, else_=4)
    stmt = (select(Campaign.id, Campaign.name, Campaign.type, Campaign.status, Campaign.starts_on, Campaign.ends_on,
                   Organisation.name.label("org"), counts.c.n, counts.c.conv, counts.c.mine)
            .join(Organisation, Organisation.id == Campaign.org_id, isouter=True)
            .join(counts, counts.c.cid == Campaign.id, isouter=True)
            .where(campaign_scope(actor)).order_by(order, Campaign.id.desc()).limit(limit))
    if status:
        stmt = stmt.where(Campaign.status == status)
    return [CampaignRow(r.id, r.name, r.type, r.status, r.starts_on, r.ends_on, r.org or _("Bank-wide"),
                        int(r.n or 0), int(r.conv or 0), int(r.mine or 0)) for r in session.execute(stmt)]


@dataclass(frozen=True)
class CampaignView:
    id: int
    version: int
    name: str
    type: str
    goal: str
    status: str
    owner: str | None
    org_code: str | None
    scope: str
    starts_on: date | None
    ends_on: date | None
    budget: Decimal
    actual_cost: Decimal
    product_code: str | None
    product: str | None  # "年年丰理财 (R3)"
    sms_template: str | None
    filter: cf.CampaignFilter
    filter_text: str
    filter_problem: str | None  # a tag or branch the filter names that no longer exists
    generated_at: datetime | None
    targets: int
    can_organise: bool
    moves: frozenset[str]
    queued_sms: int


def get_campaign(session: Session, actor: Actor, campaign_id: int) -> CampaignView:
    c = _get(session, actor, campaign_id)
    filt = cf.from_json(c.filter_json)
    problem = None
    try:
        text = cf.describe(filt, cf.resolve(session, filt))
    except ValidationError as exc:
        text, problem = cf.describe(filt), exc.message
    org = session.get(Organisation, c.org_id) if c.org_id else None
    product = session.get(Product, c.product_id) if c.product_id else None
    owner = session.scalar(select(StaffUser.name).where(StaffUser.id == c.owner_id)) if c.owner_id else None
    targets = session.scalar(select(func.count()).select_from(CampaignTarget)
                             .where(CampaignTarget.campaign_id == c.id, target_scope(actor))) or 0
    queued = session.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.campaign_id == c.id)) or 0
    organiser = can_organise(session, actor, c)
    return CampaignView(
        id=c.id, version=c.version, name=c.name, type=c.type, goal=c.goal, status=c.status, owner=owner,
        org_code=org.code if org else None, scope=org.name if org else _("Bank-wide"),
        starts_on=c.starts_on, ends_on=c.ends_on, budget=c.budget, actual_cost=c.actual_cost,
        product_code=product.product_code if product else None,
        product=f"{product.name} ({product.risk_level})" if product and product.risk_level else (product.name if product else None),
        sms_template=c.sms_template, filter=filt, filter_text=text, filter_problem=problem,
        generated_at=c.generated_at, targets=targets, can_organise=organiser,
        moves=TRANSITIONS[c.status] if organiser else frozenset(), queued_sms=queued)


def form_values(view: CampaignView) -> dict:
    """The campaign as the form shows it (the inverse of ``check_values``)."""
    return {"name": view.name, "type": view.type, "goal": view.goal, "org_code": view.org_code or "",
            "starts_on": view.starts_on.isoformat() if view.starts_on else "",
            "ends_on": view.ends_on.isoformat() if view.ends_on else "",
            "budget": f"{view.budget:.2f}", "actual_cost": f"{view.actual_cost:.2f}",
            "product_code": view.product_code or "", "sms_template": view.sms_template or "", "filter": view.filter}


def products(session: Session) -> list[tuple[str, str, str, str | None]]:
    """(code, name, type, risk level) of every product, for the form's choice."""
    return [tuple(r) for r in session.execute(select(Product.product_code, Product.name, Product.product_type,
                                                     Product.risk_level).order_by(Product.product_code))]


# -- matching customers -------------------------------------------------------------------------

def _risk_floor(session: Session, product_id: int | None) -> int | None:
    """The risk level (1–5) of the promoted product, if it has one."""
    if product_id is None:
        return None
    level = session.scalar(select(Product.risk_level).where(Product.id == product_id))
    if level and re.fullmatch(r"R[1-5]", level):
        return int(level[1])
    return None


def suitable(level: int):
    """Customers whose recorded risk preference reaches the product's level (适当性)."""
    return and_(Customer.risk_preference.is_not(None), Customer.risk_preference >= level)


@dataclass(frozen=True)
class Preview:
    count: int  # customers the list would hold
    unsuitable: int  # matching customers left out because the product's risk is above their preference
    steps: list[tuple[str, int]] = field(default_factory=list)  # when nothing matches: count after each condition
    sentence: str = ""


def _scope_clause(org_path: str | None):
    return Customer.org_id.in_(org_subtree_ids(org_path)) if org_path and org_path != "/" else None


def _matching(session: Session, filt: cf.CampaignFilter, org_path: str | None, risk: int | None, now: datetime):
    """(conditions, clause of the whole match without suitability, suitability clause)."""
    resolved = cf.resolve(session, filt)
    conds = cf.conditions(filt, resolved, now=now)
    scope = _scope_clause(org_path)
    base = [c.clause for c in conds] + ([scope] if scope is not None else [])
    return conds, resolved, base, (suitable(risk) if risk else None)


def _count(session: Session, clauses) -> int:
    stmt = select(func.count()).select_from(Customer)
    if clauses:
        stmt = stmt.where(*clauses)
    return int(session.scalar(stmt) or 0)


def preview(session: Session, actor: Actor, filt: cf.CampaignFilter | dict, *, org_code: str | None = None,
            product_code: str | None = None, clock: Clock = system_clock) -> Preview:
    """How many customers a filter matches in a campaign's scope, for the form's live count.
    When none match, says how many were left after each condition in turn."""
    if actor.role not in ORGANISERS:
        raise PermissionDenied(_("Only a manager or an administrator organises campaigns"))
    filt = filt if isinstance(filt, cf.CampaignFilter) else cf.from_dict(filt)
    cf.check(filt)
    org_path = None
    code = org_code or (actor.org_code if actor.role == Role.MANAGER else None)
    if code:
        org_path = session.scalar(select(Organisation.path).where(Organisation.code == code))
        if org_path is None:
            raise ValidationError(_("No organisation with code {code}", code=code), field="org_code")
        if actor.role == Role.MANAGER and not org_path.startswith(actor.org_path or "/"):
            raise PermissionDenied(_("A manager organises campaigns of their own branch; a bank-wide campaign "
                                     "is organised by an administrator"))
    product_id = session.scalar(select(Product.id).where(Product.product_code == product_code)) if product_code else None
    return _preview(session, filt, org_path, _risk_floor(session, product_id), clock())


def _preview(session: Session, filt, org_path, risk, now) -> Preview:
    conds, resolved, base, suit = _matching(session, filt, org_path, risk, now)
    sentence = cf.describe(filt, resolved)
    if suit is None:
        count, unsuitable = _count(session, base), 0
    else:
        stmt = select(func.count(), func.sum(case((suit, 1), else_=0))).select_from(Customer)
        row = session.execute(stmt.where(*base) if base else stmt).one()
        total, fit = int(row[0] or 0), int(row[1] or 0)
        count, unsuitable = fit, total - fit
    steps: list[tuple[str, int]] = []
    if count == 0:
        clauses = []
        scope = _scope_clause(org_path)
        if scope is not None:
            clauses.append(scope)
            steps.append((_("customers in the campaign's scope"), _count(session, clauses)))
        for cond in conds:
            clauses.append(cond.clause)
            steps.append((cond.label, _count(session, clauses)))
        if suit is not None:
            clauses.append(suit)
            steps.append((_("whose risk preference suits the product"), _count(session, clauses)))
    return Preview(count, unsuitable, steps, sentence)


def campaign_preview(session: Session, actor: Actor, campaign_id: int, *, clock: Clock = system_clock) -> Preview:
    c = _get(session, actor, campaign_id)
    return _preview(session, cf.from_json(c.filter_json), _org_path(session, c.org_id) if c.org_id else None,
                    _risk_floor(session, c.product_id), clock())


# -- the target list ----------------------------------------------------------------------------

@dataclass(frozen=True)
class GenerateResult:
    added: int
    removed: int
    total: int
    unsuitable: int
    version: int


def _scope_rms(org_path: str | None):
    stmt = select(StaffUser.id).where(StaffUser.role == Role.RM, StaffUser.active.is_(True))
    if org_path and org_path != "/":
        stmt = stmt.where(StaffUser.org_id.in_(org_subtree_ids(org_path)))
    return stmt


def _insert_targets(session: Session, campaign: Campaign, match, org_path: str | None, now: datetime,
                    *, only_new: bool) -> int:
    """One INSERT … SELECT: each matching customer to their own RM, the unowned ones in turn
    to the RMs of the campaign's scope (round robin by customer number)."""
    rm_ids = list(session.scalars(_scope_rms(org_path).order_by(StaffUser.id)))
    clauses = list(match)
    if only_new:
        # NOT EXISTS, not NOT IN: PostgreSQL makes it an anti-join however long the list is.
        clauses.append(~select(CampaignTarget.id).where(CampaignTarget.campaign_id == campaign.id,
                                                        CampaignTarget.customer_id == Customer.id).exists())
    slot = (func.row_number().over(partition_by=Customer.rm_id.is_(None), order_by=Customer.id) - 1)
    numbered = select(Customer.id.label("cid"), Customer.rm_id.label("own"),
                      (slot % len(rm_ids) if rm_ids else literal(0)).label("slot"))
    numbered = (numbered.where(*clauses) if clauses else numbered).subquery()
    if rm_ids:
        rms = (select(StaffUser.id.label("rm"), (func.row_number().over(order_by=StaffUser.id) - 1).label("slot"))
               .where(StaffUser.id.in_(rm_ids))).subquery()
        source = (select(literal(campaign.id), numbered.c.cid, func.coalesce(numbered.c.own, rms.c.rm),
                         literal(TargetStatus.PENDING.value), literal(now, _TARGET.c.added_at.type))
                  .select_from(numbered.outerjoin(rms, and_(numbered.c.own.is_(None), rms.c.slot == numbered.c.slot))))
    else:
        source = select(literal(campaign.id), numbered.c.cid, numbered.c.own, literal(TargetStatus.PENDING.value),
                        literal(now, _TARGET.c.added_at.type))
    on_list = select(func.count()).select_from(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
    before = int(session.scalar(on_list) or 0)
    session.execute(insert(_TARGET).from_select(["campaign_id", "customer_id", "rm_id", "status", "added_at"], source))
    return int(session.scalar(on_list) or 0) - before


def generate(session: Session, actor: Actor, campaign_id: int, *, version: int | None = None,
             clock: Clock = system_clock) -> GenerateResult:
    """Make the target list: a snapshot of the customers the filter matches in the campaign's
    scope (and whom the promoted product suits). A draft's list is replaced; a live
    campaign's list only gains customers who match now and were not on it."""
    audit.acting_as(session, actor, clock=clock)
    campaign = _get(session, actor, campaign_id, lock=True)
    _require_organiser(session, actor, campaign)
    _check_version(campaign, version, session)
    if campaign.status == ENDED:
        raise ValidationError(_("The campaign has ended; its list is final"), field="status")
    now = clock()
    filt = cf.from_json(campaign.filter_json)
    cf.check(filt)
    org_path = _org_path(session, campaign.org_id) if campaign.org_id else None
    risk = _risk_floor(session, campaign.product_id)
    _conds, _resolved, base, suit = _matching(session, filt, org_path, risk, now)
    unsuitable = 0
    if suit is not None:
        unsuitable = _count(session, base) - _count(session, [*base, suit])
    removed = 0
    # Claim the campaign first: a second terminal generating at the same moment is refused.
    campaign.generated_at, campaign.updated_by, campaign.updated_at = now, actor.id, now
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else changed this campaign at the same moment; nothing was changed")) from None
    if campaign.status == DRAFT:
        removed = int(session.execute(delete(_TARGET).where(_TARGET.c.campaign_id == campaign.id)).rowcount or 0)
    match = [*base, suit] if suit is not None else base
    added = _insert_targets(session, campaign, match, org_path, now, only_new=campaign.status != DRAFT)
    total = int(session.scalar(select(func.count()).select_from(CampaignTarget)
                               .where(CampaignTarget.campaign_id == campaign.id)) or 0)
    audit.log_event(session, "campaign.generate", "campaign", campaign.id,
                    {"added": added, "removed": removed, "total": total, "unsuitable": unsuitable})
    session.commit()
    return GenerateResult(added, removed, total, unsuitable, campaign.version)


@dataclass(frozen=True)
class TargetRow:
    id: int
    customer_id: int
    customer_no: str
    name: str
    mobile: str | None  # masked
    tier: str
    aum: Decimal
    rm: str | None
    status: str
    converted_amount: Decimal | None
    contacted_at: datetime | None
    note: str | None


def _target_filter(actor: Actor, campaign_id: int, status: str | None):
    clauses = [CampaignTarget.campaign_id == campaign_id, target_scope(actor)]
    if status:
        clauses.append(CampaignTarget.status == status)
    return clauses


def target_page(session: Session, actor: Actor, campaign_id: int, *, status: str | None = None,
                after: int | None = None, limit: int = PAGE_SIZE) -> list[TargetRow]:
    """The actor's targets of a campaign (a manager's: all in their branch), in list order,
    one page after target id ``after``."""
    _get(session, actor, campaign_id)
    clauses = _target_filter(actor, campaign_id, status)
    if after is not None:
        clauses.append(CampaignTarget.id > after)
    stmt = (select(CampaignTarget.id, CampaignTarget.customer_id, Customer.customer_no, Customer.name, Customer.mobile,
                   Customer.tier, Customer.aum_daily_avg, StaffUser.name.label("rm"), CampaignTarget.status,
                   CampaignTarget.converted_amount, CampaignTarget.contacted_at, CampaignTarget.note)
            .join(Customer, Customer.id == CampaignTarget.customer_id)
            .join(StaffUser, StaffUser.id == CampaignTarget.rm_id, isouter=True)
            .where(*clauses).order_by(CampaignTarget.id).limit(limit))
    teller = actor.role == Role.TELLER
    return [TargetRow(r.id, r.customer_id, r.customer_no,
                      masking.customer_name(r.name, r.customer_no, mask=teller),
                      masking.mask_mobile(r.mobile) if r.mobile else None, r.tier, r.aum_daily_avg, r.rm, r.status,
                      r.converted_amount, r.contacted_at, r.note) for r in session.execute(stmt)]


def target_counts(session: Session, actor: Actor, campaign_id: int) -> dict[str, int]:
    """Targets by outcome (and "" for all) that the actor sees."""
    rows = session.execute(select(CampaignTarget.status, func.count())
                           .where(*_target_filter(actor, campaign_id, None)).group_by(CampaignTarget.status)).all()
    counts = {s: 0 for s in OUTCOMES}
    counts.update({s: int(n) for s, n in rows})
    counts[""] = sum(counts.values())
    return counts


def target_ids(session: Session, actor: Actor, campaign_id: int, *, status: str | None = None,
               limit: int = MAX_SELECTION + 1) -> list[int]:
    """Every target of the view (Ctrl+A selects the whole result, not the page)."""
    return list(session.scalars(select(CampaignTarget.id).where(*_target_filter(actor, campaign_id, status))
                                .order_by(CampaignTarget.id).limit(limit)))


def _check_outcome(status: str, amount, note: str | None) -> tuple[Decimal | None, str | None]:
    if status not in OUTCOMES:
        raise ValidationError(_("Unknown outcome: {value}", value=status), field="status")
    if status == TargetStatus.PENDING:
        raise ValidationError(_("An outcome cannot be set back to pending"), field="status")
    value = None
    if status == TargetStatus.CONVERTED:
        if amount is None or str(amount).strip() == "":
            raise ValidationError(_("A conversion needs the amount of new business (0 when there is none)"),
                                  field="amount")
        value = check_amount(amount, field="amount")
    elif amount not in (None, ""):
        raise ValidationError(_("Only a conversion has an amount"), field="amount")
    text = (note or "").strip() or None
    if text and len(text) > NOTE_MAX:
        raise ValidationError(_("A note is at most {n} characters", n=NOTE_MAX), field="note")
    return value, text


def _require_live(campaign_status: str) -> None:
    if campaign_status == PAUSED:
        raise ValidationError(_("The campaign is paused; outcomes are recorded again when it resumes"), field="status")
    if campaign_status != ACTIVE:
        raise ValidationError(_("Outcomes are recorded while a campaign is active"), field="status")


def record_outcome(session: Session, actor: Actor, target_id: int, status: str, *, amount=None,
                   note: str | None = None, clock: Clock = system_clock) -> None:
    """The RM records what came of contacting a target (audited). Reaching the customer is also
    a service contact ("not contacted in the last N days" sees it)."""
    audit.acting_as(session, actor, clock=clock)
    if actor.role not in WORKERS:
        raise PermissionDenied(_("Only relationship managers and managers record campaign outcomes"))
    value, text = _check_outcome(status, amount, note)
    row = session.execute(select(CampaignTarget, Campaign.status).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
                          .where(CampaignTarget.id == target_id, target_scope(actor))).first()
    if row is None:
        raise NotFoundError(_("No such target, or not one of yours"))
    target, campaign_status = row
    _require_live(campaign_status)
    now = clock()
    target.status, target.converted_amount = status, value
    if text is not None:
        target.note = text
    target.contacted_at, target.updated_by, target.updated_at = now, actor.id, now
    audit.label(session, target, "campaign.outcome")
    if status in REACHED:
        session.add(ServiceContact(customer_id=target.customer_id, user_id=actor.id, at=now, kind="campaign",
                                   note=f"campaign {target.campaign_id}: {status}"))
    session.commit()


@dataclass(frozen=True)
class BatchOutcome:
    changed: int
    skipped: int  # not the actor's targets, or of another campaign


def batch_outcome(session: Session, actor: Actor, campaign_id: int, ids: Sequence[int], status: str, *,
                  amount=None, clock: Clock = system_clock) -> BatchOutcome:
    """One outcome for a selection of targets (one UPDATE, one audit event)."""
    audit.acting_as(session, actor, clock=clock)
    if actor.role not in WORKERS:
        raise PermissionDenied(_("Only relationship managers and managers record campaign outcomes"))
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise ValidationError(_("Select the targets first (Space, or Ctrl+A for all)"), field="selection")
    if len(ids) > MAX_SELECTION:
        raise ValidationError(_("At most {n} targets at a time", n=f"{MAX_SELECTION:,}"), field="selection")
    value, _text = _check_outcome(status, amount, None)
    campaign = _get(session, actor, campaign_id, lock=True)
    _require_live(campaign.status)
    now = clock()
    changed = 0
    for start_at in range(0, len(ids), 500):
        chunk = ids[start_at:start_at + 500]
        mine = select(CampaignTarget.id).where(CampaignTarget.id.in_(chunk), *_target_filter(actor, campaign_id, None))
        reached = list(session.scalars(select(CampaignTarget.customer_id).where(CampaignTarget.id.in_(mine))))
        result = session.execute(update(_TARGET).where(_TARGET.c.id.in_(mine)).values(
            status=status, converted_amount=value, contacted_at=now, updated_by=actor.id, updated_at=now))
        changed += int(result.rowcount or 0)
        if status in REACHED and reached:
            session.execute(insert(ServiceContact.__table__), [  # type: ignore[attr-defined]
                {"customer_id": cid, "user_id": actor.id, "at": now, "kind": "campaign",
                 "note": f"campaign {campaign_id}: {status}"} for cid in reached])
    audit.log_event(session, "campaign.batch_outcome", "campaign", campaign_id,
                    {"status": status, "targets": changed, "amount": None if value is None else str(value)})
    session.commit()
    return BatchOutcome(changed, len(ids) - changed)


# -- metrics ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetricRow:
    label: str
    targets: int
    contacted: int
    participated: int
    converted: int
    amount: Decimal

    @property
    def contact_rate(self) -> float | None:
        return self.contacted / self.targets if self.targets else None

    @property
    def participation_rate(self) -> float | None:
        return self.participated / self.targets if self.targets else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.targets if self.targets else None


@dataclass(frozen=True)
class Metrics:
    campaign_id: int
    name: str
    status: str
    scope: str
    period: str
    overall: MetricRow
    by_tier: list[MetricRow]
    by_tag: list[MetricRow]
    budget: Decimal
    cost: Decimal
    partial: bool = False  # the figures cover only the actor's share of the list (an RM, a branch manager)

    @property
    def roi(self) -> Decimal | None:
        """Only for the whole list: a share's converted amount against the whole cost means nothing."""
        if not self.cost or self.partial:
            return None
        return (self.overall.amount - self.cost) / self.cost


def _measures():
    status = CampaignTarget.status
    return (func.count(),
            func.sum(case((status.in_(REACHED), 1), else_=0)),
            func.sum(case((status.in_(PARTICIPATED), 1), else_=0)),
            func.sum(case((status == TargetStatus.CONVERTED, 1), else_=0)),
            func.sum(case((status == TargetStatus.CONVERTED, CampaignTarget.converted_amount), else_=0)))


def target_measures():
    """(targets, reached, took part, converted, converted amount) of a set of targets: the
    metrics' definitions, for the reports that sum them over several campaigns."""
    return _measures()


def _row(label: str, values) -> MetricRow:
    n, reached, took_part, converted, amount = values
    return MetricRow(label, int(n or 0), int(reached or 0), int(took_part or 0), int(converted or 0),
                     Decimal(amount or 0).quantize(Decimal("0.01")))


def metrics(session: Session, actor: Actor, campaign_id: int, *, tag_limit: int = 30) -> Metrics:
    """Targets, contacts, participation, conversions and converted amount: overall, by the
    customer's tier and by tag (a customer counts under each of their tags); with cost and ROI.
    A manager's figures cover the targets of their branch."""
    from ocrm_tui.services.tiers import tier_label

    c = _get(session, actor, campaign_id)
    where = [CampaignTarget.campaign_id == c.id, target_scope(actor)]
    overall = _row(_("All targets"), session.execute(select(*_measures()).where(*where)).one())
    tier_rows = {r[0]: r[1:] for r in session.execute(
        select(Customer.tier, *_measures()).join(Customer, Customer.id == CampaignTarget.customer_id)
        .where(*where).group_by(Customer.tier))}
    by_tier = [_row(tier_label(t), tier_rows[t]) for t in reversed(Tier) if t in tier_rows]
    tag_rows = session.execute(
        select(Tag.name, *_measures())
        .join(CustomerTag, CustomerTag.customer_id == CampaignTarget.customer_id)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(*where).group_by(Tag.name).order_by(func.count().desc(), Tag.name).limit(tag_limit))
    by_tag = [_row(r[0], r[1:]) for r in tag_rows]
    org = session.scalar(select(Organisation.name).where(Organisation.id == c.org_id)) if c.org_id else None
    period = " – ".join(d.isoformat() for d in (c.starts_on, c.ends_on) if d) or _("no dates set")
    whole = int(session.scalar(select(func.count()).select_from(CampaignTarget)
                               .where(CampaignTarget.campaign_id == c.id)) or 0)
    return Metrics(c.id, c.name, c.status, org or _("Bank-wide"), period, overall, by_tier, by_tag,
                   c.budget, c.actual_cost, partial=overall.targets != whole)


def percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f} %"


# -- SMS ------------------------------------------------------------------------------------------

def _title(gender: str | None) -> str:
    # Messages go to the bank's customers in Chinese, whatever the staff member's language.
    return {"M": "先生", "F": "女士"}.get(gender or "", "客户")


def render_sms(template: str, *, name: str | None, gender: str | None, product: str | None, rm_name: str | None) -> str:
    return template.format(surname=masking.surname_of(name) if name else "", title=_title(gender),
                           product=product or "", rm_name=rm_name or "")


@dataclass(frozen=True)
class SmsResult:
    queued: int
    already: int  # targets that had been sent the message before
    no_mobile: int  # targets without a valid mobile: left out


def send_sms(session: Session, actor: Actor, campaign_id: int, *, clock: Clock = system_clock) -> SmsResult:
    """Queue the campaign's message for every target with a valid mobile, once per target.
    The outbox is what the SMS gateway adapter reads (or ``ocrm sms export`` writes out)."""
    audit.acting_as(session, actor, clock=clock)
    campaign = _get(session, actor, campaign_id, lock=True)
    _require_organiser(session, actor, campaign)
    if campaign.status != ACTIVE:
        raise ValidationError(_("Messages are sent while a campaign is active"), field="status")
    template = check_template(campaign.sms_template)
    if template is None:
        raise ValidationError(_("Write the SMS text in the campaign first"), field="sms_template")
    product = session.scalar(select(Product.name).where(Product.id == campaign.product_id)) if campaign.product_id else None
    now = clock()
    already = int(session.scalar(select(func.count()).select_from(SmsMessage)
                                 .where(SmsMessage.campaign_id == campaign.id)) or 0)
    queued = no_mobile = 0
    last = 0
    while True:
        rows = session.execute(
            select(CampaignTarget.id, CampaignTarget.customer_id, Customer.name, Customer.gender, Customer.mobile,
                   StaffUser.name.label("rm"))
            .join(Customer, Customer.id == CampaignTarget.customer_id)
            .join(StaffUser, StaffUser.id == CampaignTarget.rm_id, isouter=True)
            .where(CampaignTarget.campaign_id == campaign.id, CampaignTarget.id > last,
                   ~select(SmsMessage.id).where(SmsMessage.target_id == CampaignTarget.id).exists())
            .order_by(CampaignTarget.id).limit(5000)).all()
        if not rows:
            break
        last = rows[-1].id
        batch = []
        for r in rows:
            if not r.mobile or not MOBILE.match(r.mobile):
                no_mobile += 1
                continue
            batch.append({"campaign_id": campaign.id, "target_id": r.id, "customer_id": r.customer_id,
                          "mobile": r.mobile, "status": "queued", "queued_at": now,
                          "body": render_sms(template, name=r.name, gender=r.gender, product=product, rm_name=r.rm)})
        if batch:
            session.execute(insert(SmsMessage.__table__), batch)  # type: ignore[attr-defined]
            queued += len(batch)
    audit.log_event(session, "campaign.sms_send", "campaign", campaign.id,
                    {"queued": queued, "already": already, "no_mobile": no_mobile})
    session.commit()
    return SmsResult(queued, already, no_mobile)
