"""The work platform's reading (services/work_platform.py): what each role finds there today,
its counts and order — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ocrm_tui.db.models import Customer, Ticket
from ocrm_tui.services import access, alerts, campaigns, tickets, work_platform
from tests.test_tickets import desk, raise_ticket  # noqa: F401  (the fixture)
from tests.test_tui_tickets_queue import build_queue

__all__ = ["desk"]


def raise_for(db, clock, customer_id, kind, key, *, user_id=None, org_id=None, severity=None, due_on=None,
              entity="customer", entity_id=None):
    with db.session(write=True) as s:
        raised = alerts.raise_alert(s, kind=kind, dedupe_key=key, customer_id=customer_id, user_id=user_id,
                                    org_id=org_id, entity=entity, entity_id=entity_id or str(customer_id),
                                    message=f"{kind} {key}", severity=severity, due_on=due_on, now=clock.now)
        s.commit()
    return raised


def read(db, actor, clock):
    with db.session() as s:
        return work_platform.today(s, actor, now=clock.now)


def test_an_rm_sees_overdue_and_due_today_tickets_most_overdue_first(db, desk, clock):
    ids, a = desk
    made = build_queue(db, desk, clock)
    today = read(db, a["R001"], clock)
    assert today.sections == ("tickets", "alerts", "reminders", "campaigns")
    listed = [i for i in today.of("tickets")]
    # every open ticket of R001 due before the end of the day, none closed, none of the pool
    with db.session() as s:
        expected = {t.id for t in s.scalars(select(Ticket).where(Ticket.assignee_id == a["R001"].id, Ticket.status != "closed"))
                    if tickets._aware(t.due_at) < tickets._end_of_day(clock.now)}
    assert {int(i.key.split(":")[1]) for i in listed} == expected
    assert made["closed"] not in expected and made["pool_high"] not in expected
    dues = [i.when for i in listed]
    assert dues == sorted(dues)
    overdue = [i for i in listed if i.when <= clock.now]
    assert today.breakdown["tickets"] == {"overdue": len(overdue), "due_today": len(listed) - len(overdue)}
    assert today.counts["tickets"] == len(listed)
    assert all(i.severity == "high" and i.what == "Overdue ticket" for i in overdue)
    assert listed[0].opens == ("ticket", made["overdue_medium"])  # due first: raised 30 hours ago


def test_alerts_and_reminders_are_counted_by_severity_and_handled_ones_leave(db, desk, clock):
    ids, a = desk
    zhang = ids["张伟"]  # R001's customer
    raise_for(db, clock, zhang, "txn.large_outflow", "out:1", user_id=a["R001"].id, severity="high",
              entity="txn", entity_id="TX1")
    raise_for(db, clock, zhang, "aum.decline", "aum:1", user_id=a["R001"].id, severity="medium")
    raise_for(db, clock, zhang, "customer.birthday", "bd:1", user_id=a["R001"].id, severity="low",
              due_on=clock.now.date() + timedelta(days=2))
    raise_for(db, clock, zhang, "customer.birthday", "bd:other", user_id=a["R002"].id, severity="low")  # not R001's
    today = read(db, a["R001"], clock)
    assert today.breakdown["alerts"] == {"high": 1, "medium": 1, "low": 0}
    assert today.breakdown["reminders"] == {"high": 0, "medium": 0, "low": 1}
    assert [i.severity for i in today.of("alerts")] == ["high", "medium"]
    birthday = today.of("reminders")[0]
    assert birthday.opens == ("customer", zhang) and birthday.alert_id is not None
    assert birthday.when == clock.now.date() + timedelta(days=2)
    with db.session(write=True) as s:
        alerts.handle_alert(s, a["R001"], today.of("alerts")[0].alert_id, "contacted", "电话已联系", clock=clock)
    after = read(db, a["R001"], clock)
    assert after.breakdown["alerts"] == {"high": 0, "medium": 1, "low": 0}
    assert after.counts["alerts"] == 1


def test_campaign_targets_to_contact_per_live_campaign(db, desk, clock, system):
    ids, a = desk
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, a["M001"], {"name": "理财到期回访", "type": "phone", "filter": {}},
                                        clock=clock)
    with db.session(write=True) as s:
        campaigns.generate(s, a["M001"], cid, clock=clock)
    with db.session(write=True) as s:
        campaigns.set_status(s, a["M001"], cid, "active", clock=clock)
    today = read(db, a["R001"], clock)
    with db.session() as s:
        mine = campaigns.target_counts(s, a["R001"], cid).get("pending", 0)
    assert mine > 0
    assert today.counts["campaigns"] == mine
    [item] = today.of("campaigns")
    assert item.opens == ("campaign", cid) and item.detail == "理财到期回访"
    assert today.breakdown["campaigns"] == {"campaigns": 1}


def test_a_tellers_platform_is_the_counter_queue_of_tickets_they_raised(db, desk, clock):
    ids, a = desk
    mine = raise_ticket(db, a["T001"], ids["张伟"], clock, subject="挂失补卡")
    closed = raise_ticket(db, a["T001"], ids["张伟"], clock, subject="密码重置")
    raise_ticket(db, a["M001"], ids["李娜"], clock, subject="不是柜员登记的")
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], closed, "已重置", clock=clock)
    today = read(db, a["T001"], clock)
    assert today.sections == ("counter", "alerts", "reminders")
    assert [i.opens for i in today.of("counter")] == [("ticket", mine)]
    assert today.counts["counter"] == 1
    # a teller sees the customer's name masked
    assert today.of("counter")[0].customer == "张*"


def test_a_customer_returned_to_the_pool_is_a_reminder_that_opens_nothing(db, desk, clock):
    ids, a = desk
    with db.session(write=True) as s:
        s.execute(update(Customer).where(Customer.id == ids["李娜"]).values(rm_id=None))
        s.commit()
    raise_for(db, clock, ids["李娜"], "pool.returned", "pool.returned:x", user_id=a["R001"].id, severity="low")
    [item] = read(db, a["R001"], clock).of("reminders")
    assert item.opens is None and item.alert_id is not None


def test_an_admin_sees_alerts_that_no_one_was_given(db, desk, clock):
    ids, a = desk
    raise_for(db, clock, ids["刘洋"], "customer.no_contact", "nc:1", org_id=None, severity="medium")
    today = read(db, a["A001"], clock)
    assert today.sections == ("alerts", "reminders", "access")
    assert today.counts["reminders"] == 1
    assert [i.opens for i in today.of("reminders")] == [("customer", ids["刘洋"])]


def test_an_overdue_ticket_is_listed_once_not_again_as_its_own_alert(db, desk, clock, system):
    ids, a = desk
    made = build_queue(db, desk, clock)
    with db.session(write=True) as s:
        raised = tickets.sla_scan(s, system, clock=clock)
    assert raised >= 2  # R001's two overdue tickets at least
    today = read(db, a["R001"], clock)
    assert [i for i in today.items if i.what == alerts.kind_label("ticket.overdue")] == []
    assert today.breakdown["tickets"]["overdue"] == 2
    assert ("ticket", made["overdue_high"]) in [i.opens for i in today.of("tickets")]
    # the manager still sees the overdue alerts of the branch's unassigned tickets
    with db.session() as s:
        branch_alerts = alerts.open_alerts(s, a["M001"], exclude_own=("ticket.overdue",))
        mine = alerts.open_alerts(s, a["R001"])
    assert any(x.kind == "ticket.overdue" for x in mine), "the alert itself is still there, only not listed twice"
    assert all(x.kind != "ticket.overdue" or x.entity_id != str(made["overdue_high"]) for x in branch_alerts)


def test_access_requests_wait_on_the_platform_of_those_who_decide_them_oldest_first(db, desk, clock):
    ids, a = desk
    with db.session(write=True) as s:
        first = access.request_customers(s, a["R001"], reason="处理投诉", hours=8, customer_nos=["9100000201"],
                                         clock=clock)
    clock.advance(minutes=30)
    with db.session(write=True) as s:
        second = access.request_customers(s, a["T001"], reason="柜面核实身份", hours=2,
                                          customer_nos=["9100000202", "9100000203"], clock=clock)
    manager = read(db, a["M001"], clock)
    assert manager.sections == ("tickets", "alerts", "reminders", "campaigns", "access")
    assert manager.counts["access"] == 2 and manager.breakdown["access"] == {"customers": 2, "export": 0}
    listed = manager.of("access")
    assert [i.opens for i in listed] == [("access", first.id), ("access", second.id)]  # the oldest first
    assert listed[0].what == "Access request" and listed[0].when == first.requested_at
    assert listed[0].detail == "李客户经理 (R001) · 1 customer · 8 h · 处理投诉"
    # the admin decides too; the manager of another branch, the requesters and tellers do not
    assert read(db, a["A001"], clock).counts["access"] == 2
    assert read(db, a["M900"], clock).counts["access"] == 0
    assert "access" not in read(db, a["R001"], clock).sections
    assert "access" not in read(db, a["T001"], clock).sections
    # a decided request leaves the platform
    with db.session(write=True) as s:
        access.reject(s, a["M001"], first.id, note="请先联系客户", clock=clock)
    after = read(db, a["M001"], clock)
    assert after.counts["access"] == 1 and [i.opens for i in after.of("access")] == [("access", second.id)]
