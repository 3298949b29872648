"""What a campaign's target filter means: stored as data, checked, turned into SQL, read back.

A filter is a ``CampaignFilter``: every condition is optional and all the conditions
given must hold (AND; "none of" and "not held" are the NOTs). It is stored as JSON on the
campaign (``to_json`` / ``from_json``), checked by ``check`` (contradictions, ranges,
values the bank does not use), turned into one WHERE clause on ``customer`` by
``conditions`` (one clause per condition, in a fixed order, so that a preview can say
how many customers are left after each one), and read back as a sentence by ``describe``.

Tag, product and contact conditions that a customer must meet are written as
``customer.id IN (SELECT …)`` over indexes that lead with the condition's value
(``customer_tag`` is keyed by (tag, customer)); those a customer must not meet as a
correlated ``NOT EXISTS``: PostgreSQL cannot turn ``NOT IN (SELECT …)`` into an anti-join
(a NULL in the list would change its meaning), and once the list outgrows ``work_mem`` it
reads the whole list again for every customer (minutes at a million customers, for a tag
that 400,000 of them carry), where ``NOT EXISTS`` is a hash anti-join; on SQLite both forms
cost the same (``bench/bench_campaigns.py``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, and_, select
from sqlmodel import Session

from ocrm_tui.db.models import (
    Account,
    Customer,
    CustomerTag,
    Organisation,
    Product,
    ProductType,
    Role,
    ServiceContact,
    StaffUser,
    Tag,
    Tier,
)
from ocrm_tui.i18n import _, _c, get_language
from ocrm_tui.services.errors import ValidationError
from ocrm_tui.services.scope import org_subtree_ids
from ocrm_tui.services.validation import MAX_AMOUNT

TIERS = tuple(t.value for t in Tier)
PRODUCT_TYPES = tuple(p.value for p in ProductType)
GENDERS = ("M", "F")
MAX_DAYS = 3650
MAX_AGE = 120
MAX_VALUES = 50  # tags, occupations … in one condition


@dataclass(frozen=True)
class CampaignFilter:
    tags_any: tuple[str, ...] = ()  # tagged with at least one of these
    tags_all: tuple[str, ...] = ()  # tagged with every one of these
    tags_none: tuple[str, ...] = ()  # tagged with none of these
    tiers: tuple[str, ...] = ()
    aum_min: Decimal | None = None  # daily-average AUM
    aum_max: Decimal | None = None
    products_held: tuple[str, ...] = ()  # product types the customer holds (each of them)
    products_not_held: tuple[str, ...] = ()  # product types the customer holds none of
    no_purchase_type: str | None = None  # no product of this type bought …
    no_purchase_days: int | None = None  # … in the last N days
    not_contacted_days: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    gender: str | None = None
    occupations: tuple[str, ...] = ()
    org_code: str | None = None  # customers of this branch and everything under it
    rm_employee_no: str | None = None  # customers in this RM's book

    def is_empty(self) -> bool:
        return self == CampaignFilter()


_TUPLES = {f.name for f in fields(CampaignFilter) if f.type.startswith("tuple")}
_INTS = ("no_purchase_days", "not_contacted_days", "age_min", "age_max")
_AMOUNTS = ("aum_min", "aum_max")


def to_json(filt: CampaignFilter) -> str:
    """The stored form: only the conditions that are set, amounts as strings."""
    data = {}
    for key, value in asdict(filt).items():
        if value in (None, (), []):
            continue
        data[key] = str(value) if isinstance(value, Decimal) else (list(value) if isinstance(value, tuple) else value)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def from_dict(data: dict) -> CampaignFilter:
    """A filter from loosely typed values (a form, a JSON file); checks types, not sense."""
    known = {f.name for f in fields(CampaignFilter)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(_("Unknown filter condition: {name}", name=", ".join(unknown)), field=unknown[0])
    values: dict = {}
    for key, raw in data.items():
        if raw is None or raw == "" or raw == [] or raw == ():
            continue
        if key in _TUPLES:
            items = [raw] if isinstance(raw, str) else list(raw)
            cleaned = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
            if len(cleaned) > MAX_VALUES:
                raise ValidationError(_("At most {n} values in one condition", n=MAX_VALUES), field=key)
            if cleaned:
                values[key] = cleaned
        elif key in _AMOUNTS:
            if isinstance(raw, float):
                raw = str(raw)
            try:
                amount = Decimal(str(raw).replace(",", "").strip())
            except InvalidOperation:
                raise ValidationError(_("{value} is not an amount", value=raw), field=key) from None
            if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
                raise ValidationError(_("{value} is not an amount", value=raw), field=key)
            values[key] = amount
        elif key in _INTS:
            try:
                number = int(str(raw).strip())
            except ValueError:
                raise ValidationError(_("{value} is not a whole number", value=raw), field=key) from None
            values[key] = number
        else:
            values[key] = str(raw).strip() or None
    return CampaignFilter(**values)


def from_json(text: str | None) -> CampaignFilter:
    return from_dict(json.loads(text or "{}"))


def check(filt: CampaignFilter) -> CampaignFilter:
    """Refuse a filter that cannot be meant: a range upside down, a value the bank does not
    use, or conditions that contradict each other (they could only ever match nobody)."""
    if filt.aum_min is not None and filt.aum_max is not None and filt.aum_min > filt.aum_max:
        raise ValidationError(_("The AUM range is upside down: the minimum {low} is above the maximum {high}",
                                low=money(filt.aum_min), high=money(filt.aum_max)), field="aum_min")
    for key in ("aum_min", "aum_max"):
        value = getattr(filt, key)
        if value is not None and value < 0:
            raise ValidationError(_("An AUM bound cannot be negative"), field=key)
    if filt.age_min is not None and filt.age_max is not None and filt.age_min > filt.age_max:
        raise ValidationError(_("The age range is upside down: {low} is above {high}", low=filt.age_min,
                                high=filt.age_max), field="age_min")
    for key in ("age_min", "age_max"):
        value = getattr(filt, key)
        if value is not None and not 0 <= value <= MAX_AGE:
            raise ValidationError(_("An age is between 0 and {n}", n=MAX_AGE), field=key)
    for key in ("no_purchase_days", "not_contacted_days"):
        value = getattr(filt, key)
        if value is not None and not 1 <= value <= MAX_DAYS:
            raise ValidationError(_("A number of days is between 1 and {n}", n=MAX_DAYS), field=key)
    if (filt.no_purchase_type is None) != (filt.no_purchase_days is None):
        raise ValidationError(_("'No purchase' needs both a product type and a number of days"),
                              field="no_purchase_type" if filt.no_purchase_type is None else "no_purchase_days")
    bad = [t for t in filt.tiers if t not in TIERS]
    if bad:
        raise ValidationError(_("Unknown tier: {value}", value=bad[0]), field="tiers")
    for key in ("products_held", "products_not_held"):
        bad = [t for t in getattr(filt, key) if t not in PRODUCT_TYPES]
        if bad:
            raise ValidationError(_("Unknown product type: {value}", value=bad[0]), field=key)
    if filt.no_purchase_type is not None and filt.no_purchase_type not in PRODUCT_TYPES:
        raise ValidationError(_("Unknown product type: {value}", value=filt.no_purchase_type), field="no_purchase_type")
    if filt.gender is not None and filt.gender not in GENDERS:
        raise ValidationError(_("Gender is M or F"), field="gender")
    # Contradictions.
    excluded = set(filt.tags_none)
    for key in ("tags_all", "tags_any"):
        both = [t for t in getattr(filt, key) if t in excluded]
        if both and (key == "tags_all" or set(filt.tags_any) <= excluded):
            raise ValidationError(_("The tag {tag} is both required and excluded: no customer can match",
                                    tag=both[0]), field="tags_none")
    both = sorted(set(filt.products_held) & set(filt.products_not_held))
    if both:
        raise ValidationError(_("{type} products are both required and excluded: no customer can match",
                                type=product_type_name(both[0])), field="products_not_held")
    return filt


# -- names ------------------------------------------------------------------------------------

def tier_word(tier: str) -> str:
    return {Tier.MASS: _c("tier", "mass"), Tier.VIP: _c("tier", "VIP"), Tier.WEALTH: _c("tier", "wealth"),
            Tier.PRIVATE: _c("tier", "private banking")}.get(tier, tier)


def product_type_name(value: str) -> str:
    return {
        ProductType.DEPOSIT: _("deposit"), ProductType.WEALTH: _("wealth management"), ProductType.FUND: _("fund"),
        ProductType.INSURANCE: _("insurance"), ProductType.LOAN: _("loan"),
        ProductType.CREDIT_CARD: _("credit card"), ProductType.METAL: _("precious metal"),
    }.get(value, value)


def money(value: Decimal | int) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _list(items, conjunction: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    sep = "、" if get_language() == "zh" else ", "
    return sep.join(items[:-1]) + conjunction + items[-1]


def _or(items) -> str:
    return _list(items, _(" or "))


def _and(items) -> str:
    return _list(items, _(" and "))


# -- the SQL ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    """Names in the filter looked up: tag ids, the branch's path, the RM's id."""

    tag_ids: dict[str, int] = field(default_factory=dict)
    org_path: str | None = None
    org_name: str | None = None
    rm_id: int | None = None
    rm_name: str | None = None


def resolve(session: Session, filt: CampaignFilter) -> Resolved:
    """Look up what the filter names; a tag, branch or RM that no longer exists is refused
    by name, so that the user can take it out of the filter."""
    names = set(filt.tags_any) | set(filt.tags_all) | set(filt.tags_none)
    tag_ids = {}
    if names:
        tag_ids = dict(session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(sorted(names)))).all())
        missing = sorted(names - set(tag_ids))
        if missing:
            key = next(k for k in ("tags_all", "tags_any", "tags_none") if missing[0] in getattr(filt, k))
            raise ValidationError(_("The tag {tag} no longer exists: take it out of the filter", tag=missing[0]),
                                  field=key)
    org_path = org_name = None
    if filt.org_code:
        row = session.execute(select(Organisation.path, Organisation.name)
                              .where(Organisation.code == filt.org_code)).first()
        if row is None:
            raise ValidationError(_("No organisation with code {code}", code=filt.org_code), field="org_code")
        org_path, org_name = row
    rm_id = rm_name = None
    if filt.rm_employee_no:
        row = session.execute(select(StaffUser.id, StaffUser.name, StaffUser.role)
                              .where(StaffUser.employee_no == filt.rm_employee_no)).first()
        if row is None or row.role not in (Role.RM, Role.MANAGER):
            raise ValidationError(_("No relationship manager with employee number {no}", no=filt.rm_employee_no),
                                  field="rm_employee_no")
        rm_id, rm_name = row.id, row.name
    return Resolved(tag_ids, org_path, org_name, rm_id, rm_name)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _tagged(tag_ids: list[int]):
    return select(CustomerTag.customer_id).where(
        CustomerTag.tag_id == tag_ids[0] if len(tag_ids) == 1 else CustomerTag.tag_id.in_(tag_ids))


def _without(ids, customer_id) -> ColumnElement[bool]:
    """Customers not among ``ids`` (a SELECT of ``customer_id``), as a correlated NOT EXISTS."""
    return ~ids.where(customer_id == Customer.id).exists()


def _holding(product_type: str, *, opened_since: date | None = None):
    stmt = (select(Account.customer_id).join(Product, Product.id == Account.product_id)
            .where(Product.product_type == product_type))
    if opened_since is None:
        return stmt.where(Account.status == "active")
    return stmt.where(Account.opened_on >= opened_since)


@dataclass(frozen=True)
class Condition:
    key: str  # the filter field it comes from
    label: str  # the words of the sentence for this condition
    clause: ColumnElement[bool]


def conditions(filt: CampaignFilter, resolved: Resolved, *, now: datetime) -> list[Condition]:
    """One WHERE clause on ``customer`` per condition, in the order of the sentence."""
    today = now.date()
    out: list[Condition] = []
    if filt.tiers:
        tiers = [t for t in TIERS if t in filt.tiers]
        out.append(Condition("tiers", _("{tiers} customers", tiers=_or(tier_word(t) for t in tiers)),
                             Customer.tier.in_(tiers) if len(tiers) > 1 else Customer.tier == tiers[0]))
    if filt.aum_min is not None or filt.aum_max is not None:
        low, high = filt.aum_min, filt.aum_max
        if low is not None and high is not None:
            label = _("with AUM {low}–{high}", low=money(low), high=money(high))
            clause = and_(Customer.aum_daily_avg >= low, Customer.aum_daily_avg <= high)
        elif low is not None:
            label, clause = _("with AUM at least {low}", low=money(low)), Customer.aum_daily_avg >= low
        else:
            label, clause = _("with AUM at most {high}", high=money(high)), Customer.aum_daily_avg <= high
        out.append(Condition("aum_min", label, clause))
    for name in filt.tags_all:
        out.append(Condition("tags_all", _("tagged {tags}", tags=name),
                             Customer.id.in_(_tagged([resolved.tag_ids[name]]))))
    if filt.tags_any:
        out.append(Condition("tags_any", _("tagged {tags}", tags=_or(filt.tags_any)),
                             Customer.id.in_(_tagged([resolved.tag_ids[n] for n in filt.tags_any]))))
    if filt.tags_none:
        out.append(Condition("tags_none", _("not tagged {tags}", tags=_or(filt.tags_none)),
                             _without(_tagged([resolved.tag_ids[n] for n in filt.tags_none]), CustomerTag.customer_id)))
    for ptype in filt.products_held:
        out.append(Condition("products_held", _("holding a {type} product", type=product_type_name(ptype)),
                             Customer.id.in_(_holding(ptype))))
    if filt.products_not_held:
        out.append(Condition("products_not_held", _("without a {type} product",
                                                     type=_or(product_type_name(t) for t in filt.products_not_held)),
                             and_(*(_without(_holding(t), Account.customer_id) for t in filt.products_not_held))))
    if filt.no_purchase_type is not None and filt.no_purchase_days is not None:
        since = today - timedelta(days=filt.no_purchase_days)
        out.append(Condition("no_purchase_type",
                             _("without a {type} product bought in the last {n} days",
                               type=product_type_name(filt.no_purchase_type), n=filt.no_purchase_days),
                             _without(_holding(filt.no_purchase_type, opened_since=since), Account.customer_id)))
    if filt.not_contacted_days is not None:
        since_at = now - timedelta(days=filt.not_contacted_days)
        out.append(Condition("not_contacted_days", _("not contacted in the last {n} days", n=filt.not_contacted_days),
                             _without(select(ServiceContact.customer_id).where(ServiceContact.at >= since_at),
                                      ServiceContact.customer_id)))
    if filt.age_min is not None or filt.age_max is not None:
        parts = []
        if filt.age_min is not None:  # at least age_min today: born on or before this day age_min years ago
            parts.append(Customer.birth_date <= years_before(today, filt.age_min))
        if filt.age_max is not None:  # not yet age_max + 1
            parts.append(Customer.birth_date > years_before(today, filt.age_max + 1))
        if filt.age_min is not None and filt.age_max is not None:
            label = _("aged {low}–{high}", low=filt.age_min, high=filt.age_max)
        elif filt.age_min is not None:
            label = _("aged {low} or over", low=filt.age_min)
        else:
            label = _("aged {high} or under", high=filt.age_max)
        out.append(Condition("age_min", label, and_(*parts)))
    if filt.gender is not None:
        out.append(Condition("gender", _("men only") if filt.gender == "M" else _("women only"), Customer.gender == filt.gender))
    if filt.occupations:
        out.append(Condition("occupations", _("working as {jobs}", jobs=_or(filt.occupations)),
                             Customer.occupation.in_(filt.occupations)))
    if resolved.org_path is not None:
        out.append(Condition("org_code", _("of {org} and below", org=resolved.org_name),
                             Customer.org_id.in_(org_subtree_ids(resolved.org_path))))
    if resolved.rm_id is not None:
        out.append(Condition("rm_employee_no", _("in {rm}'s book", rm=resolved.rm_name), Customer.rm_id == resolved.rm_id))
    return out


def where(conds: list[Condition]) -> ColumnElement[bool]:
    return and_(*(c.clause for c in conds)) if conds else and_(True)


def describe(filt: CampaignFilter, resolved: Resolved | None = None) -> str:
    """The filter as a sentence: "VIP or wealth customers with AUM 100,000–500,000, tagged 房贷客户, …"."""
    resolved = resolved or Resolved(tag_ids={n: 0 for n in (*filt.tags_any, *filt.tags_all, *filt.tags_none)},
                                    org_path="/" if filt.org_code else None, org_name=filt.org_code,
                                    rm_id=0 if filt.rm_employee_no else None, rm_name=filt.rm_employee_no)
    # The clauses are not used: a fixed date is enough to build the words.
    labels = [c.label for c in conditions(filt, resolved, now=datetime(2000, 1, 1))]
    if not labels:
        return _("All customers in the campaign's scope")
    if not filt.tiers:
        labels.insert(0, _("Customers of any tier"))
    sep = "，" if get_language() == "zh" else ", "
    first, rest = labels[0], labels[1:]
    if get_language() == "zh":
        text = sep.join([first, *rest])
    else:
        text = first[:1].upper() + first[1:] + ((" " + rest[0]) if rest else "") + "".join(sep + r for r in rest[1:])
    return text
