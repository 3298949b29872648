"""SQLModel tables: the bank's organisation, staff, customers and their core-banking data.

Tables are created only by the Alembic migrations in ``migrations/``; this module is
what those migrations were generated from and what services query.
Timestamps are timezone-aware UTC; money is ``Decimal`` in ``NUMERIC(18, 2)``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, Index, Integer, Numeric, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from ocrm_tui.db.enums import (  # noqa: F401  (re-exported: the vocabulary of the tables)
    ORG_LEVEL_ORDER,
    CampaignStatus,
    CampaignType,
    Channel,
    OrgLevel,
    ProductType,
    Role,
    TagFamily,
    TargetStatus,
    TicketPriority,
    TicketStatus,
    TicketType,
    Tier,
)

MONEY = Numeric(18, 2)


def code_point_string(length: int) -> String:
    """A string compared and ordered by code point on every database (PostgreSQL: COLLATE "C"),
    so that a prefix is a contiguous range of an index whatever the server's locale."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


# Search structures that live only in the database (created by migration 0002), not in
# these models: SQLite's FTS5 index of name characters with its triggers, PostgreSQL's
# GIN index of name characters and pairs, and the expression index on a mobile's last
# four digits.
DATABASE_ONLY = ("customer_name_fts", "ix_customer_name_grams", "ix_customer_mobile_tail")


