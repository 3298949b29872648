"""Data scope per role: who sees which customer, enforced by the service query."""

from datetime import timedelta

import pytest
from sqlmodel import select

from ocrm_tui.db.models import AccessGrant, Customer, CustomerCollaborator, ServiceContact
from ocrm_tui.services import auth, scope
from ocrm_tui.services.errors import NotFoundError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.users import get_user
from tests.conftest import PASSWORD


@pytest.fixture
def book(branch, db, clock):
    """Customers spread over the tree, and the actors of every role."""
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "O2", "SB", "X1")}
        user = {n: get_user(s, n).id for n in ("R001", "R002", "T001", "M001")}

        def cust(no, org_code, rm=None):
            c = Customer(customer_no=no, name="客户" + no, mobile="1380000" + no[-4:], org_id=org[org_code],
                         rm_id=user[rm] if rm else None)
            s.add(c)
            return c

        cs = {
            "C0001": cust("C0001", "O1", "R001"),  # R001's own
            "C0002": cust("C0002", "O2", "R002"),  # R002's own; R001 collaborates
            "C0003": cust("C0003", "O1"),  # in the pool, served by T001 at the counter
            "C0004": cust("C0004", "X1"),  # another tier-1 branch
            "C0005": cust("C0005", "SB"),  # the sub-branch itself
        }
        s.flush()
        s.add(CustomerCollaborator(customer_id=cs["C0002"].id, user_id=user["R001"]))
        s.add(ServiceContact(customer_id=cs["C0003"].id, user_id=user["T001"], kind="counter"))
        s.commit()
        ids = {k: v.id for k, v in cs.items()}
    actors = {}
    for no in ("A001", "M001", "R001", "R002", "T001", "M900"):
        with db.session(write=True) as s:
            actors[no] = auth.authenticate(s, no, PASSWORD, clock=clock)
    return ids, actors


def visible(db, actor, now=None):
    with db.session() as s:
        rows = s.exec(select(Customer.customer_no).where(scope.customer_scope(actor, now=now)))
        return sorted(rows)


def test_each_role_sees_its_own_scope(db, book):
    _, a = book
    assert visible(db, a["A001"]) == ["C0001", "C0002", "C0003", "C0004", "C0005"]
    assert visible(db, a["M001"]) == ["C0001", "C0002", "C0003", "C0005"]  # SB and its outlets
    assert visible(db, a["M900"]) == ["C0004"]
    assert visible(db, a["R001"]) == ["C0001", "C0002"]  # own book + collaboration
    assert visible(db, a["R002"]) == ["C0002"]
    assert visible(db, a["T001"]) == ["C0003"]  # only customers served


def test_opening_outside_the_scope_reads_like_a_missing_customer(db, book):
    ids, a = book
    with db.session() as s:
        assert scope.get_customer_in_scope(s, a["R001"], ids["C0001"]).customer_no == "C0001"
        with pytest.raises(NotFoundError) as outside:
            scope.get_customer_in_scope(s, a["R001"], ids["C0004"])
        with pytest.raises(NotFoundError) as missing:
            scope.get_customer_in_scope(s, a["R001"], 999_999)
    assert str(outside.value) == str(missing.value)


def test_an_access_grant_widens_the_scope_until_it_expires(db, book, clock):
    ids, a = book
    with db.session(write=True) as s:
        s.add(AccessGrant(user_id=a["R002"].id, customer_id=ids["C0004"], approved_by=a["M900"].id,
                          reason="joint visit", expires_at=clock() + timedelta(hours=8)))
        s.commit()
    assert visible(db, a["R002"], now=clock()) == ["C0002", "C0004"]
    assert visible(db, a["R002"], now=clock() + timedelta(hours=8, seconds=1)) == ["C0002"]
