"""Tier recomputation: every customer without a manual override gets the tier of their
daily-average AUM, in SQL, audited per customer — and `ocrm tiers recompute`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import Customer
from ocrm_tui.services import audit, auth, tiers
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.settings import DEFAULTS, set_setting
from ocrm_tui.services.users import get_user

runner = CliRunner()

# customer_no: (daily-average AUM, tier now, manual override)
BOOK = {
    "C01": ("49999.99", "vip", False),  # fell below VIP → mass
    "C02": ("50000.00", "mass", False),  # exactly the VIP threshold → vip
    "C03": ("500000.00", "mass", False),  # → wealth
    "C04": ("6000000.00", "wealth", False),  # → private
    "C05": ("100.00", "mass", False),  # right already
    "C06": ("10000000.00", "mass", True),  # a manager kept them in mass: left alone
    "C07": ("0.00", "private", True),  # a manager's override: left alone
}


@pytest.fixture
def book(branch, db):
    with db.session(write=True) as s:
        org_id = get_org_by_code(s, "O1").id
        for no, (aum, tier, manual) in BOOK.items():
            s.add(Customer(customer_no=no, name="客户" + no, mobile="138000000" + no[-2:], org_id=org_id,
                           aum=Decimal(aum), aum_daily_avg=Decimal(aum), tier=tier, tier_manual=manual,
                           tier_reason="经理调整" if manual else None))
        s.commit()
        return {c.customer_no: c.id for c in s.scalars(select(Customer))}


def tiers_now(db) -> dict[str, str]:
    with db.session() as s:
        return dict(s.execute(select(Customer.customer_no, Customer.tier)).all())


def recompute(db, actor, **options) -> tiers.RecomputeResult:
    with db.session(write=True) as s:
        return tiers.recompute_tiers(s, actor, **options)


def test_recompute_changes_the_automatic_tiers_and_leaves_overrides_alone(db, book, system):
    result = recompute(db, system)
    assert tiers_now(db) == {"C01": "mass", "C02": "vip", "C03": "wealth", "C04": "private", "C05": "mass",
                             "C06": "mass", "C07": "private"}
    assert result.changed == 4
    assert result.moves == {("mass", "vip"): 1, ("mass", "wealth"): 1, ("vip", "mass"): 1, ("wealth", "private"): 1}
    assert (result.checked, result.overrides, result.overrides_differing) == (5, 2, 2)

    with db.session() as s:
        versions = dict(s.execute(select(Customer.customer_no, Customer.version)).all())
        manual = {c.customer_no: (c.tier_manual, c.tier_reason) for c in s.scalars(select(Customer))}
    # A changed customer is a changed record: a terminal holding the old version must re-read it.
    assert versions == {"C01": 2, "C02": 2, "C03": 2, "C04": 2, "C05": 1, "C06": 1, "C07": 1}
    assert manual["C06"] == (True, "经理调整") and manual["C01"] == (False, None)


def test_each_change_and_the_run_are_audited(db, book, system):
    recompute(db, system)
    with db.session() as s:
        rows = audit.list_records(s, entity="customer", limit=1000)
        assert audit.verify_chain(s).ok
    changes = {r.entity_id: r.changes for r in rows if r.event == "customer.tier_recompute"}
    assert changes == {
        str(book["C01"]): {"tier": ["vip", "mass"]},
        str(book["C02"]): {"tier": ["mass", "vip"]},
        str(book["C03"]): {"tier": ["mass", "wealth"]},
        str(book["C04"]): {"tier": ["wealth", "private"]},
    }
    summary = [r for r in rows if r.event == "tiers.recompute"]
    assert len(summary) == 1 and summary[0].actor_no == system.employee_no
    assert summary[0].changes["changed"] == 4
    assert summary[0].changes["overrides"] == 2
    assert summary[0].changes["moves"] == {"mass→vip": 1, "mass→wealth": 1, "vip→mass": 1, "wealth→private": 1}


def test_a_second_run_changes_nothing(db, book, system):
    recompute(db, system)
    again = recompute(db, system)
    assert (again.changed, again.moves, again.checked) == (0, {}, 5)
    with db.session() as s:
        rows = audit.list_records(s, entity="customer", limit=1000)
    assert [r.event for r in rows].count("customer.tier_recompute") == 4
    assert [r.event for r in rows].count("tiers.recompute") == 2


@pytest.mark.parametrize("aum", ["0", "0.01", "49999.99", "50000", "50000.01", "499999.99", "500000", "5999999.99",
                                 "6000000", "123456789.12"])
def test_sql_agrees_with_tier_for_at_every_threshold(db, branch, system, aum):
    with db.session(write=True) as s:
        s.add(Customer(customer_no="C1", name="客户", mobile="13800000001", org_id=get_org_by_code(s, "O1").id,
                       aum_daily_avg=Decimal(aum), tier="mass" if Decimal(aum) >= 50000 else "private"))
        s.commit()
    recompute(db, system)
    assert tiers_now(db)["C1"] == tiers.tier_for(Decimal(aum), DEFAULTS["tier.thresholds"])


def test_the_thresholds_come_from_the_settings(db, book, system):
    with db.session(write=True) as s:
        audit.acting_as(s, system)
        set_setting(s, "tier.thresholds", {"vip": 100, "wealth": 1_000_000, "private": 20_000_000})
        s.commit()
    result = recompute(db, system)
    assert tiers_now(db) == {"C01": "vip", "C02": "vip", "C03": "vip", "C04": "wealth", "C05": "vip",
                             "C06": "mass", "C07": "private"}
    assert result.thresholds == {"vip": "100", "wealth": "1000000", "private": "20000000"}


def test_thresholds_that_do_not_rise_are_refused(db, book, system):
    with db.session(write=True) as s:
        set_setting(s, "tier.thresholds", {"vip": 500000, "wealth": 50000, "private": 6000000})
        s.commit()
    with pytest.raises(ValidationError, match="rising amounts"):
        recompute(db, system)
    assert tiers_now(db)["C01"] == "vip"  # nothing changed


def test_small_chunks_give_the_same_result(db, book, system):
    result = recompute(db, system, chunk=1)
    assert result.changed == 4
    assert tiers_now(db)["C04"] == "private"
    with db.session() as s:
        assert audit.verify_chain(s).ok


@pytest.mark.parametrize("who", ["M001", "R001", "T001"])
def test_only_an_administrator_recomputes(db, book, who):
    with db.session() as s:
        actor = auth.actor_for(s, get_user(s, who))
    with pytest.raises(PermissionDenied, match="Only an administrator can recompute tiers"):
        recompute(db, actor)
    assert tiers_now(db)["C01"] == "vip"


# -- ocrm tiers recompute -------------------------------------------------------------------

def test_tiers_recompute_prints_the_counts(db_url, db, book):
    result = runner.invoke(app, ["tiers", "recompute", "--db", db_url])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Thresholds (daily-average AUM, CNY): VIP from 50000, wealth from 500000, private banking from 6000000." in out
    assert "Tier changes" in out
    rows = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert "Mass customer VIP customer 1" in rows
    assert "Wealth customer Private banking customer 1" in rows
    assert "4 of 5 customers changed tier." in out
    assert "2 manual overrides left alone (2 of them differ from the automatic tier)." in out
    assert tiers_now(db)["C04"] == "private"

    again = runner.invoke(app, ["tiers", "recompute", "--db", db_url])
    assert again.exit_code == 0
    assert "0 of 5 customers changed tier." in again.stdout and "Tier changes" not in again.stdout


def test_tiers_recompute_in_chinese(db_url, book):
    result = runner.invoke(app, ["--lang", "zh", "tiers", "recompute", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "分层变动" in result.stdout and "贵宾客户" in result.stdout
    assert "5 位客户中有 4 位分层发生变动。" in result.stdout
    assert "2 位手工调整分层的客户保持不变（其中 2 位与自动分层不同）。" in result.stdout


def test_tiers_recompute_usage(db_url, branch):
    assert runner.invoke(app, ["tiers", "recompute", "--bogus", "--db", db_url]).exit_code == 2
    assert runner.invoke(app, ["tiers"]).exit_code in (0, 2)  # help
