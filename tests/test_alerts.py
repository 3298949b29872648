"""Alerts and reminders: each rule at its threshold and outside its window, who gets an alert,
running the scan twice, what each member of staff sees, handling an alert, and the text in
the reader's language — on SQLite and PostgreSQL, with an injected clock."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from ocrm_tui.db.models import (
    Account,
    Alert,
    AuditRecord,
    AumSnapshot,
    Customer,
    Product,
    ServiceContact,
    StaffUser,
    Transaction,
)
from ocrm_tui.i18n import set_language
from ocrm_tui.services import alerts, auth, orgs, settings, tickets
from ocrm_tui.services.clock import FakeClock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)  # the FakeClock's start: today is 5 January 2026
# name, org, RM, tier — X2 is a branch without any manager above it.
CUSTOMERS = {
    "wealth": ("张伟", "O1", "R001", "wealth"),
    "private": ("李娜", "O2", None, "private"),
    "north": ("刘洋", "X1", None, "wealth"),
    "far": ("陈静", "X2", None, "wealth"),
    "mass": ("王芳", "O1", "R001", "mass"),
    "nameless": ("", "O1", "R001", "vip"),
}


@pytest.fixture
def bank(db, branch, system, clock):
    """The branch fixture plus a branch without a manager (X2), six customers and a product."""
    with db.session(write=True) as s:
        orgs.add_org(s, system, code="X2", name="江西分行", level="branch1", parent_code="HO")
    ids = {}
    with db.session(write=True) as s:
        for i, (key, (name, org, rm, tier)) in enumerate(CUSTOMERS.items()):
            c = Customer(customer_no=f"91000005{i:02d}", name=name, **name_keys(name), mobile=f"1390000{i:04d}",
                         birth_date=date(1980, 6, 1 + i), org_id=get_org_by_code(s, org).id,
                         rm_id=get_user(s, rm).id if rm else None, tier=tier)
            s.add(c)
            s.flush()
            ids[key] = c.id
        product = Product(product_code="WM-90D", name="稳盈90天理财", product_type="wealth", risk_level="R2")
        s.add(product)
        s.flush()
        ids["product"] = product.id
        # Every valuable customer was called yesterday: the no-contact rule stays quiet unless a test says otherwise.
        for key in ("wealth", "private", "north", "far"):
            s.add(ServiceContact(customer_id=ids[key], user_id=get_user(s, "A001").id, at=NOW - timedelta(days=1),
                                 kind="phone"))
        s.commit()
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001", "R001", "R002", "T001", "M900")}
    return ids, actors


def user_id(db, employee_no: str) -> int:
    with db.session() as s:
        return get_user(s, employee_no).id


def account(db, customer_id: int, product_id: int, *, matures_on: date | None = None, status: str = "active") -> int:
    with db.session(write=True) as s:
        n = s.scalar(select(func.count()).select_from(Account)) + 1
        a = Account(account_no=f"6222021000{n:06d}", customer_id=customer_id, product_id=product_id,
                    balance=Decimal("100000.00"), matures_on=matures_on, status=status)
        s.add(a)
        s.commit()
        return a.id


def txn(db, customer_id: int, account_id: int, amount: str, posted_at: datetime, direction: str = "out") -> int:
    with db.session(write=True) as s:
        n = s.scalar(select(func.count()).select_from(Transaction)) + 1
        t = Transaction(txn_id=f"T{n:08d}", account_id=account_id, customer_id=customer_id, posted_at=posted_at,
                        amount=Decimal(amount), direction=direction, channel="online")
        s.add(t)
        s.commit()
        return t.id


def snapshots(db, customer_id: int, averages: dict[str, int]) -> None:
    """Monthly daily-average AUM by "YYYY-MM"."""
    with db.session(write=True) as s:
        for month, avg in averages.items():
            s.add(AumSnapshot(customer_id=customer_id, month=date.fromisoformat(month + "-01"), aum=Decimal(avg),
                              aum_daily_avg=Decimal(avg)))
        s.commit()


def run_scan(db, clock) -> alerts.ScanResult:
    with db.session(write=True) as s:
        admin = auth.actor_for(s, get_user(s, "A001"))
        return alerts.scan(s, admin, clock=clock)


def raised(db, kind: str | None = None) -> list[Alert]:
    with db.session() as s:
        stmt = select(Alert).order_by(Alert.id)
        if kind:
            stmt = stmt.where(Alert.kind == kind)
        return list(s.scalars(stmt))


def set_value(db, system, key: str, value) -> None:
    with db.session(write=True) as s:
        settings.set_setting(s, key, value)
        s.commit()


def contacts_only_long_ago(db, customer_id: int, at: datetime) -> None:
    with db.session(write=True) as s:
        s.execute(update(ServiceContact).where(ServiceContact.customer_id == customer_id).values(at=at))
        s.commit()


# -- the rules ------------------------------------------------------------------------------------

def test_a_large_outflow_from_a_valuable_customer_is_alerted_at_the_threshold_inside_the_window(db, bank, clock):
    ids, _a = bank
    acc = account(db, ids["wealth"], ids["product"])
    at_threshold = txn(db, ids["wealth"], acc, "500000.00", NOW - timedelta(days=6, hours=23))
    txn(db, ids["wealth"], acc, "499999.99", NOW - timedelta(days=1))  # just below
    txn(db, ids["wealth"], acc, "800000.00", NOW - timedelta(days=7, minutes=1))  # before the window
    txn(db, ids["wealth"], acc, "800000.00", NOW - timedelta(days=1), direction="in")  # money coming in
    mass_acc = account(db, ids["mass"], ids["product"])
    txn(db, ids["mass"], mass_acc, "900000.00", NOW - timedelta(days=1))  # not a wealth or private customer

    result = run_scan(db, clock)

    assert result.by_kind[alerts.LARGE_OUTFLOW] == 1
    [alert] = raised(db, alerts.LARGE_OUTFLOW)
    assert (alert.entity, alert.entity_id) == ("txn", str(at_threshold))
    assert alert.user_id == user_id(db, "R001") and alert.customer_id == ids["wealth"]
    assert alert.severity == "high" and alert.due_on == date(2025, 12, 29)
    assert "500,000.00" in alert.message


def test_the_outflow_threshold_and_window_come_from_settings(db, bank, clock, system):
    ids, _a = bank
    acc = account(db, ids["wealth"], ids["product"])
    txn(db, ids["wealth"], acc, "200000.00", NOW - timedelta(days=10))
    run_scan(db, clock)
    assert raised(db, alerts.LARGE_OUTFLOW) == []
    set_value(db, system, "alert.large_outflow", 200000)
    set_value(db, system, "alert.outflow_days", 14)
    assert run_scan(db, clock).by_kind[alerts.LARGE_OUTFLOW] == 1


def test_assets_falling_needs_three_months_in_a_row_up_to_the_last_complete_month(db, bank, clock, system):
    ids, _a = bank
    snapshots(db, ids["private"], {"2025-09": 9_000_000, "2025-10": 8_000_000, "2025-11": 7_000_000,
                                   "2025-12": 6_500_000, "2026-01": 9_999_999})
    snapshots(db, ids["wealth"], {"2025-09": 900_000, "2025-10": 800_000, "2025-11": 850_000, "2025-12": 700_000})
    snapshots(db, ids["north"], {"2025-10": 800_000, "2025-11": 700_000, "2025-12": 600_000})  # two falls only
    # Falling three months in a row up to November, up again in December: not this month's alert.
    snapshots(db, ids["far"], {"2025-08": 900_000, "2025-09": 800_000, "2025-10": 700_000, "2025-11": 600_000,
                               "2025-12": 650_000})

    assert run_scan(db, clock).by_kind[alerts.AUM_DECLINE] == 1
    [alert] = raised(db, alerts.AUM_DECLINE)
    assert alert.customer_id == ids["private"] and alert.due_on == date(2025, 12, 1)
    assert alert.severity == "high", "a private-banking customer losing assets is a churn risk"
    assert alert.user_id == user_id(db, "M001"), "no RM: the manager above the outlet"
    assert "9,000,000.00" in alert.message and "6,500,000.00" in alert.message

    set_value(db, system, "alert.aum_decline_months", 2)
    assert run_scan(db, clock).by_kind[alerts.AUM_DECLINE] == 1  # now 刘洋's two falls count
    north = [a for a in raised(db, alerts.AUM_DECLINE) if a.customer_id == ids["north"]]
    assert north and north[0].severity == "medium"


def test_assets_falling_by_less_than_the_minimum_percentage_is_no_alert(db, bank, clock, system):
    ids, _a = bank
    # 9.9 % down over three falls: under the default 10 %; exactly 10 %: an alert.
    snapshots(db, ids["private"], {"2025-09": 1_000_000, "2025-10": 990_000, "2025-11": 950_000, "2025-12": 901_000})
    snapshots(db, ids["wealth"], {"2025-09": 1_000_000, "2025-10": 990_000, "2025-11": 950_000, "2025-12": 900_000})
    assert run_scan(db, clock).by_kind[alerts.AUM_DECLINE] == 1
    assert [a.customer_id for a in raised(db, alerts.AUM_DECLINE)] == [ids["wealth"]]
    set_value(db, system, "alert.aum_decline_percent", 0)  # any fall
    assert run_scan(db, clock).by_kind[alerts.AUM_DECLINE] == 1
    assert {a.customer_id for a in raised(db, alerts.AUM_DECLINE)} == {ids["wealth"], ids["private"]}


def test_a_product_maturing_within_the_days_is_a_reminder_on_its_maturity_date(db, bank, clock):
    ids, _a = bank
    today = NOW.date()
    last_day = account(db, ids["mass"], ids["product"], matures_on=today + timedelta(days=7))
    account(db, ids["mass"], ids["product"], matures_on=today + timedelta(days=8))
    account(db, ids["mass"], ids["product"], matures_on=today - timedelta(days=1))
    account(db, ids["mass"], ids["product"], matures_on=today + timedelta(days=1), status="closed")

    assert run_scan(db, clock).by_kind[alerts.MATURITY] == 1
    [alert] = raised(db, alerts.MATURITY)
    assert (alert.entity_id, alert.due_on) == (str(last_day), today + timedelta(days=7))
    assert alerts.category(alert.kind) == "reminder" and alert.severity == "medium"


def birthday_customer(db, born: date) -> int:
    with db.session(write=True) as s:
        n = s.scalar(select(func.count()).select_from(Customer))
        c = Customer(customer_no=f"92000000{n:02d}", name="周杰", **name_keys("周杰"), mobile=f"1370000{n:04d}",
                     birth_date=born, org_id=get_org_by_code(s, "O1").id, rm_id=get_user(s, "R001").id)
        s.add(c)
        s.commit()
        return c.id


def birthdays(db) -> dict[int, date]:
    return {a.customer_id: a.due_on for a in raised(db, alerts.BIRTHDAY)}


def test_birthdays_within_three_days_across_the_year_end(db, bank):
    today = birthday_customer(db, date(1980, 12, 30))
    new_year = birthday_customer(db, date(1975, 1, 2))
    too_far = birthday_customer(db, date(1975, 1, 3))
    run_scan(db, FakeClock(datetime(2026, 12, 30, 9, 0, tzinfo=timezone.utc)))
    found = birthdays(db)
    assert found[today] == date(2026, 12, 30)
    assert found[new_year] == date(2027, 1, 2)
    assert too_far not in found
    keys = {a.dedupe_key for a in raised(db, alerts.BIRTHDAY)}
    assert f"customer.birthday:{new_year}:2027" in keys


def test_a_29_february_birthday_falls_on_the_28th_in_other_years(db, bank):
    leapling = birthday_customer(db, date(1988, 2, 29))
    run_scan(db, FakeClock(datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)))
    assert leapling not in birthdays(db), "already celebrated on 28 February"
    run_scan(db, FakeClock(datetime(2027, 2, 26, 9, 0, tzinfo=timezone.utc)))
    assert birthdays(db)[leapling] == date(2027, 2, 28)
    run_scan(db, FakeClock(datetime(2028, 2, 26, 9, 0, tzinfo=timezone.utc)))
    due = sorted(a.due_on for a in raised(db, alerts.BIRTHDAY) if a.customer_id == leapling)
    assert due == [date(2027, 2, 28), date(2028, 2, 29)]


def test_birthdays_are_not_alerted_below_the_window(db, bank, system):
    in_four_days = birthday_customer(db, date(1990, 1, 9))
    run_scan(db, FakeClock(NOW))
    assert in_four_days not in birthdays(db)
    set_value(db, system, "alert.birthday_days", 4)
    run_scan(db, FakeClock(NOW))
    assert birthdays(db)[in_four_days] == date(2026, 1, 9)


def test_a_valuable_customer_without_contact_for_90_days_is_reminded_again_after_the_next_lapse(db, bank, clock):
    ids, _a = bank
    contacts_only_long_ago(db, ids["wealth"], NOW - timedelta(days=90))
    contacts_only_long_ago(db, ids["private"], NOW - timedelta(days=89, hours=23))
    with db.session(write=True) as s:  # never contacted: the mass customer is not followed, the VIP neither
        s.execute(update(Customer).where(Customer.id == ids["north"]).values(tier="private"))
        s.execute(delete(ServiceContact).where(ServiceContact.customer_id == ids["north"]))
        s.commit()

    assert run_scan(db, clock).by_kind[alerts.NO_CONTACT] == 2
    found = {a.customer_id: a for a in raised(db, alerts.NO_CONTACT)}
    assert set(found) == {ids["wealth"], ids["north"]}
    assert found[ids["wealth"]].dedupe_key.endswith(":2025-10-07")
    assert found[ids["wealth"]].due_on == date(2026, 1, 5)
    assert found[ids["north"]].dedupe_key.endswith(":never")

    # Called the next day; 90 days later the cycle has lapsed again.
    with db.session(write=True) as s:
        s.add(ServiceContact(customer_id=ids["wealth"], user_id=user_id(db, "R001"), at=NOW + timedelta(days=1),
                             kind="phone"))
        s.commit()
    later = FakeClock(NOW + timedelta(days=60))
    assert run_scan(db, later).by_kind[alerts.NO_CONTACT] == 1  # only 李娜 now, 张伟 was called
    later.advance(days=31)
    assert run_scan(db, later).by_kind[alerts.NO_CONTACT] == 2  # 张伟 again, and 陈静 (called the day before NOW)
    assert len([a for a in raised(db, alerts.NO_CONTACT) if a.customer_id == ids["wealth"]]) == 2


# -- who gets an alert ------------------------------------------------------------------------------------

def test_the_addressee_is_the_rm_else_the_nearest_manager_else_the_branch(db, bank):
    ids, _a = bank
    with db.session() as s:
        o1, x2 = get_org_by_code(s, "O1").id, get_org_by_code(s, "X2").id
        assert alerts.addressee(s, ids["wealth"]) == (get_user(s, "R001").id, o1)
        assert alerts.addressee(s, ids["private"]) == (get_user(s, "M001").id, get_org_by_code(s, "O2").id)
        assert alerts.addressee(s, ids["north"]) == (get_user(s, "M900").id, get_org_by_code(s, "X1").id)
        assert alerts.addressee(s, ids["far"]) == (None, x2)
        with pytest.raises(NotFoundError):
            alerts.addressee(s, 999_999)
    with db.session(write=True) as s:  # the RM leaves: the manager takes their customers' alerts
        s.execute(update(StaffUser).where(StaffUser.employee_no == "R001").values(active=False))
        s.commit()
    with db.session() as s:
        assert alerts.addressee(s, ids["wealth"]) == (get_user(s, "M001").id, o1)


def test_the_scan_addresses_like_addressee_and_running_it_twice_adds_nothing(db, bank, clock):
    ids, _a = bank
    for key in ("wealth", "private", "north", "far"):
        contacts_only_long_ago(db, ids[key], NOW - timedelta(days=200))
    first = run_scan(db, clock)
    assert first.by_kind[alerts.NO_CONTACT] == 4 and first.raised == 4
    with db.session() as s:
        for a in raised(db, alerts.NO_CONTACT):
            assert (a.user_id, a.org_id) == alerts.addressee(s, a.customer_id)

    second = run_scan(db, clock)
    assert second.raised == 0 and set(second.by_kind.values()) == {0}
    assert len(raised(db)) == 4
    with db.session() as s:
        events = s.scalars(select(AuditRecord).where(AuditRecord.event == "alerts.scan")).all()
    assert len(events) == 2, "one audit event per scan"
    assert json.loads(events[0].changes)["raised"] == 4 and json.loads(events[0].changes)[alerts.NO_CONTACT] == 4


def test_raise_alert_raises_a_key_once(db, bank):
    ids, _a = bank
    with db.session(write=True) as s:
        args = dict(kind=alerts.POOL_RETURNED, dedupe_key="pool.returned:x", customer_id=ids["mass"],
                    user_id=user_id(db, "R001"), entity="customer", entity_id=ids["mass"],
                    message="Returned to the pool", now=NOW)
        assert alerts.raise_alert(s, **args) is True
        assert alerts.raise_alert(s, **args) is False
        s.commit()
    [alert] = raised(db)
    assert alert.severity == "medium" and alerts.category(alert.kind) == "reminder"


def test_overdue_tickets_are_counted_in_the_scan_with_their_priority_as_severity(db, bank, clock):
    ids, a = bank
    with db.session(write=True) as s:
        tid = tickets.create_ticket(s, a["M001"], ids["wealth"], {"type": "complaint", "priority": "high",
                                                                   "channel": "counter", "subject": "年费争议"},
                                    clock=clock)
    clock.advance(hours=5)
    assert run_scan(db, clock).by_kind[alerts.TICKET_OVERDUE] == 1
    [alert] = raised(db, alerts.TICKET_OVERDUE)
    assert alert.entity_id == str(tid) and alert.severity == "high" and alerts.category(alert.kind) == "alert"


# -- reading ---------------------------------------------------------------------------------------

@pytest.fixture
def raised_for_everyone(db, bank, clock):
    """A no-contact reminder for each valuable customer (R001, M001, M900, the X2 branch) and a
    large outflow for R001's customer."""
    ids, a = bank
    for key in ("wealth", "private", "north", "far"):
        contacts_only_long_ago(db, ids[key], NOW - timedelta(days=100))
    acc = account(db, ids["wealth"], ids["product"])
    txn(db, ids["wealth"], acc, "650000.00", NOW - timedelta(days=2))
    run_scan(db, clock)
    return ids, a


