"""Alerts and reminders (风险预警与服务提醒): the rules that raise them, who gets them, handling them.

A scan (``ocrm alerts scan``, a scheduled job) applies every rule to the whole
bank with the thresholds in settings (``alert.*``), one set-based query per rule, and
raises each alert once: its ``dedupe_key`` names what it is about (a transaction, a
customer's month, an account's maturity date, a birthday's year, a customer's last
contact), so running the scan again adds nothing. An alert goes to the customer's RM,
else to the nearest manager above the customer's branch, else to the branch itself.

The addressee records what was done (contacted, product offered, escalated, no action
with a reason); a handled alert leaves the open list. Raising is audited as one event per
scan, handling as one event per alert. What an alert says is written in the reader's
language when it is read, from its kind and the records it names; the stored message (in
the language of whoever raised it) is kept for kinds without such a text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from sqlalchemy import and_, case, extract, func, or_, select, true, update
from sqlmodel import Session

from ocrm_tui.db.models import (
    Account,
    Alert,
    AumSnapshot,
    Customer,
    Organisation,
    Product,
    Role,
    ServiceContact,
    StaffUser,
    Ticket,
    TicketHelp,
    Tier,
    Transaction,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.scope import org_subtree_ids
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.validation import normalise_text

LARGE_OUTFLOW = "txn.large_outflow"
AUM_DECLINE = "aum.decline"
MATURITY = "product.maturity"
BIRTHDAY = "customer.birthday"
NO_CONTACT = "customer.no_contact"
TICKET_OVERDUE = "ticket.overdue"  # raised by tickets.sla_scan
TICKET_HELP = "ticket.help"  # raised when a colleague asks for help on a ticket
POOL_RETURNED = "pool.returned"  # raised by the pool sweep
KINDS = (LARGE_OUTFLOW, AUM_DECLINE, MATURITY, BIRTHDAY, NO_CONTACT, TICKET_OVERDUE, TICKET_HELP, POOL_RETURNED)

ALERT, REMINDER = "alert", "reminder"
CATEGORIES = (ALERT, REMINDER)
# Risk signals; every other kind (including one this version does not know) is a reminder.
RISK_KINDS = frozenset({LARGE_OUTFLOW, AUM_DECLINE, TICKET_OVERDUE})

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITIES = (HIGH, MEDIUM, LOW)
DEFAULT_SEVERITY = {
    LARGE_OUTFLOW: HIGH,
    AUM_DECLINE: MEDIUM,  # high for a private-banking customer (a churn risk)
    MATURITY: MEDIUM,
    BIRTHDAY: LOW,
    NO_CONTACT: MEDIUM,
    TICKET_OVERDUE: MEDIUM,  # the scan gives the ticket's priority
    TICKET_HELP: MEDIUM,
    POOL_RETURNED: MEDIUM,
}

ACTIONS = ("contacted", "product_offered", "escalated", "no_action")
NOTE_MAX = 500
MESSAGE_MAX = 500
PAGE_SIZE = 50
VALUABLE_TIERS = (Tier.WEALTH, Tier.PRIVATE)
BATCH = 1000  # alerts inserted per statement
KEY_BATCH = 5000  # keys looked up per statement
NEVER = "never"  # the last-contact part of a no-contact alert's key for a customer never contacted


# -- vocabulary ---------------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return {
        LARGE_OUTFLOW: _("Large outflow"),
        AUM_DECLINE: _("Assets falling"),
        MATURITY: _("Product maturing"),
        BIRTHDAY: _("Birthday"),
        NO_CONTACT: _("Service contact due"),
        TICKET_OVERDUE: _("Ticket overdue"),
        TICKET_HELP: _("Help requested"),
        POOL_RETURNED: _("Returned to the pool"),
    }.get(kind, kind)


def category(kind: str) -> str:
    """"alert" for a risk signal (a large outflow, falling assets, an overdue ticket), else "reminder"."""
    return ALERT if kind in RISK_KINDS else REMINDER


_category_of = category  # open_alerts takes a ``category`` filter by that name


def category_label(value: str) -> str:
    return {ALERT: _("Alerts"), REMINDER: _("Reminders")}.get(value, value)


def default_severity(kind: str) -> str:
    return DEFAULT_SEVERITY.get(kind, MEDIUM)


def severity_label(severity: str) -> str:
    return {HIGH: _("High"), MEDIUM: _("Medium"), LOW: _("Low")}.get(severity, severity)


def action_label(action: str) -> str:
    return {
        "contacted": _("Contacted"),
        "product_offered": _("Product offered"),
        "escalated": _("Escalated"),
        "no_action": _("No action needed"),
    }.get(action, action)


# -- raising --------------------------------------------------------------------------------------

_alert = Alert.__table__  # type: ignore[attr-defined]


# The columns a new alert is written with (the rest are NULL until it is read or handled).
_NEW_COLUMNS = ("kind", "dedupe_key", "customer_id", "user_id", "org_id", "entity", "entity_id", "message",
                "severity", "due_on", "created_at")
COPY_FROM = 200  # alerts at once from which PostgreSQL takes them by COPY


def _insert(session: Session, rows: list[dict]) -> int:
    """Insert alerts whose key is not taken yet; a key raised meanwhile by a scan elsewhere is
    skipped, not an error. Returns how many were inserted."""
    if not rows:
        return 0
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        if len(rows) >= COPY_FROM:
            return _copy_insert(conn, rows)
        from sqlalchemy.dialects.postgresql import insert

        stmt = insert(_alert).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_alert.c.id)
        return len(session.execute(stmt, rows).all())
    from sqlalchemy.dialects.sqlite import insert

    # SQLite's executemany counts the rows it inserted (a skipped key counts none).
    stmt = insert(_alert).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return sum(session.execute(stmt, rows[start:start + BATCH]).rowcount for start in range(0, len(rows), BATCH))


def _copy_insert(conn, rows: list[dict]) -> int:
    """Many alerts on PostgreSQL: COPY into a temporary table, then one INSERT … SELECT. A
    multi-row INSERT spent ~150 µs a row binding its parameters; this ~25 µs (docs/BENCHMARKS.md)."""
    columns = ", ".join(_NEW_COLUMNS)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE alert_new ON COMMIT DROP AS SELECT {columns} FROM alert WITH NO DATA")
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY alert_new ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in _NEW_COLUMNS))
    raised = conn.exec_driver_sql(f"INSERT INTO alert ({columns}) SELECT {columns} FROM alert_new "
                                  "ON CONFLICT (dedupe_key) DO NOTHING").rowcount
    conn.exec_driver_sql("DROP TABLE alert_new")
    return raised


def _known(session: Session, keys: list[str]) -> set[str]:
    """Which of these keys are raised already (PostgreSQL: one array parameter instead of a
    parameter per key, ~5x faster for a thousand keys)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import String, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        match = Alert.dedupe_key == any_(bindparam("keys", keys, type_=ARRAY(String)))
    else:
        match = Alert.dedupe_key.in_(keys)
    return set(session.scalars(select(Alert.dedupe_key).where(match)).all())


