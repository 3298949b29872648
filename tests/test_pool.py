"""The customer pool (公海) and the RMs' books (私海): who sees which pool, claiming (the cap,
a customer already taken, two terminals at once), releasing with a reason, a manager moving
customers, and the sweep that returns neglected claims — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ocrm_tui.db.models import Alert, AuditRecord, Customer, ServiceContact, StaffUser
from ocrm_tui.services import auth, pool, settings
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

# The branch fixture's staff, plus R011 at O1 (a colleague of R001) and R900 at X1 (江北).
EXTRA_RMS = [("R011", "孙客户经理", "O1"), ("R900", "江北客户经理", "X1")]
# name, outlet, RM, daily-average AUM, days since the file was made
CUSTOMERS = [
    ("王二", "O1", None, 1_200_000, 10),
    ("张一", "O1", None, 300_000, 40),
    ("刘三", "O1", "R001", 80_000, 100),
    ("陈四", "O2", None, 50_000, 5),
    ("杨五", "O2", "R002", 700_000, 100),
    ("黄六", "SB", None, 10_000, 2),
    ("周七", "X1", None, 900_000, 3),
]
ALL = ("A001", "M001", "R001", "R002", "R011", "R900", "T001", "M900")


def actors_of(db) -> dict:
    with db.session() as s:
        return {no: auth.actor_for(s, get_user(s, no)) for no in ALL}


def build_pool(db, clock) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.session(write=True) as s:
        for no, name, org in EXTRA_RMS:
            s.add(StaffUser(employee_no=no, name=name, role="rm", org_id=get_org_by_code(s, org).id, password_hash="-"))
        s.flush()
        for i, (name, org, rm, aum, age) in enumerate(CUSTOMERS):
            c = Customer(customer_no=f"92000000{i:02d}", name=name, **name_keys(name), mobile=f"1390001{i:04d}",
                         birth_date=date(1980, 1, 1 + i), org_id=get_org_by_code(s, org).id,
                         rm_id=get_user(s, rm).id if rm else None, tier="wealth" if aum >= 500_000 else "vip",
                         aum=Decimal(aum), aum_daily_avg=Decimal(aum), created_at=clock() - timedelta(days=age))
            s.add(c)
            s.flush()
            ids[name] = c.id
        s.commit()
    return ids


@pytest.fixture
def world(branch, db, clock):
    ids = build_pool(db, clock)
    return ids, actors_of(db)


def pool_names(db, actor, **kw) -> list[str]:
    with db.session() as s:
        return [r.name for r in pool.pool_customers(s, actor, **kw).rows]


def customer(db, customer_id) -> Customer:
    with db.session() as s:
        return s.get(Customer, customer_id)


def owner(db, customer_id) -> str | None:
    with db.session() as s:
        return s.scalar(select(StaffUser.employee_no).join(Customer, Customer.rm_id == StaffUser.id)
                        .where(Customer.id == customer_id))


def claim(db, actor, ids, clock):
    with db.session(write=True) as s:
        return pool.claim(s, actor, ids, clock=clock)


def release(db, actor, ids, reason, clock):
    with db.session(write=True) as s:
        return pool.release(s, actor, ids, reason, clock=clock)


def move(db, actor, ids, to, clock):
    with db.session(write=True) as s:
        return pool.move(s, actor, ids, to, clock=clock)


def audit_of(db, event: str) -> list[tuple[str, str, dict]]:
    with db.session() as s:
        return [(r.actor_no, r.entity_id, json.loads(r.changes)) for r in
                s.scalars(select(AuditRecord).where(AuditRecord.event == event).order_by(AuditRecord.seq))]


def reasons(result) -> dict[int, str]:
    return {r.customer_id: r.reason for r in result.refused}


# -- who sees which pool ----------------------------------------------------------------------------

def test_each_role_sees_the_pool_of_their_branch_most_valuable_first(db, world, clock):
    ids, a = world
    assert pool_names(db, a["R001"]) == ["王二", "张一"]  # their outlet only
    assert pool_names(db, a["R002"]) == ["陈四"]
    assert pool_names(db, a["M001"]) == ["王二", "张一", "陈四", "黄六"]  # the sub-branch and its outlets
    assert pool_names(db, a["M900"]) == ["周七"]
    assert pool_names(db, a["A001"]) == ["王二", "周七", "张一", "陈四", "黄六"]  # the whole bank
    with db.session() as s, pytest.raises(PermissionDenied):
        pool.pool_customers(s, a["T001"])


def test_a_pool_page_has_the_total_the_branch_the_days_in_the_pool_and_a_filter(db, world, clock):
    ids, a = world
    with db.session() as s:
        page = pool.pool_customers(s, a["M001"], offset=1, limit=2, now=clock())
    assert page.total == 4 and page.has_more
    assert [(r.name, r.org_name, r.days_in_pool, r.aum_daily_avg) for r in page.rows] == [
        ("张一", "人民路网点", 40, Decimal("300000.00")), ("陈四", "解放路网点", 5, Decimal("50000.00"))]
    assert all(r.opens_profile for r in page.rows)  # the manager's branch
    with db.session() as s:
        rm_rows = pool.pool_customers(s, a["R001"], now=clock()).rows
    assert not any(r.opens_profile for r in rm_rows)  # not their customers until claimed
    # narrowed by name, pinyin initials or customer number
    assert pool_names(db, a["M001"], text="张") == ["张一"]
    assert pool_names(db, a["M001"], text="cs") == ["陈四"]
    assert pool_names(db, a["M001"], text="9200000005") == ["黄六"]
    with db.session() as s, pytest.raises(ValidationError):
        pool.pool_customers(s, a["M001"], text="%")


def test_a_released_customer_counts_their_days_in_the_pool_from_the_release(db, world, clock):
    ids, a = world
    clock.advance(days=3)
    release(db, a["R001"], [ids["刘三"]], "客户已搬离本区", clock)
    clock.advance(days=2)
    with db.session() as s:
        rows = {r.name: r for r in pool.pool_customers(s, a["R001"], now=clock()).rows}
    assert rows["刘三"].days_in_pool == 2  # not 105: the file is old, the release is new


# -- claiming ----------------------------------------------------------------------------------------

def test_an_rm_claims_customers_of_their_pool(db, world, clock):
    ids, a = world
    before = customer(db, ids["王二"]).version
    result = claim(db, a["R001"], [ids["王二"], ids["张一"]], clock)
    assert result.done == (ids["王二"], ids["张一"]) and result.refused == ()
    c = customer(db, ids["王二"])
    assert (owner(db, c.id), c.version) == ("R001", before + 1)
    assert c.claimed_at.replace(tzinfo=None) == clock().replace(tzinfo=None)
    assert pool_names(db, a["R001"]) == []
    r001 = a["R001"].id
    assert audit_of(db, "pool.claim") == [
        ("R001", str(ids["王二"]), {"rm_id": [None, r001], "claimed_at": [None, clock().isoformat()]}),
        ("R001", str(ids["张一"]), {"rm_id": [None, r001], "claimed_at": [None, clock().isoformat()]}),
    ]
    with db.session() as s:
        book = pool.book_customers(s, a["R001"], r001)
    assert [r.name for r in book.rows] == ["王二", "张一", "刘三"] and book.rows[0].opens_profile


def test_a_claim_refuses_the_taken_the_foreign_and_what_is_already_yours(db, world, clock):
    ids, a = world
    claim(db, a["R001"], [ids["王二"]], clock)
    result = claim(db, a["R011"], [ids["王二"], ids["陈四"], ids["周七"], ids["张一"]], clock)
    assert result.done == (ids["张一"],)
    assert reasons(result) == {
        ids["王二"]: "already claimed by 李客户经理",
        ids["陈四"]: "no such customer, or not in your branch's pool",  # another outlet's pool
        ids["周七"]: "no such customer, or not in your branch's pool",
    }
    foreign = next(r for r in result.refused if r.customer_id == ids["周七"])
    assert (foreign.customer_no, foreign.name) == ("", "")  # nothing said of a customer outside the branch
    again = claim(db, a["R011"], [ids["张一"]], clock)
    assert reasons(again) == {ids["张一"]: "already in your book"}
    assert owner(db, ids["王二"]) == "R001"
    for who in ("M001", "A001", "T001"):  # only RMs claim
        with pytest.raises(PermissionDenied):
            claim(db, a[who], [ids["王二"]], clock)
    with pytest.raises(ValidationError) as refused:
        claim(db, a["R001"], [], clock)
    assert refused.value.field == "selection"


def test_a_claim_stops_at_the_cap_on_the_book_and_names_it(db, world, clock, system):
    ids, a = world
    with db.session(write=True) as s:
        settings.set_setting(s, "pool.max_book", 2)
        s.commit()
    result = claim(db, a["R001"], [ids["王二"], ids["张一"]], clock)  # R001 already holds 刘三
    assert result.done == (ids["王二"],)
    assert reasons(result) == {ids["张一"]: "your book is full: at most 2 customers (setting pool.max_book)"}
    assert owner(db, ids["张一"]) is None
    with db.session() as s:
        assert pool.policy(s, a["R001"]) == pool.PoolPolicy(max_book=2, sweep_days=30, book_size=2)


def test_two_rms_claiming_the_same_customer_at_once_one_wins(db, world, clock):
    ids, a = world
    # PostgreSQL: both connected, then both claim together. SQLite: one write transaction at a
    # time, the second begins once the first has ended.
    start = threading.Barrier(1 if db.is_sqlite else 2)
    results: dict[str, object] = {}

    def terminal(no: str) -> None:
        try:
            with db.session(write=True) as s:
                s.connection()
                start.wait(timeout=10)
                results[no] = pool.claim(s, a[no], [ids["王二"]], clock=clock)
        except BaseException as exc:  # reported below
            results[no] = exc

    threads = [threading.Thread(target=terminal, args=(no,)) for no in ("R001", "R011")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(isinstance(r, pool.BatchResult) for r in results.values()), results
    winners = [no for no, r in results.items() if r.done]
    assert len(winners) == 1
    loser = next(no for no in results if no not in winners)
    winner_name = {"R001": "李客户经理", "R011": "孙客户经理"}[winners[0]]
    assert reasons(results[loser]) == {ids["王二"]: f"already claimed by {winner_name}"}
    assert owner(db, ids["王二"]) == winners[0]
    assert len(audit_of(db, "pool.claim")) == 1


def test_a_screen_holding_the_customer_before_the_claim_cannot_overwrite_it(db, world, clock):
    ids, a = world
    with db.session() as stale:
        c = stale.get(Customer, ids["王二"])  # read by another terminal's form, version 1
        stale.commit()
        claim(db, a["R001"], [ids["王二"]], clock)
        c.occupation = "教师"
        with pytest.raises(StaleDataError):
            stale.commit()
    assert owner(db, ids["王二"]) == "R001"


# -- releasing ---------------------------------------------------------------------------------------

def test_releasing_needs_a_reason_an_rm_releases_their_own_a_manager_those_of_the_branch(db, world, clock):
    ids, a = world
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as refused:
            release(db, a["R001"], [ids["刘三"]], reason, clock)
        assert refused.value.field == "reason"
    assert owner(db, ids["刘三"]) == "R001"
    claim(db, a["R001"], [ids["王二"]], clock)
    result = release(db, a["R001"], [ids["王二"], ids["刘三"], ids["杨五"], ids["张一"]], "客户要求更换网点", clock)
    assert result.done == (ids["王二"], ids["刘三"])
    assert reasons(result) == {ids["杨五"]: "no such customer, or not in your customers",
                               ids["张一"]: "already in the pool"}
    released = customer(db, ids["王二"])
    assert (released.rm_id, released.claimed_at) == (None, None)
    r001 = a["R001"].id
    assert audit_of(db, "pool.release") == [
        ("R001", str(ids["王二"]), {"rm_id": [r001, None], "claimed_at": [clock().isoformat(), None],
                                    "reason": "客户要求更换网点"}),
        ("R001", str(ids["刘三"]), {"rm_id": [r001, None], "reason": "客户要求更换网点"}),
    ]
    assert pool_names(db, a["R001"]) == ["王二", "张一", "刘三"]
    # a manager releases customers of their branch only
    assert reasons(release(db, a["M900"], [ids["杨五"]], "调整", clock)) == {
        ids["杨五"]: "no such customer, or not in your customers"}
    assert release(db, a["M001"], [ids["杨五"]], "客户经理离职", clock).done == (ids["杨五"],)
    with pytest.raises(PermissionDenied):
        release(db, a["T001"], [ids["刘三"]], "调整", clock)


# -- moving ------------------------------------------------------------------------------------------

def test_a_manager_moves_a_batch_between_books_and_from_the_pool(db, world, clock):
    ids, a = world
    claim(db, a["R001"], [ids["王二"]], clock)
    batch = [ids["王二"], ids["刘三"], ids["陈四"], ids["杨五"], ids["周七"]]
    result = move(db, a["M001"], batch, "R002", clock)
    assert result.done == (ids["王二"], ids["刘三"], ids["陈四"])
    assert reasons(result) == {ids["杨五"]: "already in 赵客户经理's book",
                               ids["周七"]: "no such customer, or not in your branch"}
    assert [owner(db, ids[n]) for n in ("王二", "刘三", "陈四")] == ["R002"] * 3
    assert customer(db, ids["王二"]).claimed_at is None  # given, not claimed: the sweep leaves it alone
    r001, r002 = a["R001"].id, a["R002"].id
    assert [(no, changes["rm_id"]) for no, _id, changes in audit_of(db, "pool.move")] == [
        ("M001", [r001, r002]), ("M001", [r001, r002]), ("M001", [None, r002])]
    with db.session() as s:
        assert [r.name for r in pool.book_customers(s, a["M001"], r002).rows] == ["王二", "杨五", "刘三", "陈四"]


def test_moving_is_for_managers_to_an_active_rm_of_their_branch(db, world, clock):
    ids, a = world
    with pytest.raises(PermissionDenied):
        move(db, a["R001"], [ids["刘三"]], "R011", clock)
    with pytest.raises(PermissionDenied, match="江北客户经理 works outside your branch"):
        move(db, a["M001"], [ids["刘三"]], "R900", clock)
    with pytest.raises(ValidationError, match="not a relationship manager"):
        move(db, a["M001"], [ids["刘三"]], "T001", clock)
    with pytest.raises(NotFoundError):
        move(db, a["M001"], [ids["刘三"]], "R404", clock)
    with db.session(write=True) as s:
        s.get(StaffUser, a["R011"].id).active = False
        s.commit()
    with pytest.raises(ValidationError, match="disabled"):
        move(db, a["M001"], [ids["刘三"]], "R011", clock)
    assert owner(db, ids["刘三"]) == "R001"
    assert move(db, a["A001"], [ids["周七"]], "R900", clock).done == (ids["周七"],)  # an admin: anywhere


def test_books_and_rms_a_manager_may_look_at(db, world, clock):
    ids, a = world
    with db.session() as s:
        assert [(c.employee_no, c.book_size) for c in pool.rms_in_scope(s, a["M001"])] == [
            ("R001", 1), ("R002", 1), ("R011", 0)]
        assert [c.employee_no for c in pool.rms_in_scope(s, a["M001"], text="孙")] == ["R011"]
        assert [c.employee_no for c in pool.rms_in_scope(s, a["A001"])] == ["R001", "R002", "R011", "R900"]
        assert [c.employee_no for c in pool.rms_in_scope(s, a["R001"])] == ["R001"]
        with pytest.raises(NotFoundError):
            pool.book_customers(s, a["M900"], a["R002"].id)
        with pytest.raises(PermissionDenied):
            pool.book_customers(s, a["R001"], a["R002"].id)
        assert pool.book_customer_ids(s, a["M001"], a["R002"].id) == [ids["杨五"]]
        assert pool.pool_customer_ids(s, a["R001"]) == [ids["王二"], ids["张一"]]


# -- the sweep ---------------------------------------------------------------------------------------

def sweep(db, system, clock):
    with db.session(write=True) as s:
        return pool.sweep(s, system, clock=clock)


def alerts_of(db) -> list[tuple[str, int, int, str, str]]:
    with db.session() as s:
        return [(a.kind, a.user_id, a.customer_id, a.dedupe_key, a.severity) for a in s.scalars(select(Alert))]


def test_the_sweep_returns_claims_left_without_contact_once_and_tells_the_rm(db, world, clock, system):
    ids, a = world
    with db.session(write=True) as s:  # a contact before the claim does not count
        s.add(ServiceContact(customer_id=ids["王二"], user_id=a["T001"].id, at=clock() - timedelta(days=1)))
        s.commit()
    claimed_on = clock().date().isoformat()
    claim(db, a["R001"], [ids["王二"], ids["张一"]], clock)
    clock.advance(days=5)
    with db.session(write=True) as s:  # 张一 was called after the claim
        s.add(ServiceContact(customer_id=ids["张一"], user_id=a["R001"].id, kind="phone", at=clock()))
        s.commit()
    clock.advance(days=25)
    assert sweep(db, system, clock).returned == 0  # 30 days exactly: not yet more than 30
    clock.advance(days=1)
    version = customer(db, ids["王二"]).version
    result = sweep(db, system, clock)
    assert (result.returned, result.days) == (1, 30)
    assert [(r.employee_no, r.name, r.customers) for r in result.by_rm] == [("R001", "李客户经理", 1)]
    swept = customer(db, ids["王二"])
    assert (swept.rm_id, swept.claimed_at, swept.version) == (None, None, version + 1)
    assert owner(db, ids["张一"]) == "R001"
    assert alerts_of(db) == [("pool.returned", a["R001"].id, ids["王二"], f"pool.returned:{ids['王二']}:{claimed_on}",
                              "low")]
    assert [(no, cid, changes["rm_id"]) for no, cid, changes in audit_of(db, "pool.return")] == [
        (system.employee_no, str(ids["王二"]), [a["R001"].id, None])]
    assert audit_of(db, "pool.sweep")[0][2] == {"returned": 1, "days": 30, "by_rm": {"R001": 1}}
    assert "王二" in pool_names(db, a["R001"])

    again = sweep(db, system, clock)  # cron runs it again: nothing more
    assert again.returned == 0 and len(alerts_of(db)) == 1 and len(audit_of(db, "pool.sweep")) == 1

    move(db, a["M001"], [ids["王二"]], "R001", clock)  # given by the manager, not claimed: left alone
    clock.advance(days=400)
    assert sweep(db, system, clock).returned == 0
    assert owner(db, ids["王二"]) == "R001"
    with pytest.raises(PermissionDenied):  # a job for administrators
        sweep(db, a["M001"], clock)
