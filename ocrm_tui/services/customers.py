"""Customer files: the 360° profile, opening at the counter, create and edit, tier overrides.

Functions that change something (or record an unmask) commit their unit of work, like
the rest of services/; give them a write session.

Every function takes the acting user and checks the data scope itself; the same message
answers a missing customer and one outside the scope. What leaves this module is plain
data, masked for the actor (mobile 3+4, ID number 1+1, accounts 6+4, address to the
district; tellers see the surname only). Seeing the full values is an audited action
(``customer.unmask``) that tellers may not take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ocrm_tui.db.models import (
    Account,
    AumSnapshot,
    Customer,
    CustomerCollaborator,
    CustomerTag,
    Organisation,
    Product,
    Role,
    ServiceContact,
    StaffUser,
    Tag,
    Tier,
    Transaction,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, customer_search, masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import (
    DuplicateCustomer,
    NotFoundError,
    PermissionDenied,
    StaleRecordError,
    ValidationError,
)
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.scope import customer_scope, get_customer_in_scope, not_found_message
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.tickets import customer_tickets
from ocrm_tui.services.tiers import tier_for
from ocrm_tui.services.validation import RESIDENT_ID, check_email, check_mobile, check_resident_id, normalise_text

EDITORS = frozenset({Role.RM, Role.MANAGER, Role.ADMIN})
TIER_OVERRIDERS = frozenset({Role.MANAGER})


def can_unmask(session: Session, actor: Actor) -> bool:
    """Whether the actor may see full customer values: granted or withdrawn for them by an
    administrator (``ocrm user unmask``), else as their role allows (setting unmask.roles)."""
    if actor.id is not None:
        own = session.scalar(select(StaffUser.unmask).where(StaffUser.id == actor.id))
        if own is not None:
            return bool(own)
    return actor.role in get_setting(session, "unmask.roles")


def can_edit(actor: Actor) -> bool:
    return actor.role in EDITORS


def can_override_tier(actor: Actor) -> bool:
    return actor.role in TIER_OVERRIDERS


# -- the form ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FormField:
    name: str
    required: bool = False
    max_length: int = 255


FORM_FIELDS: tuple[FormField, ...] = (
    FormField("name", True, 100),
    FormField("id_type", True, 32),
    FormField("id_number", True, 64),
    FormField("gender", False, 1),
    FormField("birth_date", False, 10),
    FormField("mobile", True, 20),
    FormField("email", False, 255),
    FormField("address", False, 255),
    FormField("occupation", False, 100),
    FormField("marital_status", False, 16),
    FormField("education", False, 32),
    FormField("family", False, 255),
    FormField("financial_status", False, 255),
    FormField("risk_preference", False, 1),
    FormField("hobbies", False, 255),
    FormField("preferred_contact_time", False, 64),
)
FIELD_BY_NAME = {f.name: f for f in FORM_FIELDS}
_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaffA-Za-z·• .'\-]+$")
_OTHER_ID = re.compile(r"^[A-Z0-9][A-Z0-9\-/]{2,63}$")


def field_label(name: str) -> str:
    return {
        "name": _("Customer name"), "id_type": _("ID type"), "id_number": _("ID number"), "gender": _("Gender"),
        "birth_date": _("Birth date"), "mobile": _("Mobile"), "email": _("E-mail"), "address": _("Address"),
        "occupation": _("Occupation"), "marital_status": _("Marital status"), "education": _("Education"),
        "family": _("Family situation"), "financial_status": _("Financial status"), "risk_preference": _("Risk preference"),
        "hobbies": _("Hobbies"), "preferred_contact_time": _("Preferred contact time"),
    }[name]


def _parse_date(value: str, field_name: str) -> date:
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("A date is written YYYY-MM-DD, e.g. 1987-03-14"), field=field_name) from None
    if d > date.today():
        raise ValidationError(_("A birth date cannot be in the future"), field=field_name)
    if d.year < 1900:
        raise ValidationError(_("A birth date before 1900 is not plausible"), field=field_name)
    return d


def check_field(name: str, values: dict[str, str]) -> object:
    """The stored value of one form field, given everything typed so far; ValidationError if wrong.

    Used as the user leaves a field and again, for every field, before saving.
    """
    spec = FIELD_BY_NAME[name]
    raw = normalise_text(values.get(name) or "")
    if not raw:
        if spec.required:
            raise ValidationError(_("{field} is required", field=field_label(name)), field=name)
        if name == "id_type":
            return RESIDENT_ID
        return None
    if len(raw) > spec.max_length and name not in ("gender", "risk_preference"):
        raise ValidationError(_("{field} is at most {n} characters", field=field_label(name), n=spec.max_length), field=name)
    if name == "name":
        if not _NAME.match(raw):
            raise ValidationError(_("A name is Chinese characters or letters (with · for minority names)"), field=name)
        return re.sub(r"\s+", " ", raw)
    if name == "gender":
        g = raw.upper()
        if g in ("M", "男"):
            return "M"
        if g in ("F", "女"):
            return "F"
        raise ValidationError(_("Gender is M or F"), field=name)
    if name == "birth_date":
        return _parse_date(raw, name)
    if name == "id_number":
        id_type = normalise_text(values.get("id_type") or "") or RESIDENT_ID
        if id_type == RESIDENT_ID:
            birth = None
            gender = None
            try:
                birth = check_field("birth_date", values)
            except ValidationError:
                pass
            try:
                gender = check_field("gender", values)
            except ValidationError:
                pass
            return check_resident_id(raw, birth_date=birth, gender=gender).number
        number = raw.replace(" ", "").upper()
        if not _OTHER_ID.match(number):
            raise ValidationError(_("An ID number is letters and digits (3 to 64)"), field=name)
        return number
    if name == "mobile":
        return check_mobile(raw)
    if name == "email":
        return check_email(raw)
    if name == "risk_preference":
        if raw not in ("1", "2", "3", "4", "5"):
            raise ValidationError(_("Risk preference is 1 (conservative) to 5 (aggressive)"), field=name)
        return int(raw)
    return raw


def clean(values: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """(stored values, {field: message}) for a whole form."""
    cleaned: dict[str, object] = {}
    errors: dict[str, str] = {}
    for spec in FORM_FIELDS:
        try:
            cleaned[spec.name] = check_field(spec.name, values)
        except ValidationError as exc:
            errors[exc.field or spec.name] = exc.message
    # A resident ID number names the birth date and gender: fill them in when left empty.
    if "id_number" not in errors:
        implied = implied_by_id(values)
        if "birth_date" in implied and "birth_date" not in errors:
            cleaned["birth_date"] = date.fromisoformat(implied["birth_date"])
        if "gender" in implied and "gender" not in errors:
            cleaned["gender"] = implied["gender"]
    return cleaned, errors


def implied_by_id(values: dict[str, str]) -> dict[str, str]:
    """The birth date and gender (as form text) that a valid resident ID number gives, for
    those of the two fields left empty; nothing for another kind of ID or a wrong number."""
    id_type = normalise_text(values.get("id_type") or "") or RESIDENT_ID
    number = normalise_text(values.get("id_number") or "")
    if id_type != RESIDENT_ID or not number:
        return {}
    try:
        rid = check_resident_id(number)
    except ValidationError:
        return {}
    implied = {}
    if not normalise_text(values.get("birth_date") or ""):
        implied["birth_date"] = rid.birth_date.isoformat()
    if not normalise_text(values.get("gender") or ""):
        implied["gender"] = rid.gender
    return implied


def _form_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- duplicates --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Duplicate:
    reason: str  # id_number / mobile / name_birth
    customer_id: int | None  # None: outside the actor's customers (not shown)
    label: str  # masked name and customer number, or a neutral phrase
    blocking: bool  # the same ID number: never a second file

    @property
    def reason_text(self) -> str:
        return {
            "id_number": _("same ID number"),
            "mobile": _("same mobile"),
            "name_birth": _("same name and birth date"),
        }[self.reason]


def find_duplicates(session: Session, actor: Actor, cleaned: dict, *, exclude_id: int | None = None,
                    now: datetime | None = None) -> list[Duplicate]:
    """Customers on file that look like the one being saved (across the whole bank)."""
    from ocrm_tui.services.scope import customer_scope

    checks = []
    if cleaned.get("id_number"):
        checks.append(("id_number", (Customer.id_type == cleaned.get("id_type", RESIDENT_ID)) &
                       (Customer.id_number == cleaned["id_number"]), True))
    if cleaned.get("mobile"):
        checks.append(("mobile", Customer.mobile == cleaned["mobile"], False))
    if cleaned.get("name") and cleaned.get("birth_date"):
        checks.append(("name_birth", (Customer.name == cleaned["name"]) & (Customer.birth_date == cleaned["birth_date"]), False))
    found: list[Duplicate] = []
    seen: set[int] = set()
    scope = customer_scope(actor, now=now)
    for reason, cond, blocking in checks:
        stmt = select(Customer.id, Customer.name, Customer.customer_no, scope.label("visible")).where(cond)
        if exclude_id is not None:
            stmt = stmt.where(Customer.id != exclude_id)
        for row in session.execute(stmt.limit(5)).all():
            if row.id in seen:
                continue
            seen.add(row.id)
            if row.visible:
                name = masking.mask_name(row.name) if actor.role == Role.TELLER else row.name
                found.append(Duplicate(reason, row.id, f"{name} · {row.customer_no}", blocking))
            else:
                found.append(Duplicate(reason, None, _("a customer of another branch or RM"), blocking))
    return found


# -- create and edit ---------------------------------------------------------------------------

def _apply(customer: Customer, cleaned: dict) -> None:
    for spec in FORM_FIELDS:
        setattr(customer, spec.name, cleaned.get(spec.name))
    for key, value in name_keys(str(cleaned["name"])).items():
        setattr(customer, key, value)


def _next_customer_no(session: Session) -> str:
    last = session.scalar(select(func.max(Customer.id))) or 0
    return f"{9_100_000_000 + last + 1}"


def create_customer(session: Session, actor: Actor, values: dict[str, str], *, accept_similar: bool = False,
                    clock: Clock = system_clock) -> int:
    """A new customer of the actor's branch (and book, for an RM); returns its id.

    Raises ValidationError for a wrong field, DuplicateCustomer when a customer with the
    same ID number exists (always) or with the same mobile or name and birth date
    (unless ``accept_similar``).
    """
    audit.acting_as(session, actor, clock=clock)
    cleaned, errors = clean(values)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    if actor.org_id is None:
        raise PermissionDenied(_("Only staff of a branch can open a customer file"))
    dups = find_duplicates(session, actor, cleaned)
    blocking = [d for d in dups if d.blocking]
    if blocking:
        raise DuplicateCustomer(_("A customer with this ID number is already on file"), duplicates=blocking, blocking=True)
    if dups and not accept_similar:
        raise DuplicateCustomer(_("Customers with the same mobile or the same name and birth date are on file"),
                                duplicates=dups)
    now = clock()
    customer = Customer(customer_no=_next_customer_no(session), org_id=actor.org_id,
                        rm_id=actor.id if actor.role == Role.RM else None, created_at=now, updated_at=now,
                        name="", mobile="")
    _apply(customer, cleaned)
    session.add(customer)
    session.flush()
    if actor.role == Role.TELLER and actor.id is not None:
        # The teller opened the file at the counter: the customer is now one they served.
        session.add(ServiceContact(customer_id=customer.id, user_id=actor.id, at=now, kind="counter",
                                   note=_("new customer file")))
    session.commit()
    return customer.id


def edit_values(session: Session, actor: Actor, customer_id: int, *, now: datetime | None = None) -> dict[str, str]:
    """The full values of a customer for the edit form (seeing them is audited as an unmask)."""
    if not can_edit(actor):
        raise PermissionDenied(_("Your role cannot change customer files"))
    if not can_unmask(session, actor):
        raise PermissionDenied(_("Editing a customer file shows its full values, which you may not see"))
    customer = get_customer_in_scope(session, actor, customer_id, now=now)
    audit.acting_as(session, actor)
    audit.log_event(session, "customer.unmask", "customer", customer.id,
                    {"purpose": "edit", "fields": [spec.name for spec in FORM_FIELDS]})
    values = {spec.name: _form_text(getattr(customer, spec.name)) for spec in FORM_FIELDS}
    values["version"] = str(customer.version)
    session.commit()
    return values


def update_customer(session: Session, actor: Actor, customer_id: int, values: dict[str, str], base: dict[str, str],
                    *, clock: Clock = system_clock) -> int:
    """Save an edit made from ``base`` (the values the form was filled with, with their version).

    A stale save — someone changed the customer since ``base`` was read — is refused with
    StaleRecordError naming each field that changed ({field: (what the user saw, what it is now)}).
    Returns the new version.
    """
    if not can_edit(actor):
        raise PermissionDenied(_("Your role cannot change customer files"))
    customer = get_customer_in_scope(session, actor, customer_id)
    audit.acting_as(session, actor, clock=clock)
    if str(customer.version) != str(base.get("version")):
        changed = {}
        for spec in FORM_FIELDS:
            now_text = _form_text(getattr(customer, spec.name))
            if now_text != (base.get(spec.name) or ""):
                changed[spec.name] = (base.get(spec.name) or "", now_text)
        raise StaleRecordError(_("Someone else saved this customer while you were editing; your input is kept"),
                               changed=changed)
    cleaned, errors = clean(values)
    if errors:
        name, message = next(iter(errors.items()))
        raise ValidationError(message, field=name)
    blocking = [d for d in find_duplicates(session, actor, cleaned, exclude_id=customer.id) if d.blocking]
    if blocking:
        raise DuplicateCustomer(_("A customer with this ID number is already on file"), duplicates=blocking, blocking=True)
    _apply(customer, cleaned)
    customer.updated_at = clock()
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleRecordError(_("Someone else saved this customer while you were editing; your input is kept")) from None
    session.commit()
    return customer.version


# -- the counter -------------------------------------------------------------------------------

def open_at_counter(session: Session, actor: Actor, text: str, customer_id: int, *, clock: Clock = system_clock) -> bool:
    """A teller opened ``customer_id`` found by the exact lookup ``text``: record the service
    contact that puts the customer among the ones they served. Returns whether one was recorded."""
    if actor.role != Role.TELLER or actor.id is None:
        return False
    if not customer_search.find_exact(session, actor, text, customer_id):
        raise NotFoundError(not_found_message())
    audit.acting_as(session, actor, clock=clock)
    session.add(ServiceContact(customer_id=customer_id, user_id=actor.id, at=clock(), kind="counter"))
    session.commit()
    return True


# -- the profile -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AumPeriod:
    period: str  # month / quarter / year
    value: Decimal | None
    previous: Decimal | None

    @property
    def change_pct(self) -> Decimal | None:
        if self.value is None or not self.previous:
            return None
        return ((self.value - self.previous) / self.previous * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Holding:
    product_type: str
    accounts: int
    balance: Decimal


@dataclass(frozen=True)
class TxnRow:
    posted_at: datetime
    account_no: str
    product: str
    direction: str
    amount: Decimal
    channel: str
    counterparty: str


@dataclass(frozen=True)
class ContactRow:
    at: datetime
    kind: str
    staff: str
    note: str


@dataclass(frozen=True)
class TagRow:
    name: str
    family: str


@dataclass(frozen=True)
class Profile:
    id: int
    customer_no: str
    version: int
    masked: bool
    name: str
    gender: str | None
    birth_date: date | None
    age: int | None
    id_type: str
    id_number: str | None
    mobile: str
    email: str | None
    address: str | None
    occupation: str | None
    marital_status: str | None
    education: str | None
    family: str | None
    financial_status: str | None
    risk_preference: int | None
    hobbies: str | None
    preferred_contact_time: str | None
    org_name: str
    rm_name: str
    collaborators: list[str]
    tier: str
    tier_manual: bool
    tier_reason: str | None
    aum: Decimal
    aum_periods: list[AumPeriod]
    holdings: list[Holding]
    transactions: list[TxnRow]
    tags: list[TagRow]
    contacts: list[ContactRow]
    tickets: list = field(default_factory=list)  # services.tickets.QueueRow: recent ones, open first
    can_unmask: bool = False
    can_edit: bool = False
    can_override_tier: bool = False
    can_tag: bool = False
    extra: dict = field(default_factory=dict)


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values) / len(values)).quantize(Decimal("0.01")) if values else None


def _aum_periods(session: Session, customer_id: int) -> list[AumPeriod]:
    months = [r[0] for r in session.execute(
        select(AumSnapshot.aum_daily_avg).where(AumSnapshot.customer_id == customer_id)
        .order_by(AumSnapshot.month.desc()).limit(24)).all()]
    periods = []
    for name, n in (("month", 1), ("quarter", 3), ("year", 12)):
        current = months[:n]
        previous = months[n:2 * n]
        periods.append(AumPeriod(name, _mean(current) if len(current) == n else None,
                                 _mean(previous) if len(previous) == n else None))
    return periods


def get_profile(session: Session, actor: Actor, customer_id: int, *, unmask: bool = False, now: datetime | None = None,
                transactions: int = 10, contacts: int = 10, clock: Clock = system_clock) -> Profile:
    """The 360° view of a customer in the actor's scope, masked unless ``unmask``.

    ``unmask`` needs a role that may see full values and writes a ``customer.unmask`` audit
    record with the session (commit it).
    """
    may_unmask = can_unmask(session, actor)
    if unmask and not may_unmask:
        raise PermissionDenied(_("You see customers' personal data masked only"))
    c = get_customer_in_scope(session, actor, customer_id, now=now)
    if unmask:
        audit.acting_as(session, actor, clock=clock)
        audit.log_event(session, "customer.unmask", "customer", c.id,
                        {"fields": ["name", "id_number", "mobile", "address", "account_no"]})
    teller = actor.role == Role.TELLER
    full = unmask

    def m(value, masker):
        return value if full or value is None else masker(value)

    org_name = session.scalar(select(Organisation.name).where(Organisation.id == c.org_id)) or ""
    rm_name = ""
    if c.rm_id is not None:
        rm = session.execute(select(StaffUser.name, StaffUser.employee_no).where(StaffUser.id == c.rm_id)).first()
        rm_name = f"{rm.name} ({rm.employee_no})" if rm else ""
    collaborators = [f"{n} ({no})" for n, no in session.execute(
        select(StaffUser.name, StaffUser.employee_no).join(CustomerCollaborator, CustomerCollaborator.user_id == StaffUser.id)
        .where(CustomerCollaborator.customer_id == c.id).order_by(StaffUser.employee_no)).all()]
    holdings = [Holding(t, n, b) for t, n, b in session.execute(
        select(Product.product_type, func.count(Account.id), func.coalesce(func.sum(Account.balance), 0))
        .join(Product, Product.id == Account.product_id)
        .where(Account.customer_id == c.id, Account.status == "active")
        .group_by(Product.product_type).order_by(func.sum(Account.balance).desc())).all()]
    txns = [TxnRow(r.posted_at, m(r.account_no, masking.mask_account), r.name, r.direction, r.amount, r.channel,
                   r.counterparty or "")
            for r in session.execute(
                select(Transaction.posted_at, Account.account_no, Product.name, Transaction.direction, Transaction.amount,
                       Transaction.channel, Transaction.counterparty)
                .join(Account, Account.id == Transaction.account_id).join(Product, Product.id == Account.product_id)
                .where(Transaction.customer_id == c.id).order_by(Transaction.posted_at.desc()).limit(transactions)).all()]
    tags = [TagRow(n, f) for n, f in session.execute(
        select(Tag.name, Tag.family).join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id == c.id).order_by(Tag.family, Tag.name)).all()]
    contact_rows = [ContactRow(r.at, r.kind, f"{r.name} ({r.employee_no})", r.note or "") for r in session.execute(
        select(ServiceContact.at, ServiceContact.kind, ServiceContact.note, StaffUser.name, StaffUser.employee_no)
        .join(StaffUser, StaffUser.id == ServiceContact.user_id)
        .where(ServiceContact.customer_id == c.id).order_by(ServiceContact.at.desc()).limit(contacts)).all()]
    ticket_rows = customer_tickets(session, actor, c.id, now=now)
    today = (now or datetime.now(timezone.utc)).date()
    if unmask:
        session.commit()  # the unmask is on record before anything is shown
    return Profile(
        id=c.id, customer_no=c.customer_no, version=c.version, masked=not full,
        name=masking.customer_name(c.name, c.customer_no, mask=teller and not full),
        gender=c.gender, birth_date=c.birth_date, age=_age(c.birth_date, today),
        id_type=c.id_type, id_number=m(c.id_number, masking.mask_id_number), mobile=m(c.mobile, masking.mask_mobile),
        email=c.email, address=m(c.address, masking.mask_address), occupation=c.occupation,
        marital_status=c.marital_status, education=c.education, family=c.family,
        financial_status=c.financial_status, risk_preference=c.risk_preference, hobbies=c.hobbies,
        preferred_contact_time=c.preferred_contact_time, org_name=org_name, rm_name=rm_name,
        collaborators=collaborators, tier=c.tier, tier_manual=c.tier_manual, tier_reason=c.tier_reason,
        aum=c.aum_daily_avg, aum_periods=_aum_periods(session, c.id), holdings=holdings, transactions=txns,
        tags=tags, contacts=contact_rows, tickets=ticket_rows, can_unmask=may_unmask and not full,
        can_edit=can_edit(actor) and may_unmask, can_override_tier=can_override_tier(actor), can_tag=True,
    )


def open_customer(session: Session, actor: Actor, customer_id: int, *, counter_lookup: str | None = None,
                  unmask: bool = False, clock: Clock = system_clock) -> Profile:
    """What a screen shows when a customer is opened: records the counter visit when a
    teller opened them by the exact lookup ``counter_lookup``, then the profile.

    Give it a write session when ``counter_lookup`` or ``unmask`` is set.
    """
    if counter_lookup:
        open_at_counter(session, actor, counter_lookup, customer_id, clock=clock)
    return get_profile(session, actor, customer_id, unmask=unmask, now=clock(), clock=clock)


# -- tiers -------------------------------------------------------------------------------------

def override_tier(session: Session, actor: Actor, customer_id: int, tier: str, reason: str,
                  *, clock: Clock = system_clock) -> None:
    """A manager sets the tier by hand; AUM recomputation leaves it alone until cleared."""
    if not can_override_tier(actor):
        raise PermissionDenied(_("Only a manager can set a customer's tier by hand"))
    if tier not in {t.value for t in Tier}:
        raise ValidationError(_("Unknown tier {tier}", tier=tier), field="tier")
    reason = normalise_text(reason or "")
    if len(reason) < 4:
        raise ValidationError(_("Give the reason for the override (at least 4 characters)"), field="reason")
    if len(reason) > 255:
        raise ValidationError(_("The reason is at most 255 characters"), field="reason")
    customer = get_customer_in_scope(session, actor, customer_id)
    audit.acting_as(session, actor, clock=clock)
    customer.tier = tier
    customer.tier_manual = True
    customer.tier_reason = reason
    customer.updated_at = clock()
    audit.label(session, customer, "customer.tier_override")
    session.commit()


def clear_tier_override(session: Session, actor: Actor, customer_id: int, *, clock: Clock = system_clock) -> str:
    """Back to the automatic tier by daily-average AUM; returns it."""
    if not can_override_tier(actor):
        raise PermissionDenied(_("Only a manager can set a customer's tier by hand"))
    customer = get_customer_in_scope(session, actor, customer_id)
    audit.acting_as(session, actor, clock=clock)
    customer.tier = tier_for(customer.aum_daily_avg, get_setting(session, "tier.thresholds"))
    customer.tier_manual = False
    customer.tier_reason = None
    customer.updated_at = clock()
    audit.label(session, customer, "customer.tier_override")
    session.commit()
    return customer.tier
