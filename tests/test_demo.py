"""`ocrm demo`: a realistic, deterministic demo branch network on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from stdnum.cn import ric
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.engine import Database
from ocrm_tui.db.models import (
    Account,
    AuditRecord,
    AumSnapshot,
    Customer,
    CustomerTag,
    Organisation,
    Product,
    ServiceContact,
    StaffUser,
    Tag,
    Ticket,
    TicketEvent,
    TicketHelp,
    Transaction,
)
from ocrm_tui.services import audit, auth, demo
from ocrm_tui.services.errors import ValidationError
from ocrm_tui.services.settings import get_setting
from ocrm_tui.services.tiers import tier_for

MOBILE = re.compile(r"^1[3-9]\d{9}$")
N = 300


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def built(request, tmp_path_factory):
    """One demo per backend, shared by the read-only tests of this module (building is the slow part)."""
    from ocrm_tui.db import migrate
    from ocrm_tui.services.clock import FakeClock
    from tests import conftest

    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    else:
        if not conftest.PG_URL:
            pytest.skip("OCRM_TEST_POSTGRES_URL is not set")
        name = conftest.create_pg_database()
        url = conftest._pg_url_for(name)
    database = Database(url)
    migrate.upgrade(database.engine)
    try:
        summary = demo.build_demo(database, customers=N, seed=7, clock=FakeClock(), chunk=120)
        yield database, summary
    finally:
        database.dispose()
        if name:
            conftest.drop_pg_database(name)


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_the_branch_network_has_every_level_role_product_and_channel(built):
    db, summary = built
    with db.session() as s:
        levels = Counter(s.scalars(select(Organisation.level)))
        assert levels == {"head": 1, "branch1": 2, "branch2": 4, "subbranch": 8, "outlet": 20}
        assert set(s.scalars(select(StaffUser.role))) == {"teller", "rm", "manager", "admin"}
        outlet_roles = set(s.execute(select(StaffUser.role).join(Organisation, Organisation.id == StaffUser.org_id)
                                     .where(Organisation.level == "outlet")).scalars())
        assert {"teller", "rm"} <= outlet_roles
        assert any(s.scalars(select(StaffUser.skills).where(StaffUser.role == "rm", StaffUser.skills != "")))
        assert set(s.scalars(select(Product.product_type))) == {
            "deposit", "wealth", "fund", "insurance", "loan", "credit_card", "metal"}
        assert set(s.scalars(select(Transaction.channel))) == {"counter", "atm", "pos", "phone", "online", "mobile"}
        assert {tag.family for tag in s.scalars(select(Tag))} == {
            "demographic", "behaviour", "attitude", "relationship", "custom"}
        assert count(s, Customer) == N
        # about ten transactions and twelve AUM months per customer
        assert 6 * N <= count(s, Transaction) <= 14 * N
        assert count(s, AumSnapshot) == 12 * N
        tagged_families = set(s.scalars(select(Tag.family).join(CustomerTag, CustomerTag.tag_id == Tag.id).distinct()))
        assert {"demographic", "behaviour", "attitude", "relationship", "custom"} <= tagged_families
        # tellers have customers they served
        tellers = s.scalars(select(StaffUser.id).where(StaffUser.role == "teller")).all()
        served = set(s.scalars(select(ServiceContact.user_id)))
        assert set(tellers) <= served
        # some customers sit in the branch pool (no RM)
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.rm_id.is_(None))) > 0
    assert summary.tables["customer"].rows == N
    assert len(summary.staff) == len({st.employee_no for st in summary.staff})


def test_tickets_fill_every_rms_queue_with_every_status_and_type(built):
    db, summary = built
    with db.session() as s:
        rows = s.execute(select(Ticket.id, Ticket.type, Ticket.status, Ticket.priority, Ticket.solution,
                                Ticket.assignee_id, Ticket.closed_at, Ticket.due_at, Ticket.created_at)).all()
        rms = s.scalars(select(StaffUser.id).where(StaffUser.role == "rm")).all()
        events = Counter(s.execute(select(TicketEvent.ticket_id, TicketEvent.kind)).all())
        helps = count(s, TicketHelp)
    # about one per 20 customers (at least 40), and what RMs' queues and the pools needed on top
    drawn = demo.ticket_count(N)
    assert drawn == demo.MIN_TICKETS <= len(rows) <= drawn + demo.OPEN_PER_RM * len(rms) + demo.MIN_POOL
    assert summary.tables["ticket"].rows == len(rows)
    assert {r.type for r in rows} == {"consultation", "complaint", "suggestion"}
    assert {r.status for r in rows} == {"new", "in_progress", "responded", "closed"}
    open_by = Counter(r.assignee_id for r in rows if r.status != "closed")
    assert all(open_by[rm] >= demo.OPEN_PER_RM for rm in rms), open_by
    assert open_by[None] >= demo.MIN_POOL  # some wait, unassigned, in a branch pool
    closed = [r for r in rows if r.status == "closed"]
    assert closed and all(r.solution and r.closed_at for r in closed)
    assert all(r.due_at > r.created_at for r in rows)
    # every ticket's timeline starts with its creation; an assigned one records who got it
    assert all(events[(r.id, "created")] == 1 for r in rows)
    assert all(events[(r.id, "assigned")] >= 1 for r in rows if r.assignee_id is not None)
    assert helps > 0


def test_customers_have_valid_ids_mobiles_and_pinyin(built):
    db, _summary = built
    with db.session() as s:
        rows = s.execute(select(Customer.id_number, Customer.birth_date, Customer.gender, Customer.mobile,
                                Customer.name, Customer.name_pinyin, Customer.name_initials)).all()
    for id_number, birth, gender, mobile, name, full, initials in rows:
        assert ric.validate(id_number) == id_number
        assert ric.get_birth_date(id_number) == birth
        assert int(id_number[16]) % 2 == (1 if gender == "M" else 0)
        assert MOBILE.match(mobile)
        assert 2 <= len(name) <= 4
        assert full.isascii() and full.isalpha() and len(initials) == len(name)
        assert full.startswith(initials[0])
    assert len({r[0] for r in rows}) == len(rows)
    assert len({r[3] for r in rows}) == len(rows)


def test_aum_tiers_and_balances_agree(built):
    db, _summary = built
    with db.session() as s:
        thresholds = get_setting(s, "tier.thresholds")
        customers = s.execute(select(Customer.id, Customer.aum, Customer.aum_daily_avg, Customer.tier)).all()
        assets = dict(s.execute(
            select(Account.customer_id, func.sum(Account.balance))
            .join(Product, Product.id == Account.product_id)
            .where(Product.product_type.in_(demo.ASSET_TYPES))
            .group_by(Account.customer_id)).all())
        latest = s.scalar(select(func.max(AumSnapshot.month)))
        last_snap = dict(s.execute(select(AumSnapshot.customer_id, AumSnapshot.aum).where(AumSnapshot.month == latest)).all())
        months = s.scalars(select(AumSnapshot.month).distinct()).all()
    assert len(months) == 12 and all(m.day == 1 for m in months)
    assert {c.tier for c in customers} == {"mass", "vip", "wealth", "private"}
    for c in customers:
        assert c.tier == tier_for(c.aum_daily_avg, thresholds)
        assert Decimal(str(assets[c.id])).quantize(Decimal("0.01")) == Decimal(str(c.aum)).quantize(Decimal("0.01"))
        assert Decimal(str(last_snap[c.id])).quantize(Decimal("0.01")) == Decimal(str(c.aum)).quantize(Decimal("0.01"))


def test_referential_integrity_and_audit(built):
    db, summary = built
    with db.session() as s:
        orphans = s.scalar(text("SELECT count(*) FROM txn t LEFT JOIN account a ON a.id = t.account_id "
                                "WHERE a.id IS NULL OR a.customer_id <> t.customer_id"))
        assert orphans == 0
        assert s.scalar(text("SELECT count(*) FROM customer c LEFT JOIN organisation o ON o.id = c.org_id "
                             "WHERE o.id IS NULL OR o.level <> 'outlet'")) == 0
        event = s.scalars(select(AuditRecord).where(AuditRecord.event == "demo.load")).one()
        assert '"customer": 300' in event.changes
        assert audit.verify_chain(s).ok
    if db.is_sqlite:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")}
            assert {"ix_txn_customer_posted", "ix_customer_mobile", "ix_customer_tag_customer"} <= names


def test_same_seed_same_customers_other_seed_other_customers(db_url, tmp_path, backend):
    from ocrm_tui.db import migrate

    def people(url: str, seed: int, **kw) -> list[tuple]:
        database = Database(url)
        demo.build_demo(database, customers=60, seed=seed, chunk=25, **kw)
        with database.session() as s:
            rows = s.execute(select(Customer.name, Customer.id_number, Customer.mobile, Customer.tier)
                             .order_by(Customer.id)).all()
        database.dispose()
        return [tuple(r) for r in rows]

    def fresh(name: str) -> str:
        url = f"sqlite:///{tmp_path / name}"
        migrate.upgrade(Database(url).engine)
        return url

    first = people(db_url, 11)
    # the same seed gives the same customers, on either database
    assert people(fresh("again.db"), 11) == first
    if backend == "sqlite":
        # rows generated by the worker process are exactly the same
        assert people(fresh("worker.db"), 11, parallel=True) == first
        assert people(fresh("other.db"), 12) != first


def test_the_demo_is_built_only_into_an_empty_database(built):
    db, _summary = built
    with pytest.raises(ValidationError):
        demo.build_demo(db, customers=5)
    with db.session() as s:
        assert count(s, Customer) == N


def test_a_failed_build_leaves_nothing_behind(db):
    class Boom(demo.CoreWriter):
        def write(self, conn, table, rows):
            if table.name == "aum_snapshot":
                raise RuntimeError("disk full")
            super().write(conn, table, rows)

    with pytest.raises(RuntimeError):
        demo.build_demo(db, customers=30, writer=Boom())
    with db.session() as s:
        assert count(s, Organisation) == 0
        assert count(s, Customer) == 0
        assert count(s, StaffUser) == 0
    # and building again works; rows added afterwards get fresh ids
    summary = demo.build_demo(db, customers=30)
    assert summary.tables["customer"].rows == 30
    with db.session(write=True) as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.level == "outlet").limit(1))
        c = Customer(customer_no="NEW-1", name="新客户", mobile="13900000000", org_id=org_id)
        s.add(c)
        s.commit()
        assert c.id == 31


def test_ocrm_demo_prints_passwords_that_log_in_and_does_not_build_twice(db_url, monkeypatch):
    started = []
    from ocrm_tui.cli import tui_cmd

    monkeypatch.setattr(tui_cmd, "run_tui", lambda db: started.append(db))
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--customers", "50", "--no-start", "--db", db_url])
    assert result.exit_code == 0, result.output
    found = re.findall(r"^│?\s*(T\d{4})\s*│.*│\s*(teller-[a-z0-9]{8})\s*│?$", result.output, re.M)
    assert found, result.output
    employee_no, password = found[0]
    assert started == []

    database = Database(db_url)
    try:
        with database.session(write=True) as s:
            actor = auth.authenticate(s, employee_no, password)
            assert actor.role == "teller"
        with database.session() as s:
            before = (count(s, Organisation), count(s, Customer), count(s, StaffUser))
        assert before[1] == 50

        again = runner.invoke(app, ["demo", "--customers", "50", "--db", db_url])
        assert again.exit_code == 0, again.output
        assert "already holds data" in again.output
        assert "teller-" not in again.output
        assert "--reset" in again.output  # how to get a password when the table is gone
        assert started == [db_url]  # without --no-start the application starts
        with database.session() as s:
            assert (count(s, Organisation), count(s, Customer), count(s, StaffUser)) == before
    finally:
        database.dispose()


@pytest.mark.parametrize("n", ["0", "1000001", "many"])
def test_ocrm_demo_refuses_a_bad_customer_count(n, tmp_path):
    result = CliRunner().invoke(app, ["demo", "--customers", n, "--no-start", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2


def test_ocrm_demo_speaks_chinese(tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["--lang", "zh", "demo", "--customers", "5", "--no-start",
                                      "--db", f"sqlite:///{tmp_path / 'zh.db'}"])
    assert result.exit_code == 0, result.output
    assert "演示员工" in result.output and "员工号" in result.output


def test_check_digit_matches_stdnum():
    for number in ("360426199101010071", "11010519491231002X", "440524188001010014"):
        assert demo.check_digit(number[:17]) == number[17]
    assert date(2026, 1, 1) == demo._add_months(date(2026, 3, 1), -2)


def test_the_sqlite_tuple_writer_stores_exactly_what_core_inserts_store(tmp_path):
    """`ocrm demo` writes tuples on SQLite for speed; read back, every row equals Core's."""
    from ocrm_tui.db import migrate
    from ocrm_tui.services.clock import FakeClock

    models = (Customer, Account, Transaction, AumSnapshot, CustomerTag, Ticket, TicketEvent, TicketHelp)

    def everything(writer) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]]]:
        url = f"sqlite:///{tmp_path / (type(writer).__name__ + '.db')}"
        database = Database(url)
        migrate.upgrade(database.engine)
        demo.build_demo(database, customers=80, seed=5, chunk=30, clock=FakeClock(), writer=writer)
        out, stored = {}, {}
        with database.session() as s:
            for model in models:
                cols = [c for c in model.__table__.columns]
                order = model.__table__.primary_key.columns
                out[model.__tablename__] = [tuple(r) for r in s.execute(select(*cols).order_by(*order))]
                # As SQL compares them: a time stored as other text than the ORM's orders differently.
                stored[model.__tablename__] = [tuple(r) for r in s.execute(
                    select(*[func.quote(c) for c in cols]).order_by(*order))]
        database.dispose()
        return out, stored

    core, core_stored = everything(demo.CoreWriter())
    tuples, tuples_stored = everything(demo.SqliteTupleWriter())
    assert set(core) == set(tuples)
    for table in core:
        assert core[table] and tuples[table] == core[table], table
        assert tuples_stored[table] == core_stored[table], table
    txn = tuples["txn"][0]
    assert any(isinstance(v, Decimal) for v in txn)  # amounts come back as decimals