def _row(*, kind: str, dedupe_key: str, customer_id, user_id, org_id, entity: str, entity_id, message: str,
         severity: str | None, due_on: date | None, now: datetime) -> dict:
    return dict(kind=kind, dedupe_key=dedupe_key, customer_id=customer_id, user_id=user_id, org_id=org_id,
                entity=entity, entity_id=str(entity_id), message=message[:MESSAGE_MAX],
                severity=severity or default_severity(kind), due_on=due_on, created_at=now, read_at=None,
                handled_at=None, handled_by=None, action=None, action_note=None)


def raise_alert(session: Session, *, kind: str, dedupe_key: str, customer_id: int | None = None,
                user_id: int | None = None, org_id: int | None = None, entity: str, entity_id, message: str,
                severity: str | None = None, due_on: date | None = None, now: datetime) -> bool:
    """Raise one alert unless one with the same key exists (True when raised). Safe when another
    terminal raises the same alert at the same moment. The caller commits."""
    return _insert(session, [_row(kind=kind, dedupe_key=dedupe_key, customer_id=customer_id, user_id=user_id,
                                  org_id=org_id, entity=entity, entity_id=entity_id, message=message,
                                  severity=severity, due_on=due_on, now=now)]) == 1


# -- who gets a customer's alerts -------------------------------------------------------------------

def _nearest(org_id: int | None, parents: dict[int, int | None], managers: dict[int, int]) -> int | None:
    """The manager of the node or of the nearest node above it that has one."""
    for _step in range(64):  # deeper than any organisation tree; a broken tree cannot loop
        if org_id is None:
            return None
        if org_id in managers:
            return managers[org_id]
        org_id = parents.get(org_id)
    return None


