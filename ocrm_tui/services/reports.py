"""Management reports: the figures behind the reports screen and ``ocrm report NAME``.

Every report is one function ``(session, actor, period, scope, options) -> Report``, and a
``Report`` is plain data (tables of typed columns, with the chart that shows a table best)
that the screen draws, the command prints and ``exports`` writes to CSV or XLSX.

What a report covers:

- **Scope** (``resolve_scope``): an RM their own book (the customers they own, the tickets
  they handle, their campaign targets); a manager their branch subtree or one branch in
  it; an administrator the bank or one branch. Tellers have no reports.
- **Period** (``parse_period``): a month (2026-10), a quarter (2026Q3), a year (2026) or
  custom days (2026-01-15..2026-03-31). Ticket, login and campaign figures count the
  period's days; asset and channel figures are monthly (the months the period touches).
- Asset, channel and performance figures that read transactions and AUM come from the
  monthly summaries of ``reports_data`` (as of its last refresh, which each report states);
  the rest are read live.
- Customers are named by number and masked name (张*), in every report and file.

Definitions: AUM growth is the month-end AUM of the period's last month against that of
the month before the period; a ticket is within SLA when it was closed by its due time; the
time to respond runs from the ticket's creation to its first move to responded or closed;
a campaign's figures are those of ``campaigns`` (conversion = converted / targets; ROI only
for a whole list with a cost).
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time as day_time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session

from ocrm_tui.db.models import (
    Campaign,
    CampaignTarget,
    Customer,
    CustomerTag,
    LoginAttempt,
    Organisation,
    ReportAumMonth,
    ReportFalling,
    ReportTxnMonth,
    Role,
    StaffUser,
    Tag,
    TargetStatus,
    Ticket,
    TicketEvent,
    Tier,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.exports import Percent
from ocrm_tui.report_names import MANAGERS_ONLY, REPORT_NAMES
from ocrm_tui.services.settings import get_setting

READERS = frozenset({Role.RM, Role.MANAGER, Role.ADMIN})
TIERS_HIGH_FIRST = (Tier.PRIVATE, Tier.WEALTH, Tier.VIP, Tier.MASS)
VALUABLE = (Tier.VIP, Tier.WEALTH, Tier.PRIVATE)  # VIP and above
CHANNELS = ("counter", "atm", "pos", "phone", "online", "mobile")
LIST_LIMIT = 500  # customers or tickets listed on the screen; files hold them all
LOWEST_RATED = 20


def channel_label(channel: str) -> str:
    return {"counter": _("Counter"), "atm": _("ATM"), "pos": _("POS"), "phone": _("Phone banking"),
            "online": _("Online banking"), "mobile": _("Mobile banking")}.get(channel, channel)


def _tier_label(tier: str | None) -> str:
    from ocrm_tui.services.tiers import tier_label

    return "—" if tier is None else tier_label(tier)


# -- the period ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str  # month / quarter / year / custom
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    text: str  # as typed again: 2026-10, 2026Q3, 2026, 2026-01-15..2026-03-31

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.start.strftime("%Y-%m")
        if self.kind == "quarter":
            return _("{year} Q{quarter}", year=self.start.year, quarter=(self.start.month - 1) // 3 + 1)
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        out, m = [], self.start.replace(day=1)
        while m <= self.end:
            out.append(m)
            m = _add_months(m, 1)
        return out

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC times, for the figures counted by day."""
        return (datetime.combine(self.start, day_time(), timezone.utc),
                datetime.combine(self.end + timedelta(days=1), day_time(), timezone.utc))


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|–|~|to)\s*(\d{4}-\d{2}-\d{2})$")


def period_hint() -> str:
    return _("A period is a month (2026-10), a quarter (2026Q3), a year (2026) or days (2026-01-15..2026-03-31)")


def parse_period(value: str | None, today: date) -> Period:
    """The period a user typed; empty: this year so far."""
    text = (value or "").strip()
    if not text:
        return Period("year", date(today.year, 1, 1), date(today.year, 12, 31), str(today.year))
    try:
        if m := _MONTH.match(text):
            start = date(int(m[1]), int(m[2]), 1)
            period = Period("month", start, _month_end(start), start.strftime("%Y-%m"))
        elif m := _QUARTER.match(text):
            start = date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
            period = Period("quarter", start, _month_end(_add_months(start, 2)), f"{m[1]}Q{m[2]}")
        elif m := _YEAR.match(text):
            period = Period("year", date(int(m[1]), 1, 1), date(int(m[1]), 12, 31), m[1])
        elif m := _CUSTOM.match(text):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise ValidationError(_("The period ends before it starts"), field="period")
            period = Period("custom", start, end, f"{start.isoformat()}..{end.isoformat()}")
        else:
            raise ValidationError(period_hint(), field="period")
    except ValueError:  # 2026-13, 2026-02-30
        raise ValidationError(period_hint(), field="period") from None
    if period.start > today:
        raise ValidationError(_("The period {period} has not begun", period=period.label), field="period")
    return period


