"""The quarterly review of privileged operations, read from the audit trail.

Every quarter compliance looks at what high-privilege staff did: tier overrides, exports,
access requests and grants, role and permission changes, unlocks and lockouts, sessions
ended by administrators, and whether the audit chain is intact. ``review`` gathers them
as tables of plain values (who, when, what, which customer or staff member; never a
secret value); ``export_review`` writes them to a file. Both are themselves audited.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from ocrm_tui.db.models import AccessRequest, AuditRecord, Customer, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, exports
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.audit_archive import local_midnight
from ocrm_tui.services.campaign_reports import exporter_label, finish_export
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied, ValidationError

QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")

TIER_OVERRIDES = "tier_overrides"
EXPORTS = "exports"
ACCESS = "access"
ROLES = "roles"
LOCKOUTS = "lockouts"
SESSIONS = "sessions"
SECTIONS = (TIER_OVERRIDES, EXPORTS, ACCESS, ROLES, LOCKOUTS, SESSIONS)

ROLE_EVENTS = ("user.role_change", "user.unmask_change", "staff_user.create", "user.create", "user.disable")
LOCKOUT_EVENTS = ("user.unlock", "user.lock", "user.lockout", "user.password_reset")
SETTING_ENTITY = "setting"
GRANT_ENTITY = "access_grant"
SESSION_LOGOUT = "logout"  # a user ending their own session: not an administrator's act


# -- the quarter --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1–4
    start: datetime  # local midnight of its first day
    end: datetime  # local midnight of the next quarter's first day

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"


def parse_quarter(text: str, *, clock: Clock = system_clock) -> Quarter:
    """``2026Q3`` (also ``2026-Q3``, ``2026q3``); a quarter that has not begun is refused."""
    m = QUARTER.match(text or "")
    if m is None:
        raise ValidationError(_("{value!r} is not a quarter like 2026Q3", value=text), field="quarter")
    year, number = int(m.group(1)), int(m.group(2))
    if year < 1900:
        raise ValidationError(_("{value!r} is not a quarter like 2026Q3", value=text), field="quarter")
    first = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    if first > clock().astimezone().date():
        raise ValidationError(_("The quarter {quarter} has not begun yet", quarter=f"{year}Q{number}"),
                              field="quarter")
    return Quarter(year, number, local_midnight(first), local_midnight(following))


# -- read models --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Review:
    quarter: Quarter
    sections: tuple[Section, ...]
    chain: audit.ChainReport
    reviewed_at: datetime
    reviewed_by: str

    @property
    def counts(self) -> dict[str, int]:
        return {s.key: s.count for s in self.sections}

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def chain_rows(self) -> list[tuple[str, Any]]:
        """The audit chain's status as (item, value) pairs."""
        c = self.chain
        reasons = {"missing": _("a record is missing (deleted)"), "altered": _("a record was altered"),
                   "link": _("a record does not link to the one before it"),
                   "cut": _("the newest records were deleted"),
                   "anchor": _("the archive anchor does not match the trail")}
        rows: list[tuple[str, Any]] = [(_("Audit chain"), _("intact") if c.ok else _("broken"))]
        if not c.ok:
            rows += [(_("First bad record"), c.broken_seq), (_("Why"), reasons.get(c.reason or "", c.reason))]
        rows += [(_("Records checked"), c.checked)]
        if c.ok and c.head_seq:
            rows += [(_("Head"), f"{c.head_seq}:{c.head_hash}")]
        if c.anchor_seq:
            rows += [(_("Archived up to record"), c.anchor_seq)]
        return rows


def section_titles() -> dict[str, str]:
    return {
        TIER_OVERRIDES: _("Tier overrides"),
        EXPORTS: _("Exports"),
        ACCESS: _("Access requests and grants"),
        ROLES: _("Roles and permissions"),
        LOCKOUTS: _("Unlocks and lockouts"),
        SESSIONS: _("Sessions ended by admins"),
    }


def section_headers() -> dict[str, tuple[str, ...]]:
    when, who = _("Time"), _("By")
    return {
        TIER_OVERRIDES: (when, who, _("Customer no."), _("Tier"), _("Reason")),
        EXPORTS: (when, who, _("Export"), _("Of"), _("Rows"), _("Masked"), _("File"), _("SHA-256"), _("Request")),
        ACCESS: (when, who, _("Action"), _("Request"), _("Staff member"), _("Customer no."), _("Details")),
        ROLES: (when, who, _("Change"), _("Staff member or setting"), _("Before"), _("After")),
        LOCKOUTS: (when, who, _("Event"), _("Staff member"), _("Details")),
        SESSIONS: (when, who, _("Staff member"), _("Terminal"), _("Reason")),
    }


