"""The campaign commands as an administrator runs them at the server: `ocrm report campaign`,
`ocrm export targets`, `ocrm sms export` — through Typer's CliRunner on SQLite and
PostgreSQL; files are read back (csv, openpyxl) and the audit trail is checked."""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord, CampaignTarget, Customer, CustomerTag, Product, SmsMessage, Tag
from ocrm_tui.services import auth, campaigns, exports
from ocrm_tui.services.errors import ValidationError
from ocrm_tui.services.exports import Percent, Sheet
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user
from tests.conftest import PASSWORD

runner = CliRunner()

# name, outlet, RM, tier, daily-average AUM, gender, mobile, tags, outcome (status, amount)
PEOPLE = [
    ("张伟", "O1", "R001", "vip", 120_000, "M", "13900000001", ["房贷客户"], ("converted", "50000")),
    ("欧阳娜娜", "O1", None, "wealth", 800_000, "F", "13900000002", ["房贷客户", "理财偏好"], ("interested", None)),
    ("王芳", "O2", "R002", "mass", 20_000, "F", "13900000003", [], ("declined", None)),
    ("李雷", "O2", None, "vip", 60_000, "M", "", ["理财偏好"], ("unreachable", None)),
]
TEMPLATE = "{surname}{title}您好，{product}限时发售，详询{rm_name}。"


def ocrm(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def one_line_error(result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def audit_events(db, event: str) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.event == event).order_by(AuditRecord.seq)))


@pytest.fixture
def live(branch, db, clock) -> int:
    """An active SMS campaign of the 城东支行 (SB) with four targets and their outcomes recorded."""
    with db.session(write=True) as s:
        tag_ids = {}
        for name in ("房贷客户", "理财偏好"):
            tag = Tag(name=name)
            s.add(tag)
            s.flush()
            tag_ids[name] = tag.id
        s.add(Product(product_code="WM-1Y", name="年年丰理财", product_type="wealth"))
        for i, (name, org, rm, tier, aum, gender, mobile, tag_names, _outcome) in enumerate(PEOPLE):
            c = Customer(customer_no=f"930000000{i}", name=name, **name_keys(name), mobile=mobile, gender=gender,
                         org_id=get_org_by_code(s, org).id, rm_id=get_user(s, rm).id if rm else None, tier=tier,
                         aum=Decimal(aum), aum_daily_avg=Decimal(aum))
            s.add(c)
            s.flush()
            for t in tag_names:
                s.add(CustomerTag(tag_id=tag_ids[t], customer_id=c.id))
        s.commit()
        manager = auth.actor_for(s, get_user(s, "M001"))
        admin = auth.actor_for(s, get_user(s, "A001"))
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, manager, {
            "name": "房贷客户理财推介", "type": "sms", "goal": "理财转化", "budget": "20000", "actual_cost": "10000",
            "product_code": "WM-1Y", "sms_template": TEMPLATE, "filter": {}}, clock=clock)
    with db.session(write=True) as s:
        campaigns.generate(s, manager, cid, clock=clock)
    with db.session(write=True) as s:
        campaigns.set_status(s, manager, cid, "active", clock=clock)
    with db.session(write=True) as s:
        by_name = dict(s.execute(select(Customer.name, CampaignTarget.id)
                                 .join(Customer, Customer.id == CampaignTarget.customer_id)
                                 .where(CampaignTarget.campaign_id == cid)).all())
    for name, *_rest, (status, amount) in PEOPLE:
        with db.session(write=True) as s:
            campaigns.record_outcome(s, admin, by_name[name], status, amount=amount, clock=clock)
    return cid


def send_sms(db, cid, clock) -> campaigns.SmsResult:
    with db.session(write=True) as s:
        return campaigns.send_sms(s, auth.actor_for(s, get_user(s, "M001")), cid, clock=clock)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads Chinese only with the byte-order mark
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """A multi-table CSV: a title line, the header, the rows, a blank line."""
    out: dict[str, list[list[str]]] = {}
    current = None
    for row in rows:
        if not row:
            current = None
        elif current is None:
            current = row[0]
            out[current] = []
        else:
            out[current].append(row)
    return out


# -- ocrm report campaign ----------------------------------------------------------------------

