"""Many terminals take tickets from the same pool at once: each ticket goes to exactly one of them.

Separate processes (spawned: no shared connections, as separate terminals), each with its
own Database and its own RM, call ``tickets.claim_next`` until the pool is empty.
PostgreSQL: eight processes, ``FOR UPDATE SKIP LOCKED``. SQLite: four processes, each claim
an IMMEDIATE write transaction, so claims queue for the file's write lock (one that waits
longer than the busy timeout is refused with "database is locked", changing nothing, and the
terminal tries again, as a person pressing G again would).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import traceback
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from ocrm_tui.db.models import Customer, StaffUser, Ticket, TicketEvent
from ocrm_tui.services import audit, tickets
from ocrm_tui.services.clock import system_clock
from ocrm_tui.services.orgs import get_org_by_code

POOL = 1000
WORKERS = {"postgres": 8, "sqlite": 4}


def claim_until_empty(url: str, user_id: int, start, results) -> None:
    """One terminal: claim the next ticket of the pool until there is none; report the ids."""
    from sqlalchemy.exc import OperationalError

    from ocrm_tui.db.engine import Database
    from ocrm_tui.services.auth import actor_for

    got: list[int] = []
    try:
        db = Database(url)
        with db.session() as s:
            actor = actor_for(s, s.get(StaffUser, user_id))
        with db.session() as s:  # connect before the start, so that all begin claiming together
            s.scalar(select(1))
        start.wait(timeout=60)
        while True:
            try:
                with db.session(write=True) as s:
                    ticket_id = tickets.claim_next(s, actor)
            except OperationalError as exc:
                if db.is_sqlite and "database is locked" in str(exc):
                    continue
                raise
            if ticket_id is None:
                break
            got.append(ticket_id)
        db.dispose()
        results.put((user_id, got, None))
    except BaseException:  # reported to the test, which fails with it
        results.put((user_id, got, traceback.format_exc()))


def build_pool(db, n: int, workers: int) -> tuple[list[int], list[int]]:
    """``workers`` RMs at outlet O1 and ``n`` unassigned new tickets of an O1 customer (bulk insert)."""
    now = system_clock()
    with db.session(write=True) as s:
        o1 = get_org_by_code(s, "O1")
        rms = [StaffUser(employee_no=f"R9{i:02d}", name=f"并发{i}号", role="rm", org_id=o1.id, password_hash="-")
               for i in range(workers)]
        customer = Customer(customer_no="9100000900", name="钱多多", mobile="13900000900", birth_date=date(1975, 5, 5),
                            org_id=o1.id)
        s.add_all([*rms, customer])
        s.flush()
        priorities = ("high", "medium", "low")
        s.execute(insert(Ticket), [
            dict(customer_id=customer.id, org_id=o1.id, type="consultation", priority=priorities[i % 3],
                 channel="counter", subject=f"排队取号咨询 {i}", description="", status="new", assignee_id=None,
                 unread=False, due_at=now + timedelta(minutes=i), created_at=now, updated_at=now)
            for i in range(n)
        ])
        s.commit()
        ids = list(s.scalars(select(Ticket.id).order_by(Ticket.id)))
        return ids, [u.id for u in rms]


def test_concurrent_claims_give_each_ticket_to_exactly_one_terminal(db_url, db, branch, backend):
    workers = WORKERS[backend]
    pool, users = build_pool(db, POOL, workers)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(workers)
    results = ctx.Queue()
    procs = [ctx.Process(target=claim_until_empty, args=(db_url, uid, start, results), daemon=True) for uid in users]
    for p in procs:
        p.start()
    reports = {}
    try:
        for _i in procs:
            user_id, got, error = results.get(timeout=120)
            assert error is None, f"terminal of user {user_id} failed:\n{error}"
            reports[user_id] = got
    except queue_mod.Empty:
        pytest.fail(f"only {len(reports)} of {workers} terminals finished in time")
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()

    claimed = [tid for got in reports.values() for tid in got]
    assert len(claimed) == len(set(claimed)), "a ticket was claimed twice"
    assert sorted(claimed) == pool, "every ticket of the pool is claimed, none lost"
    if backend == "postgres":
        # SKIP LOCKED: nobody waits for another's row, so every terminal gets work.
        assert all(reports[uid] for uid in users), {uid: len(got) for uid, got in reports.items()}

    owner = {tid: uid for uid, got in reports.items() for tid in got}
    with db.session() as s:
        rows = s.execute(select(Ticket.id, Ticket.assignee_id, Ticket.status, Ticket.version)).all()
        assigned = s.execute(select(TicketEvent.ticket_id, TicketEvent.actor_id, TicketEvent.to_value)
                             .where(TicketEvent.kind == "assigned")).all()
        left = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.assignee_id.is_(None)))
        chain = audit.verify_chain(s)
    assert left == 0
    assert {r.id: r.assignee_id for r in rows} == owner
    assert {(r.status, r.version) for r in rows} == {("in_progress", 2)}  # one change each, never two
    per_ticket = Counter(a.ticket_id for a in assigned)
    assert set(per_ticket) == set(pool) and set(per_ticket.values()) == {1}, "one 'assigned' event per ticket"
    assert all(a.actor_id == owner[a.ticket_id] and a.to_value == str(owner[a.ticket_id]) for a in assigned)
    assert chain.ok, chain  # the audit trail of all those claims is one unbroken chain
