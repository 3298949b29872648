"""Core-banking imports (`services/core_import.py`) on SQLite and PostgreSQL: the sample extracts
in tests/data/core load once and a second import changes nothing; every check names the line,
the column and why, and one bad row refuses the whole file; --skip-invalid writes the bad rows
to a reject file; a dry run writes nothing; the extract wins for a customer's core fields and
never touches what staff keep; a failed import leaves the name index as it was."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ocrm_tui.db.models import Account, AuditRecord, AumSnapshot, Customer, CustomerTag, Product, Transaction
from ocrm_tui.services import auth, core_import, customer_search, customers, tags
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.demo import check_digit
from ocrm_tui.services.errors import PermissionDenied, StaleRecordError
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

SAMPLES = Path(__file__).resolve().parent / "data" / "core"
ORDER = ("products", "customers", "accounts", "transactions")
CUSTOMER_HEADER = ("customer_no,name,gender,birth_date,id_type,id_number,mobile,email,address,occupation,org_code,"
                   "rm_employee_no")
ACCOUNT_HEADER = "account_no,customer_no,product_code,currency,balance,opened_on,matures_on,status"
TXN_HEADER = "txn_id,account_no,posted_at,amount,direction,channel,counterparty,memo"
TABLES = (Product, Customer, Account, Transaction, AumSnapshot, CustomerTag)


# -- helpers (the other test files of the imports use them too) --------------------------------------

def rid(birth: str, seq: int, male: bool, county: str = "440305") -> str:
    """A valid resident ID number for a birth date (YYYY-MM-DD) and gender."""
    body = f"{county}{birth.replace('-', '')}{seq:02d}{1 if male else 2}"
    return body + check_digit(body)


def write_csv(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run_import(db, kind: str, path: Path, clock, **options) -> core_import.ImportResult:
    with db.session(write=True) as s:
        return core_import.import_file(s, Actor.system(), kind, path, clock=clock, **options)


def load_samples(db, clock, kinds=ORDER) -> dict[str, core_import.ImportResult]:
    return {kind: run_import(db, kind, SAMPLES / f"{kind}.csv", clock) for kind in kinds}


def table_rows(db) -> dict[str, list]:
    """Every row of the tables an import writes, in key order."""
    with db.session() as s:
        return {model.__tablename__: [tuple(r) for r in s.execute(
            select(model.__table__).order_by(*model.__table__.primary_key.columns)).all()] for model in TABLES}


def audit_events(db, event: str) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.event == event).order_by(AuditRecord.seq)))


def customer(db, number: str) -> Customer:
    with db.session() as s:
        return s.scalars(select(Customer).where(Customer.customer_no == number)).one()


def refused(db, kind: str, path: Path, clock, **options) -> core_import.FileRefused:
    with pytest.raises(core_import.FileRefused) as caught:
        run_import(db, kind, path, clock, **options)
    return caught.value


def problems(error: core_import.FileRefused) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.reason) for p in error.problems]


# -- the sample extracts --------------------------------------------------------------------------------

def test_the_extracts_load_once_as_the_product_stores_them_and_loading_them_again_changes_nothing(db, branch, clock):
    first = load_samples(db, clock)
    assert {k: (r.inserted, r.updated, r.unchanged, len(r.rejected)) for k, r in first.items()} == {
        "products": (6, 0, 0, 0), "customers": (5, 0, 0, 0), "accounts": (7, 0, 0, 0), "transactions": (7, 0, 0, 0)}
    loaded = table_rows(db)

    again = load_samples(db, clock)
    assert {k: (r.inserted, r.updated, r.unchanged, r.changed) for k, r in again.items()} == {
        "products": (0, 0, 6, False), "customers": (0, 0, 5, False), "accounts": (0, 0, 7, False),
        "transactions": (0, 0, 7, False)}
    assert table_rows(db) == loaded
    assert again["transactions"].aum is None  # nothing changed, so no customer's AUM is touched

    # Each import is one audit event with the file, its sha256 and the counts.
    events = audit_events(db, "import.transactions")
    assert [json.loads(e.changes) for e in events] == [
        {"file": "transactions.csv", "sha256": hashlib.sha256((SAMPLES / "transactions.csv").read_bytes()).hexdigest(),
         "rows": 7, "inserted": n, "updated": 0, "unchanged": 7 - n, "rejected": 0, **extra}
        for n, extra in ((7, {"aum_customers": 4, "tiers_changed": 0}), (0, {}))]
    assert all(e.actor_no.startswith("os:") for e in events)

    # Customers as the customer form stores them.
    zhang = customer(db, "C0001")
    assert (zhang.name, zhang.name_pinyin, zhang.name_initials, zhang.name_chars) == ("张伟", "zhangwei", "zw", "张 伟")
    assert (zhang.id_type, zhang.id_number, zhang.mobile, zhang.email) == (
        "居民身份证", "110101198703140012", "13800000001", "zhangwei@example.com")
    with db.session() as s:
        assert zhang.rm_id == get_user(s, "R001").id and zhang.org_id == get_user(s, "R001").org_id
    # An empty ID type is a resident ID; a birth date left empty is the ID number's.
    assert customer(db, "C0002").id_type == "居民身份证" and customer(db, "C0002").rm_id is None
    nana = customer(db, "C0004")
    assert (nana.birth_date.isoformat(), nana.gender, nana.address) == ("1985-12-25", "F", None)

    # Times in UTC, whatever offset the extract writes.
    with db.session() as s:
        posted = dict(s.execute(select(Transaction.txn_id, Transaction.posted_at)).all())
        amounts = dict(s.execute(select(Transaction.txn_id, Transaction.amount)).all())
    utc = timezone.utc
    assert posted["T202512010001"] == datetime(2025, 12, 1, 9, 12, tzinfo=utc)  # no offset: UTC
    assert posted["T202512050002"] == datetime(2025, 12, 5, 12, 30, tzinfo=utc)  # +08:00
    assert posted["T202512150003"] == datetime(2025, 12, 15, 10, 0, tzinfo=utc)  # Z
    assert amounts["T202512150003"] == Decimal("500.50")


# -- checks ---------------------------------------------------------------------------------------------

def test_each_customer_check_names_line_column_and_reason_and_nothing_is_written(db, branch, clock, tmp_path):
    load_samples(db, clock, ("customers",))
    before = table_rows(db)
    good = rid("1992-05-17", 11, False)
    rows = [
        f"C1001,赵敏,F,1992-05-17,,{good},13900000001,,,,O1,",  # good
        f",钱多,M,,,,13900000003,,,,O1,",
        f"C1004,R2-D2#,M,,,,13900000004,,,,O1,",
        f"C1005,孙丽,X,,,,13900000005,,,,O1,",
        f"C1006,周强,M,1990/07/02,,,13900000006,,,,O1,",
        f"C1007,吴刚,M,,,{_wrong_check_digit(rid('1980-01-01', 12, True))},13900000007,,,,O1,",
        f"C1008,郑和,M,1980-01-02,,{rid('1980-01-01', 13, True)},13900000008,,,,O1,",
        f"C1009,冯梅,F,,,,12345,,,,O1,",
        f"C1010,陈晨,F,,,,13900000010,nope,,,O1,",
        f"C1011,楚雄,M,,,,13900000011,,,,ZZ,",
        f"C1012,魏华,M,,,,13900000012,,,,O1,T001",
        f"C1001,赵敏,F,,,,13900000013,,,,O1,",
        f"C1014,韩梅,F,,,{good},13900000014,,,,O1,",
        f"C1015,杨光,M",
        f"C1016,蒋雯,M,1987-03-14,,110101198703140012,13900000016,,,,O1,",  # C0001's ID number
    ]
    error = refused(db, "customers", write_csv(tmp_path, "customers.csv", CUSTOMER_HEADER, rows), clock)
    assert problems(error) == [
        (3, "customer_no", "customer_no is required"),
        (4, "name", "A name is Chinese characters or letters (with · for minority names)"),
        (5, "gender", "Gender is M or F"),
        (6, "birth_date", "A date is written YYYY-MM-DD, e.g. 1987-03-14"),
        (7, "id_number", "The check digit of this ID number is wrong: check for a mistyped digit"),
        (8, "birth_date", "The ID number gives the birth date 1980-01-01, not 1980-01-02"),
        (9, "mobile", "A mobile number is 11 digits starting with 13–19"),
        (10, "email", "This is not an e-mail address"),
        (11, "org_code", "No organisation with code ZZ"),
        (12, "rm_employee_no", "T001 is not an active relationship manager"),
        (13, "customer_no", "C1001 is already on line 2 of this file"),
        (14, "id_number", "This ID number is already on line 2 of this file"),
        (15, "birth_date", "3 values where the header has 12 columns"),
        (16, "id_number", "This ID number belongs to customer C0001"),
    ]
    assert error.bad_rows == 14 and (error.line, error.field) == (3, "customer_no")
    assert str(error) == ("Line 3, column customer_no: customer_no is required; nothing was imported "
                          "(14 bad rows in all)")
    assert table_rows(db) == before  # the good row on line 2 was not written either
    assert len(audit_events(db, "import.customers")) == 1  # the samples' import only


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_each_product_check(db, branch, clock, tmp_path):
    rows = ["DEP-X,通知存款,deposit,R1", "EQ-1,股票,stock,R5", "WM-1,理财,wealth,R6", "DEP-X,通知存款,deposit,R1",
            "WM-2,,wealth,R2", f"{'P' * 33},理财,wealth,R2"]
    error = refused(db, "products", write_csv(tmp_path, "p.csv", "product_code,name,product_type,risk_level", rows),
                    clock)
    assert problems(error) == [
        (3, "product_type", "'stock' is not one of deposit, wealth, fund, insurance, loan, credit_card, metal"),
        (4, "risk_level", "'R6' is not one of R1, R2, R3, R4, R5"),
        (5, "product_code", "DEP-X is already on line 2 of this file"),
        (6, "name", "name is required"),
        (7, "product_code", "product_code is at most 32 characters"),
    ]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 0


def test_each_account_check(db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers"))
    rows = ["6222100000000001,C0001,DEP-CUR,CNY,100.00,2020-01-01,,active",
            "6222100000000002,C9999,DEP-CUR,CNY,100.00,,,",
            "6222100000000003,C0001,ZZZ,CNY,100.00,,,",
            "6222100000000004,C0001,DEP-CUR,CNY,12.345,,,",
            "6222100000000005,C0001,DEP-CUR,CNY,abc,,,",
            "6222100000000006,C0001,DEP-CUR,RMB1,1.00,,,",
            "6222100000000007,C0001,DEP-1Y,CNY,1.00,2025-02-30,,",
            "6222100000000008,C0001,DEP-1Y,CNY,1.00,2025-02-01,2025-01-31,",
            "6222100000000009,C0001,DEP-CUR,CNY,1.00,,,open",
            "6222100000000001,C0002,DEP-CUR,CNY,1.00,,,"]
    error = refused(db, "accounts", write_csv(tmp_path, "a.csv", ACCOUNT_HEADER, rows), clock)
    assert problems(error) == [
        (3, "customer_no", "No customer with number C9999"),
        (4, "product_code", "No product with code ZZZ"),
        (5, "balance", "An amount has at most two decimal places"),
        (6, "balance", "abc is not an amount"),
        (7, "currency", "'RMB1' is not a currency code of three letters"),
        (8, "opened_on", "2025-02-30 is not a date written YYYY-MM-DD"),
        (9, "matures_on", "The account matures before it was opened"),
        (10, "status", "'open' is not one of active, dormant, frozen, closed"),
        (11, "account_no", "6222100000000001 is already on line 2 of this file"),
    ]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0


@pytest.mark.parametrize("read_all_accounts", [True, False], ids=["accounts read first", "accounts looked up"])
def test_each_transaction_check(db, branch, clock, tmp_path, monkeypatch, read_all_accounts):
    load_samples(db, clock, ("products", "customers", "accounts"))
    # A file as large as the bank's accounts reads them all first; a small one looks up the ones it names.
    monkeypatch.setattr(core_import, "_read_all_accounts", lambda session, path: read_all_accounts)
    before = table_rows(db)
    acct = "6222000000000001"
    rows = [f"T1,{acct},2025-12-01T09:00:00,10.00,in,counter,,",
            "T2,6222999,2025-12-01T09:00:00,10.00,in,counter,,",
            f"T3,{acct},2025-12-01T09:00:00,-5.00,out,atm,,",
            f"T4,{acct},2025-12-01T09:00:00,0,out,atm,,",
            f"T5,{acct},2025-12-01T09:00:00,1.234,out,atm,,",
            f"T6,{acct},2025-12-01T09:00:00,1.00,debit,atm,,",
            f"T7,{acct},2025-12-01T09:00:00,1.00,out,branch,,",
            f"T8,{acct},2025-13-01T00:00:00,1.00,out,atm,,",
            f"T9,{acct},2026-03-01T00:00:00,1.00,out,atm,,",
            f"T1,{acct},2025-12-02T09:00:00,1.00,out,atm,,",
            f"{'T' * 41},{acct},2025-12-02T09:00:00,1.00,out,atm,,",
            f"T12,{acct},2025-12-02T09:00:00,1.00,out,atm,,{'备' * 256}",
            "",
            f"T14,{acct},2025-12-02 09:00:00,1.00,OUT,Mobile,,",  # a space for the T, capitals: fine
            "T15,6222999,2025-12-02T09:00:00,1.00,out,atm,,"]
    error = refused(db, "transactions", write_csv(tmp_path, "t.csv", TXN_HEADER, rows), clock)
    largest = "999999999999999.99"
    assert problems(error) == [
        (3, "account_no", "No account with number 6222999"),
        (4, "amount", f"The amount must be between 0.01 and {largest}"),
        (5, "amount", f"The amount must be between 0.01 and {largest}"),
        (6, "amount", "An amount has at most two decimal places"),
        (7, "direction", "'debit' is not one of in, out"),
        (8, "channel", "'branch' is not one of counter, atm, pos, phone, online, mobile"),
        (9, "posted_at", "'2025-13-01T00:00:00' is not a time in ISO 8601 (2026-01-05T09:30:00)"),
        (10, "posted_at", "2026-03-01T00:00:00 is in the future"),
        (11, "txn_id", "T1 is already on line 2 of this file"),
        (12, "txn_id", "txn_id is at most 40 characters"),
        (13, "memo", "memo is at most 255 characters"),
        (16, "account_no", "No account with number 6222999"),
    ]
    assert table_rows(db) == before


def test_a_file_that_cannot_be_read_is_refused_at_the_line_that_shows_it(db, branch, clock, tmp_path):
    missing = refused(db, "transactions", write_csv(tmp_path, "m.csv", "txn_id,account_no,posted_at,amount,channel",
                                                    ["T1,1,2025-12-01T00:00:00,1.00,atm"]), clock)
    assert (missing.line, missing.field) == (1, "direction")
    assert str(missing) == ("Line 1: the header has no column direction; a transactions file has the columns "
                            "txn_id,account_no,posted_at,amount,direction,channel,counterparty,memo")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert str(refused(db, "products", empty, clock)) == "The file is empty"
    header_only = write_csv(tmp_path, "h.csv", "product_code,name,product_type", [])
    assert str(refused(db, "products", header_only, clock)) == "The file has a header but no rows"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("product_code,name,product_type\nP1,Caf\xe9,deposit\n".encode("latin-1"))
    assert str(refused(db, "products", latin, clock)) == f"{latin} is not UTF-8 text"
    quoted = write_csv(tmp_path, "q.csv", "product_code,name,product_type", ['P1,"a"b,deposit'])
    assert str(refused(db, "products", quoted, clock)).startswith("Line 2: the file cannot be read as comma-separated")
    twice = write_csv(tmp_path, "d.csv", "product_code,name,name,product_type", ["P1,a,b,deposit"])
    assert str(refused(db, "products", twice, clock)) == "Line 1: the column name appears twice in the header"
    nowhere = tmp_path / "nowhere.csv"
    assert str(refused(db, "products", nowhere, clock)) == f"{nowhere} is not a file that can be read"
    # A BOM (Excel's UTF-8) and columns in another order are fine.
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffname,product_type,product_code\n存款,deposit,P1\n".encode("utf-8"))
    assert run_import(db, "products", bom, clock).inserted == 1


def test_only_an_administrator_imports(db, branch, clock):
    with db.session(write=True) as s:
        manager = auth.actor_for(s, get_user(s, "M001"))
        with pytest.raises(PermissionDenied):
            core_import.import_file(s, manager, "products", SAMPLES / "products.csv", clock=clock)


# -- skipping bad rows, dry runs --------------------------------------------------------------------------

def test_skip_invalid_loads_the_good_rows_and_writes_the_bad_ones_with_their_reason(db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers", "accounts"))
    path = write_csv(tmp_path, "day.csv", TXN_HEADER + ",branch", [
        "D1,6222000000000001,2025-12-01T09:00:00,10.00,in,counter,,工资,O1",
        "D2,6222000000000001,2025-12-01T09:00:00,10.005,in,counter,,\"转账, 备注\",O1",
        "D3,6222000000000003,2025-12-02T09:00:00,20.00,out,atm,,,O1",
        "D4,6222999,2025-12-02T09:00:00,20.00,out,atm,,,O1",
        "D5,6222000000000003",
        "D6,6222000000000004,2025-12-03T09:00:00,30.00,in,online,,,O2",
    ])
    result = run_import(db, "transactions", path, clock, skip_invalid=True)
    assert (result.inserted, result.updated, result.unchanged, len(result.rejected)) == (3, 0, 0, 3)
    assert result.extra_columns == ("branch",)
    assert result.rejects_path == tmp_path / "day.rejects.csv"
    with open(result.rejects_path, encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [
            ["line", *TXN_HEADER.split(","), "branch", "reason"],
            ["3", "D2", "6222000000000001", "2025-12-01T09:00:00", "10.005", "in", "counter", "", "转账, 备注", "O1",
             "amount: An amount has at most two decimal places"],
            ["5", "D4", "6222999", "2025-12-02T09:00:00", "20.00", "out", "atm", "", "", "O1",
             "account_no: No account with number 6222999"],
            ["6", "D5", "6222000000000003", "", "", "", "", "", "", "",
             "posted_at: 2 values where the header has 9 columns"],
        ]
    with db.session() as s:
        assert sorted(s.scalars(select(Transaction.txn_id))) == ["D1", "D3", "D6"]
    details = json.loads(audit_events(db, "import.transactions")[-1].changes)
    assert (details["rejected"], details["rejects_file"], details["extra_columns"]) == (
        3, "day.rejects.csv", ["branch"])


def test_a_dry_run_counts_what_would_change_and_writes_nothing(db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers", "accounts"))
    before = table_rows(db)
    seq = len(audit_events(db, "import.accounts"))
    changed = (SAMPLES / "accounts.csv").read_text(encoding="utf-8").replace("120000.00", "125000.00")
    path = tmp_path / "accounts.csv"
    path.write_text(changed + "6222000000000009,C0002,DEP-1Y,CNY,1000.00,,,\n6222000000000010,C9999,DEP-1Y,CNY,1,,,\n",
                    encoding="utf-8")
    result = run_import(db, "accounts", path, clock, dry_run=True, skip_invalid=True)
    assert (result.dry_run, result.inserted, result.updated, result.unchanged, len(result.rejected)) == (
        True, 1, 1, 6, 1)
    assert result.aum is None and result.rejects_path is None
    assert not (tmp_path / "accounts.rejects.csv").exists()
    assert table_rows(db) == before and len(audit_events(db, "import.accounts")) == seq
    # Without --skip-invalid the dry run refuses the file as the import would.
    assert refused(db, "accounts", path, clock, dry_run=True).bad_rows == 1


# -- the upsert rule for customers ------------------------------------------------------------------------

def test_the_extract_wins_for_core_fields_and_staff_fields_are_kept(db, branch, clock, tmp_path):
    load_samples(db, clock, ("products", "customers"))
    zhang = customer(db, "C0001")
    with db.session(write=True) as s:
        rm = auth.actor_for(s, get_user(s, "R001"))
        manager = auth.actor_for(s, get_user(s, "M001"))
        tags.tag_customer(s, rm, zhang.id, "房贷客户", clock=clock)
        base = customers.edit_values(s, rm, zhang.id)
        values = {**base, "hobbies": "钓鱼", "family": "三口之家", "marital_status": "已婚", "risk_preference": "4"}
        customers.update_customer(s, rm, zhang.id, values, base, clock=clock)
        customers.override_tier(s, manager, zhang.id, "wealth", "家族客户资产在他行", clock=clock)
        stale_form = customers.edit_values(s, rm, zhang.id)
    edited = customer(db, "C0001")

    rows = (SAMPLES / "customers.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = ("C0001,黄晓明,M,1987-03-14,居民身份证,110101198703140012,13900009999,,上海市黄浦区南京东路2号,律师,O2,"
               "R002")
    rows[2] = rows[2].rstrip(",") + ",R002"  # C0002 has no RM yet: the extract's is taken
    rows.append("C0006,孙悦,F,,,,13800000006,,,,O1,")
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_import(db, "customers", path, clock)
    assert (result.inserted, result.updated, result.unchanged) == (1, 2, 3)

    after = customer(db, "C0001")
    assert (after.name, after.mobile, after.email, after.address, after.occupation) == (
        "黄晓明", "13900009999", None, "上海市黄浦区南京东路2号", "律师")
    assert (after.name_pinyin, after.name_initials, after.name_chars) == tuple(name_keys("黄晓明").values())
    with db.session() as s:
        o2, r001, r002 = get_user(s, "R002").org_id, get_user(s, "R001").id, get_user(s, "R002").id
        assert after.org_id == o2
        assert after.rm_id == r001  # the RM is staff's: kept
        assert customer(db, "C0002").rm_id == r002  # … taken only by a customer without one
        assert [t.name for t in tags.tags_of_customer(s, manager, after.id)] == ["房贷客户"]
    assert (after.hobbies, after.family, after.marital_status, after.risk_preference) == ("钓鱼", "三口之家", "已婚", 4)
    assert (after.tier, after.tier_manual, after.tier_reason) == ("wealth", True, "家族客户资产在他行")
    assert after.version == edited.version + 1
    assert customer(db, "C0003").version == 1  # unchanged customers keep their version

    record = [e for e in audit_events(db, "customer.import_update") if e.entity_id == str(after.id)]
    assert len(record) == 1
    assert json.loads(record[0].changes) == {
        "name": ["张伟", "黄晓明"], "name_pinyin": ["zhangwei", "huangxiaoming"], "name_initials": ["zw", "hxm"],
        "name_chars": ["张 伟", "黄 晓 明"], "mobile": ["13800000001", "13900009999"],
        "email": ["zhangwei@example.com", None], "address": ["北京市东城区东长安街1号", "上海市黄浦区南京东路2号"],
        "occupation": ["工程师", "律师"], "org_id": [edited.org_id, o2]}

    with db.session(write=True) as s:
        with pytest.raises(StaleRecordError) as stale:
            customers.update_customer(s, rm, after.id, {**stale_form, "hobbies": "登山"}, stale_form, clock=clock)
        assert stale.value.changed["name"] == ("张伟", "黄晓明")

    # The name index follows: the new and the changed names are found, the old one is not.
    with db.session() as s:
        admin = auth.actor_for(s, get_user(s, "A001"))

        def found(text: str) -> list[str]:
            return [r.customer_no for r in customer_search.search(s, admin, text).rows]

        assert found("晓明") == ["C0001"] and found("黄晓明") == ["C0001"]
        assert found("张伟") == []
        assert found("孙悦") == ["C0006"] and found("悦") == ["C0006"]
        assert found("hxm") == ["C0001"]


def test_a_failed_customer_import_leaves_the_name_index_as_it_was(db, branch, clock, tmp_path, monkeypatch):
    load_samples(db, clock, ("customers",))
    path = write_csv(tmp_path, "c.csv", CUSTOMER_HEADER, ["C0100,白雪,F,,,,13800000100,,,,O1,"])

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    # The rows are written and (on SQLite) the name index's insert trigger is set aside when it fails.
    monkeypatch.setattr(core_import._NameIndexPause, "resume", lambda self: fail())
    with pytest.raises(RuntimeError):
        run_import(db, "customers", path, clock)
    monkeypatch.undo()
    assert run_import(db, "customers", path, clock).inserted == 1
    with db.session(write=True) as s:
        admin = auth.actor_for(s, get_user(s, "A001"))
        for text, found in (("白雪", ["C0100"]), ("雪", ["C0100"]), ("伟", ["C0001"]), ("张伟", ["C0001"])):
            assert [r.customer_no for r in customer_search.search(s, admin, text).rows] == found, text
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            triggers = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'customer_name_fts%'").scalars()
            assert sorted(triggers) == ["customer_name_fts_delete", "customer_name_fts_insert",
                                        "customer_name_fts_update"]
            # FTS5 compares its index with the customer table and fails if they differ.
            conn.exec_driver_sql("INSERT INTO customer_name_fts(customer_name_fts, rank) VALUES ('integrity-check', 1)")


# -- accounts and transactions: updates -------------------------------------------------------------------

def test_a_changed_account_or_transaction_is_updated_and_its_customers_refreshed(db, branch, clock, tmp_path):
    load_samples(db, clock)
    accounts = (SAMPLES / "accounts.csv").read_text(encoding="utf-8").replace(
        "6222000000000003,C0002,DEP-CUR,CNY,8000.50", "6222000000000003,C0004,DEP-CUR,CNY,9000.50")
    result = run_import(db, "accounts", write_csv(tmp_path, "accounts.csv", accounts.splitlines()[0],
                                                  accounts.splitlines()[1:]), clock)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 6)
    assert result.aum.customers == 2  # the account's old and new holder
    with db.session() as s:
        moved = s.scalars(select(Transaction).where(Transaction.txn_id == "T202512150003")).one()
        assert moved.customer_id == customer(db, "C0004").id
    assert (customer(db, "C0002").aum, customer(db, "C0004").aum) == (Decimal("0.00"), Decimal("61000.50"))

    withdrawal = "T202601020005,6222000000000001,2026-01-02T08:00:00,"
    txns = (SAMPLES / "transactions.csv").read_text(encoding="utf-8").replace(f"{withdrawal}1000.00",
                                                                             f"{withdrawal}1500.00")
    result = run_import(db, "transactions", write_csv(tmp_path, "t.csv", txns.splitlines()[0], txns.splitlines()[1:]),
                        clock)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 6)
    with db.session() as s:
        assert s.scalar(select(Transaction.amount).where(Transaction.txn_id == "T202601020005")) == Decimal("1500.00")
    # Jan 1 before the withdrawal, 2–5 after it: (421,500 + 4 × 420,000) / 5
    assert customer(db, "C0001").aum_daily_avg == Decimal("420300.00")