def event_label(event: str) -> str:
    """An audit event in plain words."""
    return {
        "customer.tier_override": _("tier set by hand"),
        "export.targets": _("campaign target list"),
        "export.report": _("report"),
        "export.sms": _("SMS outbox"),
        "export.sms_unmasked": _("SMS outbox for the gateway (unmasked)"),
        "export.audit_review": _("audit review"),
        "access.request": _("requested"),
        "access.approve": _("approved"),
        "access.reject": _("rejected"),
        "access.withdraw": _("withdrawn"),
        "access.revoke": _("revoked"),
        "access.use": _("approval used"),
        "access.grant": _("access granted"),
        "access_grant.create": _("access granted"),
        "user.role_change": _("role changed"),
        "user.unmask_change": _("right to see full values changed"),
        "staff_user.create": _("staff member added"),
        "user.create": _("staff member added"),
        "user.disable": _("account disabled"),
        "setting.create": _("setting changed"),
        "setting.update": _("setting changed"),
        "user.unlock": _("account unlocked"),
        "user.lock": _("account locked by an administrator"),
        "user.lockout": _("account locked after wrong passwords"),
        "user.password_reset": _("password reset by an administrator"),
        "session.end": _("session ended"),
    }.get(event, event)


def session_end_reason(reason: str | None) -> str:
    return {
        "logout": _("logged out"),
        "disabled": _("account disabled"),
        "locked": _("account locked"),
        "password": _("password changed or reset"),
        "role": _("role changed"),
        "admin": _("ended by an administrator"),
    }.get(reason or "", reason or "")


# -- reading the trail --------------------------------------------------------------------------

def _after(changes: dict, field: str) -> Any:
    pair = changes.get(field)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else pair


def _before(changes: dict, field: str) -> Any:
    pair = changes.get(field)
    return pair[0] if isinstance(pair, list) and len(pair) == 2 else None


ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _describe(changes: dict, skip: tuple[str, ...] = ()) -> str:
    """Changed fields in plain words, ``field: before → after``; secret values never show."""
    return audit.describe_changes(changes, lambda v: "∅" if v is None else _text(v), skip=(*skip, "version"))


def _access_details(changes: dict, fields: tuple[str, ...]) -> str:
    """What a request or grant record says, in the order a reviewer reads it: status, what was
    asked, for how long, why, the decision's note, until when."""
    labels = {"customer_nos": _("customers"), "export_what": _("export"), "hours": _("hours"),
              "reason": _("reason"), "decision_note": _("note"), "expires_at": _("until")}
    parts = []
    for field in fields:
        pair = changes.get(field)
        if pair is None:
            continue
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if after in (None, "") and before in (None, ""):
            continue
        value = _text(after) if before in (None, "") else f"{_text(before)} → {_text(after) if after is not None else '∅'}"
        parts.append(value if field == "status" else f"{labels[field]}: {value}")
    return "; ".join(parts)


def _unmask_words(value: Any) -> str:
    return {True: _("granted"), False: _("withdrawn")}.get(value, _("as the role allows")) \
        if value is None or isinstance(value, bool) else _text(value)


def _section_of(rec: AuditRecord, changes: dict) -> str | None:
    event, entity = rec.event, rec.entity
    if event == "customer.tier_override":
        return TIER_OVERRIDES
    if event.startswith("export."):
        return EXPORTS
    if event.startswith("access.") or entity == GRANT_ENTITY:
        return ACCESS
    if event in ROLE_EVENTS or entity == SETTING_ENTITY:
        return ROLES
    if event in LOCKOUT_EVENTS:
        return LOCKOUTS
    if event == "session.end":
        reason = changes.get("reason")
        # A user leaving on their own is no administrator's act.
        return None if reason == SESSION_LOGOUT or changes.get("user") == rec.actor_no else SESSIONS
    return None