def period_choices(today: date) -> list[tuple[str, str]]:
    """(text, label) of the periods offered on the screen: this and the last month, quarter, year."""
    month = today.replace(day=1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last_quarter = _add_months(quarter, -3)
    out = [
        (str(today.year), _("This year")),
        (f"{today.year}Q{(today.month - 1) // 3 + 1}", _("This quarter")),
        (f"{last_quarter.year}Q{(last_quarter.month - 1) // 3 + 1}", _("Last quarter")),
        (month.strftime("%Y-%m"), _("This month")),
        (_add_months(month, -1).strftime("%Y-%m"), _("Last month")),
        (str(today.year - 1), _("Last year")),
    ]
    return out


# -- the scope ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    kind: str  # bank / org / rm
    label: str
    org_id: int | None = None
    org_path: str | None = None
    rm_id: int | None = None

    def customers(self):
        """A WHERE clause on Customer."""
        if self.kind == "rm":
            return Customer.rm_id == self.rm_id
        if self.kind == "org":
            return Customer.org_id.in_(self.org_ids())
        return literal(True)

    def org_ids(self):
        return select(Organisation.id).where(Organisation.path.startswith(self.org_path or "/", autoescape=True))

    def owner(self, model):
        """A WHERE clause on a summary table (or anything with org_id and rm_id columns)."""
        if self.kind == "rm":
            return model.rm_id == self.rm_id
        if self.kind == "org":
            return model.org_id.in_(self.org_ids())
        return literal(True)

    def staff(self):
        """A WHERE clause on StaffUser: the staff whose figures the scope shows."""
        if self.kind == "rm":
            return StaffUser.id == self.rm_id
        if self.kind == "org":
            return StaffUser.org_id.in_(self.org_ids())
        return literal(True)


def can_read(actor: Actor) -> bool:
    return actor.role in READERS


def resolve_scope(session: Session, actor: Actor, branch: str | None = None) -> Scope:
    """Whose figures the actor sees: an RM their own book; a manager their branch subtree or
    one branch in it; an administrator the bank or one branch."""
    if not can_read(actor):
        raise PermissionDenied(_("Reports are for relationship managers, managers and administrators"))
    code = (branch or "").strip()
    if actor.role == Role.RM:
        if code:
            raise PermissionDenied(_("A relationship manager's reports cover their own customers"))
        return Scope("rm", _("Customers of {name} ({no})", name=actor.name, no=actor.employee_no), rm_id=actor.id)
    if not code:
        if actor.role == Role.ADMIN:
            return Scope("bank", _("The whole bank"))
        org = session.get(Organisation, actor.org_id)
        return Scope("org", org.name, org.id, org.path)
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    mine = actor.role == Role.ADMIN or (org is not None and org.path.startswith(actor.org_path or "/"))
    if org is None or not mine:
        raise NotFoundError(_("No branch {code} in your scope", code=code))
    return Scope("org", org.name, org.id, org.path)


def branch_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the branches a manager or administrator may choose, their own first."""
    if actor.role not in (Role.MANAGER, Role.ADMIN):
        return []
    q = select(Organisation.code, Organisation.name, Organisation.path)
    if actor.role == Role.MANAGER:
        q = q.where(Organisation.path.startswith(actor.org_path or "/", autoescape=True))
    return [(code, name) for code, name, _path in session.execute(q.order_by(Organisation.path)).all()]


# -- what a report is ---------------------------------------------------------------------------

TEXT, INT, MONEY, PERCENT, NUMBER = "text", "int", "money", "percent", "number"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT  # text / int / money / percent / number (one decimal)


@dataclass(frozen=True)
class Chart:
    kind: str  # line / bar / stacked
    title: str
    x: list[str]
    series: list[tuple[str, list[float]]]
    unit: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[tuple]
    chart: Chart | None = None
    note: str = ""


@dataclass
class Report:
    name: str
    title: str
    period: Period
    scope: Scope
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    as_of: datetime | None = None  # the summaries' last refresh, for the reports that read them

    @property
    def subtitle(self) -> str:
        return _("{period} · {scope}", period=self.period.label, scope=self.scope.label)


def _pct(part, whole) -> Percent | None:
    return Percent(part / whole) if whole else None


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _wan(value) -> float:
    """CNY in 万 (ten thousands), for chart axes."""
    return round(float(value or 0) / 10_000, 2)


def _staff_label(name: str | None, no: str | None) -> str:
    return f"{name} ({no})" if name else "—"


def _summaries_note(session: Session) -> tuple[datetime | None, list[str]]:
    from ocrm_tui.services.reports_data import last_refresh

    at = last_refresh(session)
    if at is None:
        return None, [_("The monthly summaries have not been built yet: run `ocrm report refresh` (imports do it)")]
    return at, [_("Monthly figures as of {time} (refreshed after each import)",
                  time=at.astimezone().strftime("%Y-%m-%d %H:%M"))]


def _available_months(session: Session, period: Period) -> list[date]:
    """The period's months that the summaries hold."""
    last = session.scalar(select(func.max(ReportAumMonth.month)))
    return [m for m in period.months() if last is None or m <= last]


# -- assets by tier -----------------------------------------------------------------------------

def assets(session: Session, actor: Actor, period: Period, scope: Scope, *, today: date | None = None,
           **_options) -> Report:
    as_of, notes = _summaries_note(session)
    months = _available_months(session, period)
    r = ReportAumMonth
    rows = session.execute(
        select(r.month, r.tier, func.sum(r.customers), func.sum(r.aum), func.sum(r.aum_daily_avg))
        .where(r.month.in_(months), scope.owner(r)).group_by(r.month, r.tier)).all() if months else []
    by = {(m, t): (int(n or 0), _money(a), _money(d)) for m, t, n, a, d in rows}
    table_rows, series = [], {t: [] for t in TIERS_HIGH_FIRST}
    for m in months:
        total_n, total_a = 0, Decimal(0)
        for t in TIERS_HIGH_FIRST:
            n, a, d = by.get((m, t), (0, Decimal("0.00"), Decimal("0.00")))
            table_rows.append((m.strftime("%Y-%m"), _tier_label(t), n, a, d))
            series[t].append(_wan(a))
            total_n, total_a = total_n + n, total_a + a
        table_rows.append((m.strftime("%Y-%m"), _("All tiers"), total_n, total_a, None))
    trend = Table("trend", _("Assets by tier, month by month"),
                  [Column(_("Month")), Column(_("Tier")), Column(_("Number of customers"), INT), Column(_("Month-end AUM"), MONEY),
                   Column(_("Daily-average AUM"), MONEY)], table_rows,
                  Chart("line", _("Month-end AUM by tier (10,000 CNY)"), [m.strftime("%Y-%m") for m in months],
                        [(_tier_label(t), series[t]) for t in TIERS_HIGH_FIRST], _("10,000 CNY")))
    moves = session.execute(
        select(r.prev_tier, r.tier, func.sum(r.customers))
        .where(r.month.in_(months), scope.owner(r), r.prev_tier.is_not(None), r.prev_tier != r.tier)
        .group_by(r.prev_tier, r.tier)).all() if months else []
    rank = {t: i for i, t in enumerate(reversed(TIERS_HIGH_FIRST))}
    move_rows = sorted(((_tier_label(a), _tier_label(b), _("Up") if rank[b] > rank[a] else _("Down"), int(n))
                        for a, b, n in moves), key=lambda x: -x[3])
    movement = Table("movement", _("Movement between tiers"),
                     [Column(_("From")), Column(_("To")), Column(_("Direction")), Column(_("Number of customers"), INT)],
                     move_rows, note=_("Changes from one month to the next within the period; a customer who moved "
                                       "twice counts twice."))
    today = today or date.today()
    if len(months) < len([m for m in period.months() if m <= today]):
        notes.append(_("Months after {month} are not in the summaries yet", month=months[-1].strftime("%Y-%m"))
                     if months else _("No month of the period is in the summaries yet"))
    return Report("assets", title_of("assets"), period, scope, [trend, movement], notes, as_of)


def losing_assets(session: Session, actor: Actor, period: Period, scope: Scope, *, months: int | None = None,
                  limit: int | None = LIST_LIMIT, **_options) -> Report:
    as_of, notes = _summaries_note(session)
    n = months if months is not None else int(get_setting(session, "alert.aum_decline_months"))
    if not 2 <= n <= 11:
        raise ValidationError(_("Months in a row is 2–11"), field="months")
    f = ReportFalling
    where = [f.months >= n, scope.customers()]
    count = int(session.scalar(select(func.count()).select_from(f).join(Customer, Customer.id == f.customer_id)
                               .where(*where)) or 0)
    q = (select(Customer.customer_no, Customer.name, Customer.tier, StaffUser.name, StaffUser.employee_no, f.months,
                f.aum_from, f.aum_to, f.through)
         .join(Customer, Customer.id == f.customer_id).join(StaffUser, StaffUser.id == Customer.rm_id, isouter=True)
         .where(*where).order_by((f.aum_from - f.aum_to).desc(), Customer.customer_no))
    if limit is not None:
        q = q.limit(limit)
    rows, through = [], None
    for no, name, tier, rm, rm_no, k, before, after, through in session.execute(q).all():
        before, after = _money(before), _money(after)
        rows.append((no, masking.customer_name(name, no, mask=True), _tier_label(tier), _staff_label(rm, rm_no), int(k),
                     before, after, after - before, _pct(after - before, before)))
    table = Table("customers", _("Customers losing assets, {n} months in a row or more", n=n),
                  [Column(_("Customer no.")), Column(_("Name")), Column(_("Tier")), Column(_("RM")),
                   Column(_("Months falling"), INT), Column(_("Daily average before"), MONEY),
                   Column(_("Daily average now"), MONEY), Column(_("Change"), MONEY), Column(_("Change %"), PERCENT)],
                  rows, note=_("Largest falls first; {shown} of {count} customers shown", shown=len(rows), count=count))
    if through is not None:
        notes.append(_("Falls up to {month}, the last complete month of the summaries; the period does not apply",
                       month=through.strftime("%Y-%m")))
    return Report("losing-assets", title_of("losing-assets"), period, scope, [table], notes, as_of)


# -- campaigns ----------------------------------------------------------------------------------

class _Outcomes:
    """Targets, reached, took part, converted and converted amount of a group of targets, by the
    campaign metrics' definitions (``campaigns.REACHED`` …)."""

    def __init__(self) -> None:
        self.n = self.reached = self.took_part = self.converted = 0
        self.amount = Decimal(0)

    def add(self, status: str, n: int, amount) -> None:
        from ocrm_tui.services.campaigns import PARTICIPATED, REACHED

        self.n += n
        if status in REACHED:
            self.reached += n
        if status in PARTICIPATED:
            self.took_part += n
        if status == TargetStatus.CONVERTED:
            self.converted += n
            self.amount += Decimal(str(amount or 0))

    def cells(self) -> tuple:
        return (self.n, self.reached, _pct(self.reached, self.n), self.converted, _pct(self.converted, self.n),
                _money(self.amount))


def campaign_figures(session: Session, actor: Actor, period: Period, scope: Scope, **_options) -> Report:
    """Targets of the campaigns running in the period, in the scope: an RM's own targets, a
    branch's customers' targets. The targets are read once, grouped by campaign, tier and
    outcome; the tags once more, grouped by tag and outcome."""
    from ocrm_tui.services import campaigns as c

    overlap = and_(Campaign.status != "draft", or_(Campaign.starts_on.is_(None), Campaign.starts_on <= period.end),
                   or_(Campaign.ends_on.is_(None), Campaign.ends_on >= period.start))
    where = [overlap, c.campaign_scope(actor)]
    if scope.kind == "rm":
        where.append(CampaignTarget.rm_id == scope.rm_id)
    elif scope.kind == "org":
        where.append(Customer.org_id.in_(scope.org_ids()))
    amount = func.sum(CampaignTarget.converted_amount)
    grouped = session.execute(
        select(CampaignTarget.campaign_id, Customer.tier, CampaignTarget.status, func.count(), amount)
        .select_from(CampaignTarget).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .join(Customer, Customer.id == CampaignTarget.customer_id).where(*where)
        .group_by(CampaignTarget.campaign_id, Customer.tier, CampaignTarget.status)).all()
    per: dict[int, _Outcomes] = defaultdict(_Outcomes)
    tiers: dict[str, _Outcomes] = defaultdict(_Outcomes)
    for cid, tier, status, n, total in grouped:
        per[cid].add(status, int(n), total)
        tiers[tier].add(status, int(n), total)
    info = {i: (name, status, cost) for i, name, status, cost in session.execute(
        select(Campaign.id, Campaign.name, Campaign.status, Campaign.actual_cost).where(Campaign.id.in_(list(per)))
    ).all()} if per else {}
    whole = dict(session.execute(select(CampaignTarget.campaign_id, func.count())
                                 .where(CampaignTarget.campaign_id.in_(list(per)))
                                 .group_by(CampaignTarget.campaign_id)).all()) if per else {}
    rows, names, rates = [], [], []
    for cid in sorted(per):
        o = per[cid]
        name, status, cost = info[cid]
        cost = _money(cost)
        roi = Percent((o.amount - cost) / cost) if cost and whole.get(cid) == o.n else None
        rows.append((cid, name, c.status_name(status), *o.cells(), cost, roi))
        names.append(f"{cid} {name}")
        rates.append(round(o.converted / o.n * 100, 2) if o.n else 0.0)
    cols = [Column(_("Targets"), INT), Column(_("Contacted"), INT), Column(_("Contact rate"), PERCENT),
            Column(_("Conversions"), INT), Column(_("Conversion rate"), PERCENT), Column(_("Converted amount"), MONEY)]
    by_campaign = Table("campaigns", _("Conversion and ROI by campaign"),
                        [Column(_("No."), INT), Column(_("Campaign name")), Column(_("Status")), *cols, Column(_("Cost"), MONEY),
                         Column(_("ROI"), PERCENT)], rows,
                        Chart("bar", _("Conversion rate by campaign (%)"), names, [(_("Conversion rate"), rates)], "%"),
                        note=_("ROI is shown for a whole list with a cost recorded; a share of a list has none."))
    by_tier = Table("tiers", _("By tier"), [Column(_("Tier")), *cols],
                    [(_tier_label(t), *tiers[t].cells()) for t in TIERS_HIGH_FIRST if t in tiers])
    tags: dict[str, _Outcomes] = defaultdict(_Outcomes)
    if per:
        # The targets first (one row per customer and outcome), then their tags: the database
        # walks the targets in scope and looks up each one's tags, not every tagged customer.
        targets = (select(CampaignTarget.customer_id.label("customer_id"), CampaignTarget.status.label("status"),
                          func.count().label("n"), amount.label("amount"))
                   .select_from(CampaignTarget).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
                   .join(Customer, Customer.id == CampaignTarget.customer_id).where(*where)
                   .group_by(CampaignTarget.customer_id, CampaignTarget.status).subquery())
        names = dict(session.execute(select(Tag.id, Tag.name)).all())
        for tag_id, status, n, total in session.execute(
                select(CustomerTag.tag_id, targets.c.status, func.sum(targets.c.n), func.sum(targets.c.amount))
                .select_from(targets).join(CustomerTag, CustomerTag.customer_id == targets.c.customer_id)
                .group_by(CustomerTag.tag_id, targets.c.status)).all():
            tags[names[tag_id]].add(status, int(n), total)
    largest = sorted(tags, key=lambda t: (-tags[t].n, t))[:30]
    by_tag = Table("tags", _("By tag"), [Column(_("Tag")), *cols], [(t, *tags[t].cells()) for t in largest],
                   note=_("A customer counts under each of their tags; the 30 largest tags."))
    notes = [_("Campaigns running at any time in the period, drafts left out")]
    return Report("campaigns", title_of("campaigns"), period, scope, [by_campaign, by_tier, by_tag], notes)


# -- service ------------------------------------------------------------------------------------

def _ticket_scope(scope: Scope):
    if scope.kind == "rm":
        return Ticket.assignee_id == scope.rm_id
    if scope.kind == "org":
        return Ticket.org_id.in_(scope.org_ids())
    return literal(True)


def _hours(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)


def _ticket_facts(session: Session, period: Period, scope: Scope):
    """Per ticket created in the period: (id, type, assignee, closed in SLA, closed, seconds to
    respond, seconds to close, rating)."""
    start, end = period.bounds()
    first = (select(TicketEvent.ticket_id, func.min(TicketEvent.at).label("at"))
             .where(TicketEvent.kind == "status", TicketEvent.to_value.in_(("responded", "closed")))
             .group_by(TicketEvent.ticket_id).subquery())
    rows = session.execute(
        select(Ticket.id, Ticket.type, Ticket.assignee_id, Ticket.created_at, Ticket.closed_at, Ticket.due_at,
               Ticket.rating, first.c.at)
        .join(first, first.c.ticket_id == Ticket.id, isouter=True)
        .where(Ticket.created_at >= start, Ticket.created_at < end, _ticket_scope(scope))).all()
    return rows


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    if a.tzinfo is None:
        a = a.replace(tzinfo=timezone.utc)
    if b.tzinfo is None:
        b = b.replace(tzinfo=timezone.utc)
    return (b - a).total_seconds()


class _Tally:
    def __init__(self) -> None:
        self.n = self.closed = self.in_sla = self.rated = 0
        self.respond: list[float] = []
        self.close: list[float] = []
        self.ratings = 0

    def add(self, created, closed_at, due_at, rating, responded) -> None:
        self.n += 1
        if closed_at is not None:
            self.closed += 1
            self.close.append(_seconds(created, closed_at))
            if _seconds(closed_at, due_at) >= 0:
                self.in_sla += 1
        if responded is not None:
            self.respond.append(_seconds(created, responded))
        if rating is not None:
            self.rated += 1
            self.ratings += rating

    def cells(self) -> tuple:
        def mean(xs):
            return _hours(sum(xs) / len(xs)) if xs else None

        return (self.n, self.closed, _pct(self.in_sla, self.closed), mean(self.respond), mean(self.close), self.rated,
                round(self.ratings / self.rated, 2) if self.rated else None)


def service(session: Session, actor: Actor, period: Period, scope: Scope, *, limit: int | None = LOWEST_RATED,
            **_options) -> Report:
    from ocrm_tui.services.tickets import ticket_number, type_name

    facts = _ticket_facts(session, period, scope)
    by_type: dict[str, _Tally] = defaultdict(_Tally)
    by_handler: dict[int | None, _Tally] = defaultdict(_Tally)
    total = _Tally()
    for _id, kind, assignee, created, closed_at, due_at, rating, responded in facts:
        for tally in (by_type[kind], by_handler[assignee], total):
            tally.add(created, closed_at, due_at, rating, responded)
    measures = [Column(_("Tickets"), INT), Column(_("Closed"), INT), Column(_("Within SLA"), PERCENT),
                Column(_("Hours to respond"), NUMBER), Column(_("Hours to close"), NUMBER), Column(_("Rated"), INT),
                Column(_("Satisfaction (1–5)"), NUMBER)]
    type_rows = [(type_name(k), *by_type[k].cells()) for k in ("consultation", "complaint", "suggestion") if k in by_type]
    type_rows += [(type_name(k), *t.cells()) for k, t in by_type.items() if k not in ("consultation", "complaint", "suggestion")]
    if facts:
        type_rows.append((_("All types"), *total.cells()))
    by_type_table = Table("types", _("Tickets by type"), [Column(_("Type")), *measures], type_rows,
                          Chart("bar", _("Tickets by type"), [r[0] for r in type_rows if r[0] != _("All types")],
                                [(_("Tickets"), [float(r[1]) for r in type_rows if r[0] != _("All types")]),
                                 (_("Closed"), [float(r[2]) for r in type_rows if r[0] != _("All types")])]))
    staff = dict((i, (n, no)) for i, n, no in session.execute(
        select(StaffUser.id, StaffUser.name, StaffUser.employee_no)
        .where(StaffUser.id.in_([k for k in by_handler if k is not None]))).all()) if by_handler else {}
    handler_rows = sorted(((_staff_label(*staff.get(k, (None, None))) if k is not None else _("Unassigned"), *t.cells())
                           for k, t in by_handler.items()), key=lambda r: (r[7] is None, -(r[7] or 0), r[0]))
    by_handler_table = Table("handlers", _("Satisfaction by handler"), [Column(_("Handler")), *measures], handler_rows,
                             Chart("bar", _("Satisfaction by handler (1–5)"), [r[0] for r in handler_rows if r[7] is not None],
                                   [(_("Satisfaction"), [float(r[7]) for r in handler_rows if r[7] is not None])]))
    start, end = period.bounds()
    q = (select(Ticket.id, Ticket.type, Ticket.rating, Ticket.rating_comment, Ticket.subject, Ticket.rated_at,
                Customer.customer_no, Customer.name, StaffUser.name, StaffUser.employee_no)
         .join(Customer, Customer.id == Ticket.customer_id)
         .join(StaffUser, StaffUser.id == Ticket.assignee_id, isouter=True)
         .where(Ticket.created_at >= start, Ticket.created_at < end, _ticket_scope(scope), Ticket.rating <= 2)
         .order_by(Ticket.rating, Ticket.rated_at.desc(), Ticket.id))
    if limit is not None:
        q = q.limit(limit)
    low = [(ticket_number(i), type_name(k), int(rating), comment or "—", subject, masking.customer_name(name, no, mask=True),
            _staff_label(h, h_no)) for i, k, rating, comment, subject, _at, no, name, h, h_no in session.execute(q).all()]
    lowest = Table("lowest", _("Lowest-rated tickets"),
                   [Column(_("Ticket")), Column(_("Type")), Column(_("Rating"), INT), Column(_("Cause (the customer's words)")),
                    Column(_("Subject")), Column(_("Customer")), Column(_("Handler"))], low,
                   note=_("Rated 1 or 2, lowest first"))
    notes = [_("Tickets raised in the period; within SLA: closed by the due time, of the closed ones")]
    return Report("service", title_of("service"), period, scope, [by_type_table, by_handler_table, lowest], notes)


# -- staff and branch performance ---------------------------------------------------------------

def _aum_by(session: Session, scope: Scope, month: date, key) -> dict:
    r = ReportAumMonth
    return {k: _money(v) for k, v in session.execute(
        select(key(r), func.sum(r.aum)).where(r.month == month, scope.owner(r)).group_by(key(r))).all()}


def _growth_months(session: Session, period: Period) -> tuple[date | None, date | None]:
    """(the month before the period, the period's last month in the summaries)."""
    months = _available_months(session, period)
    return (_add_months(period.start.replace(day=1), -1), months[-1]) if months else (None, None)


def _login_counts(session: Session, period: Period, staff_filter) -> dict[int, int]:
    start, end = period.bounds()
    return dict(session.execute(
        select(LoginAttempt.user_id, func.count())
        .join(StaffUser, StaffUser.id == LoginAttempt.user_id)
        .where(LoginAttempt.success.is_(True), LoginAttempt.purpose == "login", LoginAttempt.at >= start,
               LoginAttempt.at < end, staff_filter)
        .group_by(LoginAttempt.user_id)).all())


def _months_in(period: Period, today: date) -> int:
    """Months of the period up to today (a login target is per month)."""
    end = min(period.end, today)
    return max(1, (end.year - period.start.year) * 12 + end.month - period.start.month + 1)


def staff(session: Session, actor: Actor, period: Period, scope: Scope, *, today: date | None = None,
          **_options) -> Report:
    as_of, notes = _summaries_note(session)
    today = today or date.today()
    target = int(get_setting(session, "report.login_target"))
    people = session.execute(
        select(StaffUser.id, StaffUser.name, StaffUser.employee_no, StaffUser.role, Organisation.name)
        .join(Organisation, Organisation.id == StaffUser.org_id)
        .where(StaffUser.active.is_(True), scope.staff()).order_by(Organisation.path, StaffUser.employee_no)).all()
    ids = [p[0] for p in people]
    book = defaultdict(lambda: [0, 0])
    for rm, tier, n in session.execute(select(Customer.rm_id, Customer.tier, func.count())
                                       .where(Customer.rm_id.in_(ids)).group_by(Customer.rm_id, Customer.tier)).all():
        book[rm][0] += n
        if tier in VALUABLE:
            book[rm][1] += n
    before, last = _growth_months(session, period)
    aum_start = _aum_by(session, scope, before, lambda r: r.rm_id) if before else {}
    aum_end = _aum_by(session, scope, last, lambda r: r.rm_id) if last else {}
    start, end = period.bounds()
    closed = dict(session.execute(select(Ticket.assignee_id, func.count())
                                  .where(Ticket.assignee_id.in_(ids), Ticket.closed_at >= start, Ticket.closed_at < end)
                                  .group_by(Ticket.assignee_id)).all()) if ids else {}
    converted = dict(session.execute(
        select(CampaignTarget.rm_id, func.count())
        .where(CampaignTarget.rm_id.in_(ids), CampaignTarget.status == TargetStatus.CONVERTED,
               CampaignTarget.updated_at >= start, CampaignTarget.updated_at < end)
        .group_by(CampaignTarget.rm_id)).all()) if ids else {}
    logins = _login_counts(session, period, scope.staff())
    months = _months_in(period, today)
    from ocrm_tui.services.tickets import role_name

    rows = []
    for uid, name, no, role, org in people:
        n, valuable = book.get(uid, (0, 0))
        a0, a1 = aum_start.get(uid), aum_end.get(uid)
        per_month = round(logins.get(uid, 0) / months, 1)
        rows.append((_staff_label(name, no), role_name(role), org, n, _pct(valuable, n), a0, a1,
                     _pct(a1 - a0, a0) if a0 and a1 is not None else None, int(closed.get(uid, 0)),
                     int(converted.get(uid, 0)), int(logins.get(uid, 0)), per_month,
                     _("yes") if per_month >= target else _("no")))
    table = Table("staff", _("Staff performance"),
                  [Column(_("Staff")), Column(_("Role")), Column(_("Branch")), Column(_("Number of customers"), INT),
                   Column(_("VIP and above"), PERCENT), Column(_("AUM before"), MONEY), Column(_("AUM at end"), MONEY),
                   Column(_("AUM growth"), PERCENT), Column(_("Tickets closed"), INT), Column(_("Conversions"), INT),
                   Column(_("Logins"), INT), Column(_("Logins a month"), NUMBER),
                   Column(_("Meets target ({n})", n=target))], rows,
                  Chart("bar", _("Logins a month against the target of {n}", n=target), [r[0] for r in rows],
                        [(_("Logins a month"), [float(r[11]) for r in rows]), (_("Target"), [float(target)] * len(rows))]))
    if before and last:
        notes.append(_("AUM growth: month-end AUM of {last} against {before}", last=last.strftime("%Y-%m"),
                       before=before.strftime("%Y-%m")))
    notes.append(_("Customers are the book today; tickets, conversions and logins count the period's days"))
    return Report("staff", title_of("staff"), period, scope, [table], notes, as_of)


def branches(session: Session, actor: Actor, period: Period, scope: Scope, *, today: date | None = None,
             **_options) -> Report:
    if scope.kind == "rm":
        raise PermissionDenied(_("Branch performance is for managers and administrators"))
    as_of, notes = _summaries_note(session)
    today = today or date.today()
    target = int(get_setting(session, "report.login_target"))
    orgs = session.execute(select(Organisation.id, Organisation.code, Organisation.name, Organisation.path,
                                  Organisation.parent_id).order_by(Organisation.path)).all()
    root = scope.org_id
    children = [o for o in orgs if o.parent_id == root] if root is not None else [o for o in orgs if o.parent_id is None]
    if root is None and len(children) == 1:  # the head office: its branches
        children = [o for o in orgs if o.parent_id == children[0].id]
    if not children:  # an outlet: itself
        children = [o for o in orgs if o.id == root]
    unit_of: dict[int, int] = {}
    for o in orgs:
        for ch in children:
            if o.path.startswith(ch.path):
                unit_of[o.id] = ch.id
    # The node above the branches (the scope's own branch, the head office) keeps customers and
    # staff of its own: a row of their own, so that the rows add up to the whole scope.
    top = [o for o in orgs if o.id not in unit_of and (root is None or o.id == root)]
    for o in top:
        unit_of[o.id] = o.id
    book = defaultdict(lambda: [0, 0])
    for org_id, tier, n in session.execute(select(Customer.org_id, Customer.tier, func.count())
                                           .where(scope.customers()).group_by(Customer.org_id, Customer.tier)).all():
        if org_id in unit_of:
            book[unit_of[org_id]][0] += n
            if tier in VALUABLE:
                book[unit_of[org_id]][1] += n

    def by_unit(values: dict) -> dict:
        out: dict = defaultdict(lambda: Decimal(0))
        for org_id, v in values.items():
            if org_id in unit_of:
                out[unit_of[org_id]] += v
        return out

    before, last = _growth_months(session, period)
    a0 = by_unit(_aum_by(session, scope, before, lambda r: r.org_id)) if before else {}
    a1 = by_unit(_aum_by(session, scope, last, lambda r: r.org_id)) if last else {}
    start, end = period.bounds()
    closed = by_unit(dict(session.execute(select(Ticket.org_id, func.count())
                                          .where(_ticket_scope(scope), Ticket.closed_at >= start, Ticket.closed_at < end)
                                          .group_by(Ticket.org_id)).all()))
    converted = by_unit(dict(session.execute(
        select(Customer.org_id, func.count()).select_from(CampaignTarget)
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .where(scope.customers(), CampaignTarget.status == TargetStatus.CONVERTED,
               CampaignTarget.updated_at >= start, CampaignTarget.updated_at < end)
        .group_by(Customer.org_id)).all()))
    staff_orgs = dict(session.execute(select(StaffUser.id, StaffUser.org_id)
                                      .where(StaffUser.active.is_(True), scope.staff())).all())
    staff_count: dict[int, int] = defaultdict(int)
    for _uid, org_id in staff_orgs.items():
        if org_id in unit_of:
            staff_count[unit_of[org_id]] += 1
    logins: dict[int, int] = defaultdict(int)
    for uid, n in _login_counts(session, period, scope.staff()).items():
        if staff_orgs.get(uid) in unit_of:
            logins[unit_of[staff_orgs[uid]]] += n
    months = _months_in(period, today)
    rows = []
    for ch in [*children, *top]:
        own = ch in top
        if own and not (book.get(ch.id) or staff_count.get(ch.id) or closed.get(ch.id) or converted.get(ch.id)):
            continue
        n, valuable = book.get(ch.id, (0, 0))
        s0, s1 = a0.get(ch.id), a1.get(ch.id)
        people = staff_count.get(ch.id, 0)
        per = round(logins.get(ch.id, 0) / people / months, 1) if people else None
        rows.append((ch.code, _("{name} (itself)", name=ch.name) if own else ch.name, n, _pct(valuable, n), s0, s1, _pct(s1 - s0, s0) if s0 and s1 is not None else None,
                     int(closed.get(ch.id, 0)), int(converted.get(ch.id, 0)), people, per))
    table = Table("branches", _("Branch performance"),
                  [Column(_("Code")), Column(_("Branch")), Column(_("Number of customers"), INT), Column(_("VIP and above"), PERCENT),
                   Column(_("AUM before"), MONEY), Column(_("AUM at end"), MONEY), Column(_("AUM growth"), PERCENT),
                   Column(_("Tickets closed"), INT), Column(_("Conversions"), INT), Column(_("Staff"), INT),
                   Column(_("Logins a month per staff"), NUMBER)], rows,
                  Chart("bar", _("Month-end AUM by branch (10,000 CNY)"), [r[1] for r in rows],
                        [(_("AUM before"), [_wan(r[4]) for r in rows]), (_("AUM at end"), [_wan(r[5]) for r in rows])],
                        _("10,000 CNY")),
                  note=_("Login target: {n} a month per staff member", n=target))
    if before and last:
        notes.append(_("AUM growth: month-end AUM of {last} against {before}", last=last.strftime("%Y-%m"),
                       before=before.strftime("%Y-%m")))
    return Report("branches", title_of("branches"), period, scope, [table], notes, as_of)


# -- channels -----------------------------------------------------------------------------------

def channels(session: Session, actor: Actor, period: Period, scope: Scope, **_options) -> Report:
    as_of, notes = _summaries_note(session)
    months = period.months()
    t = ReportTxnMonth
    rows = session.execute(
        select(t.month, t.channel, t.direction, func.sum(t.txn_count), func.sum(t.amount))
        .where(t.month >= months[0], t.month <= months[-1], scope.owner(t))
        .group_by(t.month, t.channel, t.direction)).all()
    cell: dict = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    seen_months, seen_channels = set(), set()
    for m, ch, direction, n, amount in rows:
        m = m if isinstance(m, date) else date.fromisoformat(str(m))
        entry = cell[(m, ch)]
        entry[0] += int(n or 0)
        entry[1 if direction == "in" else 2] += _money(amount)
        seen_months.add(m)
        seen_channels.add(ch)
    shown_months = [m for m in months if m in seen_months]
    order = [c for c in CHANNELS if c in seen_channels] + sorted(seen_channels - set(CHANNELS))
    month_rows = []
    for m in shown_months:
        for ch in order:
            n, money_in, money_out = cell.get((m, ch), (0, Decimal("0.00"), Decimal("0.00")))
            month_rows.append((m.strftime("%Y-%m"), channel_label(ch), n, _money(money_in), _money(money_out)))
    by_month = Table("months", _("Transactions by channel and month"),
                     [Column(_("Month")), Column(_("Channel")), Column(_("Transactions"), INT),
                      Column(_("Money in"), MONEY), Column(_("Money out"), MONEY)], month_rows,
                     Chart("stacked", _("Transactions by channel and month"), [m.strftime("%Y-%m") for m in shown_months],
                           [(channel_label(ch), [float(cell.get((m, ch), (0,))[0]) for m in shown_months]) for ch in order]))
    totals = []
    all_n = sum(v[0] for v in cell.values())
    for ch in order:
        n = sum(cell[(m, ch)][0] for m in shown_months if (m, ch) in cell)
        money_in = sum((cell[(m, ch)][1] for m in shown_months if (m, ch) in cell), Decimal(0))
        money_out = sum((cell[(m, ch)][2] for m in shown_months if (m, ch) in cell), Decimal(0))
        totals.append((channel_label(ch), n, _pct(n, all_n), _money(money_in), _money(money_out)))
    by_channel = Table("channels", _("Share of each channel"),
                       [Column(_("Channel")), Column(_("Transactions"), INT), Column(_("Share"), PERCENT),
                        Column(_("Money in"), MONEY), Column(_("Money out"), MONEY)], totals,
                       Chart("bar", _("Share of transactions by channel (%)"), [r[0] for r in totals],
                             [(_("Share"), [round(float(r[2] or 0) * 100, 2) for r in totals])], "%"))
    if period.kind == "custom":
        notes.append(_("Counted in whole months: {first} to {last}", first=months[0].strftime("%Y-%m"),
                       last=months[-1].strftime("%Y-%m")))
    return Report("channels", title_of("channels"), period, scope, [by_month, by_channel], notes, as_of)


# -- the list of reports ------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportKind:
    name: str
    title: Callable[[], str]
    describe: Callable[[], str]
    build: Callable[..., Report]
    managers_only: bool = False


_BUILDERS = {"assets": assets, "losing-assets": losing_assets, "campaigns": campaign_figures, "service": service,
             "staff": staff, "branches": branches, "channels": channels}
KINDS: dict[str, ReportKind] = {
    name: ReportKind(name, title, describe, _BUILDERS[name], managers_only=name in MANAGERS_ONLY)
    for name, (title, describe) in REPORT_NAMES.items()}
NAMES = tuple(KINDS)


def title_of(name: str) -> str:
    return KINDS[name].title()


def available(actor: Actor) -> list[ReportKind]:
    """The reports the actor may open, in menu order."""
    if not can_read(actor):
        return []
    return [k for k in KINDS.values() if not (k.managers_only and actor.role == Role.RM)]


def run(session: Session, actor: Actor, name: str, period: Period, *, branch: str | None = None,
        today: date | None = None, **options) -> Report:
    """The report ``name`` for the actor, over the period, in their scope (or the branch chosen)."""
    kind = KINDS.get(name)
    if kind is None:
        raise ValidationError(_("No report {name}; the reports are: {names}", name=name, names=", ".join(NAMES)),
                              field="report")
    scope = resolve_scope(session, actor, branch)
    return kind.build(session, actor, period, scope, today=today, **options)


# -- files ----------------------------------------------------------------------------------------

def report_sheets(report: Report) -> list:
    """The report as sheets: what it covers first, then each table."""
    from ocrm_tui.services.exports import Sheet

    about = [(_("Report"), report.title), (_("Period"), report.period.label), (_("Scope"), report.scope.label)]
    if report.as_of is not None:
        about.append((_("Monthly figures as of"), report.as_of))
    about += [(_("Note"), n) for n in report.notes]
    sheets = [Sheet(_("Report"), [_("Item"), _("Value")], about)]
    for t in report.tables:
        sheets.append(Sheet(t.title, [c.header for c in t.columns], t.rows))
    return sheets


def export_report(session: Session, actor: Actor, report: Report, path, fmt: str, *, overwrite: bool = False,
                  clock=None) -> "ExportResult":  # noqa: F821
    """Write a report as CSV or XLSX (customers masked, as on screen); one audit event with the
    report, period, scope, row count and the file's SHA-256."""
    from ocrm_tui.services import audit, exports
    from ocrm_tui.services.campaign_reports import exporter_label, finish_export
    from ocrm_tui.services.clock import system_clock

    clock = clock or system_clock
    fmt = exports.check_format(fmt, path)
    audit.acting_as(session, actor, clock=clock)
    staged = exports.stage(path, fmt, report_sheets(report), exported_by=exporter_label(actor), exported_at=clock(),
                           overwrite=overwrite)
    try:
        audit.log_event(session, "export.report", "report", report.name, {
            "report": report.name, "period": report.period.text, "scope": report.scope.label, "format": fmt,
            "rows": staged.result.rows, "sha256": staged.result.sha256, "masked": True, "file": staged.target.name})
        return finish_export(session, staged)
    except BaseException:
        staged.discard()
        raise