def in_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object``: leave the database-only search structures alone."""
    return not (name or "").startswith(DATABASE_ONLY)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Organisation(SQLModel, table=True):
    """A node of the organisation tree (机构): head office down to outlet."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # Materialised path of codes "/HO/B1/SB01/": "my branch" is every node whose path starts with mine.
    path: str = Field(default="/", max_length=255, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class StaffUser(SQLModel, table=True):
    """A member of staff who logs in: teller, relationship manager, manager or admin."""

    __tablename__ = "staff_user"
    __audit_exclude__ = frozenset({"password_hash"})

    id: int | None = Field(default=None, primary_key=True)
    employee_no: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    skills: str = Field(default="", max_length=255)  # comma-separated skill codes
    password_hash: str = Field(max_length=255)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    active: bool = Field(default=True)
    last_login_at: datetime | None = Field(default=None)
    password_changed_at: datetime | None = Field(default=None)
    # Seeing full customer values: None = as the role allows (setting unmask.roles),
    # True = granted to this user, False = withdrawn from this user.
    unmask: bool | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """Every login (and unlock) attempt, successful or not."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    employee_no: str = Field(max_length=32, index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    success: bool
    # ok / wrong_password / locked / disabled / unknown_user / locked_out (this failure locked it)
    outcome: str = Field(max_length=24)
    purpose: str = Field(default="login", max_length=16)  # login / unlock / passwd / cli (a staff member acting in a command)
    terminal: str = Field(default="", max_length=64)


def version_column() -> Column:
    """A version counter for records that several terminals edit (optimistic locking)."""
    return Column("version", Integer, nullable=False, server_default="1")


_CUSTOMER_VERSION = version_column()


class Customer(SQLModel, table=True):
    """A customer file (客户信息)."""

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("id_type", "id_number", name="uq_customer_id_document"),
        Index("ix_customer_org_rm", "org_id", "rm_id"),
        # Name and pinyin indexes carry the scope columns: a search walks the index and
        # checks a manager's branch or an RM's book without reading each customer row.
        Index("ix_customer_name", "name", "org_id", "rm_id"),
        Index("ix_customer_mobile", "mobile"),
        Index("ix_customer_id_number", "id_number"),
        Index("ix_customer_pinyin", "name_pinyin", "org_id", "rm_id"),
        Index("ix_customer_initials", "name_initials", "org_id", "rm_id"),
        # Target-list filters: tiers with a daily-average AUM range are one index range each.
        # The customer id rides along (SQLite's rowid does by itself) so that PostgreSQL
        # answers from the index alone instead of reading each matching customer's row.
        Index("ix_customer_tier_aum", "tier", "aum_daily_avg", postgresql_include=["id"]),
    )
    # A stale save (another terminal changed the customer since it was read) is refused.
    __mapper_args__ = {"version_id_col": _CUSTOMER_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100, sa_type=code_point_string(100))
    name_pinyin: str = Field(default="", max_length=255, sa_type=code_point_string(255))  # "zhangwei"
    name_initials: str = Field(default="", max_length=64, sa_type=code_point_string(64))  # "zw"
    # "张 伟": one token per Chinese character for the name-fragment index (SQLite FTS5).
    name_chars: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    gender: str | None = Field(default=None, max_length=1)  # M / F
    birth_date: date | None = Field(default=None)
    id_type: str = Field(default="居民身份证", max_length=32)
    id_number: str | None = Field(default=None, max_length=64)
    mobile: str = Field(max_length=20)
    email: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=255)
    occupation: str | None = Field(default=None, max_length=100)
    marital_status: str | None = Field(default=None, max_length=16)
    education: str | None = Field(default=None, max_length=32)
    # Extended information, kept by staff.
    family: str | None = Field(default=None, max_length=255)
    financial_status: str | None = Field(default=None, max_length=255)
    risk_preference: int | None = Field(default=None)  # 1 conservative … 5 aggressive
    hobbies: str | None = Field(default=None, max_length=255)
    preferred_contact_time: str | None = Field(default=None, max_length=64)
    org_id: int = Field(foreign_key="organisation.id")
    rm_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    tier: str = Field(default=Tier.MASS, max_length=16)
    tier_manual: bool = Field(default=False)
    tier_reason: str | None = Field(default=None, max_length=255)
    aum: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    aum_daily_avg: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    # When the owning RM claimed the customer from the branch pool (公海); None when the RM
    # was given the customer another way. The pool sweep returns neglected claims.
    claimed_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=_CUSTOMER_VERSION)


class CustomerCollaborator(SQLModel, table=True):
    """A staff member who works on a customer besides the owning RM."""

    __tablename__ = "customer_collaborator"

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ServiceContact(SQLModel, table=True):
    """A contact between staff and a customer (counter visit, call, meeting)."""

    __tablename__ = "service_contact"
    __table_args__ = (Index("ix_service_contact_user_customer", "user_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    user_id: int = Field(foreign_key="staff_user.id")
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(default="counter", max_length=16)  # counter / phone / visit / sms
    note: str | None = Field(default=None, max_length=500)


_REQUEST_VERSION = version_column()


class AccessRequest(SQLModel, table=True):
    """A request for temporary access, decided by the requester's manager or an admin.

    kind ``customers``: a wider data scope over the customers named (customer numbers, or
    a search saved as a filter), for ``hours`` after approval; its grants are
    ``access_grant`` rows. kind ``export``: one unmasked export of what ``export_what``
    names, for the purpose given; used once, before it expires.
    """

    __tablename__ = "access_request"
    __table_args__ = (
        Index("ix_access_request_status", "status", "requested_at"),
        Index("ix_access_request_requester", "requester_id", "requested_at"),
    )

    __mapper_args__ = {"version_id_col": _REQUEST_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # customers / export
    requester_id: int = Field(foreign_key="staff_user.id")
    reason: str = Field(max_length=255)
    customer_nos: str = Field(default="", max_length=20000)  # comma-separated, as asked
    filter_json: str | None = Field(default=None, max_length=4000)  # a saved search (campaign filter JSON)
    export_what: str | None = Field(default=None, max_length=64)  # e.g. targets:12, sms:12, report:losing-assets
    hours: int
    status: str = Field(default="pending", max_length=16)  # pending/approved/rejected/withdrawn/revoked/used
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = Field(default=None)
    decision_note: str = Field(default="", max_length=255)
    expires_at: datetime | None = Field(default=None)
    used_at: datetime | None = Field(default=None)
    version: int = Field(default=1, sa_column=_REQUEST_VERSION)


class AccessGrant(SQLModel, table=True):
    """An approved, expiring widening of one user's data scope to one customer."""

    __tablename__ = "access_grant"
    __table_args__ = (Index("ix_access_grant_user_customer", "user_id", "customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="access_request.id", index=True)
    user_id: int = Field(foreign_key="staff_user.id")
    customer_id: int = Field(foreign_key="customer.id")
    approved_by: int = Field(foreign_key="staff_user.id")
    reason: str = Field(max_length=255)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    family: str = Field(default=TagFamily.CUSTOM, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tag"
    # Primary key (tag_id, customer_id) is the campaign-targeting index; the second
    # index serves "tags of this customer".
    __table_args__ = (Index("ix_customer_tag_customer", "customer_id"),)

    tag_id: int = Field(foreign_key="tag.id", primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    product_code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    product_type: str = Field(max_length=16)
    risk_level: str | None = Field(default=None, max_length=2)  # R1 … R5


class Account(SQLModel, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    account_no: str = Field(max_length=40, unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    currency: str = Field(default="CNY", max_length=3)
    balance: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    opened_on: date | None = Field(default=None)
    matures_on: date | None = Field(default=None, index=True)
    status: str = Field(default="active", max_length=16)


class Transaction(SQLModel, table=True):
    __tablename__ = "txn"
    __table_args__ = (
        Index("ix_txn_account_posted", "account_id", "posted_at"),
        Index("ix_txn_customer_posted", "customer_id", "posted_at"),
        # The alert scan reads the recent days' transactions.
        Index("ix_txn_posted", "posted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    txn_id: str = Field(max_length=40, unique=True)
    account_id: int = Field(foreign_key="account.id")
    customer_id: int = Field(foreign_key="customer.id")  # denormalised: profile and alerts read by customer
    posted_at: datetime
    amount: Decimal = Field(sa_type=MONEY)
    direction: str = Field(max_length=3)  # in / out
    channel: str = Field(max_length=16)
    counterparty: str | None = Field(default=None, max_length=100)
    memo: str | None = Field(default=None, max_length=255)


class AumSnapshot(SQLModel, table=True):
    """Month-end AUM and the month's daily-average AUM of one customer."""

    __tablename__ = "aum_snapshot"

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    month: date = Field(primary_key=True)  # first day of the month
    aum: Decimal = Field(sa_type=MONEY)
    aum_daily_avg: Decimal = Field(sa_type=MONEY)


class ReportTxnMonth(SQLModel, table=True):
    """Transactions summed by month, owner and channel: what the channel report reads.

    Built from ``txn`` by ``reports_data.refresh`` (after each import of accounts or
    transactions, after the demo, and by ``ocrm report refresh``); the owner (branch, RM) is
    the customer's at that time. Months are calendar months in UTC, like the AUM snapshots.
    """

    __tablename__ = "report_txn_month"
    __table_args__ = (
        Index("ix_report_txn_month_org", "org_id", "month"),
        Index("ix_report_txn_month_rm", "rm_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date  # first day of the month
    org_id: int
    rm_id: int | None = Field(default=None)
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=3)  # in / out
    txn_count: int
    amount: Decimal = Field(sa_type=MONEY)


class ReportAumMonth(SQLModel, table=True):
    """Monthly AUM summed by owner and tier, with each customer's tier the month before:
    what the asset and performance reports read. The tier of a month is the bank's rule
    (``tiers.tier_for``) applied to that month's daily-average AUM. Built with
    ``ReportTxnMonth``."""

    __tablename__ = "report_aum_month"
    __table_args__ = (
        Index("ix_report_aum_month_org", "org_id", "month"),
        Index("ix_report_aum_month_rm", "rm_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date
    org_id: int
    rm_id: int | None = Field(default=None)
    tier: str = Field(max_length=16)
    prev_tier: str | None = Field(default=None, max_length=16)  # None: no snapshot the month before
    customers: int
    aum: Decimal = Field(sa_type=MONEY)  # month-end AUM
    aum_daily_avg: Decimal = Field(sa_type=MONEY)


class ReportFalling(SQLModel, table=True):
    """Customers whose monthly daily-average AUM has fallen at least two months in a row up to
    ``through`` (the last complete month when it was built): the customers-losing-assets report."""

    __tablename__ = "report_falling"

    customer_id: int = Field(primary_key=True)
    through: date
    months: int  # months in a row, up to 11
    aum_from: Decimal = Field(sa_type=MONEY)  # daily average the month before the fall began
    aum_to: Decimal = Field(sa_type=MONEY)  # daily average of ``through``


_TICKET_VERSION = version_column()


class Ticket(SQLModel, table=True):
    """A service ticket (服务工单): a customer's consultation, complaint or suggestion."""

    __tablename__ = "ticket"
    __table_args__ = (
        # The worker's queue: their tickets by state and due time.
        Index("ix_ticket_assignee_status_due", "assignee_id", "status", "due_at"),
        # SLA scan and the branch's unassigned pool: open tickets by due time.
        Index("ix_ticket_status_due", "status", "due_at"),
        Index("ix_ticket_customer", "customer_id", "created_at"),
        Index("ix_ticket_org_status", "org_id", "status"),
        # Longest idle: when each worker was last given a ticket.
        Index("ix_ticket_assignee_assigned", "assignee_id", "assigned_at"),
    )
    __mapper_args__ = {"version_id_col": _TICKET_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    org_id: int = Field(foreign_key="organisation.id")  # the customer's branch when it was raised
    type: str = Field(default=TicketType.CONSULTATION, max_length=16)
    priority: str = Field(default=TicketPriority.MEDIUM, max_length=8)
    channel: str = Field(default="counter", max_length=16)
    subject: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    status: str = Field(default=TicketStatus.NEW, max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="staff_user.id")
    assigned_at: datetime | None = Field(default=None)
    # The assignee has not opened it since it was given to them (the unread marker).
    unread: bool = Field(default=True)
    required_skill: str | None = Field(default=None, max_length=32)
    due_at: datetime
    solution: str | None = Field(default=None, max_length=4000)
    rating: int | None = Field(default=None)  # 1 needs improvement … 5 very satisfied
    rating_comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime | None = Field(default=None)
    closed_at: datetime | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=_TICKET_VERSION)


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's timeline: created, assigned, a status change, a note, help, a rating."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id")
    kind: str = Field(max_length=24)  # created / assigned / status / note / help_requested / help_answered / rated
    from_value: str | None = Field(default=None, max_length=64)
    to_value: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=4000)


class TicketHelp(SQLModel, table=True):
    """A collaboration task on a ticket: another role or a named colleague is asked for help."""

    __tablename__ = "ticket_help"
    __table_args__ = (
        Index("ix_ticket_help_user_status", "to_user_id", "status"),
        Index("ix_ticket_help_role_status", "to_role", "status"),
        Index("ix_ticket_help_ticket", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    requested_by: int = Field(foreign_key="staff_user.id")
    to_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    to_role: str | None = Field(default=None, max_length=16)  # any colleague of this role in the ticket's branch
    task: str = Field(max_length=1000)
    status: str = Field(default="open", max_length=16)  # open / answered / withdrawn (the ticket was closed)
    answer: str | None = Field(default=None, max_length=4000)
    answered_by: int | None = Field(default=None, foreign_key="staff_user.id")
    answered_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """A reminder or warning for a member of staff (an overdue ticket, a risk signal).

    ``dedupe_key`` makes raising the same alert twice impossible: a scan that runs again
    finds the alert already raised.
    """

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_user_read", "user_id", "read_at"),
        # The open alerts of a member of staff, and of a branch (alerts without an addressee).
        Index("ix_alert_user_open", "user_id", "handled_at"),
        Index("ix_alert_org_open", "org_id", "handled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # ticket.overdue, …
    dedupe_key: str = Field(max_length=128, unique=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    message: str = Field(max_length=500)
    severity: str = Field(default="medium", max_length=8, sa_column_kwargs={"server_default": "medium"})  # high / medium / low
    # The day the alert is about (a birthday, a maturity, a due time); None: the day it was raised.
    due_on: date | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)
    # What the addressee did about it: contacted / product_offered / escalated / no_action (with
    # the reason in the note). A handled alert leaves the open list.
    handled_at: datetime | None = Field(default=None)
    handled_by: int | None = Field(default=None)  # staff id (like the audit trail's actor: no key, the column is added in place)
    action: str | None = Field(default=None, max_length=24)
    action_note: str | None = Field(default=None, max_length=500)


_CAMPAIGN_VERSION = version_column()


class Campaign(SQLModel, table=True):
    """A marketing campaign (营销活动) and the saved filter of its target group."""

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_status", "status", "starts_on"),)
    __mapper_args__ = {"version_id_col": _CAMPAIGN_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    type: str = Field(default=CampaignType.PHONE, max_length=16)
    goal: str = Field(default="", max_length=255)
    owner_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    # The branch subtree the campaign is for; None: bank-wide.
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    starts_on: date | None = Field(default=None)
    ends_on: date | None = Field(default=None)
    budget: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    actual_cost: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    status: str = Field(default=CampaignStatus.DRAFT, max_length=16)
    # The target filter as JSON (services/campaign_filter.py says what it means).
    filter_json: str = Field(default="{}", max_length=8000)
    # The product promoted: its risk level (R1–R5) leaves out customers it does not suit.
    product_id: int | None = Field(default=None, foreign_key="product.id")
    sms_template: str | None = Field(default=None, max_length=500)
    generated_at: datetime | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1, sa_column=_CAMPAIGN_VERSION)


class CampaignTarget(SQLModel, table=True):
    """One customer on a campaign's target list, the RM who contacts them, and the outcome."""

    __tablename__ = "campaign_target"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_target_customer"),
        # An RM's list by status; the metrics group by status.
        Index("ix_campaign_target_rm", "campaign_id", "rm_id", "status"),
        # A whole list in list order, page by page (SMS queueing, a manager's list, the metrics).
        Index("ix_campaign_target_list", "campaign_id", "id"),
        # An RM's data scope includes the targets given to them on live campaigns.
        Index("ix_campaign_target_rm_customer", "rm_id", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    # No foreign key: a list is a snapshot written from the customer table by the same
    # statement, and the product never deletes a customer. On PostgreSQL the key check and
    # the lock it takes on every customer row were a third of the time of making a
    # 100,000-customer list (docs/BENCHMARKS.md).
    customer_id: int
    rm_id: int | None = Field(default=None, foreign_key="staff_user.id")
    status: str = Field(default=TargetStatus.PENDING, max_length=16)
    converted_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    contacted_at: datetime | None = Field(default=None)
    note: str | None = Field(default=None, max_length=500)
    added_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime | None = Field(default=None)


class SmsMessage(SQLModel, table=True):
    """The SMS outbox: one message per target, read by a gateway adapter (or exported)."""

    __tablename__ = "sms_message"
    __table_args__ = (Index("ix_sms_message_status", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    # Never twice to the same target.
    target_id: int = Field(foreign_key="campaign_target.id", unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    mobile: str = Field(max_length=20)
    body: str = Field(max_length=500)
    status: str = Field(default="queued", max_length=16)  # queued / exported
    queued_at: datetime = Field(default_factory=utcnow)
    exported_at: datetime | None = Field(default=None)


class Setting(SQLModel, table=True):
    """Bank policy values changed by admins (tier thresholds, lockout, idle lock …)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)  # JSON
    updated_at: datetime = Field(default_factory=utcnow)


class AuditRecord(SQLModel, table=True):
    """Append-only, hash-chained trace of every change and security event."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_actor_at", "actor_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)  # 1, 2, 3 … without gaps: a gap is a deleted record
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None)
    actor_no: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=8)  # create / update / delete / event
    event: str = Field(max_length=40)  # e.g. customer.update, login.failure, user.lockout
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    changes: str = Field(default="{}", max_length=20000)  # JSON {field: [before, after]}
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class UserSession(SQLModel, table=True):
    """A login on one terminal, open until logout, quit, or an admin or a password change ends it.

    The terminal reports in every ``session.check_seconds``; a session not heard from for
    ``session.stale_minutes`` counts as gone (a terminal switched off).
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_open", "user_id", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id")
    terminal: str = Field(default="", max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = Field(default=None, index=True)
    end_reason: str | None = Field(default=None, max_length=24)  # logout/disabled/locked/password/admin/stale
    ended_by: str | None = Field(default=None, max_length=32)  # employee number, or os:NAME for a command


class AuditArchive(SQLModel, table=True):
    """One cut of the audit trail: the records before a date moved to a verified archive file.

    The remaining chain starts after ``last_seq``: its first record links to ``last_hash``.
    """

    __tablename__ = "audit_archive"

    id: int | None = Field(default=None, primary_key=True)
    archived_at: datetime = Field(default_factory=utcnow)
    archived_by: str = Field(max_length=32)
    before_at: datetime
    first_seq: int
    last_seq: int = Field(unique=True)
    last_hash: str = Field(max_length=64)
    records: int
    login_attempts: int
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
