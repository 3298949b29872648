"""`ocrm import customers|products|accounts|transactions` as an administrator or cron runs it, through
Typer's CliRunner on SQLite and PostgreSQL: exit codes (0, 1 with one clear line, 2 for bad usage),
the summary, the dry run, the reject file, the alert scan after an import, English and Chinese."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.cli.import_cmd import _PlainProgress
from ocrm_tui.db.models import Alert, Product, Transaction
from tests.test_core_import import SAMPLES, TXN_HEADER, table_rows, write_csv

runner = CliRunner()
PRODUCT_HEADER = "product_code,name,product_type,risk_level"


def ocrm(*args: str):
    return runner.invoke(app, list(args))


def one_line_error(result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_extracts_load_with_a_summary_and_the_alert_scan_and_again_change_nothing(db_url, db, branch):
    outputs = {}
    for kind in ("products", "customers", "accounts", "transactions"):
        result = ocrm("import", kind, str(SAMPLES / f"{kind}.csv"), "--db", db_url)
        assert result.exit_code == 0, result.output
        outputs[kind] = result.stdout
    assert "Checking rows: 6 rows (" in outputs["products"]  # plain progress lines off a terminal
    assert "Products: 6 inserted, 0 updated, 0 unchanged, 0 rejected; 6 rows in " in outputs["products"]
    assert "Customers: 5 inserted, 0 updated, 0 unchanged, 0 rejected;" in outputs["customers"]
    assert "AUM brought up to date for 5 customers (" in outputs["accounts"]
    assert "tiers changed: 3; manual tiers kept: 0." in outputs["accounts"]
    raised = [int(n) for out in outputs.values() for n in re.findall(r"Alert scan: (\d+) alerts raised\.", out)]
    assert len(raised) == 4 and sum(raised) == count(db, Alert)

    again = ocrm("import", "transactions", str(SAMPLES / "transactions.csv"), "--db", db_url)
    assert again.exit_code == 0
    assert "Nothing changed: the 7 rows of transactions.csv are already on file." in again.stdout
    assert "Transactions: 0 inserted, 0 updated, 7 unchanged, 0 rejected;" in again.stdout
    assert "AUM brought up to date" not in again.stdout


def test_a_bad_file_is_refused_in_one_line_and_its_bad_rows_are_listed(db_url, db, branch, tmp_path):
    path = write_csv(tmp_path, "products.csv", PRODUCT_HEADER,
                     ["DEP-X,通知存款,deposit,R1", "EQ-1,股票,stock,R5", "WM-1,理财,wealth,R6"])
    result = ocrm("import", "products", str(path), "--db", db_url)
    assert result.exit_code == 1
    assert one_line_error(result) == (
        "Error: Line 3, column product_type: 'stock' is not one of deposit, wealth, fund, insurance, loan, credit_card, "
        "metal; nothing was imported (2 bad rows in all)")
    assert result.stdout.splitlines()[-2:] == [
        "Line 3, column product_type: 'stock' is not one of deposit, wealth, fund, insurance, loan, credit_card, metal",
        "Line 4, column risk_level: 'R6' is not one of R1, R2, R3, R4, R5"]
    assert count(db, Product) == 0

    many = write_csv(tmp_path, "many.csv", PRODUCT_HEADER, [f"P{k},产品,stock," for k in range(25)])
    result = ocrm("import", "products", str(many), "--db", db_url)
    assert result.exit_code == 1
    listed = [line for line in result.stdout.splitlines() if line.startswith("Line ")]
    assert len(listed) == 20 and listed[0].startswith("Line 2, column product_type:")
    assert "… and 5 more problems (25 bad rows in all)." in result.stdout

    missing = ocrm("import", "products", str(tmp_path / "nowhere.csv"), "--db", db_url)
    assert missing.exit_code == 1
    assert one_line_error(missing) == f"Error: {tmp_path / 'nowhere.csv'} is not a file that can be read"


def test_bad_usage_exits_with_2(tmp_path):
    assert ocrm("import", "loans", str(tmp_path / "x.csv")).exit_code == 2
    assert ocrm("import", "products").exit_code == 2
    assert ocrm("import", "products", str(tmp_path / "x.csv"), "--progress-every", "0").exit_code == 2
    assert ocrm("import", "products", str(tmp_path / "x.csv"), "--fast").exit_code == 2


def test_a_dry_run_and_skipping_bad_rows(db_url, db, branch, tmp_path):
    for kind in ("products", "customers", "accounts"):
        assert ocrm("import", kind, str(SAMPLES / f"{kind}.csv"), "--db", db_url).exit_code == 0
    before = table_rows(db)
    rows = (SAMPLES / "transactions.csv").read_text(encoding="utf-8").splitlines()[1:]
    path = write_csv(tmp_path, "txns.csv", TXN_HEADER, [*rows, "X1,6222999,2025-12-01T09:00:00,1.00,in,atm,,"])

    dry = ocrm("import", "transactions", str(path), "--dry-run", "--skip-invalid", "--db", db_url)
    assert dry.exit_code == 0, dry.output
    assert ("Dry run, nothing was written. Transactions: 7 would be inserted, 0 updated, 0 unchanged, 1 rejected."
            in dry.stdout)
    assert "Line 9, column account_no: No account with number 6222999" in dry.stdout
    assert "Alert scan" not in dry.stdout and not (tmp_path / "txns.rejects.csv").exists()
    assert table_rows(db) == before

    loaded = ocrm("import", "transactions", str(path), "--skip-invalid", "--db", db_url)
    assert loaded.exit_code == 0, loaded.output
    assert "Transactions: 7 inserted, 0 updated, 0 unchanged, 1 rejected;" in loaded.stdout
    assert f"Rejected rows, with the reason, written to {tmp_path / 'txns.rejects.csv'}" in loaded.stdout
    assert (tmp_path / "txns.rejects.csv").exists() and count(db, Transaction) == 7


def test_messages_in_chinese(db_url, db, branch, tmp_path):
    path = write_csv(tmp_path, "products.csv", PRODUCT_HEADER, ["DEP-X,通知存款,deposit,R1", "EQ-1,股票,stock,R5"])
    refused = ocrm("--lang", "zh", "import", "products", str(path), "--db", db_url)
    assert refused.exit_code == 1
    assert one_line_error(refused) == ("错误: 第 3 行，product_type 列：'stock' 不在 deposit, wealth, fund, insurance, "
                                       "loan, credit_card, metal 之中；未导入任何数据")

    loaded = ocrm("--lang", "zh", "import", "products", str(SAMPLES / "products.csv"), "--db", db_url)
    assert loaded.exit_code == 0, loaded.output
    assert "检查数据行：6 行（每秒" in loaded.stdout
    assert "产品：新增 6 条，更新 0 条，0 条不变，拒绝 0 条；共 6 行，用时" in loaded.stdout
    assert re.search(r"预警扫描：新增 \d+ 条预警。", loaded.stdout)
    dry = ocrm("--lang", "zh", "import", "products", str(SAMPLES / "products.csv"), "--dry-run", "--db", db_url)
    assert "试运行，未写入任何数据。产品：将新增 0 条，更新 0 条，6 条不变，拒绝 0 条。" in dry.stdout


def test_plain_progress_prints_a_line_every_n_rows_and_one_per_finished_stage(capsys):
    progress = _PlainProgress(every=10_000)
    for done in (10_000, 20_000, 30_000):
        progress("read", done, 0)
    progress("read", 34_567, 34_567)
    for done in (5_000, 15_000, 25_000, 34_567):
        progress("transactions", done, 34_567)
    lines = [re.sub(r"\([0-9,]+ rows/s\)", "(…)", line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        "Checking rows: 10,000 rows so far (…)", "Checking rows: 20,000 rows so far (…)",
        "Checking rows: 30,000 rows so far (…)", "Checking rows: 34,567 rows (…)",
        "Loading transactions: 15,000 of 34,567 rows (…)", "Loading transactions: 25,000 of 34,567 rows (…)",
        "Loading transactions: 34,567 rows (…)"]