def test_each_member_of_staff_sees_their_own_open_alerts(db, raised_for_everyone, system):
    ids, a = raised_for_everyone
    with db.session() as s:
        mine = alerts.open_alerts(s, a["R001"], now=NOW)
        assert [x.kind for x in mine] == [alerts.LARGE_OUTFLOW, alerts.NO_CONTACT], "high first"
        assert {x.customer_id for x in mine} == {ids["wealth"]}
        assert [x.customer_id for x in alerts.open_alerts(s, a["M001"], now=NOW)] == [ids["private"]]
        assert [x.customer_id for x in alerts.open_alerts(s, a["M900"], now=NOW)] == [ids["north"]]
        assert alerts.open_alerts(s, a["R002"], now=NOW) == []
        # Nobody above X2 is a manager: the administrators have its alerts.
        assert [x.customer_id for x in alerts.open_alerts(s, a["A001"], now=NOW)] == [ids["far"]]
        assert [x.customer_id for x in alerts.open_alerts(s, system, now=NOW)] == [ids["far"]]

        assert alerts.open_counts(s, a["R001"]) == {"alert": {"high": 1, "medium": 0, "low": 0},
                                                     "reminder": {"high": 0, "medium": 1, "low": 0}}
        assert alerts.open_counts(s, a["R002"])["reminder"] == {"high": 0, "medium": 0, "low": 0}
        assert [x.kind for x in alerts.open_alerts(s, a["R001"], category="reminder", now=NOW)] == [alerts.NO_CONTACT]
        assert [x.kind for x in alerts.open_alerts(s, a["R001"], severity="high", now=NOW)] == [alerts.LARGE_OUTFLOW]
        assert len(alerts.open_alerts(s, a["R001"], limit=1, offset=1, now=NOW)) == 1
        with pytest.raises(ValidationError):
            alerts.open_alerts(s, a["R001"], category="gossip")


