"""`ocrm import bank-marketing`: the UCI Bank Marketing file as it is — 45,211 customers and one
ended telemarketing campaign whose report shows the published 11.70 % conversion — and the
refusal of a damaged copy, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord, Campaign, CampaignTarget, Customer, CustomerTag, Organisation, Tag
from ocrm_tui.services import auth, bank_marketing, campaigns
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.users import get_user

# The UCI "Bank Marketing" file as published (../shared/data/bank-full.csv, CC BY 4.0), kept
# compressed beside the tests so that they run wherever the repository is checked out.
PACKED = Path(__file__).resolve().parent / "data" / "bank-full.csv.gz"


@pytest.fixture(scope="session")
def bank_full(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("uci") / "bank-full.csv"
    path.write_bytes(gzip.decompress(PACKED.read_bytes()))
    return path

runner = CliRunner()
QUOTED_HEADER = ";".join(f'"{c}"' for c in bank_marketing.COLUMNS)


def one_line_error(result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def counts(db) -> dict[str, int]:
    with db.session() as s:
        return {
            "customers": s.scalar(select(func.count()).select_from(Customer)),
            "targets": s.scalar(select(func.count()).select_from(CampaignTarget)),
            "campaigns": s.scalar(select(func.count()).select_from(Campaign)),
            "customer_tags": s.scalar(select(func.count()).select_from(CustomerTag)),
            "tags": s.scalar(select(func.count()).select_from(Tag)),
            "imports": s.scalar(select(func.count()).select_from(AuditRecord)
                                .where(AuditRecord.event == "import.bank_marketing")),
        }


def small_file(tmp_path: Path, rows: list[str], name: str = "bank.csv", header: str = QUOTED_HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# -- the real file -------------------------------------------------------------------------------

def test_the_real_file_loads_once_and_its_report_shows_the_published_conversion(db_url, db, branch, tmp_path,
                                                                                 bank_full):
    DATA = bank_full
    first = runner.invoke(app, ["import", "bank-marketing", str(DATA), "--db", db_url])
    assert first.exit_code == 0, first.output
    assert "Customers: 45,211 added, 0 updated, 0 unchanged." in first.stdout
    assert "with 45,211 targets; 5,289 converted" in first.stdout
    assert "Checking rows: 45,211 rows" in first.stdout  # plain progress lines off a terminal

    loaded = counts(db)
    assert loaded["customers"] == loaded["targets"] == 45_211
    assert loaded["campaigns"] == 1 and loaded["imports"] == 1
    with db.session() as s:
        campaign = s.scalars(select(Campaign)).one()
        assert campaign.name == "Term deposit telemarketing 2008–2010"
        assert (campaign.type, campaign.status, campaign.org_id) == ("phone", "ended", None)
        assert (campaign.starts_on.isoformat(), campaign.ends_on.isoformat()) == ("2008-05-01", "2010-11-30")
        assert s.scalar(select(func.count()).select_from(CampaignTarget)
                        .where(CampaignTarget.status == "converted")) == 5_289
        # Row 1: 58;management;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;no
        first_customer = s.scalars(select(Customer).where(Customer.customer_no == "UCI0000001")).one()
        assert (first_customer.name, first_customer.mobile, first_customer.rm_id) == ("", "", None)
        assert first_customer.org_id == s.scalar(select(Organisation.id).where(Organisation.code == "HO"))
        assert (first_customer.occupation, first_customer.marital_status, first_customer.education) == (
            "管理人员", "已婚", "高等教育")
        assert first_customer.aum == first_customer.aum_daily_avg == Decimal("2143.00")
        assert first_customer.financial_status == "年均余额 2143 欧元"
        assert first_customer.tier == "mass"
        assert [t for (t,) in s.execute(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                                        .where(CustomerTag.customer_id == first_customer.id))] == ["房贷客户"]
        target = s.scalars(select(CampaignTarget).where(CampaignTarget.customer_id == first_customer.id)).one()
        assert target.status == "declined"
        assert target.contacted_at == datetime(2008, 5, 5, 12, 0, tzinfo=timezone.utc)
        assert "261 s" in target.note
        # The last row was contacted on 17 November 2010: the years follow from the file's order.
        last = s.scalars(select(CampaignTarget).join(Customer, Customer.id == CampaignTarget.customer_id)
                         .where(Customer.customer_no == "UCI0045211")).one()
        assert last.contacted_at.date().isoformat() == "2010-11-17"
        # A negative balance is no assets; the figure stays in the financial status.
        negative = s.scalars(select(Customer).where(Customer.financial_status.like("年均余额 -%")).limit(1)).one()
        assert negative.aum == Decimal("0.00") and negative.tier == "mass"
        campaign_id = campaign.id
        metrics = campaigns.metrics(s, Actor.system(), campaign_id)
    assert (metrics.overall.targets, metrics.overall.converted) == (45_211, 5_289)
    assert campaigns.percent(metrics.overall.conversion_rate) == "11.70 %"
    assert {r.label: r.targets for r in metrics.by_tier} == {"VIP customer": 18, "Mass customer": 45_193}
    assert {r.label: (r.targets, r.converted) for r in metrics.by_tag} == {
        "房贷客户": (25_130, 1_935), "个人贷款客户": (7_244, 484), "信用违约客户": (815, 52)}

    report = runner.invoke(app, ["report", "campaign", str(campaign_id), "--db", db_url])
    assert report.exit_code == 0, report.output
    assert "45,211" in report.stdout and "11.70 %" in report.stdout
    assert "7.70 %" in report.stdout  # 房贷客户: 1,935 of 25,130
    out = tmp_path / "report.csv"
    written = runner.invoke(app, ["report", "campaign", str(campaign_id), "--format", "csv", "--out", str(out),
                                  "--db", db_url])
    assert written.exit_code == 0, written.output
    lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    figures = {row[0]: row[1] for row in lines if len(row) == 2}
    assert figures["Targets"] == "45211" and figures["Conversion rate"] == "11.70%"

    again = runner.invoke(app, ["import", "bank-marketing", str(DATA), "--db", db_url])
    assert again.exit_code == 0, again.output
    assert "Nothing changed" in again.stdout
    assert counts(db) == {**loaded, "imports": 2}


def test_a_damaged_copy_is_refused_naming_line_and_column_and_nothing_is_written(db_url, db, branch, tmp_path,
                                                                                   bank_full):
    lines = bank_full.read_text(encoding="utf-8").splitlines()
    before = counts(db)

    bad_number = list(lines)
    cells = bad_number[6].split(";")  # line 7 of the file
    cells[5] = "12x4"  # balance
    bad_number[6] = ";".join(cells)
    damaged = tmp_path / "bad-number.csv"
    damaged.write_text("\n".join(bad_number) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "bank-marketing", str(damaged), "--db", db_url])
    assert result.exit_code == 1
    message = one_line_error(result)
    assert "Line 7, column balance" in message and "'12x4' is not an amount" in message
    assert "nothing was imported" in message
    assert counts(db) == before

    missing_column = list(lines)
    missing_column[9] = ";".join(missing_column[9].split(";")[:-1])  # line 10 lost its last value
    damaged = tmp_path / "missing-column.csv"
    damaged.write_text("\n".join(missing_column) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "bank-marketing", str(damaged), "--db", db_url])
    assert result.exit_code == 1
    message = one_line_error(result)
    assert "Line 10, column y: 16 values where the header has 17 columns" in message
    assert counts(db) == before


# -- the rules, on small files --------------------------------------------------------------------

ROWS = [
    # age;job;marital;education;default;balance;housing;loan;contact;day;month;duration;campaign;pdays;previous;poutcome;y
    "58;management;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;no",
    "33;entrepreneur;divorced;unknown;yes;-317;no;yes;cellular;27;dec;76;2;-1;0;unknown;no",
    "47;retired;single;primary;no;600000;yes;no;telephone;28;jan;1127;5;184;3;success;yes",
    "35;unknown;married;secondary;no;55000;no;no;cellular;3;feb;90;1;-1;0;unknown;yes",
]


def test_each_row_becomes_a_customer_a_target_and_tags_in_the_bank_s_words(db, branch, tmp_path, clock):
    with db.session(write=True) as s:
        s.add(Tag(name="房贷客户", family="custom"))  # the bank's mortgage tag exists already
        s.commit()
        result = bank_marketing.import_bank_marketing(s, Actor.system(), small_file(tmp_path, ROWS), org_code="O1",
                                                      clock=clock)
    assert (result.customers_added, result.targets_added, result.converted) == (4, 4, 2)
    assert result.tags_created == ["信用违约客户", "个人贷款客户"]
    assert result.tiers == {"mass": 2, "vip": 1, "wealth": 1}
    with db.session() as s:
        o1 = s.scalar(select(Organisation.id).where(Organisation.code == "O1"))
        people = {c.customer_no: c for c in s.scalars(select(Customer))}
        assert set(people) == {"UCI0000001", "UCI0000002", "UCI0000003", "UCI0000004"}
        assert {c.org_id for c in people.values()} == {o1}
        second, third, fourth = people["UCI0000002"], people["UCI0000003"], people["UCI0000004"]
        assert (second.aum, second.financial_status, second.marital_status, second.education) == (
            Decimal("0.00"), "年均余额 -317 欧元", "离异或丧偶", None)
        assert (third.tier, fourth.tier, fourth.occupation) == ("wealth", "vip", None)
        tagged = {(no, name) for no, name in s.execute(
            select(Customer.customer_no, Tag.name).join(CustomerTag, CustomerTag.customer_id == Customer.id)
            .join(Tag, Tag.id == CustomerTag.tag_id))}
        assert tagged == {("UCI0000001", "房贷客户"), ("UCI0000002", "信用违约客户"), ("UCI0000002", "个人贷款客户"),
                          ("UCI0000003", "房贷客户")}
        assert s.scalar(select(func.count()).select_from(Tag).where(Tag.name == "房贷客户")) == 1
        campaign = s.scalars(select(Campaign)).one()
        assert campaign.org_id == o1  # --org: the campaign is for that branch
        dates = {no: t.contacted_at.date().isoformat() for no, t in s.execute(
            select(Customer.customer_no, CampaignTarget).join(Customer, Customer.id == CampaignTarget.customer_id))}
        # December 2008, then the month goes back: January and February 2009.
        assert dates == {"UCI0000001": "2008-05-05", "UCI0000002": "2008-12-27", "UCI0000003": "2009-01-28",
                         "UCI0000004": "2009-02-03"}
        third_target = s.scalars(select(CampaignTarget).where(CampaignTarget.customer_id == third.id)).one()
        assert third_target.status == "converted"
        assert "184 days" in third_target.note and "success" in third_target.note
        label = campaigns.target_page(s, Actor.system(), campaign.id, limit=1)[0].name
        assert label == "Customer UCI0000001"


def test_a_changed_file_updates_the_customers_but_leaves_a_manual_tier_alone(db, branch, tmp_path, clock):
    with db.session(write=True) as s:
        bank_marketing.import_bank_marketing(s, Actor.system(), small_file(tmp_path, ROWS), clock=clock)
    with db.session(write=True) as s:
        third = s.scalars(select(Customer).where(Customer.customer_no == "UCI0000003")).one()
        third.tier, third.tier_manual = "private", True
        s.commit()
    changed = list(ROWS)
    changed[2] = changed[2].replace(";600000;", ";700000;")
    changed[3] = changed[3].replace(";55000;", ";1000;")
    with db.session(write=True) as s:
        result = bank_marketing.import_bank_marketing(s, Actor.system(), small_file(tmp_path, changed, "v2.csv"),
                                                      clock=clock)
    assert (result.customers_added, result.customers_updated, result.customers_unchanged) == (0, 2, 2)
    assert (result.campaign_created, result.targets_added, result.targets_already) == (False, 0, 4)
    with db.session() as s:
        people = {c.customer_no: c for c in s.scalars(select(Customer))}
        assert (people["UCI0000003"].aum, people["UCI0000003"].tier) == (Decimal("700000.00"), "private")
        assert (people["UCI0000004"].aum, people["UCI0000004"].tier) == (Decimal("1000.00"), "mass")
        assert people["UCI0000004"].version == 2
        assert s.scalar(select(func.count()).select_from(Campaign)) == 1


@pytest.mark.parametrize("rows, where, reason", [
    (["58;management;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;maybe"],
     "Line 2, column y", "'maybe' is not one of yes, no"),
    (["58;management;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;no",
      "58;management;married;tertiary;no;2143;yes;no;unknown;29;feb;261;1;-1;0;unknown;no"],
     "Line 3, column day", "2009-02 has no day 29"),
    (["58;pilot;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;no",
      "x;management;married;tertiary;no;2143;yes;no;unknown;5;may;261;1;-1;0;unknown;no"],
     "Line 2, column job", "(2 bad rows in all)"),
])
def test_a_bad_row_refuses_the_whole_file(db, branch, tmp_path, rows, where, reason):
    path = small_file(tmp_path, rows)
    with db.session(write=True) as s, pytest.raises(bank_marketing.BadFile) as caught:
        bank_marketing.import_bank_marketing(s, Actor.system(), path)
    assert where in caught.value.message and reason in caught.value.message
    assert counts(db)["customers"] == 0


def test_a_header_without_a_column_is_refused(db, branch, tmp_path):
    header = ";".join(c for c in bank_marketing.COLUMNS if c != "balance")
    path = small_file(tmp_path, ["58;management;married;tertiary;no;yes;no;unknown;5;may;261;1;-1;0;unknown;no"],
                      header=header)
    with db.session(write=True) as s, pytest.raises(bank_marketing.BadFile) as caught:
        bank_marketing.import_bank_marketing(s, Actor.system(), path)
    assert caught.value.line == 1 and caught.value.field == "balance"


def test_only_an_administrator_imports_and_a_missing_file_is_one_clear_line(db_url, db, branch, tmp_path):
    path = small_file(tmp_path, ROWS[:1])
    with db.session(write=True) as s:
        manager = auth.actor_for(s, get_user(s, "M001"))
        with pytest.raises(PermissionDenied):
            bank_marketing.import_bank_marketing(s, manager, path)
    result = runner.invoke(app, ["import", "bank-marketing", str(tmp_path / "nowhere.csv"), "--db", db_url])
    assert result.exit_code == 1 and "is not a file that can be read" in one_line_error(result)


def test_without_an_organisation_the_import_says_to_add_the_head_office(db, tmp_path):
    with db.session(write=True) as s, pytest.raises(ValidationError, match="add the head office first"):
        bank_marketing.import_bank_marketing(s, Actor.system(), small_file(tmp_path, ROWS[:1]))
