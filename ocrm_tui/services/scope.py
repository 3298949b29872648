"""Data scope: which customers a member of staff may see. Written once, used by every query.

teller  — customers they have served (a service contact exists)
rm      — their own book, plus customers they collaborate on
manager — customers of their organisation node and everything under it
admin   — everyone
plus, for anyone, customers named in an approved access grant that has not expired.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, true
from sqlmodel import Session

from ocrm_tui.db.models import AccessGrant, Customer, CustomerCollaborator, Organisation, Role, ServiceContact
from ocrm_tui.i18n import _
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import system_clock
from ocrm_tui.services.errors import NotFoundError


def org_subtree_ids(org_path: str):
    """Ids of an organisation node and all nodes under it (a subquery)."""
    return select(Organisation.id).where(Organisation.path.startswith(org_path, autoescape=True))


def customer_scope(actor: Actor, *, now: datetime | None = None) -> ColumnElement[bool]:
    """A WHERE clause on ``Customer`` limiting rows to the actor's data scope."""
    if actor.role == Role.ADMIN:
        return true()
    now = now or system_clock()
    if actor.role == Role.MANAGER:
        own = Customer.org_id.in_(org_subtree_ids(actor.org_path))
    elif actor.role == Role.RM:
        own = or_(
            Customer.rm_id == actor.id,
            Customer.id.in_(select(CustomerCollaborator.customer_id).where(CustomerCollaborator.user_id == actor.id)),
        )
    elif actor.role == Role.TELLER:
        own = Customer.id.in_(select(ServiceContact.customer_id).where(ServiceContact.user_id == actor.id))
    else:  # an unknown role sees nothing
        return Customer.id.is_(None)
    granted = Customer.id.in_(
        select(AccessGrant.customer_id).where(AccessGrant.user_id == actor.id, AccessGrant.expires_at > now)
    )
    return or_(own, granted)


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