def test_a_manager_also_sees_the_unaddressed_alerts_of_the_branch_subtree(db, bank, clock):
    ids, a = bank
    with db.session(write=True) as s:
        alerts.raise_alert(s, kind=alerts.POOL_RETURNED, dedupe_key="pool.returned:o2", customer_id=ids["private"],
                           org_id=get_org_by_code(s, "O2").id, entity="customer", entity_id=ids["private"],
                           message="back in the pool", now=NOW)
        s.commit()
    with db.session() as s:
        assert [x.customer_id for x in alerts.open_alerts(s, a["M001"], now=NOW)] == [ids["private"]]
        assert alerts.open_alerts(s, a["M900"], now=NOW) == []
        assert alerts.open_counts(s, a["M001"])["reminder"]["medium"] == 1


def test_an_open_alert_reads_in_the_readers_language_with_the_name_as_they_may_see_it(db, raised_for_everyone):
    ids, a = raised_for_everyone
    set_language("zh")
    with db.session() as s:
        outflow, no_contact = alerts.open_alerts(s, a["R001"], now=NOW + timedelta(days=1))
    assert outflow.kind_text == "大额资金流出" and outflow.category == "alert"
    assert outflow.text == "单笔流出 650,000.00 元（2026-01-03）"
    assert outflow.customer_name == "张伟" and outflow.customer_no == "9100000500"
    assert no_contact.text == "已 101 天未联系（上次联系：2025-09-27）"
    assert alerts.action_label("no_action") == "无需处理"


