"""`ocrm report NAME` and `ocrm report refresh` as staff and cron run them, in English and
Chinese: the figures on the terminal, CSV and XLSX files read back (csv, openpyxl) against the
report and the audit trail, and the refusals — on SQLite and PostgreSQL, through Typer's
CliRunner. The bank is the one of tests/test_reports.py, its summaries built on 5 January 2026."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord, AumSnapshot, Customer
from ocrm_tui.services import auth, reports
from ocrm_tui.services.clock import system_clock
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user
from tests.test_reports import (
    ADMIN,
    CUSTOMERS,
    ID_NUMBER,
    MANAGER,
    MOBILE,
    D,
    build,
    expect_aum_month,
    expect_campaigns,
    expect_losing,
    expect_service,
    expect_staff,
    expect_txn_month,
    falling,
    m,
    norm,
    refresh,
)

runner = CliRunner()
Q4 = (date(2025, 10, 1), date(2025, 12, 31))


def ocrm(*args: str):
    return runner.invoke(app, list(args))


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


def today() -> date:
    """The day the command runs on (its periods are read against it)."""
    return system_clock().astimezone().date()


def service_report(db, employee_no: str, name: str, period: str, **options) -> reports.Report:
    """The report the command should have printed or written, from the service."""
    with db.session() as s:
        who = auth.actor_for(s, get_user(s, employee_no))
        return reports.run(s, who, name, reports.parse_period(period, today()), today=today(), **options)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def sections(rows: list[list[str]]) -> list[tuple[str, list[list[str]]]]:
    """A multi-table CSV without its footer: (title, [header, rows…]) per table."""
    assert rows[-1][0].startswith("Exported by ") and rows[-2] == []
    out: list = []
    current = None
    for row in rows[:-2]:
        if not row:
            current = None
        elif current is None:
            current = []
            out.append((row[0], current))
        else:
            current.append(row)
    return out


def parse(cell: str, kind: str):
    """A CSV cell back to its value, by the column's kind."""
    if cell == "":
        return None
    if kind == "int":
        return int(cell)
    if kind == "money":
        return D(cell)
    if kind == "percent":
        assert cell.endswith("%"), cell
        return round(float(cell[:-1]) / 100, 4)
    if kind == "number":
        return float(cell)
    return cell


def comparable(row, columns) -> tuple:
    """A report row as its CSV cells read back would be (shares to 2 places of a percent)."""
    out = []
    for value, column in zip(row, columns):
        if value is None:
            out.append(None)
        elif column.kind == "percent":
            out.append(round(float(value), 4))
        elif column.kind == "money":
            out.append(D(value))
        else:
            out.append(value)
    return tuple(out)


def cells(row, columns) -> str:
    """A report row as the terminal shows it, spaces squeezed."""
    def one(v, kind):
        if v is None:
            return "—"
        return {"money": lambda: f"{v:,.2f}", "percent": lambda: f"{float(v) * 100:.2f} %", "int": lambda: f"{v:,}",
                "number": lambda: f"{v:,.1f}"}.get(kind, lambda: str(v))()
    return " ".join(" ".join(one(v, c.kind) for v, c in zip(row, columns)).split())


def squeezed(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines()]


@pytest.fixture
def bank(db, branch, clock):
    world = build(db)
    refresh(db, clock)  # on 5 January 2026: falls up to December 2025
    return world


# -- on the terminal ---------------------------------------------------------------------------

def test_the_service_report_on_the_terminal_shows_the_figures(db_url, db, bank):
    result = ocrm("report", "service", "--period", "2025Q4", "--db", db_url)
    assert result.exit_code == 0, result.output
    lines = squeezed(result.stdout)
    assert "Service and satisfaction" in lines[0] and lines[1] == "2025 Q4 · The whole bank"
    types, handlers, low = expect_service(ADMIN, *Q4)
    report = service_report(db, "A001", "service", "2025Q4")
    columns = report.tables[0].columns
    # t7 was raised in September; t6 at 江北 counts for the bank.
    assert types[-1][:3] == ("All types", 8, 6) and types[-1][3] == pytest.approx(4 / 6)
    for row in types:
        assert cells(row, columns) in lines, (row, result.stdout)
    for row in handlers:
        assert cells(row, report.tables[1].columns) in lines, row
    for key, *rest in low:
        assert any(line.startswith(f"T{bank.ticket[key]:07d}") and rest[2] in line and rest[4] in line
                   for line in lines), key