def _managers(session: Session, org_ids: Iterable[int] | None = None) -> dict[int, int]:
    """The active manager of each node (the longest-serving account when there are several)."""
    stmt = (select(StaffUser.org_id, func.min(StaffUser.id))
            .where(StaffUser.role == Role.MANAGER, StaffUser.active.is_(True)).group_by(StaffUser.org_id))
    if org_ids is not None:
        stmt = stmt.where(StaffUser.org_id.in_(list(org_ids)))
    return {org: uid for org, uid in session.execute(stmt)}


def addressee(session: Session, customer_id: int) -> tuple[int | None, int]:
    """Who takes a customer's alerts: (the customer's RM, their branch); without an active RM,
    the nearest active manager at or above the customer's branch; without one, nobody — the
    alert stays with the branch (``org_id``) for its managers and administrators."""
    row = session.execute(select(Customer.rm_id, Customer.org_id, StaffUser.active, Organisation.path)
                          .join(Organisation, Organisation.id == Customer.org_id)
                          .join(StaffUser, StaffUser.id == Customer.rm_id, isouter=True)
                          .where(Customer.id == customer_id)).first()
    if row is None:
        raise NotFoundError(_("No such customer, or not in your customers"))
    rm_id, org_id, rm_active, path = row
    if rm_id is not None and rm_active:
        return rm_id, org_id
    codes = [code for code in path.split("/") if code]
    parents = dict(session.execute(select(Organisation.id, Organisation.parent_id)
                                   .where(Organisation.code.in_(codes))).all())
    return _nearest(org_id, parents, _managers(session, parents)), org_id


class _Addressees:
    """The same rule for a whole scan: the active staff and every node's nearest manager, read once."""

    def __init__(self, session: Session):
        self.active = set(session.scalars(select(StaffUser.id).where(StaffUser.active.is_(True))).all())
        parents = dict(session.execute(select(Organisation.id, Organisation.parent_id)).all())
        managers = _managers(session)
        self.manager = {org: _nearest(org, parents, managers) for org in parents}

    def of(self, rm_id: int | None, org_id: int) -> tuple[int | None, int]:
        if rm_id is not None and rm_id in self.active:
            return rm_id, org_id
        return self.manager.get(org_id), org_id


# -- what an alert says --------------------------------------------------------------------------------

def _money(amount) -> str:
    return f"{Decimal(str(amount)):,.2f}"


def _local_day(at: datetime) -> date:
    return at.astimezone().date()


def outflow_text(amount, posted_at: datetime) -> str:
    return _("Single outflow of {amount} CNY on {date}", amount=_money(amount), date=_local_day(posted_at).isoformat())


def decline_text(months: int, start, end, month: date) -> str:
    return _("Daily-average assets down {months} months in a row, from {start} to {end} CNY in {month}",
             months=months, start=_money(start), end=_money(end), month=month.strftime("%Y-%m"))


def maturity_text(product: str, account_no: str, matures_on: date) -> str:
    return _("{product} (account {account}) matures on {date}", product=product,
             account=masking.mask_account(account_no), date=matures_on.isoformat())


def birthday_text(birthday: date, birth_date: date | None) -> str:
    if birth_date is None:
        return _("Birthday on {date}", date=birthday.isoformat())
    return _("Birthday on {date} (turns {age})", date=birthday.isoformat(), age=birthday.year - birth_date.year)


def no_contact_text(last_on: date | None, today: date) -> str:
    if last_on is None:
        return _("No service contact on record")
    return _("No contact for {days} days (last on {date})", days=(today - last_on).days, date=last_on.isoformat())


def _ticket_number(ticket_id: int) -> str:
    from ocrm_tui.services.tickets import ticket_number

    return ticket_number(ticket_id)


def overdue_text(ticket_id: int, due_at: datetime, subject: str) -> str:
    return _("Ticket {no} is overdue (due {due}): {subject}", no=_ticket_number(ticket_id),
             due=due_at.astimezone().strftime("%Y-%m-%d %H:%M"), subject=subject)


def help_text(who: str, ticket_id: int, task: str) -> str:
    return _("{who} asks for your help on ticket {no}: {task}", who=who, no=_ticket_number(ticket_id), task=task)