def test_a_nameless_file_reads_as_customer_and_number_and_help_requests_read_from_the_task(db, bank, clock):
    ids, a = bank
    with db.session(write=True) as s:
        alerts.raise_alert(s, kind=alerts.BIRTHDAY, dedupe_key="x", customer_id=ids["nameless"],
                           user_id=a["R001"].id, entity="customer", entity_id=ids["nameless"], message="fallback",
                           due_on=date(2026, 6, 6), now=NOW)
        s.commit()
    with db.session(write=True) as s:
        tid = tickets.create_ticket(s, a["M001"], ids["wealth"], {"type": "consultation", "priority": "low",
                                                                   "channel": "counter", "subject": "问询"},
                                    clock=clock)
    with db.session(write=True) as s:
        tickets.request_help(s, a["R001"], tid, "请调取流水", to_user="R002", clock=clock)
    with db.session() as s:
        [birthday] = alerts.open_alerts(s, a["R001"], now=NOW)
        set_language("zh")
        [help_] = alerts.open_alerts(s, a["R002"], now=NOW)
    assert birthday.customer_name == "Customer 9100000505"
    assert birthday.text == "Birthday on 2026-06-06 (turns 46)"
    assert help_.text == f"李客户经理请您协助处理工单 {tickets.ticket_number(tid)}：请调取流水"
    assert help_.kind_text == "请求协助"


