"""The work platform (F5): today's work of one member of staff, in one reading.

Sections by role:

- those who work tickets (RMs, managers): their open tickets overdue or due today; open
  alerts (risk signals) by severity; reminders (birthdays, maturities, the service cycle,
  customers returned to the pool, colleagues' requests for help); campaign targets still
  to contact, per live campaign;
- a teller: the counter queue (the open tickets they raised), alerts and reminders;
- an administrator: alerts and reminders no one in particular was given;
- managers and administrators also: the access requests waiting for their decision, the
  oldest first (``access.pending_for``: the rule of who decides is the access service's).

Each item says where Enter takes the user (a ticket, a customer, a campaign's list) and,
for alerts and reminders, which alert can be handled. The counts are of everything, the
items at most ``limit`` per section, most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from ocrm_tui.db.models import Role
from ocrm_tui.i18n import _
from ocrm_tui.services import access, alerts, campaigns, tickets
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import system_clock

SEVERITIES = alerts.SEVERITIES  # most urgent first
LIMIT = 100  # items per section


def sections_for(actor: Actor) -> tuple[str, ...]:
    if actor.role == Role.TELLER:
        return ("counter", "alerts", "reminders")
    if actor.role == Role.ADMIN:
        return ("alerts", "reminders", "access")
    if actor.role == Role.MANAGER:
        return ("tickets", "alerts", "reminders", "campaigns", "access")
    return ("tickets", "alerts", "reminders", "campaigns")


def section_name(section: str) -> str:
    return {"tickets": _("Tickets due"), "counter": _("Counter queue"), "alerts": _("Alerts"),
            "reminders": _("Reminders"), "campaigns": _("To contact"), "access": _("To decide"),
            "all": _("All")}.get(section, section)


@dataclass(frozen=True)
class WorkItem:
    section: str
    key: str  # unique among the items: "ticket:12", "alert:5", "campaign:3"
    severity: str  # high / medium / low: how urgent, for the mark and the order
    what: str  # the kind of item, in the reader's language
    customer: str  # the customer as the reader may see them ("" when there is none)
    detail: str
    when: datetime | date | None  # due time or day
    opens: tuple[str, int] | None  # ("ticket" | "customer" | "campaign" | "access", id): where Enter goes
    alert_id: int | None = None  # an alert or reminder that can be handled


@dataclass(frozen=True)
class Today:
    sections: tuple[str, ...]
    counts: dict[str, int]  # section → items in all (not only those listed)
    breakdown: dict[str, dict[str, int]]  # section → its parts (overdue / due today; high / medium / low; …)
    items: list[WorkItem]  # sections in order, each most urgent first
    now: datetime

    def total(self, section: str) -> int:
        """How many items a section holds in all (a campaign is one item however many targets
        it has to contact); "all": every section's."""
        if section == "all":
            return sum(self.total(s) for s in self.sections)
        if section == "campaigns":
            return self.breakdown.get("campaigns", {}).get("campaigns", 0)
        return self.counts.get(section, 0)

    def of(self, section: str) -> list[WorkItem]:
        """A section's items; "all": every item, the most urgent first (by severity, then in
        section order)."""
        if section == "all":
            return sorted(self.items, key=lambda i: SEVERITIES.index(i.severity) if i.severity in SEVERITIES else 3)
        return [i for i in self.items if i.section == section]


def _ticket_items(session: Session, actor: Actor, now: datetime, limit: int) -> tuple[list[WorkItem], dict[str, int]]:
    rows, counts = tickets.today_tickets(session, actor, limit=limit, now=now)
    section = "counter" if actor.role == Role.TELLER else "tickets"
    items = []
    for r in rows:
        overdue = r.sla == "overdue"
        what = (_("Overdue ticket") if overdue else _("Due today")) if section == "tickets" \
            else tickets.status_name(r.status)
        severity = "high" if overdue else ("medium" if section == "tickets" or r.priority == "high" else "low")
        items.append(WorkItem(section, f"ticket:{r.id}", severity, what, r.customer_name,
                              f"{r.number} · {tickets.type_name(r.type)} · {r.subject}", r.due_at, ("ticket", r.id)))
    return items, counts