def test_customers_losing_assets_on_the_terminal_are_masked_largest_fall_first(db_url, db, bank):
    result = ocrm("report", "losing-assets", "--as", "M001", "--months", "2", "--db", db_url)  # period: this year
    assert result.exit_code == 0, result.output
    expected = expect_losing(MANAGER, 2)
    assert [r[0] for r in expected] == ["9400000004", "9400000001", "9400000002", "9400000006"]
    shown = [line.split()[0] for line in squeezed(result.stdout) if line[:10] in {r[0] for r in expected}]
    assert shown == [r[0] for r in expected]
    assert "张*" in result.stdout and "Falls up to 2025-12" in " ".join(result.stdout.split())
    for key, (_no, name, *_rest) in CUSTOMERS.items():
        assert name not in result.stdout and MOBILE[key] not in result.stdout and ID_NUMBER[key] not in result.stdout


def test_months_beyond_the_summaries_are_said(db_url, bank):
    # The summaries end in January 2026.
    result = ocrm("report", "assets", "--as", "R001", "--period", "2026", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "Months after 2026-01 are not in the summaries yet" in " ".join(result.stdout.split())
    assert "Customers of 李客户经理 (R001)" in result.stdout


def test_a_report_in_chinese(db_url, bank):
    result = ocrm("--lang", "zh", "report", "service", "--period", "2025Q4", "--as", "M001", "--db", db_url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("服务与满意度", "2025年第4季度 · 城东支行", "各类型工单", "全部类型", "时限内完成率", "评价最低的工单", "李*"):
        assert text in out, text


def test_the_column_of_customer_counts_in_chinese_is_not_the_customer_search(db_url, bank):
    result = ocrm("--lang", "zh", "report", "staff", "--period", "2025Q4", "--as", "M001", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "员工业绩" in result.stdout and "客户数" in result.stdout and "客户查询" not in result.stdout


# -- files ---------------------------------------------------------------------------------------

def test_the_csv_file_reads_back_as_the_reports_figures_and_is_audited(db_url, db, bank, tmp_path):
    out = tmp_path / "staff.csv"
    result = ocrm("report", "staff", "--period", "2025Q4", "--as", "M001", "--format", "csv", "--out", str(out),
                  "--db", db_url)
    assert result.exit_code == 0, result.output
    parts = sections(read_csv(out))
    report = service_report(db, "M001", "staff", "2025Q4", limit=None)
    (staff_table,) = report.tables
    assert [title for title, _rows in parts] == ["Report", "Staff performance"]
    about = {row[0]: row[1] for row in parts[0][1][1:]}
    assert about["Report"] == "Staff performance" and about["Period"] == "2025 Q4" and about["Scope"] == "城东支行"
    header, *rows = parts[1][1]
    assert header == [c.header for c in staff_table.columns]
    read_back = [tuple(parse(v, c.kind) for v, c in zip(row, staff_table.columns)) for row in rows]
    assert read_back == [comparable(row, staff_table.columns) for row in staff_table.rows]
    # … and the figures computed from the rows themselves.
    expected = expect_staff(MANAGER, *Q4, 3, 12, m("2025-09"), m("2025-12"))
    assert read_back == [comparable(row, staff_table.columns) for row in expected]
    assert read_back[1][3:7] == (2, 1.0, D("719000.25"), D("534501.25"))

    (event,) = audit_events(db, "export.report")
    details = json.loads(event.changes)
    assert details == {"report": "staff", "period": "2025Q4", "scope": "城东支行", "format": "csv",
                       "rows": sum(len(rows) - 1 for _title, rows in parts), "sha256": sha256(out), "masked": True,
                       "file": "staff.csv"}
    assert event.actor_no == "M001" and event.entity_id == "staff"
    assert "staff.csv" in result.stdout and sha256(out) in result.stdout


def test_a_csv_of_customers_losing_assets_holds_no_name_mobile_or_id(db_url, db, bank, tmp_path):
    out = tmp_path / "losing.csv"
    result = ocrm("report", "losing-assets", "--out", str(out), "--db", db_url)  # csv from the name
    assert result.exit_code == 0, result.output
    parts = dict(sections(read_csv(out)))
    (rows,) = [v for k, v in parts.items() if k.startswith("Customers losing assets")]
    expected = expect_losing(ADMIN, 3)
    assert [r[:5] for r in rows[1:]] == [[no, name, tier, rm, str(k)] for no, name, tier, rm, k, *_ in expected]
    assert [D(r[7]) for r in rows[1:]] == [r[7] for r in expected]
    content = out.read_text(encoding="utf-8-sig")
    for key, (_no, name, *_rest) in CUSTOMERS.items():
        assert name not in content and MOBILE[key] not in content and ID_NUMBER[key] not in content
    assert json.loads(audit_events(db, "export.report")[0].changes)["masked"] is True


def test_the_xlsx_file_holds_the_figures_with_number_formats(db_url, db, bank, tmp_path):
    out = tmp_path / "campaigns.xlsx"
    result = ocrm("report", "campaigns", "--period", "2025Q4", "--out", str(out), "--db", db_url)  # xlsx from the name
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    report = service_report(db, "A001", "campaigns", "2025Q4", limit=None)
    assert book.sheetnames == ["Report", *[t.title for t in report.tables], "Export"]
    by_campaign = report.tables[0]
    sheet = book[by_campaign.title]
    header = [c.value for c in sheet[1]]
    assert header == [c.header for c in by_campaign.columns] and all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2))
    expected, _tiers, _tags = expect_campaigns(ADMIN, *Q4)
    assert [r[1].value for r in rows] == [e[0] for e in expected] == ["理财推介", "全行存款", "电话回访"]
    for cells_, want in zip(rows, expected):
        values = [c.value for c in cells_[1:]]
        assert norm([tuple(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                           for v in values)]) == norm([tuple(float(v) if isinstance(v, (Decimal, int, float)) else v
                                                             for v in want)])
        for cell, column in zip(cells_, by_campaign.columns):
            if cell.value is None:
                continue
            if column.kind == "money":
                assert cell.number_format == "#,##0.00", column.header
            elif column.kind == "percent":
                assert cell.number_format == "0.00%", column.header
    whole = rows[1]  # 全行存款: the whole list for the bank: ROI (80,000 − 5,000) / 5,000
    assert whole[-1].value == pytest.approx(15.0) and whole[-2].value == 5000
    (event,) = audit_events(db, "export.report")
    details = json.loads(event.changes)
    assert details["format"] == "xlsx" and details["sha256"] == sha256(out) and details["scope"] == "The whole bank"
    data_rows = sum(ws.max_row - 1 for ws in book.worksheets[:-1])
    assert details["rows"] == data_rows
    assert book["Export"]["A1"].value.startswith("Exported by ")


def test_an_existing_file_is_kept_unless_forced(db_url, db, bank, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "channels.csv"
    out.write_text("keep me", encoding="utf-8")
    refused = ocrm("report", "channels", "--period", "2025Q4", "--format", "csv", "--out", str(out), "--db", db_url)
    assert refused.exit_code == 1 and "already exists" in one_line_error(refused)
    assert out.read_text(encoding="utf-8") == "keep me"
    assert audit_events(db, "export.report") == []
    forced = ocrm("report", "channels", "--period", "2025Q4", "--format", "csv", "--out", str(out), "--force",
                  "--db", db_url)
    assert forced.exit_code == 0, forced.output
    assert read_csv(out)[0] == ["Report"]
    assert [p.name for p in folder.iterdir()] == ["channels.csv"]  # no temporary file left behind
    assert len(audit_events(db, "export.report")) == 1


def test_bad_usage_is_exit_2(db_url, bank, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for args in (["--format", "csv"],  # no file named
                 ["--format", "table", "--out", str(tmp_path / "a.csv")],
                 ["--out", str(tmp_path / "a.txt")],
                 ["--format", "pdf", "--out", str(tmp_path / "a.pdf")],
                 ["--months", "3"]):  # months are for losing-assets
        result = ocrm("report", "staff", "--period", "2025Q4", *args, "--db", db_url)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert ocrm("report", "losing-assets", "--months", "1", "--db", db_url).exit_code == 2
    assert list(tmp_path.iterdir()) == []


# -- refusals ------------------------------------------------------------------------------------

PERIOD_MESSAGES = {
    "en": ("A period is a month (2026-10)", "The period ends before it starts", "has not begun"),
    "zh": ("期间可以是月份（2026-10）", "期间的结束日早于开始日", "尚未开始"),
}


def test_a_bad_period_is_one_readable_line_in_english_and_chinese(db_url, bank, tmp_path):
    next_year = str(today().year + 1)
    for lang, (hint, backwards, not_begun) in PERIOD_MESSAGES.items():
        for period, message in (("2025-13", hint), ("Q4", hint), ("2025-12-31..2025-10-01", backwards),
                                (next_year, not_begun)):
            result = ocrm("--lang", lang, "report", "service", "--period", period, "--out", str(tmp_path / "s.csv"),
                          "--db", db_url)
            assert result.exit_code in (1, 2), result.output
            line = one_line_error(result)
            assert message in line, line
            if period == next_year:
                assert next_year in line
    assert not (tmp_path / "s.csv").exists()


REFUSALS = {
    "en": ("Reports are for relationship managers, managers and administrators",
           "A relationship manager's reports cover their own customers", "No branch X1 in your scope",
           "Branch performance is for managers and administrators"),
    "zh": ("报表供客户经理、网点负责人和管理员使用", "客户经理的报表只覆盖本人名下客户", "您的管辖范围内没有机构 X1",
           "机构业绩报表供网点负责人和管理员使用"),
}


def test_who_is_refused_which_report_in_english_and_chinese(db_url, db, bank, tmp_path):
    out = tmp_path / "r.csv"
    for lang, (teller, rm_branch, outside, branches) in REFUSALS.items():
        for args, message in ((["assets", "--as", "T001"], teller),
                              (["assets", "--as", "R001", "--branch", "O1"], rm_branch),
                              (["staff", "--as", "M001", "--branch", "X1"], outside),
                              (["branches", "--as", "R001"], branches)):
            result = ocrm("--lang", lang, "report", *args, "--period", "2025Q4", "--out", str(out), "--db", db_url)
            assert result.exit_code == 1, (lang, args, result.output)
            assert message in one_line_error(result), (lang, args)
    assert not out.exists() and audit_events(db, "export.report") == []
    # A manager may name a branch of their subtree.
    mine = ocrm("report", "branches", "--as", "M001", "--branch", "O2", "--period", "2025Q4", "--db", db_url)
    assert mine.exit_code == 0, mine.output
    assert "解放路网点" in mine.stdout


# -- refresh -------------------------------------------------------------------------------------

REFRESHED = {
    "en": "{txn} transaction rows, {aum} asset rows, {falling} customers losing assets up to {month}.",
    "zh": "交易汇总 {txn} 行，资产汇总 {aum} 行，截至 {month} 资产连续下降客户 {falling} 位。",
}


def test_refresh_rebuilds_the_summaries_and_says_how_many_rows(db_url, db, bank):
    # A customer of 江北 falling the last two complete months before today.
    now = system_clock()
    through = (now.replace(day=1) - timedelta(days=1)).date().replace(day=1)
    months = [through, (through - timedelta(days=1)).replace(day=1)]
    months.append((months[-1] - timedelta(days=1)).replace(day=1))
    with db.session(write=True) as s:
        c = Customer(customer_no="9400000088", name="郑洁", **name_keys("郑洁"), mobile="13900098888",
                     org_id=bank.org["X1"], tier="vip")
        s.add(c)
        s.flush()
        for month, avg in zip(months, ("60000", "70000", "80000")):
            s.add(AumSnapshot(customer_id=c.id, month=month, aum=Decimal(avg), aum_daily_avg=Decimal(avg)))
        s.commit()
    expected_falling = len(falling(through)) + 1
    for lang, said in REFRESHED.items():  # twice: the second run finds the same
        result = ocrm("--lang", lang, "report", "refresh", "--db", db_url)
        assert result.exit_code == 0, result.output
        assert said.format(txn=len(expect_txn_month(bank)), aum=len(expect_aum_month(bank)) + 3,
                           falling=expected_falling, month=through.strftime("%Y-%m")) in " ".join(result.stdout.split())
    (_fixture, _en, event) = audit_events(db, "report.refresh")
    assert json.loads(event.changes)["falling"] == expected_falling and event.actor_no.startswith("os:")
    assert abs(event.at - datetime.now(timezone.utc)) < timedelta(minutes=5)
