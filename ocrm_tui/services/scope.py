"""Data scope: which customers a member of staff may see. Written once, used by every query.

teller  — customers they have served (a service contact exists)
rm      — their own book, plus customers they collaborate on, plus the targets given to
          them on a campaign that is live (active or paused)
manager — customers of their organisation node and everything under it
admin   — everyone
plus, for anyone, customers named in an approved access grant that has not expired
(left out with ``grants=False``: the role's own scope, which is what an approver may pass on).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, or_, select, true
from sqlmodel import Session

from ocrm_tui.db.models import (
    AccessGrant,
    Campaign,
    CampaignTarget,
    Customer,
    CustomerCollaborator,
    Organisation,
    Role,
    ServiceContact,
)
from ocrm_tui.i18n import _
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import system_clock
from ocrm_tui.services.errors import NotFoundError


def org_subtree_ids(org_path: str):
    """Ids of an organisation node and all nodes under it (a subquery)."""
    return select(Organisation.id).where(Organisation.path.startswith(org_path, autoescape=True))


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def subtree_param(org_path: str) -> str:
    """The LIKE pattern of an organisation path's subtree."""
    return _like_prefix(org_path)


def _rule(role: str, user, org_like, now, *, grants: bool = True) -> ColumnElement[bool]:
    """The scope rule of a role; the actor's values are given as values or bound parameters."""
    if role == Role.ADMIN:
        return true()
    if role == Role.MANAGER:
        own = Customer.org_id.in_(select(Organisation.id).where(Organisation.path.like(org_like, escape="\\")))
    elif role == Role.RM:
        own = or_(
            Customer.rm_id == user,
            Customer.id.in_(select(CustomerCollaborator.customer_id).where(CustomerCollaborator.user_id == user)),
            Customer.id.in_(select(CampaignTarget.customer_id)
                            .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
                            .where(CampaignTarget.rm_id == user, Campaign.status.in_(("active", "paused")))),
        )
    elif role == Role.TELLER:
        own = Customer.id.in_(select(ServiceContact.customer_id).where(ServiceContact.user_id == user))
    else:  # an unknown role sees nothing
        return Customer.id.is_(None)
    if not grants:
        return own
    granted = Customer.id.in_(
        select(AccessGrant.customer_id).where(AccessGrant.user_id == user, AccessGrant.expires_at > now)
    )
    return or_(own, granted)


def customer_scope(actor: Actor, *, now: datetime | None = None, grants: bool = True) -> ColumnElement[bool]:
    """A WHERE clause on ``Customer`` limiting rows to the actor's data scope; with
    ``grants=False`` the role's own scope only, without the actor's temporary grants."""
    return _rule(actor.role, actor.id, subtree_param(actor.org_path or "/"), now or system_clock(), grants=grants)


@lru_cache(maxsize=16)
def customer_scope_template(role: str) -> ColumnElement[bool]:
    """The same rule with the actor's values as bound parameters (``scope_params``), built once
    per role: a search that runs on every keystroke does not rebuild it."""
    return _rule(role, bindparam("scope_user"), bindparam("scope_org"),
                 bindparam("scope_now", type_=AccessGrant.__table__.c.expires_at.type))


def scope_params(actor: Actor, *, now: datetime | None = None) -> dict:
    """The values of ``customer_scope_template(actor.role)`` for this actor."""
    return {"scope_user": actor.id, "scope_org": subtree_param(actor.org_path or "/"), "scope_now": now or system_clock()}


def not_found_message() -> str:
    # The same words whether the customer does not exist or is outside the scope:
    # a refusal must not confirm that a customer exists.
    return _("No such customer, or not in your customers")


def get_customer_in_scope(session: Session, actor: Actor, customer_id: int, *, now: datetime | None = None) -> Customer:
    customer = session.scalars(
        select(Customer).where(Customer.id == customer_id, customer_scope(actor, now=now))
    ).first()
    if customer is None:
        raise NotFoundError(not_found_message())
    return customer