# -- handling -----------------------------------------------------------------------------------------

def handle(db, actor, alert_id, action, note=None, clock=None):
    with db.session(write=True) as s:
        alerts.handle_alert(s, actor, alert_id, action, note, clock=clock or FakeClock(NOW + timedelta(hours=1)))


def test_handling_an_alert_takes_it_off_the_list_records_the_contact_and_is_audited(db, raised_for_everyone):
    ids, a = raised_for_everyone
    with db.session() as s:
        outflow = alerts.open_alerts(s, a["R001"], now=NOW)[0]
    handle(db, a["R001"], outflow.id, "contacted", "客户说明为购房首付")

    with db.session() as s:
        assert [x.kind for x in alerts.open_alerts(s, a["R001"], now=NOW)] == [alerts.NO_CONTACT]
        row = s.get(Alert, outflow.id)
        assert (row.action, row.action_note, row.handled_by) == ("contacted", "客户说明为购房首付", a["R001"].id)
        contact = s.scalars(select(ServiceContact).where(ServiceContact.customer_id == ids["wealth"])
                            .order_by(ServiceContact.at.desc())).first()
        assert (contact.user_id, contact.kind) == (a["R001"].id, "phone")
        [event] = s.scalars(select(AuditRecord).where(AuditRecord.event == "alert.handle")).all()
        assert (event.entity, event.entity_id, event.actor_no) == ("alert", str(outflow.id), "R001")
        changes = json.loads(event.changes)
        assert changes["action"] == [None, "contacted"] and changes["kind"] == alerts.LARGE_OUTFLOW
        assert changes["customer_id"] == ids["wealth"]
        assert s.scalars(select(AuditRecord).where(AuditRecord.entity == "service_contact")).first() is not None


