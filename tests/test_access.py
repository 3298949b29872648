"""Access requests on SQLite and PostgreSQL: a member of staff asks, their manager (or an
administrator) decides, the grant widens the requester's scope until it expires or is revoked;
an approved unmasked export is used once, for exactly what was approved. Every step is in the
audit trail."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from ocrm_tui.db.models import AccessGrant, AccessRequest, AuditRecord, Campaign, CampaignTarget, Customer, SmsMessage
from ocrm_tui.services import access, auth, campaign_reports, scope, settings, sms, users
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.users import get_user
from tests.conftest import PASSWORD
from tests.test_cli_campaigns import live, send_sms  # noqa: F401  (a live SMS campaign with four targets)


@pytest.fixture
def staff(branch, db):
    """Customers over the tree (as in test_scope) and an actor for every member of staff."""
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "O2", "SB", "X1")}
        rm = {n: get_user(s, n).id for n in ("R001", "R002")}
        for no, org_code, owner in [("C0001", "O1", "R001"), ("C0002", "O2", "R002"), ("C0003", "O1", None),
                                    ("C0004", "X1", None), ("C0005", "SB", None)]:
            s.add(Customer(customer_no=no, name="客户" + no, mobile="1380000" + no[-4:], org_id=org[org_code],
                           rm_id=rm.get(owner)))
        s.commit()
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001", "R001", "R002", "T001", "M900")}
        ids = dict(s.execute(select(Customer.customer_no, Customer.id)).all())
    return actors, ids


def call(db, fn, *args, **kwargs):
    with db.session(write=True) as s:
        return fn(s, *args, **kwargs)


def opens(db, actor, customer_id, clock) -> bool:
    with db.session() as s:
        try:
            scope.get_customer_in_scope(s, actor, customer_id, now=clock())
            return True
        except NotFoundError:
            return False


def events(db, prefix: str = "access.") -> list[tuple[str, str | None, dict]]:
    with db.session() as s:
        return [(r.event, r.actor_no, json.loads(r.changes)) for r in s.scalars(
            select(AuditRecord).where(AuditRecord.event.startswith(prefix)).order_by(AuditRecord.seq))]


# -- asking -----------------------------------------------------------------------------------

def test_a_request_is_refused_until_it_is_well_formed(db, staff, clock):
    a, _ids = staff
    r = a["R001"]
    cases = [
        (dict(reason="  ", hours=8, customer_nos=["C0003"]), "reason", "Reason is required"),
        (dict(reason="x" * 256, hours=8, customer_nos=["C0003"]), "reason", "at most 255"),
        (dict(reason="visit", hours=0, customer_nos=["C0003"]), "hours", "1–72 hours"),
        (dict(reason="visit", hours=73, customer_nos=["C0003"]), "hours", "1–72 hours"),
        (dict(reason="visit", hours=8, customer_nos=["C0003, b@d, =1+1"]), "customer_nos", "number: b@d, =1+1"),
        (dict(reason="visit", hours=8), "customer_nos", "one of the two"),
        (dict(reason="visit", hours=8, customer_nos=["C0003"], campaign_id=1), "customer_nos", "one of the two"),
        (dict(reason="visit", hours=8, customer_nos=[f"C{i:05}" for i in range(501)]), "customer_nos", "At most 500"),
    ]
    for kwargs, field, words in cases:
        with pytest.raises(ValidationError) as refused:
            call(db, access.request_customers, r, clock=clock, **kwargs)
        assert refused.value.field == field and words in refused.value.message, (kwargs, refused.value.message)
    with pytest.raises(NotFoundError):
        call(db, access.request_customers, r, reason="visit", hours=8, campaign_id=999, clock=clock)
    # The maximum is a setting, and the message names it.
    with db.session(write=True) as s:
        settings.set_setting(s, "access.max_hours", 24)
        s.commit()
    with pytest.raises(ValidationError, match="1–24 hours"):
        call(db, access.request_customers, r, reason="visit", hours=25, customer_nos=["C0003"], clock=clock)
    with db.session() as s:
        assert s.scalar(select(AccessRequest.id)) is None  # nothing was stored

    # Duplicates fold; the requester is not told which numbers exist.
    row = call(db, access.request_customers, r, reason=" joint visit ", hours=8,
               customer_nos=["C0003，C0004 C0003", "NOSUCH9"], clock=clock)
    assert (row.status, row.reason, row.customer_nos, row.granted) == ("pending", "joint visit",
                                                                      ("C0003", "C0004", "NOSUCH9"), 0)
    assert (row.requester_no, row.kind, row.hours, row.search, row.export_what) == ("R001", "customers", 8, None, None)
    (event,) = events(db)
    assert event[0] == "access.request" and event[1] == "R001"
    assert event[2]["customer_nos"] == [None, "C0003,C0004,NOSUCH9"]


def test_who_may_decide_a_request(db, staff, clock):
    a, _ids = staff
    row = call(db, access.request_customers, a["R001"], reason="joint visit", hours=8, customer_nos=["C0003"],
               clock=clock)
    with db.session() as s:
        deciders = {no for no, actor in a.items() if access.can_decide(s, actor, row.id)}
        assert deciders == {"A001", "M001"}  # the manager of R001's branch subtree, and an admin
        assert [r.id for r in access.pending_for(s, a["M001"], clock=clock)] == [row.id]
        assert access.pending_count(s, a["M001"], clock=clock) == 1
        assert access.pending_for(s, a["M900"], clock=clock) == [] and access.pending_count(s, a["R002"]) == 0
        assert access.pending_for(s, a["R001"], clock=clock) == []  # never one's own
        assert [r.id for r in access.my_requests(s, a["R001"], clock=clock)] == [row.id]
        assert access.get_request(s, a["M001"], row.id, clock=clock).requester_name == "李客户经理"
        with pytest.raises(NotFoundError):
            access.get_request(s, a["M900"], row.id, clock=clock)
    for no in ("M900", "R002", "T001"):
        with pytest.raises(PermissionDenied, match="requester's manager or an administrator"):
            call(db, access.approve, a[no], row.id, clock=clock)
    with pytest.raises(PermissionDenied, match="You cannot approve your own request"):
        call(db, access.approve, a["R001"], row.id, clock=clock)
    # An administrator's own request is decided by someone else, too.
    own = call(db, access.request_customers, a["A001"], reason="audit sample", hours=2, customer_nos=["C0004"],
               clock=clock)
    with pytest.raises(PermissionDenied, match="your own request"):
        call(db, access.approve, a["A001"], own.id, clock=clock)
    assert call(db, access.approve, a["A001"], row.id, clock=clock).status == "approved"


def test_an_approval_grants_what_the_approver_sees_until_it_expires(db, staff, clock):
    a, ids = staff
    r001 = a["R001"]
    assert not opens(db, r001, ids["C0003"], clock)
    row = call(db, access.request_customers, r001, reason="joint visit", hours=8,
               customer_nos=["C0003", "C0005", "C0004", "NOSUCH9"], clock=clock)
    with db.session() as s:
        preview = access.approval_preview(s, a["M001"], row.id, clock=clock)
    assert preview.found == ("C0003", "C0005") and preview.not_found == ("C0004", "NOSUCH9")

    clock.advance(minutes=30)
    approved = call(db, access.approve, a["M001"], row.id, note="ok for the visit", version=row.version, clock=clock)
    assert (approved.status, approved.granted, approved.decided_by_no) == ("approved", 2, "M001")
    assert approved.decided_at == clock() and approved.expires_at == clock() + timedelta(hours=8)
    assert opens(db, r001, ids["C0003"], clock) and opens(db, r001, ids["C0005"], clock)
    assert not opens(db, r001, ids["C0004"], clock)  # outside the approver's scope: not granted

    with pytest.raises(ValidationError, match="no longer pending"):
        call(db, access.approve, a["A001"], row.id, clock=clock)  # decided once

    clock.advance(hours=8)
    assert not opens(db, r001, ids["C0003"], clock)
    with db.session() as s:
        assert access.get_request(s, r001, row.id, clock=clock).status == "expired"
        assert s.scalar(select(AccessRequest.status).where(AccessRequest.id == row.id)) == "approved"

    names = [e[0] for e in events(db)]  # the grants are written in the approval's transaction
    assert sorted(names) == ["access.approve", "access.grant", "access.grant", "access.request"]
    approve_event = events(db, "access.approve")[0]
    assert approve_event[1] == "M001" and approve_event[2]["status"] == ["pending", "approved"]
    grants = [e[2] for e in events(db, "access.grant")]
    assert sorted(g["customer_id"][1] for g in grants) == sorted([ids["C0003"], ids["C0005"]])


def test_an_approval_with_nothing_in_the_approvers_scope_is_refused(db, staff, clock):
    a, ids = staff
    row = call(db, access.request_customers, a["R001"], reason="joint visit", hours=4, customer_nos=["C0004"],
               clock=clock)
    with pytest.raises(ValidationError, match="None of the customers asked for is in your scope"):
        call(db, access.approve, a["M001"], row.id, clock=clock)
    assert call(db, access.approve, a["A001"], row.id, clock=clock).granted == 1  # an admin sees every customer
    assert opens(db, a["R001"], ids["C0004"], clock)


def test_reject_needs_a_note_and_withdraw_is_the_requesters(db, staff, clock):
    a, _ids = staff
    first = call(db, access.request_customers, a["R001"], reason="joint visit", hours=4, customer_nos=["C0003"],
                 clock=clock)
    with pytest.raises(ValidationError, match="note saying why"):
        call(db, access.reject, a["M001"], first.id, note=" ", clock=clock)
    rejected = call(db, access.reject, a["M001"], first.id, note="not your customer", clock=clock)
    assert (rejected.status, rejected.decision_note, rejected.granted) == ("rejected", "not your customer", 0)
    with pytest.raises(ValidationError, match="no longer pending"):
        call(db, access.withdraw, a["R001"], first.id, clock=clock)

    second = call(db, access.request_customers, a["R001"], reason="joint visit", hours=4, customer_nos=["C0003"],
                  clock=clock)
    with pytest.raises(PermissionDenied, match="who asked"):
        call(db, access.withdraw, a["M001"], second.id, clock=clock)
    with pytest.raises(NotFoundError):
        call(db, access.withdraw, a["R002"], second.id, clock=clock)
    assert call(db, access.withdraw, a["R001"], second.id, clock=clock).status == "withdrawn"
    with pytest.raises(ValidationError, match="no longer pending"):
        call(db, access.approve, a["M001"], second.id, clock=clock)
    assert [(e[0], e[1]) for e in events(db)] == [
        ("access.request", "R001"), ("access.reject", "M001"), ("access.request", "R001"), ("access.withdraw", "R001")]


def test_a_revoke_stops_the_access_at_once(db, staff, clock):
    a, ids = staff
    row = call(db, access.request_customers, a["R001"], reason="joint visit", hours=8, customer_nos=["C0003"],
               clock=clock)
    call(db, access.approve, a["M001"], row.id, clock=clock)
    assert opens(db, a["R001"], ids["C0003"], clock)
    with pytest.raises(PermissionDenied):
        call(db, access.revoke, a["R001"], row.id, note="done", clock=clock)
    with pytest.raises(ValidationError, match="note saying why"):
        call(db, access.revoke, a["M001"], row.id, note="", clock=clock)
    clock.advance(minutes=5)
    revoked = call(db, access.revoke, a["M001"], row.id, note="visit cancelled", clock=clock)
    assert (revoked.status, revoked.expires_at) == ("revoked", clock())
    assert not opens(db, a["R001"], ids["C0003"], clock)
    with db.session() as s:
        assert [g.expires_at for g in s.scalars(select(AccessGrant))] == [clock()]
    with pytest.raises(ValidationError, match="still running"):
        call(db, access.revoke, a["A001"], row.id, note="again", clock=clock)
    assert events(db, "access.revoke")[0][1] == "M001"


def test_approvals_still_running_are_listed_for_those_who_may_revoke_them(db, staff, clock):
    a, _ids = staff
    short = call(db, access.request_customers, a["R001"], reason="joint visit", hours=2, customer_nos=["C0003"],
                 clock=clock)
    long = call(db, access.request_customers, a["R002"], reason="complaint", hours=8, customer_nos=["C0005"],
                clock=clock)
    call(db, access.approve, a["M001"], short.id, clock=clock)
    clock.advance(minutes=1)
    call(db, access.approve, a["A001"], long.id, clock=clock)

    def running(no):
        with db.session() as s:
            return [r.id for r in access.running_for(s, a[no], clock=clock)]

    assert running("M001") == running("A001") == [long.id, short.id]  # the latest decided first
    assert running("M900") == running("R001") == []
    clock.advance(hours=2)
    assert running("M001") == [long.id]  # the two hours are over
    call(db, access.revoke, a["M001"], long.id, note="done early", clock=clock)
    assert running("M001") == []


def test_a_stale_decision_is_refused_naming_who_decided(db, staff, clock):
    a, _ids = staff
    row = call(db, access.request_customers, a["R001"], reason="joint visit", hours=8, customer_nos=["C0003"],
               clock=clock)
    seen_by_manager = call(db, access.get_request, a["M001"], row.id, clock=clock)
    call(db, access.reject, a["A001"], row.id, note="ask your manager", clock=clock)
    with pytest.raises(StaleRecordError, match="系统管理员 rejected this request"):
        call(db, access.approve, a["M001"], row.id, version=seen_by_manager.version, clock=clock)
    with db.session() as s:
        assert s.scalar(select(AccessGrant.id)) is None


def campaigns_of(db, rm_no: str | None, *filters: str) -> list[int]:
    """Campaigns with these saved filters; with ``rm_no``, each gives that RM a target (so they see it)."""
    with db.session(write=True) as s:
        made = [Campaign(name=f"活动{i}", filter_json=f) for i, f in enumerate(filters)]
        s.add_all(made)
        s.flush()
        if rm_no is not None:
            rm = get_user(s, rm_no)
            mine = s.scalar(select(Customer.id).where(Customer.rm_id == rm.id).order_by(Customer.id))
            s.add_all([CampaignTarget(campaign_id=c.id, customer_id=mine, rm_id=rm.id) for c in made])
        s.commit()
        return [c.id for c in made]


def test_a_saved_search_is_resolved_in_the_approvers_scope(db, staff, clock):
    a, ids = staff
    everyone_id, outlet_id = campaigns_of(db, "R002", '{"org_code": "HO"}', '{"org_code": "O1"}')
    row = call(db, access.request_customers, a["R002"], reason="branch review", hours=24, campaign_id=everyone_id,
               clock=clock)
    assert row.customer_nos == () and row.search == "Customers of any tier of 总行 and below"
    approved = call(db, access.approve, a["M001"], row.id, clock=clock)
    assert approved.granted == 4  # C0004 belongs to another branch: not in the manager's scope
    assert opens(db, a["R002"], ids["C0005"], clock) and not opens(db, a["R002"], ids["C0004"], clock)

    # More than 500 customers: refused, saying how many matched.
    with db.session(write=True) as s:
        o1 = get_org_by_code(s, "O1").id
        s.execute(insert(Customer), [{"customer_no": f"B{i:05}", "name": "客户", "mobile": "13800000000",
                                      "org_id": o1} for i in range(500)])
        s.commit()
    big = call(db, access.request_customers, a["R002"], reason="outlet review", hours=24, campaign_id=outlet_id,
               clock=clock)
    with pytest.raises(ValidationError, match="matches 502 customers in your scope; at most 500"):
        call(db, access.approve, a["M001"], big.id, clock=clock)


def test_an_approver_passes_on_only_their_own_scope_never_a_grant_of_theirs(db, staff, clock):
    a, ids = staff
    # An administrator grants 王经理 (城东支行) a customer of 江北分行 for a complaint.
    own = call(db, access.request_customers, a["M001"], reason="cross-branch complaint", hours=8,
               customer_nos=["C0004"], clock=clock)
    call(db, access.approve, a["A001"], own.id, clock=clock)
    assert opens(db, a["M001"], ids["C0004"], clock)  # the grant is in M001's scope for M001's own work
    with db.session() as s:
        with_grants = s.scalars(select(Customer.customer_no).where(scope.customer_scope(a["M001"], now=clock()))).all()
        own_scope = s.scalars(select(Customer.customer_no)
                              .where(scope.customer_scope(a["M001"], now=clock(), grants=False))).all()
    assert sorted(with_grants) == ["C0001", "C0002", "C0003", "C0004", "C0005"]
    assert sorted(own_scope) == ["C0001", "C0002", "C0003", "C0005"]

    # ... but it is not M001's to pass on, by number ...
    row = call(db, access.request_customers, a["R001"], reason="joint visit", hours=8,
               customer_nos=["C0004", "C0003"], clock=clock)
    with db.session() as s:
        preview = access.approval_preview(s, a["M001"], row.id, clock=clock)
    assert preview.found == ("C0003",) and preview.not_found == ("C0004",)
    assert call(db, access.approve, a["M001"], row.id, clock=clock).granted == 1
    assert opens(db, a["R001"], ids["C0003"], clock) and not opens(db, a["R001"], ids["C0004"], clock)
    only_that = call(db, access.request_customers, a["R002"], reason="complaint", hours=8, customer_nos=["C0004"],
                     clock=clock)
    with pytest.raises(ValidationError, match="None of the customers asked for is in your scope"):
        call(db, access.approve, a["M001"], only_that.id, clock=clock)
    # ... nor by a saved search.
    (everyone,) = campaigns_of(db, "R002", '{"org_code": "HO"}')
    search = call(db, access.request_customers, a["R002"], reason="branch review", hours=8, campaign_id=everyone,
                  clock=clock)
    assert call(db, access.approve, a["M001"], search.id, clock=clock).granted == 4
    assert not opens(db, a["R002"], ids["C0004"], clock)
    with db.session() as s:
        assert s.scalar(select(AccessGrant.id).where(AccessGrant.customer_id == ids["C0004"],
                                                     AccessGrant.approved_by == a["M001"].id)) is None


def test_a_managers_request_goes_to_a_manager_above_never_to_a_peer(db, staff, clock):
    a, _ids = staff
    with db.session(write=True) as s:
        for no, name, org in [("M002", "周经理", "SB"), ("M003", "吴经理", "B2"), ("M004", "郑经理", "O1")]:
            users.add_user(s, a["A001"], employee_no=no, name=name, role="manager", org_code=org, password=PASSWORD,
                           clock=clock)
        people = {**a, **{no: auth.actor_for(s, get_user(s, no)) for no in ("M002", "M003", "M004")}}
    managers = call(db, access.request_customers, a["M001"], reason="cross-branch complaint", hours=4,
                    customer_nos=["C0004"], clock=clock)
    rms = call(db, access.request_customers, a["R001"], reason="joint visit", hours=4, customer_nos=["C0003"],
               clock=clock)

    def deciders(request_id: int) -> set[str]:
        with db.session() as s:
            return {no for no, actor in people.items() if access.can_decide(s, actor, request_id)}

    # M001 manages 城东支行 (SB): a manager above it (M003 at B2) or an administrator decides, not the
    # peer at SB (M002) nor the manager below (M004 at O1).
    assert deciders(managers.id) == {"A001", "M003"}
    # R001 works at 人民路网点 (O1): a manager at their node or above.
    assert deciders(rms.id) == {"A001", "M001", "M002", "M003", "M004"}
    with db.session() as s:  # the lists agree with the rule
        for no, actor in people.items():
            pending = {r.id for r in access.pending_for(s, actor, clock=clock)}
            assert pending == {i for i in (managers.id, rms.id) if access.can_decide(s, actor, i)}, no
            assert access.pending_count(s, actor, clock=clock) == len(pending), no
        with pytest.raises(NotFoundError):
            access.get_request(s, people["M002"], managers.id, clock=clock)
    for no in ("M002", "M004"):
        with pytest.raises(PermissionDenied, match="requester's manager or an administrator"):
            call(db, access.approve, people[no], managers.id, clock=clock)
        with pytest.raises(PermissionDenied, match="requester's manager or an administrator"):
            call(db, access.reject, people[no], managers.id, note="peer", clock=clock)
    call(db, access.approve, a["A001"], managers.id, clock=clock)

    def running(no: str) -> list[int]:
        with db.session() as s:
            return [r.id for r in access.running_for(s, people[no], clock=clock)]

    assert running("M002") == [] and running("M003") == [managers.id]
    with pytest.raises(PermissionDenied, match="requester's manager or an administrator"):
        call(db, access.revoke, people["M002"], managers.id, note="peer", clock=clock)
    assert call(db, access.revoke, people["M003"], managers.id, note="done", clock=clock).status == "revoked"
    assert call(db, access.approve, people["M002"], rms.id, clock=clock).decided_by_no == "M002"


def test_an_approval_is_capped_at_the_maximum_in_force_when_deciding(db, staff, clock):
    a, ids = staff
    row = call(db, access.request_customers, a["R001"], reason="two-day audit", hours=48, customer_nos=["C0003"],
               clock=clock)
    with db.session(write=True) as s:
        settings.set_setting(s, "access.max_hours", 24)
        s.commit()
    with pytest.raises(ValidationError, match="asks for 48 hours, more than the 24 hours now allowed") as refused:
        call(db, access.approve, a["M001"], row.id, clock=clock)
    assert refused.value.field == "hours"
    with db.session() as s:
        assert access.get_request(s, a["R001"], row.id, clock=clock).status == "pending"
        assert s.scalar(select(AccessGrant.id)) is None
    assert not opens(db, a["R001"], ids["C0003"], clock)
    assert call(db, access.reject, a["M001"], row.id, note="ask for 24 hours", clock=clock).status == "rejected"
    again = call(db, access.request_customers, a["R001"], reason="audit", hours=24, customer_nos=["C0003"],
                 clock=clock)
    approved = call(db, access.approve, a["M001"], again.id, clock=clock)
    assert approved.expires_at == clock() + timedelta(hours=24)


def test_a_saved_search_names_only_a_campaign_the_requester_sees(db, staff, clock):
    a, _ids = staff
    (theirs,) = campaigns_of(db, "R001", '{"org_code": "O1"}')
    (others,) = campaigns_of(db, None, '{"org_code": "HO"}')
    with pytest.raises(NotFoundError) as unknown:
        call(db, access.request_customers, a["R001"], reason="visit", hours=8, campaign_id=999999, clock=clock)
    with pytest.raises(NotFoundError) as hidden:
        call(db, access.request_customers, a["R001"], reason="visit", hours=8, campaign_id=others, clock=clock)
    assert hidden.value.message == unknown.value.message == "No such campaign"
    with pytest.raises(NotFoundError, match="No such campaign"):  # a teller sees no campaign
        call(db, access.request_customers, a["T001"], reason="visit", hours=8, campaign_id=theirs, clock=clock)
    with db.session() as s:
        assert s.scalar(select(AccessRequest.id)) is None
    assert call(db, access.request_customers, a["R001"], reason="visit", hours=8, campaign_id=theirs,
                clock=clock).search == "Customers of any tier of 人民路网点 and below"
    # A bank-wide campaign is one a manager sees.
    assert call(db, access.request_customers, a["M001"], reason="review", hours=8, campaign_id=others,
                clock=clock).status == "pending"


# -- approved unmasked exports -------------------------------------------------------------------

def read_csv(path) -> list[list[str]]:
    return list(csv.reader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_an_unmasked_target_export_needs_an_approval_used_once(db, branch, live, tmp_path, clock):  # noqa: F811
    with db.session() as s:
        m001 = auth.actor_for(s, get_user(s, "M001"))
        a001 = auth.actor_for(s, get_user(s, "A001"))
    what = f"targets:{live}"
    row = call(db, access.request_export, m001, what=what, purpose="call list for the roadshow", hours=4, clock=clock)
    assert (row.kind, row.export_what, row.reason) == ("export", what, "call list for the roadshow")
    with pytest.raises(ValidationError, match="pending, not approved"):
        call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=row.id,
             clock=clock)
    assert not (tmp_path / "t.csv").exists()
    call(db, access.approve, a001, row.id, note="roadshow", clock=clock)
    with pytest.raises(PermissionDenied, match="not yours"):
        call(db, campaign_reports.export_targets, a001, live, tmp_path / "t.csv", "csv", unmasked_request=row.id,
             clock=clock)

    done = call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=row.id,
                clock=clock)
    header, *rows, blank, footer = read_csv(done.result.path)
    assert blank == [] and len(rows) == 4
    by_no = {r[0]: r for r in rows}
    assert by_no["9300000000"][1:3] == ["张伟", "13900000001"]
    assert by_no["9300000001"][1] == "欧阳娜娜"
    assert footer[0].startswith("Exported by 王经理 (M001) at ")
    assert footer[0].endswith(f"unmasked, approved by 系统管理员 (A001) under request {row.id}")
    (export_event,) = events(db, "export.targets")
    assert export_event[2]["masked"] is False and export_event[2]["request"] == row.id
    assert export_event[2]["sha256"] == done.result.sha256
    (use,) = events(db, "access.use")
    assert use[1] == "M001" and use[2]["status"] == ["approved", "used"]
    with db.session() as s:
        assert access.get_request(s, m001, row.id, clock=clock).status == "used"

    with pytest.raises(ValidationError, match="used already"):
        call(db, campaign_reports.export_targets, m001, live, tmp_path / "again.csv", "csv", unmasked_request=row.id,
             clock=clock)
    assert not (tmp_path / "again.csv").exists()
    # Without a request the file stays masked.
    masked = call(db, campaign_reports.export_targets, m001, live, tmp_path / "m.csv", "csv", clock=clock)
    assert {r[0]: r for r in read_csv(masked.result.path)[1:5]}["9300000000"][1:3] == ["张*", "139****0001"]


def test_an_export_approval_is_for_one_campaign_and_expires(db, branch, live, tmp_path, clock):  # noqa: F811
    with db.session(write=True) as s:
        m001 = auth.actor_for(s, get_user(s, "M001"))
        a001 = auth.actor_for(s, get_user(s, "A001"))
        other = Campaign(name="另一个活动")
        s.add(other)
        s.commit()
        other_id = other.id
    for bad in ("targets:", "targets:all", "report:1", "sms:x"):
        with pytest.raises(ValidationError, match="targets:<campaign no.>"):
            call(db, access.request_export, m001, what=bad, purpose="p", hours=4, clock=clock)
    with pytest.raises(NotFoundError):
        call(db, access.request_export, m001, what="targets:9999", purpose="p", hours=4, clock=clock)
    with pytest.raises(PermissionDenied):
        call(db, access.request_export, m001, what="sms:all", purpose="p", hours=4, clock=clock)  # admins only

    elsewhere = call(db, access.request_export, m001, what=f"targets:{other_id}", purpose="p", hours=4, clock=clock)
    call(db, access.approve, a001, elsewhere.id, clock=clock)
    with pytest.raises(ValidationError, match=f"approves the export targets:{other_id}, not targets:{live}"):
        call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=elsewhere.id,
             clock=clock)

    later = call(db, access.request_export, m001, what=f"targets:{live}", purpose="p", hours=2, clock=clock)
    call(db, access.approve, a001, later.id, clock=clock)
    clock.advance(hours=2)
    with pytest.raises(ValidationError, match="has expired"):
        call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=later.id,
             clock=clock)
    assert not (tmp_path / "t.csv").exists()
    with db.session() as s:
        assert s.scalar(select(AccessRequest.used_at).where(AccessRequest.id == later.id)) is None
    assert events(db, "export.") == []


def test_the_gateway_file_needs_an_approval_even_for_an_admin(db, branch, live, tmp_path, clock):  # noqa: F811
    send_sms(db, live, clock)
    with db.session(write=True) as s:
        users.add_user(s, a001 := auth.actor_for(s, get_user(s, "A001")), employee_no="A002", name="第二管理员",
                       role="admin", org_code="HO", password=PASSWORD, clock=clock)
        a002 = auth.actor_for(s, get_user(s, "A002"))
    out = tmp_path / "gateway.csv"
    with pytest.raises(PermissionDenied, match=f"approved export request for sms:{live}"):
        call(db, sms.export_outbox, a001, out, campaign_id=live, for_gateway=True, clock=clock)
    all_queued = call(db, access.request_export, a001, what="sms:all", purpose="gateway run", hours=1, clock=clock)
    call(db, access.approve, a002, all_queued.id, clock=clock)
    with pytest.raises(ValidationError, match=f"approves the export sms:all, not sms:{live}"):
        call(db, sms.export_outbox, a001, out, campaign_id=live, for_gateway=True, request_id=all_queued.id,
             clock=clock)
    done = call(db, sms.export_outbox, a001, out, for_gateway=True, request_id=all_queued.id, clock=clock)
    assert done.messages == 3 and not done.masked
    lines = read_csv(out)
    assert len(lines) == 4 and sorted(r[3] for r in lines[1:]) == ["13900000001", "13900000002", "13900000003"]
    manifest = done.manifest.read_text(encoding="utf-8")
    assert done.manifest.name == "gateway.csv.manifest.txt"
    assert f"under request {all_queued.id}" in manifest and "Messages: 3" in manifest
    assert f"SHA-256: {done.result.sha256}" in manifest and "系统管理员 (A001)" in manifest
    (event,) = events(db, "export.sms_unmasked")
    assert event[2]["request"] == all_queued.id and event[2]["masked"] is False
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"exported"}
    with pytest.raises(ValidationError, match="used already"):
        call(db, sms.export_outbox, a001, tmp_path / "again.csv", for_gateway=True, request_id=all_queued.id,
             clock=clock)


def test_an_unmasked_export_needs_the_right_to_see_full_values(db, branch, live, tmp_path, clock):  # noqa: F811
    send_sms(db, live, clock)
    with db.session(write=True) as s:
        users.add_user(s, a001 := auth.actor_for(s, get_user(s, "A001")), employee_no="A002", name="第二管理员",
                       role="admin", org_code="HO", password=PASSWORD, clock=clock)
        a002 = auth.actor_for(s, get_user(s, "A002"))
        m001 = auth.actor_for(s, get_user(s, "M001"))
    targets = call(db, access.request_export, m001, what=f"targets:{live}", purpose="call list", hours=4, clock=clock)
    call(db, access.approve, a001, targets.id, clock=clock)
    gateway = call(db, access.request_export, a001, what="sms:all", purpose="gateway run", hours=4, clock=clock)
    call(db, access.approve, a002, gateway.id, clock=clock)

    # The right is withdrawn from 王经理 after the approval: no file with full values, and no new request.
    call(db, users.set_unmask, a001, "M001", "withdraw", clock=clock)
    refused = "An unmasked export needs the right to see full customer values"
    with pytest.raises(PermissionDenied, match=refused):
        call(db, access.request_export, m001, what=f"targets:{live}", purpose="call list", hours=4, clock=clock)
    with pytest.raises(PermissionDenied, match=refused):
        call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=targets.id,
             clock=clock)
    assert not (tmp_path / "t.csv").exists()
    with db.session() as s:
        assert access.get_request(s, m001, targets.id, clock=clock).status == "approved"
    masked = call(db, campaign_reports.export_targets, m001, live, tmp_path / "m.csv", "csv", clock=clock)
    assert {r[0]: r for r in read_csv(masked.result.path)[1:5]}["9300000000"][1:3] == ["张*", "139****0001"]

    # An administrator too: the right as the setting unmask.roles gives it.
    with db.session(write=True) as s:
        settings.set_setting(s, "unmask.roles", ["rm", "manager"])
        s.commit()
    with pytest.raises(PermissionDenied, match=refused):
        call(db, sms.export_outbox, a001, tmp_path / "g.csv", for_gateway=True, request_id=gateway.id, clock=clock)
    assert not (tmp_path / "g.csv").exists()
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"queued"}
    with pytest.raises(PermissionDenied, match=refused):
        call(db, access.request_export, a001, what="sms:all", purpose="gateway run", hours=4, clock=clock)

    # Given back, the approvals still waiting are used.
    call(db, users.set_unmask, a001, "M001", "grant", clock=clock)
    call(db, users.set_unmask, a001, "A001", "grant", clock=clock)
    done = call(db, campaign_reports.export_targets, m001, live, tmp_path / "t.csv", "csv", unmasked_request=targets.id,
                clock=clock)
    assert {r[0]: r for r in read_csv(done.result.path)[1:5]}["9300000000"][1:3] == ["张伟", "13900000001"]
    assert call(db, sms.export_outbox, a001, tmp_path / "g.csv", for_gateway=True, request_id=gateway.id,
                clock=clock).messages == 3
    assert [e[2]["masked"] for e in events(db, "export.targets")] == [True, False]