def test_the_report_on_the_terminal_shows_the_figures_by_tier_and_by_tag(db_url, live):
    result = ocrm("report", "campaign", str(live), "--db", db_url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "房贷客户理财推介" in out and "城东支行" in out
    for text in ("25.00 %", "75.00 %", "50.00 %", "50,000.00", "20,000.00", "10,000.00", "400.00 %",
                 "VIP customer", "Wealth customer", "Mass customer", "房贷客户", "理财偏好"):
        assert text in out, text


def test_the_report_in_chinese(db_url, live):
    result = ocrm("--lang", "zh", "report", "campaign", str(live), "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "成交率" in result.stdout and "投入产出比" in result.stdout and "按客户分层" in result.stdout


def test_the_csv_report_reads_back_as_the_same_numbers_and_is_audited(db_url, db, live, tmp_path):
    out = tmp_path / "report.csv"
    result = ocrm("report", "campaign", str(live), "--format", "csv", "--out", str(out), "--db", db_url)
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert rows[-1][0].startswith("Exported by ")
    parts = sections(rows[:-2])
    summary = {k: v for k, v in parts["Summary"][1:]}
    assert summary["Targets"] == "4" and summary["Contacted"] == "3" and summary["Participated"] == "2"
    assert summary["Conversions"] == "1" and summary["Conversion rate"] == "25.00%"
    assert summary["Converted amount"] == "50000.00" and summary["Cost"] == "10000.00"
    assert summary["ROI"] == "400.00%"
    with db.session() as s:
        m = campaigns.metrics(s, auth.actor_for(s, get_user(s, "A001")), live)
    header, *tiers = parts["By tier"]
    assert header[:3] == ["Group", "Targets", "Contacted"]
    assert [(r[0], int(r[1]), int(r[6]), r[7]) for r in tiers] == [
        (x.label, x.targets, x.converted, f"{x.conversion_rate * 100:.2f}%") for x in [m.overall, *m.by_tier]]
    assert {r[0]: (int(r[1]), int(r[6])) for r in parts["By tag"][1:]} == {"房贷客户": (2, 1), "理财偏好": (2, 0)}

    (event,) = audit_events(db, "export.report")
    details = json.loads(event.changes)
    assert details["format"] == "csv" and details["sha256"] == sha256(out) and details["rows"] == 16 + 4 + 2
    assert event.entity_id == str(live) and event.actor_no.startswith("os:")


def test_the_xlsx_report_opens_with_formatted_numbers(db_url, live, tmp_path):
    out = tmp_path / "report.xlsx"
    result = ocrm("report", "campaign", str(live), "--out", str(out), "--db", db_url)  # format from the name
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "By tier", "By tag", "Export"]
    summary = book["Summary"]
    assert summary["A1"].value == "Figure" and summary["A1"].font.b and summary.freeze_panes == "A2"
    figures = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert figures["Targets"].value == 4
    assert figures["Conversion rate"].value == pytest.approx(0.25)
    assert figures["Conversion rate"].number_format == "0.00%"
    assert figures["Converted amount"].value == 50000 and figures["Converted amount"].number_format == "#,##0.00"
    assert figures["ROI"].value == pytest.approx(4.0)
    by_tag = {row[0].value: row[6].value for row in book["By tag"].iter_rows(min_row=2)}
    assert by_tag == {"房贷客户": 1, "理财偏好": 0}
    assert book["Export"]["A1"].value.startswith("Exported by ")


def test_report_refusals_are_one_line_and_bad_usage_is_exit_2(db_url, live, tmp_path):
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    out = tmp_path / "report.csv"
    out.write_text("keep me", encoding="utf-8")
    refused = ocrm("report", "campaign", str(live), "--format", "csv", "--out", str(out), "--db", db_url)
    assert refused.exit_code == 1 and "already exists" in one_line_error(refused)
    assert out.read_text(encoding="utf-8") == "keep me"
    replaced = ocrm("report", "campaign", str(live), "--format", "csv", "--out", str(out), "--force", "--db", db_url)
    assert replaced.exit_code == 0, replaced.output
    assert out.read_text(encoding="utf-8-sig").startswith("Summary")
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]  # no temporary file left behind

    missing = ocrm("report", "campaign", "999", "--db", db_url)
    assert missing.exit_code == 1 and "No such campaign" in one_line_error(missing)
    assert ocrm("report", "campaign", str(live), "--format", "csv", "--db", db_url).exit_code == 2
    assert ocrm("report", "campaign", str(live), "--format", "pdf", "--db", db_url).exit_code == 2
    assert ocrm("report", "campaign", str(live), "--out", str(tmp_path / "r.txt"), "--db", db_url).exit_code == 2
    nobody = ocrm("report", "campaign", str(live), "--as", "NOPE", "--db", db_url)
    assert nobody.exit_code == 1 and "NOPE" in one_line_error(nobody)


def test_a_relationship_manager_s_report_covers_their_own_targets(db_url, live):
    result = ocrm("report", "campaign", str(live), "--as", "R002", "--db", db_url)
    assert result.exit_code == 0, result.output
    (overall,) = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("All targets")]
    # 王芳 and 李雷 are R002's (one their own, one given in turn); 张伟's conversion is R001's.
    assert overall[2:4] == ["2", "1"] and overall[-1] == "0.00"
    outside = ocrm("report", "campaign", str(live), "--as", "M900", "--db", db_url)
    assert outside.exit_code == 1 and "No such campaign" in one_line_error(outside)


