"""`ocrm alerts scan` and `ocrm alerts list`, as cron and an administrator run them: counts per
kind in the chosen language, nothing new on a second run, an RM's open alerts — on SQLite
and PostgreSQL, through Typer's CliRunner."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import Account, Alert, Customer, Product, Transaction
from ocrm_tui.services.clock import system_clock
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

runner = CliRunner()


def large_outflow_yesterday(db) -> None:
    """张伟 (a wealth customer of R001 at O1) sent 800,000 CNY away yesterday; his birthday is tomorrow."""
    now = system_clock()
    tomorrow = (now + timedelta(days=1)).date()
    born = date(1980, tomorrow.month, tomorrow.day)  # 1980 had a 29 February
    with db.session(write=True) as s:
        c = Customer(customer_no="9100000601", name="张伟", **name_keys("张伟"), mobile="13900000601",
                     birth_date=born, org_id=get_org_by_code(s, "O1").id, rm_id=get_user(s, "R001").id,
                     tier="wealth")
        p = Product(product_code="DEP-CUR", name="活期储蓄", product_type="deposit")
        s.add_all([c, p])
        s.flush()
        a = Account(account_no="6222021000000001", customer_id=c.id, product_id=p.id, balance=Decimal("10.00"))
        s.add(a)
        s.flush()
        s.add(Transaction(txn_id="T1", account_id=a.id, customer_id=c.id, posted_at=now - timedelta(days=1),
                          amount=Decimal("800000.00"), direction="out", channel="online"))
        s.commit()


def test_the_scan_prints_what_it_raised_per_kind_and_adds_nothing_the_second_time(db_url, db, branch):
    large_outflow_yesterday(db)

    first = runner.invoke(app, ["alerts", "scan", "--db", db_url])
    assert first.exit_code == 0, first.output
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in first.stdout.splitlines()
             if line.count("│") == 3}
    assert lines["Large outflow"] == "1"
    assert lines["Service contact due"] == "1"  # a wealth customer never contacted
    assert lines["Assets falling"] == "0" and lines["Ticket overdue"] == "0"
    assert "new alerts in" in first.stdout
    with db.session() as s:
        kinds = sorted(a.kind for a in s.scalars(select(Alert)))
        assert s.scalars(select(Alert).where(Alert.kind == "txn.large_outflow")).one().user_id \
            == get_user(s, "R001").id
    assert "txn.large_outflow" in kinds and "customer.no_contact" in kinds

    second = runner.invoke(app, ["alerts", "scan", "--db", db_url])
    assert second.exit_code == 0, second.output
    assert "0 new alerts in" in second.stdout
    with db.session() as s:
        assert sorted(a.kind for a in s.scalars(select(Alert))) == kinds


def test_the_scan_speaks_chinese(db_url, db, branch):
    large_outflow_yesterday(db)
    result = runner.invoke(app, ["--lang", "zh", "alerts", "scan", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "新增预警与提醒" in result.stdout and "大额资金流出" in result.stdout and "服务回访到期" in result.stdout
    assert "新增提醒" in result.stdout and "用时" in result.stdout


def test_an_rm_lists_their_open_alerts_in_their_language(db_url, db, branch):
    large_outflow_yesterday(db)
    assert runner.invoke(app, ["alerts", "scan", "--db", db_url]).exit_code == 0  # raised in English

    english = runner.invoke(app, ["alerts", "list", "--as", "R001", "--db", db_url])
    assert english.exit_code == 0, english.output
    assert "Alerts: 1 high, 0 medium, 0 low" in english.stdout
    lines = english.stdout.splitlines()
    assert "High  Large outflow  张伟" in lines[2], "the most severe first"
    assert lines[3].strip().startswith("Single outflow of 800,000.00 CNY on ")
    assert any("Low  Birthday  张伟" in line for line in lines[4:])

    chinese = runner.invoke(app, ["--lang", "zh", "alerts", "list", "--as", "R001", "--db", db_url])
    assert chinese.exit_code == 0, chinese.output
    assert "风险预警：高 1，中 0，低 0" in chinese.stdout
    assert "高  大额资金流出  张伟" in chinese.stdout and "单笔流出 800,000.00 元" in chinese.stdout

    nobody = runner.invoke(app, ["alerts", "list", "--as", "R002", "--db", db_url])
    assert nobody.exit_code == 0 and "No open alerts." in nobody.stdout


def test_an_unknown_staff_member_is_one_clear_line(db_url, db, branch):
    result = runner.invoke(app, ["alerts", "list", "--as", "NOPE", "--db", db_url])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "NOPE" in result.output