def _key_tail(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def _int_ids(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _months_back(month: date, n: int) -> date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return date(y, m + 1, 1)


class _Texts:
    """The records a page of alerts names, read with one query per kind, and each alert's text."""

    def __init__(self, session: Session, rows: Sequence, today: date):
        self.today = today
        by_kind: dict[str, list] = {}
        for r in rows:
            by_kind.setdefault(r.kind, []).append(r)
        def entity_ids(kind: str) -> list[int]:
            return _int_ids(r.entity_id for r in by_kind.get(kind, []))

        self.txns = self._read(session, entity_ids(LARGE_OUTFLOW), lambda ids: select(
            Transaction.id, Transaction.amount, Transaction.posted_at).where(Transaction.id.in_(ids)))
        self.accounts = self._read(session, entity_ids(MATURITY), lambda ids: select(
            Account.id, Product.name, Account.account_no).join(Product, Product.id == Account.product_id)
            .where(Account.id.in_(ids)))
        self.tickets = self._read(session, entity_ids(TICKET_OVERDUE), lambda ids: select(
            Ticket.id, Ticket.due_at, Ticket.subject).where(Ticket.id.in_(ids)))
        # A request for help is named by its key (the alert's entity is the ticket).
        help_ids = _int_ids(_key_tail(r.dedupe_key) for r in by_kind.get(TICKET_HELP, []))
        self.helps = self._read(session, help_ids, lambda ids: select(
            TicketHelp.id, StaffUser.name, TicketHelp.ticket_id, TicketHelp.task)
            .join(StaffUser, StaffUser.id == TicketHelp.requested_by).where(TicketHelp.id.in_(ids)))
        self.snapshots = self._snapshots(session, by_kind.get(AUM_DECLINE, []))

    @staticmethod
    def _read(session: Session, ids: list[int], query) -> dict[int, tuple]:
        return {r[0]: tuple(r[1:]) for r in session.execute(query(ids))} if ids else {}

    @staticmethod
    def _snapshots(session: Session, rows) -> dict[int, dict[date, Decimal]]:
        """Two years of monthly averages before each customer's month: enough to tell how long the fall was."""
        months = [r.due_on for r in rows if r.due_on is not None and r.customer_id is not None]
        if not months:
            return {}
        out: dict[int, dict[date, Decimal]] = {}
        for cid, month, avg in session.execute(
                select(AumSnapshot.customer_id, AumSnapshot.month, AumSnapshot.aum_daily_avg)
                .where(AumSnapshot.customer_id.in_({r.customer_id for r in rows}),
                       AumSnapshot.month >= _months_back(min(months), 24), AumSnapshot.month <= max(months))):
            out.setdefault(cid, {})[month] = avg
        return out

    def text(self, r) -> str:
        try:
            made = self._make(r)
        except (KeyError, ValueError, TypeError):
            made = None
        return made if made is not None else r.message

    def _make(self, r) -> str | None:
        kind = r.kind
        if kind == LARGE_OUTFLOW:
            amount, posted_at = self.txns[int(r.entity_id)]
            return outflow_text(amount, posted_at)
        if kind == MATURITY:
            product, account_no = self.accounts[int(r.entity_id)]
            return maturity_text(product, account_no, r.due_on)
        if kind == BIRTHDAY:
            return birthday_text(r.due_on, r.birth_date) if r.due_on else None
        if kind == NO_CONTACT:
            tail = _key_tail(r.dedupe_key)
            return no_contact_text(None if tail == NEVER else date.fromisoformat(tail), self.today)
        if kind == TICKET_OVERDUE:
            due_at, subject = self.tickets[int(r.entity_id)]
            return overdue_text(int(r.entity_id), due_at, subject)
        if kind == TICKET_HELP:
            who, ticket_id, task = self.helps[int(_key_tail(r.dedupe_key))]
            return help_text(who, ticket_id, task)
        if kind == AUM_DECLINE:
            return self._decline(r)
        return None

    def _decline(self, r) -> str | None:
        series = self.snapshots.get(r.customer_id, {})
        month = r.due_on
        months = 0
        while (month in series and _months_back(month, 1) in series
               and series[month] < series[_months_back(month, 1)]):
            months += 1
            month = _months_back(month, 1)
        if months == 0:
            return None
        return decline_text(months, series[month], series[r.due_on], r.due_on)


# -- reading the open alerts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenAlert:
    id: int
    kind: str
    kind_text: str
    category: str  # alert / reminder
    severity: str  # high / medium / low
    customer_id: int | None
    customer_no: str | None
    customer_name: str  # as the reader may see it ("" when the alert names no customer)
    text: str  # in the reader's language
    due_on: date | None
    created_at: datetime
    entity: str
    entity_id: str


def _open_for(actor: Actor):
    """Unhandled alerts addressed to the actor; a manager also has the unaddressed alerts of their
    branch subtree, an administrator every unaddressed alert."""
    mine = Alert.user_id == actor.id if actor.id is not None else Alert.user_id.is_(None)
    if actor.role == Role.ADMIN:
        mine = or_(mine, Alert.user_id.is_(None))
    elif actor.role == Role.MANAGER:
        mine = or_(mine, and_(Alert.user_id.is_(None), Alert.org_id.in_(org_subtree_ids(actor.org_path or "/"))))
    return and_(mine, Alert.handled_at.is_(None))


def _is_risk():
    return Alert.kind.in_(sorted(RISK_KINDS))


def _not_own(actor: Actor, kinds: Collection[str]):
    """Leave out the actor's own alerts of these kinds (the work platform lists the actor's
    overdue tickets themselves: their overdue alerts would say the same twice)."""
    return ~and_(Alert.kind.in_(sorted(kinds)), Alert.user_id == actor.id) if kinds and actor.id is not None \
        else true()


def _filters(actor: Actor, category_: str | None, severity: str | None, exclude_own: Collection[str] = ()) -> list:
    clauses = [_open_for(actor), _not_own(actor, exclude_own)]
    if category_ == ALERT:
        clauses.append(_is_risk())
    elif category_ == REMINDER:
        clauses.append(~_is_risk())
    elif category_ is not None:
        raise ValidationError(_("Unknown category {value}", value=category_), field="category")
    if severity is not None:
        if severity not in SEVERITIES:
            raise ValidationError(_("Unknown severity {value}", value=severity), field="severity")
        clauses.append(Alert.severity == severity)
    return clauses


def open_alerts(session: Session, actor: Actor, *, category: str | None = None, severity: str | None = None,
                limit: int = PAGE_SIZE, offset: int = 0, now: datetime | None = None,
                exclude_own: Collection[str] = ()) -> list[OpenAlert]:
    """The actor's open alerts, most severe first, then by the day they are about, then newest
    (``exclude_own``: kinds of the actor's own alerts to leave out)."""
    now = now or system_clock()
    rank = case((Alert.severity == HIGH, 0), (Alert.severity == MEDIUM, 1), else_=2)
    rows = session.execute(
        select(Alert.id, Alert.kind, Alert.severity, Alert.customer_id, Customer.customer_no, Customer.name,
               Customer.birth_date, Alert.message, Alert.due_on, Alert.created_at, Alert.entity, Alert.entity_id,
               Alert.dedupe_key)
        .join(Customer, Customer.id == Alert.customer_id, isouter=True)
        .where(*_filters(actor, category, severity, exclude_own))
        .order_by(rank, Alert.due_on.is_(None), Alert.due_on, Alert.created_at.desc(), Alert.id.desc())
        .limit(limit).offset(offset)).all()
    texts = _Texts(session, rows, _local_day(now))
    teller = actor.role == Role.TELLER
    return [OpenAlert(
        id=r.id, kind=r.kind, kind_text=kind_label(r.kind), category=_category_of(r.kind),
        severity=r.severity, customer_id=r.customer_id, customer_no=r.customer_no,
        customer_name=masking.customer_name(r.name, r.customer_no, mask=teller) if r.customer_no else "",
        text=texts.text(r), due_on=r.due_on, created_at=r.created_at, entity=r.entity, entity_id=r.entity_id)
        for r in rows]


def open_counts(session: Session, actor: Actor, *, exclude_own: Collection[str] = ()) -> dict[str, dict[str, int]]:
    """How many open alerts the actor has, by category and severity."""
    cat = case((_is_risk(), ALERT), else_=REMINDER)
    counts = {c: {s: 0 for s in SEVERITIES} for c in CATEGORIES}
    for c, severity, n in session.execute(select(cat, Alert.severity, func.count())
                                          .where(_open_for(actor), _not_own(actor, exclude_own))
                                          .group_by(cat, Alert.severity)):
        if severity in counts[c]:
            counts[c][severity] += int(n)
    return counts


# -- handling an alert -----------------------------------------------------------------------------------

def _org_in_subtree(session: Session, actor: Actor, org_id: int | None) -> bool:
    if org_id is None:
        return False
    path = session.scalar(select(Organisation.path).where(Organisation.id == org_id))
    return path is not None and path.startswith(actor.org_path or "/")


def may_handle(session: Session, actor: Actor, alert: Alert) -> bool:
    """The addressee; for an unaddressed alert a manager of its branch or an administrator; a
    manager also for the RMs of their branch subtree."""
    if actor.id is not None and alert.user_id == actor.id:
        return True
    if alert.user_id is None:
        return actor.is_admin or (actor.role == Role.MANAGER and _org_in_subtree(session, actor, alert.org_id))
    if actor.role == Role.MANAGER:
        staff = session.get(StaffUser, alert.user_id)
        return staff is not None and staff.role == Role.RM and _org_in_subtree(session, actor, staff.org_id)
    return False


def _handled_message(session: Session, alert_id: int) -> str:
    row = session.execute(select(StaffUser.name, Alert.handled_at, Alert.action)
                          .join(StaffUser, StaffUser.id == Alert.handled_by, isouter=True)
                          .where(Alert.id == alert_id)).one()
    return _("{who} already handled this alert on {time} ({action})", who=row[0] or _("someone else"),
             time=row[1].astimezone().strftime("%Y-%m-%d %H:%M"), action=action_label(row[2] or ""))


def _check_action(action: str, note: str | None) -> str | None:
    if action not in ACTIONS:
        raise ValidationError(_("Unknown action {action}; choose one of: {choices}", action=action,
                                choices=", ".join(ACTIONS)), field="action")
    note = normalise_text(note or "") or None
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationError(_("The note is too long (at most {n} characters)", n=NOTE_MAX), field="note")
    if action == "no_action" and note is None:
        raise ValidationError(_("Say why no action is needed"), field="note")
    return note


def handle_alert(session: Session, actor: Actor, alert_id: int, action: str, note: str | None = None, *,
                 clock: Clock = system_clock) -> None:
    """Record what was done about an alert: it leaves the open list. "contacted" also records a
    phone contact with the customer (the service cycle starts again). Audited; commits."""
    note = _check_action(action, note)
    if actor.id is None:
        raise PermissionDenied(_("An alert is handled by a member of staff, not from the server"))
    alert = session.get(Alert, alert_id)
    if alert is None or not may_handle(session, actor, alert):
        raise NotFoundError(_("No such alert, or not for you"))
    if alert.handled_at is not None:
        raise StaleRecordError(_handled_message(session, alert_id))
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    done = session.execute(update(Alert).where(Alert.id == alert_id, Alert.handled_at.is_(None))
                           .values(handled_at=now, handled_by=actor.id, action=action, action_note=note,
                                   read_at=func.coalesce(Alert.read_at, now))
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # handled by a colleague at the same moment
        session.rollback()
        raise StaleRecordError(_handled_message(session, alert_id))
    # Alerts are not audited row by row (scans raise them in bulk): handling is one event.
    audit.log_event(session, "alert.handle", "alert", alert_id, {
        "kind": alert.kind, "customer_id": alert.customer_id,
        "action": [None, action], "action_note": [None, note],
        "handled_by": [None, actor.id], "handled_at": [None, now.isoformat()]})
    if action == "contacted" and alert.customer_id is not None:
        session.add(ServiceContact(customer_id=alert.customer_id, user_id=actor.id, at=now, kind="phone",
                                   note=note or kind_label(alert.kind)))
    session.commit()


# -- the scan -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanResult:
    raised: int
    by_kind: dict[str, int]  # every kind the scan raises, 0 included
    seconds: float


class _Hit(NamedTuple):
    """A rule's finding before it is an alert: what it is about and for whose customer. Its
    text is written only when it is new (a daily scan finds mostly what it raised before)."""

    key: str
    customer_id: int
    rm_id: int | None
    org_id: int
    entity: str
    entity_id: int
    severity: str | None
    due_on: date | None
    text: Callable[[], str]


@dataclass(frozen=True)
class _Scan:
    today: date
    now: datetime
    settings: dict

    def setting(self, name: str):
        return self.settings[f"alert.{name}"]


def _valuable():
    return Customer.tier.in_([t.value for t in VALUABLE_TIERS])


def _large_outflows(session: Session, scan: _Scan) -> list[_Hit]:
    """Each single outflow at or above the threshold from a wealth or private customer, posted in the last days."""
    since = scan.now - timedelta(days=scan.setting("outflow_days"))
    threshold = Decimal(str(scan.setting("large_outflow")))
    rows = session.execute(
        select(Transaction.id, Transaction.customer_id, Transaction.amount, Transaction.posted_at,
               Customer.rm_id, Customer.org_id)
        .join(Customer, Customer.id == Transaction.customer_id)
        .where(Transaction.posted_at >= since, Transaction.posted_at <= scan.now, Transaction.direction == "out",
               Transaction.amount >= threshold, _valuable()))
    return [_Hit(f"{LARGE_OUTFLOW}:{r.id}", r.customer_id, r.rm_id, r.org_id, "txn", r.id, None,
                 _local_day(r.posted_at), partial(outflow_text, r.amount, r.posted_at)) for r in rows]


def _aum_declines(session: Session, scan: _Scan) -> list[_Hit]:
    """Customers whose monthly daily-average AUM fell N months in a row up to the last complete month.

    One pass over the snapshots of those N+1 months, one row per customer with a column per month."""
    n = max(1, int(scan.setting("aum_decline_months")))
    last = _months_back(scan.today.replace(day=1), 1)
    months = [_months_back(last, k) for k in range(n + 1)]  # newest first
    s = AumSnapshot.__table__  # type: ignore[attr-defined]
    cols = [func.max(case((s.c.month == m, s.c.aum_daily_avg))).label(f"m{k}") for k, m in enumerate(months)]
    per_customer = (select(s.c.customer_id, *cols).where(s.c.month >= months[-1], s.c.month <= months[0])
                    .group_by(s.c.customer_id).subquery())
    falling = and_(*(per_customer.c[f"m{k}"] < per_customer.c[f"m{k + 1}"] for k in range(n)))
    percent = Decimal(str(scan.setting("aum_decline_percent")))
    if percent > 0:  # and by enough over the months in all
        falling = and_(falling, per_customer.c.m0 <= per_customer.c[f"m{n}"] * (1 - percent / 100))
    rows = session.execute(
        select(per_customer.c.customer_id, per_customer.c.m0, per_customer.c[f"m{n}"], Customer.rm_id,
               Customer.org_id, Customer.tier)
        .join(Customer, Customer.id == per_customer.c.customer_id).where(falling))
    return [_Hit(f"{AUM_DECLINE}:{r[0]}:{last:%Y-%m}", r[0], r.rm_id, r.org_id, "customer", r[0],
                 HIGH if r.tier == Tier.PRIVATE else MEDIUM, last, partial(decline_text, n, r[2], r[1], last)) for r in rows]


def _maturities(session: Session, scan: _Scan) -> list[_Hit]:
    """Active accounts maturing today or within the next days."""
    until = scan.today + timedelta(days=scan.setting("maturity_days"))
    rows = session.execute(
        select(Account.id, Account.customer_id, Account.account_no, Account.matures_on, Product.name,
               Customer.rm_id, Customer.org_id)
        .join(Product, Product.id == Account.product_id).join(Customer, Customer.id == Account.customer_id)
        .where(Account.matures_on >= scan.today, Account.matures_on <= until, Account.status == "active"))
    return [_Hit(f"{MATURITY}:{r.id}:{r.matures_on:%Y%m%d}", r.customer_id, r.rm_id, r.org_id, "account", r.id,
                 None, r.matures_on, partial(maturity_text, r.name, r.account_no, r.matures_on)) for r in rows]


def birthdays_in(today: date, days: int) -> dict[int, date]:
    """Month*100+day → the date it falls on, for today and the next ``days`` days. In a year
    without 29 February, those born on it celebrate on the 28th."""
    out: dict[int, date] = {}
    for i in range(days + 1):
        day = today + timedelta(days=i)
        out[day.month * 100 + day.day] = day
        if (day.month, day.day) == (2, 28) and (day + timedelta(days=1)).month == 3:
            out.setdefault(229, day)
    return out


def _birthdays(session: Session, scan: _Scan) -> list[_Hit]:
    """Customers whose birthday is today or within the next days (across the year end too)."""
    falls_on = birthdays_in(scan.today, int(scan.setting("birthday_days")))
    month_day = extract("month", Customer.birth_date) * 100 + extract("day", Customer.birth_date)
    rows = session.execute(select(Customer.id, Customer.birth_date, Customer.rm_id, Customer.org_id)
                           .where(month_day.in_(sorted(falls_on))))
    hits = []
    for r in rows:
        day = falls_on.get(r.birth_date.month * 100 + r.birth_date.day)
        if day is not None and day > r.birth_date:
            hits.append(_Hit(f"{BIRTHDAY}:{r.id}:{day.year}", r.id, r.rm_id, r.org_id, "customer", r.id, None, day,
                             partial(birthday_text, day, r.birth_date)))
    return hits


def _no_contacts(session: Session, scan: _Scan) -> list[_Hit]:
    """Wealth and private customers without a service contact for the set number of days. The key
    names the last contact: after the next contact and the next lapse, the reminder comes again."""
    days = int(scan.setting("no_contact_days"))
    cutoff = scan.now - timedelta(days=days)
    last = (select(func.max(ServiceContact.at)).where(ServiceContact.customer_id == Customer.id)
            .scalar_subquery())
    valuable = (select(Customer.id, Customer.rm_id, Customer.org_id, last.label("last_at"))
                .where(_valuable()).subquery())
    rows = session.execute(select(valuable).where(or_(valuable.c.last_at.is_(None), valuable.c.last_at <= cutoff)))
    hits = []
    for r in rows:
        last_on = _local_day(r.last_at) if r.last_at is not None else None
        hits.append(_Hit(f"{NO_CONTACT}:{r.id}:{last_on.isoformat() if last_on else NEVER}", r.id, r.rm_id,
                         r.org_id, "customer", r.id, None, last_on + timedelta(days=days) if last_on else None,
                         partial(no_contact_text, last_on, scan.today)))
    return hits


RULES = ((LARGE_OUTFLOW, _large_outflows), (AUM_DECLINE, _aum_declines), (MATURITY, _maturities),
         (BIRTHDAY, _birthdays), (NO_CONTACT, _no_contacts))


def _raise_hits(session: Session, kind: str, hits: list[_Hit], addressees: _Addressees, now: datetime) -> int:
    """Alerts for the findings not raised before (most are, on a scan that runs daily)."""
    rows = []
    for start in range(0, len(hits), KEY_BATCH):
        chunk = hits[start:start + KEY_BATCH]
        known = _known(session, [h.key for h in chunk])
        for h in chunk:
            if h.key in known:
                continue
            user_id, org_id = addressees.of(h.rm_id, h.org_id)
            rows.append(_row(kind=kind, dedupe_key=h.key, customer_id=h.customer_id, user_id=user_id,
                             org_id=org_id, entity=h.entity, entity_id=h.entity_id, message=h.text(),
                             severity=h.severity, due_on=h.due_on, now=now))
    return _insert(session, rows)


def scan(session: Session, actor: Actor, *, clock: Clock = system_clock) -> ScanResult:
    """Apply every alert rule to the whole bank (and the overdue-ticket scan) and raise what is new.

    Each rule commits on its own, so other terminals can write between rules; a scan that
    stops half-way is completed by the next. Running it again adds nothing."""
    from ocrm_tui.services import tickets

    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator runs the alert scan"))
    started = time.perf_counter()
    now = clock()
    settings = {key: get_setting(session, key) for key in (
        "alert.large_outflow", "alert.outflow_days", "alert.aum_decline_months", "alert.maturity_days",
        "alert.birthday_days", "alert.no_contact_days", "alert.aum_decline_percent")}
    state = _Scan(today=_local_day(now), now=now, settings=settings)
    addressees = _Addressees(session)
    by_kind: dict[str, int] = {}
    for kind, rule in RULES:
        by_kind[kind] = _raise_hits(session, kind, rule(session, state), addressees, now)
        session.commit()
    by_kind[TICKET_OVERDUE] = tickets.sla_scan(session, actor, clock=clock)
    raised = sum(by_kind.values())
    audit.acting_as(session, actor, clock=clock)
    audit.log_event(session, "alerts.scan", "alert", None, {"raised": raised, "on": state.today.isoformat(), **by_kind})
    session.commit()
    return ScanResult(raised=raised, by_kind=by_kind, seconds=time.perf_counter() - started)