def test_the_contact_starts_the_service_cycle_again(db, raised_for_everyone):
    ids, a = raised_for_everyone
    with db.session() as s:
        reminder = alerts.open_alerts(s, a["R001"], category="reminder", now=NOW)[0]
    handle(db, a["R001"], reminder.id, "contacted")
    later = run_scan(db, FakeClock(NOW + timedelta(days=30)))
    assert later.by_kind[alerts.NO_CONTACT] == 0


def test_handling_is_refused_to_others_twice_without_a_reason_or_with_an_unknown_action(db, raised_for_everyone):
    ids, a = raised_for_everyone
    with db.session() as s:
        outflow, reminder = alerts.open_alerts(s, a["R001"], now=NOW)
        far = alerts.open_alerts(s, a["A001"], now=NOW)[0]
    for stranger in ("R002", "M900", "T001", "A001"):
        with pytest.raises(NotFoundError):
            handle(db, a[stranger], outflow.id, "contacted")
    with pytest.raises(NotFoundError):
        handle(db, a["M001"], far.id, "escalated")  # X2 is not under the manager's branch
    with pytest.raises(NotFoundError):
        handle(db, a["R001"], 999_999, "contacted")
    with pytest.raises(ValidationError) as no_reason:
        handle(db, a["R001"], outflow.id, "no_action", "   ")
    assert no_reason.value.field == "note"
    with pytest.raises(ValidationError) as unknown:
        handle(db, a["R001"], outflow.id, "ignored")
    assert unknown.value.field == "action"
    with pytest.raises(PermissionDenied):
        with db.session(write=True) as s:
            alerts.handle_alert(s, alerts_system_actor(), outflow.id, "escalated")

    handle(db, a["R001"], outflow.id, "no_action", "客户本人转账至他行，已核实")
    with pytest.raises(StaleRecordError) as twice:
        handle(db, a["M001"], outflow.id, "escalated")  # the manager may handle the RM's alerts, but it is done
    assert "李客户经理" in twice.value.message and "2026-01-05" in twice.value.message
    # The manager of the RM's branch handles the other one; the administrator handles the unaddressed one.
    handle(db, a["M001"], reminder.id, "product_offered")
    handle(db, a["A001"], far.id, "escalated")
    with db.session() as s:
        assert alerts.open_alerts(s, a["R001"], now=NOW) == []
        assert s.get(Alert, reminder.id).handled_by == a["M001"].id