# -- ocrm export targets ---------------------------------------------------------------------------

def test_the_target_list_export_is_masked_and_audited_without_values(db_url, db, live, tmp_path):
    out = tmp_path / "targets.csv"
    result = ocrm("export", "targets", str(live), "--format", "csv", "--out", str(out), "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "masked: 4 rows" in result.stdout
    header, *rows = read_csv(out)[:-2]
    assert header == ["Customer no.", "Customer", "Mobile", "Tier", "Relationship manager", "Outcome",
                      "Converted amount", "Contacted at", "Note"]
    by_no = {r[0]: r for r in rows}
    assert by_no["9300000000"][1:3] == ["张*", "139****0001"]
    assert by_no["9300000001"][1:3] == ["欧阳**", "139****0002"]
    assert by_no["9300000003"][1:3] == ["李*", ""]
    assert by_no["9300000000"][4:7] == ["李客户经理", "Converted", "50000.00"]
    text = out.read_text(encoding="utf-8-sig")
    for secret in ("张伟", "欧阳娜娜", "13900000001"):
        assert secret not in text

    (event,) = audit_events(db, "export.targets")
    details = json.loads(event.changes)
    assert details == {"file": "targets.csv", "format": "csv", "masked": True, "rows": 4, "sha256": sha256(out)}


def test_the_target_list_as_xlsx_for_a_manager_and_refused_for_an_rm(db_url, db, live, tmp_path):
    out = tmp_path / "targets.xlsx"
    result = ocrm("export", "targets", str(live), "--out", str(out), "--as", "M001", "--db", db_url)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Targets"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["9300000000"][1].value == "张*" and rows["9300000000"][6].value == 50000
    assert rows["9300000000"][7].is_date and rows["9300000000"][7].number_format == "yyyy-mm-dd hh:mm:ss"
    (event,) = audit_events(db, "export.targets")
    assert event.actor_no == "M001" and json.loads(event.changes)["format"] == "xlsx"

    refused = ocrm("export", "targets", str(live), "--out", str(tmp_path / "mine.csv"), "--as", "R001", "--db", db_url)
    assert refused.exit_code == 1 and "manager or an administrator" in one_line_error(refused)
    assert not (tmp_path / "mine.csv").exists()
    assert ocrm("export", "targets", str(live), "--db", db_url).exit_code == 2  # --out is required


# -- ocrm sms export ----------------------------------------------------------------------------------

def test_a_masked_preview_of_the_outbox_leaves_the_messages_queued(db_url, db, live, tmp_path, clock):
    queued = send_sms(db, live, clock)
    assert (queued.queued, queued.no_mobile) == (3, 1)  # 李雷 has no mobile
    first = tmp_path / "outbox.csv"
    result = ocrm("sms", "export", "--out", str(first), "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "3 messages written" in result.stdout
    header, *rows, blank, footer = read_csv(first)
    assert blank == [] and footer[0].startswith("Exported by ")  # a file people read names its exporter
    assert header == ["message_id", "campaign_id", "customer_no", "mobile", "text", "queued_at"]
    assert {r[3] for r in rows} == {"139****0001", "139****0002", "139****0003"}
    assert {r[2]: r[4] for r in rows}["9300000000"] == "张先生您好，年年丰理财限时发售，详询李客户经理。"
    assert "stay queued for the gateway" in result.stdout
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"queued"}
    (event,) = audit_events(db, "export.sms")
    assert json.loads(event.changes)["masked"] is True and json.loads(event.changes)["sha256"] == sha256(first)


def approved_export(db, what: str, clock) -> int:
    """A001's export request for ``what``, approved by a second administrator (A002)."""
    from ocrm_tui.services import access, users
    from ocrm_tui.services.errors import NotFoundError

    with db.session(write=True) as s:
        admin = auth.actor_for(s, get_user(s, "A001"))
        try:
            get_user(s, "A002")
        except NotFoundError:
            users.add_user(s, admin, employee_no="A002", name="第二管理员", role="admin", org_code="HO",
                           password=PASSWORD, clock=clock)
            s.commit()
        # The command runs on the real clock: the approval is given on it too.
        row = access.request_export(s, admin, what=what, purpose="gateway run", hours=2)
    with db.session(write=True) as s:
        access.approve(s, auth.actor_for(s, get_user(s, "A002")), row.id)
    return row.id


def test_the_gateway_file_has_full_mobiles_and_is_an_audited_unmasked_export(db_url, db, live, tmp_path, clock):
    send_sms(db, live, clock)
    out = tmp_path / "gateway.csv"
    unknown = ocrm("sms", "export", "--out", str(out), "--campaign", "999", "--db", db_url)
    assert unknown.exit_code == 1 and "No such campaign" in one_line_error(unknown)
    # Full mobiles need an approved export request, an administrator's too.
    unapproved = ocrm("sms", "export", "--out", str(out), "--campaign", str(live), "--for-gateway", "--db", db_url)
    assert unapproved.exit_code == 1
    assert f"ocrm access request-export --what sms:{live}" in one_line_error(unapproved)
    assert not out.exists()
    request = approved_export(db, f"sms:{live}", clock)
    not_yours = ocrm("sms", "export", "--out", str(out), "--campaign", str(live), "--for-gateway",
                     "--request", str(request), "--db", db_url)
    assert not_yours.exit_code == 1 and "not yours" in one_line_error(not_yours)
    # The file for the gateway is made in person: the administrator's password.
    wrong = ocrm("sms", "export", "--out", str(out), "--campaign", str(live), "--for-gateway",
                 "--request", str(request), "--as", "A001", "--password-stdin", "--db", db_url, input="guess-1234\n")
    assert wrong.exit_code == 1 and "Wrong employee number or password" in one_line_error(wrong)
    assert not out.exists()
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"queued"}
    result = ocrm("sms", "export", "--out", str(out), "--campaign", str(live), "--for-gateway",
                  "--request", str(request), "--as", "A001", "--db", db_url, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password of A001" in result.stderr and PASSWORD not in result.output
    header, *rows = read_csv(out)  # the gateway reads every line: no footer
    assert sorted(r[3] for r in rows) == ["13900000001", "13900000002", "13900000003"]
    manifest = (tmp_path / "gateway.csv.manifest.txt").read_text(encoding="utf-8")
    assert f"SHA-256: {sha256(out)}" in manifest and f"under request {request}" in manifest
    (event,) = audit_events(db, "export.sms_unmasked")
    assert json.loads(event.changes)["masked"] is False and json.loads(event.changes)["rows"] == 3
    assert event.actor_no == "A001" and json.loads(event.changes)["request"] == request
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"exported"}
        assert s.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.exported_at.is_(None))) == 0
    # A message leaves for the gateway once: the next run finds nothing (and its approval stays unused).
    again = approved_export(db, "sms:all", clock)
    second = ocrm("sms", "export", "--out", str(tmp_path / "again.csv"), "--for-gateway", "--request", str(again),
                  "--as", "A001", "--password-stdin", "--db", db_url, input=PASSWORD + "\n")
    assert second.exit_code == 0, second.output
    assert "No message is waiting" in second.stdout
    assert not (tmp_path / "again.csv").exists()


