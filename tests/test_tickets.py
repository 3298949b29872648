"""Service tickets: raising and assignment, the SLA, the workflow guard, stale screens,
collaboration, satisfaction, the queue's views and batch actions — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ocrm_tui.db.models import Alert, AuditRecord, Customer, ServiceContact, Ticket, TicketEvent
from ocrm_tui.services import auth, settings, tickets, users
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

from .conftest import PASSWORD

# The branch fixture's staff, plus: R003 at O1 with the wealth skill, R004 at O1 (disabled
# later by tests that need it), R005 at O2 with the complaint skill.
EXTRA_STAFF = [("R003", "孙理财", "rm", "O1", "wealth"), ("R004", "周客户经理", "rm", "O1", ""),
               ("R005", "吴投诉", "rm", "O2", "complaint")]
CUSTOMERS = [  # name, org, rm
    ("张伟", "O1", "R001"), ("李娜", "O1", None), ("王芳", "O2", None), ("刘洋", "X1", None),
]


@pytest.fixture
def desk(branch, db, system, clock):
    with db.session(write=True) as s:
        for no, name, role, org, skills in EXTRA_STAFF:
            users.add_user(s, system, employee_no=no, name=name, role=role, org_code=org, password=PASSWORD,
                           skills=skills or None, clock=clock)
    ids = {}
    with db.session(write=True) as s:
        for i, (name, org, rm) in enumerate(CUSTOMERS):
            c = Customer(customer_no=f"91000002{i:02d}", name=name, **name_keys(name), mobile=f"1390000{i:04d}",
                         birth_date=date(1980, 1, 1 + i), org_id=get_org_by_code(s, org).id,
                         rm_id=get_user(s, rm).id if rm else None)
            s.add(c)
            s.flush()
            ids[name] = c.id
        s.add(ServiceContact(customer_id=ids["张伟"], user_id=get_user(s, "T001").id, kind="counter"))
        s.commit()
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no))
                  for no in ("A001", "M001", "R001", "R002", "R003", "R004", "R005", "T001", "M900")}
    return ids, actors


def raise_ticket(db, actor, customer_id, clock, **values):
    base = {"type": "consultation", "priority": "medium", "channel": "counter", "subject": "问询理财到期"}
    base.update(values)
    with db.session(write=True) as s:
        return tickets.create_ticket(s, actor, customer_id, base, clock=clock)


def ticket(db, ticket_id) -> Ticket:
    with db.session() as s:
        return s.get(Ticket, ticket_id)


# -- raising and assignment -----------------------------------------------------------------------

def test_a_ticket_goes_to_the_customers_own_rm_and_is_due_by_its_priority(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="high")
    t = ticket(db, tid)
    assert t.assignee_id == a["R001"].id
    assert t.status == "new" and t.unread
    assert t.due_at.replace(tzinfo=clock.now.tzinfo) == clock.now + timedelta(hours=4)
    with db.session() as s:
        kinds = [e.kind for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid)
                                            .order_by(TicketEvent.id))]
        assigned = s.scalars(select(AuditRecord).where(AuditRecord.entity == "ticket",
                                                       AuditRecord.event == "ticket.assign")).all()
    assert kinds == ["created", "assigned"]
    assert assigned, "every assignment is audited"


def test_sla_hours_come_from_the_settings(db, desk, clock):
    ids, a = desk
    with db.session(write=True) as s:
        settings.set_setting(s, "sla.hours", {"high": 2, "medium": 8, "low": 48})
        s.commit()
    tid = raise_ticket(db, a["M001"], ids["李娜"], clock, priority="low")
    assert ticket(db, tid).due_at.replace(tzinfo=clock.now.tzinfo) == clock.now + timedelta(hours=48)


def test_without_an_rm_the_least_loaded_skilled_handler_takes_it_ties_by_longest_idle(db, desk, clock):
    ids, a = desk
    # 李娜 (O1) has no RM. Only R003 has the wealth skill.
    first = raise_ticket(db, a["M001"], ids["李娜"], clock, required_skill="wealth")
    assert ticket(db, first).assignee_id == a["R003"].id
    clock.advance(minutes=1)
    # No skill: R001 already has nothing, R003 has one; R004 has nothing either; among the
    # idle ones (never given a ticket) the lower id goes first, then the other.
    second = raise_ticket(db, a["M001"], ids["李娜"], clock)
    clock.advance(minutes=1)
    third = raise_ticket(db, a["M001"], ids["李娜"], clock)
    takers = {ticket(db, second).assignee_id, ticket(db, third).assignee_id}
    assert takers == {a["R001"].id, a["R004"].id}
    # Now R001, R003, R004 each have one; the manager M001 sits at SB, above O1: not in the
    # customer's own organisation, so still an O1 handler — the one idle longest (R003).
    clock.advance(minutes=1)
    fourth = raise_ticket(db, a["M001"], ids["李娜"], clock)
    assert ticket(db, fourth).assignee_id == a["R003"].id


def test_with_the_setting_off_the_own_rm_is_not_preferred(db, desk, clock):
    ids, a = desk
    with db.session(write=True) as s:
        settings.set_setting(s, "tickets.assign_to_rm", False)
        s.commit()
    raise_ticket(db, a["M001"], ids["李娜"], clock)  # R001 (lowest id) gets one
    tid = raise_ticket(db, a["M001"], ids["张伟"], clock)  # 张伟's RM is R001, but he is busier
    assert ticket(db, tid).assignee_id != a["R001"].id


def test_nobody_qualified_leaves_it_in_the_pool(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["M001"], ids["李娜"], clock, required_skill="insurance")
    assert ticket(db, tid).assignee_id is None
    with db.session() as s:
        pool = tickets.queue_page(s, a["R001"], "pool", now=clock.now)
    assert [r.id for r in pool.rows] == [tid]


def test_a_disabled_user_is_never_assigned(db, desk, clock, system):
    ids, a = desk
    with db.session(write=True) as s:
        users.disable_user(s, system, "R003", clock=clock)
    tid = raise_ticket(db, a["M001"], ids["李娜"], clock, required_skill="wealth")
    assert ticket(db, tid).assignee_id is None
    with db.session(write=True) as s, pytest.raises(ValidationError, match="disabled"):
        tickets.assign(s, a["M001"], tid, "R003", clock=clock)


@pytest.mark.parametrize("values, field", [
    ({"subject": ""}, "subject"), ({"subject": "   "}, "subject"),
    ({"description": "x" * 10_000}, "description"), ({"type": "praise"}, "type"),
    ({"priority": "urgent"}, "priority"), ({"subject": "s" * 201}, "subject"),
])
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(db, desk, clock, values, field):
    ids, a = desk
    with pytest.raises(ValidationError) as err:
        raise_ticket(db, a["R001"], ids["张伟"], clock, **values)
    assert err.value.field == field
    with db.session() as s:
        assert s.scalar(select(func.count(Ticket.id))) == 0


def test_a_customer_outside_the_scope_gets_no_ticket(db, desk, clock):
    ids, a = desk
    with pytest.raises(NotFoundError):
        raise_ticket(db, a["R001"], ids["刘洋"], clock)


# -- the workflow ---------------------------------------------------------------------------------

def test_new_in_progress_responded_closed_then_rated_and_reopened(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock, type="complaint")
    rm = a["R001"]
    with db.session(write=True) as s:
        with pytest.raises(ValidationError, match="Start work"):
            tickets.respond(s, rm, tid, "已回复")
    with db.session(write=True) as s:
        tickets.start(s, rm, tid, clock=clock)
    with db.session(write=True) as s:
        tickets.respond(s, rm, tid, "已电话回复客户", clock=clock)
    with db.session(write=True) as s:
        with pytest.raises(ValidationError) as err:
            tickets.close(s, rm, tid, "  ", clock=clock)
        assert err.value.field == "solution"
    with db.session(write=True) as s:
        tickets.close(s, rm, tid, "已退还手续费", rating=5, comment="很快", clock=clock)
    t = ticket(db, tid)
    assert (t.status, t.solution, t.rating, t.rating_comment) == ("closed", "已退还手续费", 5, "很快")
    with db.session(write=True) as s:
        with pytest.raises(ValidationError, match="closed ticket can only be reopened"):
            tickets.respond(s, rm, tid, "再次回复")
    with db.session(write=True) as s:
        with pytest.raises(ValidationError, match="reason"):
            tickets.reopen(s, rm, tid, "")
    clock.advance(hours=10)
    with db.session(write=True) as s:
        tickets.reopen(s, rm, tid, "客户再次来电", clock=clock)
    t = ticket(db, tid)
    assert t.status == "in_progress" and t.closed_at is None
    assert t.due_at.replace(tzinfo=clock.now.tzinfo) == clock.now + timedelta(hours=24)
    with db.session() as s:
        view = tickets.get_ticket(s, rm, tid, now=clock.now)
    assert [e.kind for e in view.timeline] == ["created", "assigned", "status", "status", "status", "rated",
                                               "reopened"]


def test_only_the_assignee_or_their_manager_moves_a_ticket(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s, pytest.raises(PermissionDenied):
        tickets.start(s, a["T001"], tid)  # the teller raised it, the RM works it
    with db.session(write=True) as s:
        tickets.start(s, a["M001"], tid, clock=clock)  # the manager steps in
    with db.session(write=True) as s, pytest.raises(NotFoundError):
        tickets.start(s, a["M900"], tid)  # another branch's manager does not even see it


def test_a_change_from_a_stale_screen_is_refused_and_says_who(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session() as s:
        seen = tickets.get_ticket(s, a["R001"], tid).version
    with db.session(write=True) as s:
        tickets.close(s, a["M001"], tid, "经理已处理", version=seen, clock=clock)
    with db.session(write=True) as s, pytest.raises(StaleRecordError, match="王经理 closed this ticket"):
        tickets.respond(s, a["R001"], tid, "回复", version=seen)
    assert ticket(db, tid).solution == "经理已处理"


@pytest.mark.parametrize("rating", [0, 6, "five", None, -1])
def test_a_rating_out_of_range_is_refused(db, desk, clock, rating):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], tid, "已处理", clock=clock)
    with db.session(write=True) as s, pytest.raises(ValidationError) as err:
        tickets.rate(s, a["R001"], tid, rating)
    assert err.value.field == "rating"
    assert ticket(db, tid).rating is None


def test_rating_waits_for_the_close_and_may_come_later(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s, pytest.raises(ValidationError, match="closed"):
        tickets.rate(s, a["R001"], tid, 4)
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], tid, "已处理", clock=clock)
    with db.session(write=True) as s:
        tickets.rate(s, a["T001"], tid, 1, "等待太久", clock=clock)  # the teller who raised it records it
    t = ticket(db, tid)
    assert (t.rating, t.rating_comment) == (1, "等待太久")


# -- collaboration --------------------------------------------------------------------------------

def test_help_asked_of_a_named_colleague_appears_in_their_queue_and_the_answer_on_the_ticket(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        help_id = tickets.request_help(s, a["R001"], tid, "请调取近三个月流水", to_user="R002", clock=clock)
    with db.session() as s:
        helper_queue = tickets.queue_page(s, a["R002"], "help", now=clock.now)
        waiting = tickets.queue_page(s, a["R001"], "waiting", now=clock.now)
        alert = s.scalars(select(Alert).where(Alert.user_id == a["R002"].id)).one()
    assert [r.id for r in helper_queue.rows] == [tid]
    assert [r.id for r in waiting.rows] == [tid]
    assert "请调取近三个月流水" in alert.message
    with db.session(write=True) as s, pytest.raises(NotFoundError):
        tickets.answer_help(s, a["R003"], help_id, "not mine")
    with db.session(write=True) as s:
        tickets.answer_help(s, a["R002"], help_id, "流水已发邮箱", clock=clock)
    with db.session(write=True) as s, pytest.raises(StaleRecordError, match="already answered"):
        tickets.answer_help(s, a["R002"], help_id, "again")
    with db.session() as s:
        view = tickets.get_ticket(s, a["R001"], tid, now=clock.now)
        assert tickets.queue_page(s, a["R002"], "help", now=clock.now).rows == []
    assert view.help[0].answer == "流水已发邮箱" and view.help[0].answered_by == "赵客户经理"
    assert view.timeline[-1].kind == "help_answered"
    assert ticket(db, tid).unread, "the assignee sees there is news"


def test_help_asked_of_a_role_reaches_that_role_in_the_branch_only(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        tickets.request_help(s, a["R001"], tid, "请核对柜面凭证", to_role="teller", clock=clock)
    with db.session() as s:
        assert [r.id for r in tickets.queue_page(s, a["T001"], "help", now=clock.now).rows] == [tid]
        assert tickets.queue_page(s, a["R002"], "help", now=clock.now).rows == []


# -- the queue ------------------------------------------------------------------------------------

def test_the_queue_puts_overdue_first_then_priority_then_due_time(db, desk, clock):
    ids, a = desk
    low = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="low", subject="low")
    clock.advance(hours=1)
    high = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="high", subject="high")
    medium = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="medium", subject="medium")
    early_high = None
    with db.session() as s:
        page = tickets.queue_page(s, a["R001"], "unread", now=clock.now)
    assert [r.id for r in page.rows] == [high, medium, low]
    clock.advance(hours=4)  # the high one is now overdue; nothing else is
    with db.session() as s:
        page = tickets.queue_page(s, a["R001"], "unread", now=clock.now)
        overdue = tickets.queue_page(s, a["R001"], "overdue", now=clock.now)
        counts = tickets.queue_counts(s, a["R001"], now=clock.now)
    assert [r.id for r in page.rows] == [high, medium, low]
    assert page.rows[0].sla == "overdue"
    assert [r.id for r in overdue.rows] == [high]
    assert counts["unread"] == 3 and counts["overdue"] == 1
    assert early_high is None


def test_the_queue_pages_by_keyset_without_losing_or_repeating_a_ticket(db, desk, clock):
    ids, a = desk
    made = [raise_ticket(db, a["T001"], ids["张伟"], clock, priority=("high", "medium", "low")[i % 3])
            for i in range(23)]
    seen = []
    after = None
    with db.session() as s:
        while True:
            page = tickets.queue_page(s, a["R001"], "unread", after=after, limit=5, now=clock.now)
            seen += [r.id for r in page.rows]
            if page.next is None:
                break
            after = page.next
        all_ids = tickets.queue_ids(s, a["R001"], "unread", now=clock.now)
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    assert sorted(all_ids) == sorted(made)


def test_the_teller_sees_the_customer_masked_in_the_queue(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        tickets.request_help(s, a["R001"], tid, "核对", to_user="T001", clock=clock)
    with db.session() as s:
        row = tickets.queue_page(s, a["T001"], "help", now=clock.now).rows[0]
        view = tickets.get_ticket(s, a["T001"], tid, now=clock.now)
    assert row.customer_name == "张*" and view.customer_name == "张*"


def test_opening_a_ticket_clears_the_unread_marker_for_the_assignee_only(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        tickets.open_ticket(s, a["M001"], tid, clock=clock)
    assert ticket(db, tid).unread
    with db.session(write=True) as s:
        tickets.open_ticket(s, a["R001"], tid, clock=clock)
    assert not ticket(db, tid).unread


# -- batch actions and claiming --------------------------------------------------------------------

def test_batch_close_reports_each_ticket_it_could_not_close(db, desk, clock):
    ids, a = desk
    made = [raise_ticket(db, a["T001"], ids["张伟"], clock) for _ in range(4)]
    with db.session(write=True) as s:
        tickets.close(s, a["M001"], made[0], "经理已处理", clock=clock)
    other = raise_ticket(db, a["M001"], ids["王芳"], clock)  # O2: not R001's
    with db.session(write=True) as s:
        results = tickets.batch_close(s, a["R001"], made + [other], "统一回复：已处理", clock=clock)
    by_id = {r.ticket_id: r for r in results}
    assert [by_id[i].ok for i in made] == [False, True, True, True]
    assert "王经理" in by_id[made[0]].reason
    assert not by_id[other].ok
    with db.session() as s:
        solutions = dict(s.execute(select(Ticket.id, Ticket.solution).where(Ticket.id.in_(made))).all())
    assert solutions[made[0]] == "经理已处理" and solutions[made[1]] == "统一回复：已处理"


def test_batch_assign_by_a_manager_refuses_a_disabled_user(db, desk, clock, system):
    ids, a = desk
    made = [raise_ticket(db, a["T001"], ids["张伟"], clock) for _ in range(3)]
    with db.session(write=True) as s:
        users.disable_user(s, system, "R004", clock=clock)
    with db.session(write=True) as s, pytest.raises(ValidationError, match="disabled"):
        tickets.batch_assign(s, a["M001"], made, "R004", clock=clock)
    with db.session(write=True) as s, pytest.raises(PermissionDenied):
        tickets.batch_assign(s, a["R001"], made, "R002", clock=clock)
    with db.session(write=True) as s:
        results = tickets.batch_assign(s, a["M001"], made, "R002", clock=clock)
    assert all(r.ok for r in results)
    with db.session() as s:
        assert tickets.queue_counts(s, a["R002"], now=clock.now)["unread"] == 3


def test_two_claims_of_the_same_ticket_never_both_succeed(db, desk, clock):
    ids, a = desk
    tid = raise_ticket(db, a["M001"], ids["李娜"], clock, required_skill="insurance")
    with db.session(write=True) as s:
        tickets.claim(s, a["R001"], tid, clock=clock)
    with db.session(write=True) as s, pytest.raises(StaleRecordError, match="李客户经理 has already taken"):
        tickets.claim(s, a["R004"], tid, clock=clock)
    t = ticket(db, tid)
    assert t.assignee_id == a["R001"].id and t.status == "in_progress"


def test_claim_next_takes_the_most_urgent_and_empties_the_pool(db, desk, clock):
    ids, a = desk
    low = raise_ticket(db, a["M001"], ids["李娜"], clock, priority="low", required_skill="insurance")
    high = raise_ticket(db, a["M001"], ids["李娜"], clock, priority="high", required_skill="insurance")
    got = []
    for _ in range(3):
        with db.session(write=True) as s:
            got.append(tickets.claim_next(s, a["R001"], clock=clock))
    assert got == [high, low, None]


def test_sla_scan_alerts_each_newly_overdue_ticket_exactly_once(db, desk, clock, system):
    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock, priority="high")
    with db.session(write=True) as s:
        assert tickets.sla_scan(s, system, clock=clock) == 0
    clock.advance(hours=5)
    for expected in (1, 0, 0):
        with db.session(write=True) as s:
            assert tickets.sla_scan(s, system, clock=clock) == expected
    with db.session() as s:
        alert = s.scalars(select(Alert).where(Alert.kind == "ticket.overdue")).one()
    assert alert.user_id == a["R001"].id and tickets.ticket_number(tid) in alert.message
    # Closed and reopened: a new SLA window; running over it again is a new alert.
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], tid, "已处理", clock=clock)
    with db.session(write=True) as s:
        tickets.reopen(s, a["R001"], tid, "客户不满意", clock=clock)
    clock.advance(hours=5)
    with db.session(write=True) as s:
        assert tickets.sla_scan(s, system, clock=clock) == 1


def test_closing_withdraws_open_requests_for_help_and_the_timeline_names_a_role_in_the_readers_language(
        db, desk, clock):
    from ocrm_tui.i18n import set_language

    ids, a = desk
    tid = raise_ticket(db, a["T001"], ids["张伟"], clock)
    with db.session(write=True) as s:
        help_id = tickets.request_help(s, a["R001"], tid, "核对凭证", to_role="teller", clock=clock)
    with db.session(write=True) as s:
        tickets.close(s, a["R001"], tid, "已处理", clock=clock)
    with db.session(write=True) as s, pytest.raises(StaleRecordError, match="needs no answer"):
        tickets.answer_help(s, a["T001"], help_id, "迟到的答复")
    with db.session() as s:
        assert tickets.queue_page(s, a["T001"], "help", now=clock.now).rows == []
        view = tickets.get_ticket(s, a["R001"], tid, now=clock.now)
    assert view.help[0].status == "withdrawn"
    asked = next(e for e in view.timeline if e.kind == "help_requested")
    assert asked.to_value == "Teller"
    set_language("zh")
    with db.session() as s:
        asked = next(e for e in tickets.get_ticket(s, a["R001"], tid, now=clock.now).timeline
                     if e.kind == "help_requested")
    assert asked.to_value == "柜员"