def _own_kinds_shown_elsewhere(actor: Actor) -> tuple[str, ...]:
    """Alert kinds the platform shows as themselves: those who work tickets see their overdue
    tickets in the tickets section, so their own overdue-ticket alerts are not listed again."""
    return (alerts.TICKET_OVERDUE,) if "tickets" in sections_for(actor) else ()


def _alert_items(session: Session, actor: Actor, category: str, now: datetime, limit: int) -> list[WorkItem]:
    section = "alerts" if category == "alert" else "reminders"
    items = []
    for a in alerts.open_alerts(session, actor, category=category, limit=limit, now=now,
                                exclude_own=_own_kinds_shown_elsewhere(actor)):
        if a.kind.startswith("ticket.") and a.entity == "ticket":
            opens = ("ticket", int(a.entity_id))
        elif a.customer_id is not None and a.kind != "pool.returned":
            opens = ("customer", a.customer_id)
        else:
            opens = None  # a customer back in the pool is no longer the reader's
        items.append(WorkItem(section, f"alert:{a.id}", a.severity, a.kind_text, a.customer_name or "", a.text,
                              a.due_on, opens, alert_id=a.id))
    return items


def _campaign_items(session: Session, actor: Actor) -> tuple[list[WorkItem], int]:
    items, pending = [], 0
    for c in campaigns.list_campaigns(session, actor, status=campaigns.ACTIVE):
        if c.mine_pending:
            pending += c.mine_pending
            items.append(WorkItem("campaigns", f"campaign:{c.id}", "low",
                                  _("{n} to contact", n=f"{c.mine_pending:,}"), "", c.name, c.ends_on,
                                  ("campaign", c.id)))
    return items, pending


def _access_items(session: Session, actor: Actor, now: datetime, limit: int) -> tuple[list[WorkItem], dict[str, int]]:
    """Access requests waiting for the actor's decision, the oldest first: someone cannot work
    until it is decided."""
    items, kinds = [], {access.CUSTOMERS: 0, access.EXPORT: 0}
    for r in access.pending_for(session, actor, clock=lambda: now, limit=limit):
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
        if r.kind == access.EXPORT:
            what, asked = _("Export approval"), r.export_what or ""
        else:
            what = _("Access request")
            n = len(r.customer_nos)
            asked = (_("1 customer") if n == 1 else _("{n} customers", n=f"{n:,}")) if n \
                else _("Search: {search}", search=r.search or "")
        detail = f"{r.requester_name} ({r.requester_no}) · {asked} · {_('{n} h', n=r.hours)} · {r.reason}"
        items.append(WorkItem("access", f"access:{r.id}", "medium", what, "", detail, r.requested_at, ("access", r.id)))
    return items, kinds


def today(session: Session, actor: Actor, *, limit: int = LIMIT, now: datetime | None = None) -> Today:
    """Everything on the actor's work platform now."""
    now = now or system_clock()
    shown = sections_for(actor)
    items: list[WorkItem] = []
    counts: dict[str, int] = {}
    breakdown: dict[str, dict[str, int]] = {}
    if "tickets" in shown or "counter" in shown:
        ticket_items, ticket_counts = _ticket_items(session, actor, now, limit)
        section = "counter" if "counter" in shown else "tickets"
        items += ticket_items
        counts[section] = sum(ticket_counts.values())
        breakdown[section] = ticket_counts
    by_severity = alerts.open_counts(session, actor, exclude_own=_own_kinds_shown_elsewhere(actor))
    for category, section in (("alert", "alerts"), ("reminder", "reminders")):
        numbers = {s: int(by_severity.get(category, {}).get(s, 0)) for s in SEVERITIES}
        counts[section] = sum(numbers.values())
        breakdown[section] = numbers
        items += _alert_items(session, actor, category, now, limit)
    if "campaigns" in shown:
        campaign_items, pending = _campaign_items(session, actor)
        items += campaign_items[:limit]
        counts["campaigns"] = pending
        breakdown["campaigns"] = {"campaigns": len(campaign_items)}
    if "access" in shown:
        access_items, kinds = _access_items(session, actor, now, limit)
        items += access_items
        counts["access"] = access.pending_count(session, actor, clock=lambda: now)
        breakdown["access"] = kinds
    return Today(sections=shown, counts=counts, breakdown=breakdown, items=items, now=now)