def test_an_existing_file_keeps_the_messages_queued(db_url, db, live, tmp_path, clock):
    send_sms(db, live, clock)
    out = tmp_path / "outbox.csv"
    out.write_text("yesterday's file", encoding="utf-8")
    result = ocrm("sms", "export", "--out", str(out), "--db", db_url)
    assert result.exit_code == 1 and "already exists" in one_line_error(result)
    with db.session() as s:
        assert set(s.scalars(select(SmsMessage.status))) == {"queued"}


# -- the file writer ---------------------------------------------------------------------------------

def test_a_failure_while_writing_leaves_no_file(tmp_path, clock):
    def rows():
        yield ["ok", 1]
        raise RuntimeError("the disk is full")

    for fmt in ("csv", "xlsx"):
        with pytest.raises(RuntimeError):
            exports.write(tmp_path / f"half.{fmt}", fmt, [Sheet("t", ["a", "b"], rows())], exported_by="A001",
                          exported_at=clock())
    assert list(tmp_path.iterdir()) == []


def test_values_are_written_as_spreadsheets_expect_them(tmp_path, clock):
    sheet = Sheet("数据", ["名称", "金额", "比例"], [["=HYPERLINK(\"x\")", Decimal("1234.5"), Percent(0.117)],
                                                  ["-1+1", Decimal("-3"), None]])
    result = exports.write(tmp_path / "v.csv", "csv", [sheet], exported_by="A001", exported_at=clock())
    assert result.rows == 2 and result.sha256 == sha256(tmp_path / "v.csv")
    rows = read_csv(tmp_path / "v.csv")
    assert rows[1] == ["'=HYPERLINK(\"x\")", "1234.50", "11.70%"]  # a formula stays text
    assert rows[2] == ["'-1+1", "-3.00", ""]
    exports.write(tmp_path / "v.xlsx", "xlsx", [sheet], exported_by="A001", exported_at=clock())
    cell = load_workbook(tmp_path / "v.xlsx")["数据"]["A2"]
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s"
    with pytest.raises(ValidationError, match="already exists"):
        exports.write(tmp_path / "v.csv", "csv", [sheet], exported_by="A001", exported_at=clock())
    with pytest.raises(ValidationError, match="does not exist"):
        exports.write(tmp_path / "no" / "v.csv", "csv", [sheet], exported_by="A001", exported_at=clock())