def _quarter_records(session: Session, quarter: Quarter) -> list[AuditRecord]:
    return list(session.scalars(
        select(AuditRecord)
        .where(AuditRecord.at >= quarter.start, AuditRecord.at < quarter.end,
               or_(AuditRecord.event == "customer.tier_override", AuditRecord.event.like("export.%"),
                   AuditRecord.event.like("access.%"), AuditRecord.entity == GRANT_ENTITY,
                   AuditRecord.event.in_(ROLE_EVENTS + LOCKOUT_EVENTS + ("session.end",)),
                   AuditRecord.entity == SETTING_ENTITY))
        .order_by(AuditRecord.seq)))


class _Names:
    """Staff and customers named by id in the records, looked up once."""

    def __init__(self, session: Session, recs: list[tuple[AuditRecord, dict]]):
        user_ids: set[int] = set()
        customer_ids: set[int] = set()
        actor_nos: set[str] = set()
        request_ids: set[int] = set()
        for rec, changes in recs:
            if rec.entity == "access_request" and (rec.entity_id or "").isdigit():
                request_ids.add(int(rec.entity_id))
            if rec.actor_no:
                actor_nos.add(rec.actor_no)
            if rec.entity == "staff_user" and (rec.entity_id or "").isdigit():
                user_ids.add(int(rec.entity_id))
            if rec.entity == "customer" and (rec.entity_id or "").isdigit():
                customer_ids.add(int(rec.entity_id))
            for field, into in (("user_id", user_ids), ("requester_id", user_ids), ("customer_id", customer_ids)):
                value = _after(changes, field)
                if isinstance(value, int):
                    into.add(value)
        self.users = {row[0]: row[1] for row in session.execute(
            select(StaffUser.id, StaffUser.employee_no).where(StaffUser.id.in_(user_ids)))} if user_ids else {}
        self.staff_names = {row[0]: row[1] for row in session.execute(
            select(StaffUser.employee_no, StaffUser.name).where(StaffUser.employee_no.in_(actor_nos)))} \
            if actor_nos else {}
        self.customers = {row[0]: row[1] for row in session.execute(
            select(Customer.id, Customer.customer_no).where(Customer.id.in_(customer_ids)))} if customer_ids else {}
        self.requesters = {row[0]: row[1] for row in session.execute(
            select(AccessRequest.id, StaffUser.employee_no).join(StaffUser, StaffUser.id == AccessRequest.requester_id)
            .where(AccessRequest.id.in_(request_ids)))} if request_ids else {}

    def who(self, actor_no: str | None) -> str:
        if not actor_no:
            return _("the system")
        name = self.staff_names.get(actor_no)
        return f"{name} ({actor_no})" if name else actor_no

    def user(self, user_id: Any) -> str:
        if isinstance(user_id, str) and user_id.isdigit():
            user_id = int(user_id)
        return self.users.get(user_id, "" if user_id is None else f"#{user_id}")

    def customer(self, customer_id: Any) -> str:
        if isinstance(customer_id, str) and customer_id.isdigit():
            customer_id = int(customer_id)
        return self.customers.get(customer_id, "" if customer_id is None else f"#{customer_id}")


