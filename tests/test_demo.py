"""`ocrm demo`: a realistic, deterministic demo branch network on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
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
    Campaign,
    CampaignTarget,
    Customer,
    CustomerTag,
    Organisation,
    Product,
    ServiceContact,
    SmsMessage,
    StaffUser,
    Tag,
    Ticket,
    TicketEvent,
    TicketHelp,
    Transaction,
)
from ocrm_tui.services import audit, auth, campaigns, demo
from ocrm_tui.services import campaign_filter as cf
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


# -- campaigns ---------------------------------------------------------------------------------

CAMPAIGN_N = 1200  # enough unowned customers for a bank-wide list to reach every RM


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def campaigned(request, tmp_path_factory):
    """A demo big enough for its campaigns' lists to reach every RM, one per backend."""
    from ocrm_tui.db import migrate
    from ocrm_tui.services.clock import FakeClock
    from tests import conftest

    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('campaigns') / 'demo.db'}"
    else:
        if not conftest.PG_URL:
            pytest.skip("OCRM_TEST_POSTGRES_URL is not set")
        name = conftest.create_pg_database()
        url = conftest._pg_url_for(name)
    database = Database(url)
    migrate.upgrade(database.engine)
    clock = FakeClock()
    try:
        summary = demo.build_demo(database, customers=CAMPAIGN_N, seed=7, clock=clock)
        yield database, summary, clock()
    finally:
        database.dispose()
        if name:
            conftest.drop_pg_database(name)


def _admin(s):
    first_admin = select(StaffUser).where(StaffUser.role == "admin").order_by(StaffUser.id)
    return auth.actor_for(s, s.scalars(first_admin).first())


def _campaigns_by_name(s) -> dict[str, Campaign]:
    return {c.name: c for c in s.scalars(select(Campaign))}


def test_the_demo_has_campaigns_in_every_state_with_their_saved_filters(campaigned):
    db, summary, now = campaigned
    with db.session() as s:
        made = _campaigns_by_name(s)
        admin = _admin(s)
        views = {name: campaigns.get_campaign(s, admin, c.id) for name, c in made.items()}
        counts = dict(s.execute(select(CampaignTarget.campaign_id, func.count())
                                .group_by(CampaignTarget.campaign_id)).all())
    assert set(made) == {plan.name for plan in demo.CAMPAIGNS}
    assert Counter(c.status for c in made.values()) == {"draft": 1, "active": 2, "paused": 1, "ended": 1}
    assert {c.type for c in made.values()} == {"sms", "benefit", "salon", "phone"}
    for plan in demo.CAMPAIGNS:
        c, view = made[plan.name], views[plan.name]
        assert c.status == plan.status
        # the filter is stored as the product stores it, and still means something
        assert c.filter_json == cf.to_json(plan.filter)
        assert view.filter_problem is None and view.filter_text
        assert (view.product_code or None) == plan.product_code
        first, last = demo.campaign_period(plan, now.date())
        assert (c.starts_on, c.ends_on) == (first, last)
        assert c.created_at < now and c.updated_at < now
        if plan.status == "draft":
            assert c.id not in counts and c.generated_at is None  # no list yet
            assert (c.budget, c.actual_cost) == (plan.budget, 0)
        else:
            assert counts[c.id] > 0 and c.generated_at < datetime.combine(first, datetime.min.time(), timezone.utc)
            # the budget follows the list's size; part of it has been spent
            assert c.budget >= max(plan.budget, counts[c.id] * plan.per_target - 500)
            assert 0 < c.actual_cost < c.budget
    ended = made[next(p.name for p in demo.CAMPAIGNS if p.status == "ended")]
    assert ended.actual_cost > 0 and ended.ends_on < now.date()
    assert views["年年丰理财新客专享"].product == "年年丰理财 (R3)"
    assert views["年年丰理财新客专享"].scope == "Bank-wide"
    assert summary.campaigns.campaigns == 5
    assert summary.campaigns.targets == sum(counts.values())
    # made through the campaign services: each step is in the audit trail
    with db.session() as s:
        events = Counter(s.scalars(select(AuditRecord.event).where(AuditRecord.entity == "campaign")))
        assert audit.verify_chain(s).ok
    assert events["campaign.create"] == 5
    assert events["campaign.generate"] == events["campaign.start"] == 4
    assert events["campaign.pause"] == events["campaign.end"] == events["campaign.sms_send"] == 1