def alerts_system_actor():
    from ocrm_tui.services.actor import Actor

    return Actor.system()


def test_only_an_administrator_runs_the_scan(db, bank, clock):
    _ids, a = bank
    with db.session(write=True) as s:
        with pytest.raises(PermissionDenied):
            alerts.scan(s, a["M001"], clock=clock)


def test_a_large_scan_raises_in_bulk_and_skips_what_another_scan_raised_meanwhile(db, bank, clock, monkeypatch):
    """Many new alerts at once (PostgreSQL takes them by COPY); keys raised by a scan elsewhere
    between the look-up and the insert are skipped and not counted."""
    many = alerts.COPY_FROM + 50
    with db.session(write=True) as s:
        o1, rm = get_org_by_code(s, "O1").id, get_user(s, "R002").id
        s.add_all([Customer(customer_no=f"93{i:08d}", name="赵敏", **name_keys("赵敏"), mobile=f"1360{i:07d}",
                            org_id=o1, rm_id=rm, tier="wealth") for i in range(many)])
        s.commit()
        new_ids = s.scalars(select(Customer.id).where(Customer.customer_no.like("93%")).order_by(Customer.id)).all()
        for cid in new_ids[:5]:  # the other scan
            alerts.raise_alert(s, kind=alerts.NO_CONTACT, dedupe_key=f"customer.no_contact:{cid}:never",
                               customer_id=cid, user_id=rm, org_id=o1, entity="customer", entity_id=cid,
                               message="raised elsewhere", now=NOW)
        s.commit()
    monkeypatch.setattr(alerts, "_known", lambda session, keys: set())  # the look-up ran before that scan

    assert run_scan(db, clock).by_kind[alerts.NO_CONTACT] == many - 5
    found = raised(db, alerts.NO_CONTACT)
    assert len(found) == many and len({a.dedupe_key for a in found}) == many
    fresh = [a for a in found if a.message != "raised elsewhere"]
    assert {a.user_id for a in fresh} == {user_id(db, "R002")} and {a.severity for a in fresh} == {"medium"}
    assert all(a.created_at == NOW and a.due_on is None for a in fresh)
    assert fresh[0].message == "No service contact on record"