def _row(key: str, rec: AuditRecord, c: dict, names: _Names) -> tuple:
    when, who = rec.at, names.who(rec.actor_no)
    if key == TIER_OVERRIDES:
        before, after = _before(c, "tier"), _after(c, "tier")
        manual = _after(c, "tier_manual")
        tier = f"{before} → {after}" if before is not None and after is not None else (after or "")
        if manual is False:
            tier = _("{tier} (back to automatic)", tier=tier) if tier else _("back to automatic")
        return (when, who, names.customer(rec.entity_id), tier, _text(_after(c, "tier_reason")))
    if key == EXPORTS:
        of = f"{rec.entity} {rec.entity_id}" if rec.entity_id else rec.entity
        masked = c.get("masked", rec.event != "export.sms_unmasked")
        request = c.get("request_id", c.get("request"))
        return (when, who, event_label(rec.event), of, c.get("rows"), _text(bool(masked)), _text(c.get("file")),
                _text(c.get("sha256")), _text(request))
    if key == ACCESS:
        if rec.entity == GRANT_ENTITY:
            request = _after(c, "request_id")
            staff, customer = names.user(_after(c, "user_id")), names.customer(_after(c, "customer_id"))
            details = _access_details(c, ("expires_at",))
        else:
            request = rec.entity_id if rec.entity == "access_request" else c.get("request_id", c.get("request"))
            staff = names.requesters.get(int(request)) if str(request or "").isdigit() else None
            staff = staff or _text(c.get("requester") or names.user(_after(c, "requester_id")))
            customer = ""
            details = _access_details(c, ("status", "customer_nos", "export_what", "hours", "reason",
                                          "decision_note", "expires_at"))
        return (when, who, event_label(rec.event), _text(request), staff, customer, details)
    if key == ROLES:
        if rec.entity == SETTING_ENTITY:
            return (when, who, event_label(rec.event), rec.entity_id or "", _text(_before(c, "value")),
                    _text(_after(c, "value")))
        subject = names.user(rec.entity_id) if rec.entity == "staff_user" else _text(rec.entity_id)
        if rec.event in ("staff_user.create", "user.create"):
            subject = _after(c, "employee_no") or subject
            return (when, who, event_label(rec.event), subject, "",
                    _("role {role}", role=_text(_after(c, "role"))))
        if rec.event == "user.unmask_change":
            return (when, who, event_label(rec.event), subject, _unmask_words(_before(c, "unmask")),
                    _unmask_words(_after(c, "unmask")))
        if rec.event == "user.disable":
            return (when, who, event_label(rec.event), subject, _("active"), _("disabled"))
        return (when, who, event_label(rec.event), subject, _text(_before(c, "role")), _text(_after(c, "role")))
    if key == LOCKOUTS:
        subject = names.user(rec.entity_id) if rec.entity == "staff_user" else _text(rec.entity_id)
        details = _describe(c, skip=("password_hash",))
        return (when, who, event_label(rec.event), subject, details)
    # SESSIONS
    return (when, who, _text(c.get("user")), _text(c.get("terminal")), session_end_reason(c.get("reason")))


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator reviews privileged operations"))


def review(session: Session, actor: Actor, quarter: Quarter, *, clock: Clock = system_clock) -> Review:
    """The quarter's privileged operations, section by section, and the audit chain's status
    (administrators only; the review is audited and committed)."""
    _require_admin(actor)
    recs = [(rec, json.loads(rec.changes or "{}")) for rec in _quarter_records(session, quarter)]
    names = _Names(session, recs)
    rows: dict[str, list[tuple]] = {key: [] for key in SECTIONS}
    for rec, changes in recs:
        key = _section_of(rec, changes)
        if key is not None:
            rows[key].append(_row(key, rec, changes, names))
    titles, headers = section_titles(), section_headers()
    sections = tuple(Section(key, titles[key], headers[key], tuple(rows[key])) for key in SECTIONS)
    chain = audit.verify_chain(session)
    result = Review(quarter, sections, chain, clock(), actor.employee_no)
    audit.acting_as(session, actor, clock=clock)
    audit.log_event(session, "audit.review", "audit", quarter.label, {
        "quarter": quarter.label, "counts": result.counts, "chain": "intact" if chain.ok else "broken",
        "checked": chain.checked})
    session.commit()
    return result


def review_sheets(r: Review) -> list[exports.Sheet]:
    """A summary sheet (quarter, counts, chain status), then one sheet per section."""
    summary: list[tuple[str, Any]] = [(_("Quarter"), r.quarter.label)]
    summary += [(s.title, s.count) for s in r.sections]
    summary += r.chain_rows
    sheets = [exports.Sheet(_("Summary"), (_("Item"), _("Value")), summary)]
    sheets += [exports.Sheet(s.title, s.headers, s.rows) for s in r.sections]
    return sheets


def export_review(session: Session, actor: Actor, review: Review, path: str | os.PathLike, fmt: str | None = "xlsx",
                  overwrite: bool = False, *, clock: Clock = system_clock) -> exports.ExportResult:
    """Write the review to a CSV or XLSX file (audited as export.audit_review with rows and SHA-256)."""
    _require_admin(actor)
    fmt = exports.check_format(fmt, path)
    audit.acting_as(session, actor, clock=clock)
    staged = exports.stage(path, fmt, review_sheets(review), exported_by=exporter_label(actor), exported_at=clock(),
                           overwrite=overwrite)
    try:
        audit.log_event(session, "export.audit_review", "audit", review.quarter.label, {
            "quarter": review.quarter.label, "format": fmt, "rows": staged.result.rows,
            "sha256": staged.result.sha256, "masked": True, "file": staged.target.name})
        return finish_export(session, staged)
    except BaseException:
        staged.discard()
        raise