def test_live_lists_are_made_and_shared_among_rms_by_the_products_rule(campaigned):
    db, _summary, now = campaigned
    with db.session() as s:
        admin = _admin(s)
        made = _campaigns_by_name(s)
        rms = set(s.scalars(select(StaffUser.id).where(StaffUser.role == "rm")))
        for c in made.values():
            if c.status == "draft":
                continue
            rows = s.execute(select(CampaignTarget.rm_id, Customer.rm_id, Customer.org_id)
                             .join(Customer, Customer.id == CampaignTarget.customer_id)
                             .where(CampaignTarget.campaign_id == c.id)).all()
            scope = set(s.scalars(select(StaffUser.id).where(
                StaffUser.role == "rm", StaffUser.org_id.in_(_subtree(s, c.org_id)))))
            # each customer to their own RM, the unowned ones to RMs of the campaign's scope
            assert all(given == own for given, own, _org in rows if own is not None)
            unowned = [given for given, own, _org in rows if own is None]
            assert all(given in scope for given in unowned)
            if len(unowned) >= len(scope):
                assert set(unowned) == scope  # in turn: every RM of the scope gets some
            if c.status == "active":
                # the list is what the campaign's filter matches (the live campaign gained nobody since)
                assert campaigns.campaign_preview(s, admin, c.id).count == len(rows)
        pending = set(s.scalars(select(CampaignTarget.rm_id).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
                                .where(Campaign.status == "active", CampaignTarget.status == "pending")))
    assert rms <= pending  # every RM has work waiting in a live campaign
    wealth = made["年年丰理财新客专享"]
    with db.session() as s:
        # the promoted R3 product suits every target (适当性)
        risks = s.scalars(select(Customer.risk_preference)
                          .join(CampaignTarget, CampaignTarget.customer_id == Customer.id)
                          .where(CampaignTarget.campaign_id == wealth.id)).all()
    assert risks and all(r is not None and r >= 3 for r in risks)


def _subtree(s, org_id):
    if org_id is None:
        return select(Organisation.id)
    path = s.scalar(select(Organisation.path).where(Organisation.id == org_id))
    return select(Organisation.id).where(Organisation.path.startswith(path))


def test_recorded_outcomes_are_consistent(campaigned):
    db, summary, now = campaigned
    plans = {p.name: p for p in demo.CAMPAIGNS}
    with db.session() as s:
        made = _campaigns_by_name(s)
        contacts = Counter(s.execute(select(ServiceContact.customer_id, ServiceContact.user_id, ServiceContact.at,
                                            ServiceContact.note).where(ServiceContact.kind == "campaign")).all())
        recorded = 0
        outcomes = set()
        for name, c in made.items():
            plan = plans[name]
            rows = s.execute(select(CampaignTarget).where(CampaignTarget.campaign_id == c.id)).scalars().all()
            statuses = Counter(t.status for t in rows)
            if c.status == "draft":
                assert not rows
                continue
            # a share of the list has been worked, the rest waits
            assert statuses["pending"] > 0 and len(statuses) > 2, (name, statuses)
            outcomes |= set(statuses)
            pause_day = now.date() - timedelta(days=plan.paused_days)
            for t in rows:
                if t.status == "pending":
                    assert t.contacted_at is None and t.converted_amount is None and t.updated_by is None
                    continue
                recorded += 1
                day = t.contacted_at.date()
                assert c.starts_on <= day <= c.ends_on and t.contacted_at < now, (name, t.contacted_at)
                assert 1 <= t.contacted_at.hour < 10  # office hours in China
                if c.status == "paused":
                    assert day < pause_day
                assert t.updated_by == t.rm_id and t.updated_at == t.contacted_at
                if t.status == "converted":
                    low, high, _step = plan.amounts
                    assert low <= t.converted_amount <= high
                else:
                    assert t.converted_amount is None
                if t.status in ("contacted", "interested", "converted", "declined"):
                    # reaching the customer is a service contact, as when the RM records it
                    assert contacts[(t.customer_id, t.rm_id, t.contacted_at, f"campaign {c.id}: {t.status}")] == 1
            assert any(t.note for t in rows)
    assert recorded == summary.campaigns.outcomes
    assert outcomes == {"pending", "contacted", "interested", "converted", "declined", "unreachable"}


def test_campaign_metrics_are_live_and_the_ended_one_has_its_roi(campaigned):
    db, _summary, _now = campaigned
    with db.session() as s:
        admin = _admin(s)
        made = _campaigns_by_name(s)
        figures = {name: campaigns.metrics(s, admin, c.id) for name, c in made.items()}
        nj_manager = auth.actor_for(s, s.scalars(
            select(StaffUser).join(Organisation, Organisation.id == StaffUser.org_id)
            .where(Organisation.code == "NJ", StaffUser.role == "manager")).one())
        card = made["信用卡激活有礼"]
        nj_figures = campaigns.metrics(s, nj_manager, card.id)
    for name, m in figures.items():
        if made[name].status == "draft":
            assert m.overall.targets == 0
            continue
        o = m.overall
        assert o.targets > o.contacted >= o.participated >= o.converted, (name, o)
        assert o.contacted > 0 and 0 < o.contact_rate < 1
        if made[name].status != "paused":  # the small salon was paused before anyone bought
            assert o.converted > 0 and o.amount > 0, (name, o)
            assert 0 < o.conversion_rate <= o.participation_rate <= o.contact_rate
        assert sum(r.targets for r in m.by_tier) == o.targets
        assert sum(r.converted for r in m.by_tier) == o.converted
        assert m.by_tag and max(r.targets for r in m.by_tag) <= o.targets
    ended = figures["季末大额存单专享"]
    assert ended.cost > 0 and ended.roi is not None and ended.roi > 0
    # a branch manager sees the figures of their branch's targets in the bank-wide campaign
    assert 0 < nj_figures.overall.targets < figures["信用卡激活有礼"].overall.targets


def test_the_sms_campaign_has_queued_one_message_per_target(campaigned):
    db, summary, now = campaigned
    with db.session() as s:
        card = _campaigns_by_name(s)["信用卡激活有礼"]
        targets = s.scalar(select(func.count()).select_from(CampaignTarget)
                           .where(CampaignTarget.campaign_id == card.id))
        messages = s.scalars(select(SmsMessage).where(SmsMessage.campaign_id == card.id)).all()
        others = s.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.campaign_id != card.id))
    assert len(messages) == targets == summary.campaigns.sms  # every demo customer has a valid mobile
    assert len({m.target_id for m in messages}) == len(messages)
    assert others == 0
    for m in messages[:50]:
        assert m.status == "queued" and MOBILE.match(m.mobile)
        assert m.body.startswith("尊敬的") and "{" not in m.body and "客户经理" in m.body
        assert card.starts_on == m.queued_at.date() and m.queued_at < now


def test_the_demo_campaigns_are_the_same_for_a_seed_on_either_database(db_url, tmp_path):
    from ocrm_tui.db import migrate
    from ocrm_tui.services.clock import FakeClock

    def lists(url: str) -> tuple[list[tuple], list[tuple]]:
        database = Database(url)
        demo.build_demo(database, customers=400, seed=3, chunk=150, clock=FakeClock())
        with database.session() as s:
            made = [tuple(r) for r in s.execute(select(Campaign.name, Campaign.status, Campaign.starts_on,
                                                       Campaign.generated_at).order_by(Campaign.id))]
            # (the order a database inserts a list in is its own: compare by customer)
            targets = [tuple(r) for r in s.execute(
                select(CampaignTarget.campaign_id, CampaignTarget.customer_id, CampaignTarget.rm_id,
                       CampaignTarget.status, CampaignTarget.converted_amount, CampaignTarget.contacted_at,
                       CampaignTarget.note).order_by(CampaignTarget.campaign_id, CampaignTarget.customer_id))]
        database.dispose()
        return made, targets

    first = lists(db_url)
    assert first[1] and any(t[3] == "converted" for t in first[1])
    url = f"sqlite:///{tmp_path / 'again.db'}"
    migrate.upgrade(Database(url).engine)
    assert lists(url) == first


def test_a_tiny_demo_leaves_campaigns_without_matches_as_drafts(tmp_path):
    from ocrm_tui.db import migrate

    url = f"sqlite:///{tmp_path / 'tiny.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    summary = demo.build_demo(database, customers=3, seed=1)
    with database.session() as s:
        rows = s.execute(select(Campaign.id, Campaign.status)).all()
        listed = set(s.scalars(select(CampaignTarget.campaign_id).distinct()))
        assert audit.verify_chain(s).ok
    database.dispose()
    assert len(rows) == 5 and summary.campaigns.campaigns == 5
    # a campaign starts only with a list: one that matched nobody is still a draft
    assert all(status == "draft" for cid, status in rows if cid not in listed)
    assert all(status != "draft" for cid, status in rows if cid in listed)


def test_a_build_stopped_among_the_campaigns_leaves_nothing_behind(db, monkeypatch):
    """The campaign services commit as they go; inside the demo their commits must not
    commit the demo's one transaction."""
    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_record_outcomes", broken)
    with pytest.raises(RuntimeError):
        demo.build_demo(db, customers=400, seed=3)
    with db.session() as s:
        assert count(s, Organisation) == 0
        assert count(s, Customer) == 0
        assert count(s, Campaign) == 0
        assert count(s, CampaignTarget) == 0
        assert count(s, SmsMessage) == 0
        assert count(s, AuditRecord) == 0
