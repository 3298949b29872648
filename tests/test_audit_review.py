"""The quarterly review of privileged operations lists exactly the quarter's tier overrides,
exports, role and setting changes, unlocks and sessions ended by an administrator; it is
itself audited, and its XLSX file holds the same rows."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord, Customer
from ocrm_tui.services import audit, audit_review, auth, customers, reports, settings, user_sessions, users
from ocrm_tui.services.clock import FakeClock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from tests.conftest import PASSWORD

runner = CliRunner()
Q2 = datetime(2026, 5, 12, 10, 0, tzinfo=timezone.utc)
Q3 = datetime(2026, 8, 20, 10, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)  # when the review runs


def events(db, name):
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.event == name).order_by(AuditRecord.seq)))


@pytest.fixture
def quarter_activity(branch, db, system, tmp_path):
    """A customer; in Q2 an administrator locks M001; in Q3 a manager overrides a tier, an
    administrator unlocks T001, changes R002's role and a setting, ends R001's session, and a
    manager exports a report."""
    q2, q3 = FakeClock(Q2), FakeClock(Q3)
    with db.session(write=True) as s:
        audit.acting_as(s, system, clock=q2)
        c = Customer(customer_no="C0001", name="张伟", mobile="13800001234", org_id=get_org_by_code(s, "O1").id,
                     aum_daily_avg=0)
        s.add(c)
        s.commit()
        customer_id = c.id
    with db.session(write=True) as s:
        users.lock_user(s, system, "M001", clock=q2)
    with db.session(write=True) as s:
        users.unlock_user(s, system, "M001", clock=q2)
    with db.session(write=True) as s:
        manager = auth.authenticate(s, "M001", PASSWORD, clock=q3)
    with db.session(write=True) as s:
        customers.override_tier(s, manager, customer_id, "vip", "Long-standing family account", clock=q3)
    with db.session(write=True) as s:
        users.lock_user(s, system, "T001", clock=q3)
    with db.session(write=True) as s:
        users.unlock_user(s, system, "T001", clock=q3)
    with db.session(write=True) as s:
        users.change_role(s, system, "R002", "manager", clock=q3)
    with db.session(write=True) as s:
        audit.acting_as(s, system, clock=q3)
        settings.set_setting(s, "lockout.max_failures", 6)
        s.commit()
    with db.session(write=True) as s:
        r001 = auth.authenticate(s, "R001", PASSWORD, clock=q3)
        user_sessions.open_session(s, r001, terminal="counter-3", clock=q3)
    with db.session(write=True) as s:
        user_sessions.end_sessions(s, system, "R001", clock=q3)
    with db.session(write=True) as s:
        report = reports.run(s, manager, "staff", reports.parse_period("2026-08", date(2026, 8, 20)),
                             today=date(2026, 8, 20))
        exported = reports.export_report(s, manager, report, tmp_path / "staff.xlsx", "xlsx", clock=q3)
    return customer_id, exported


def run_review(db, system, text="2026Q3"):
    clock = FakeClock(LATER)
    with db.session(write=True) as s:
        return audit_review.review(s, system, audit_review.parse_quarter(text, clock=clock), clock=clock)


def test_the_review_lists_exactly_the_quarters_privileged_operations(quarter_activity, db, system):
    _customer_id, exported = quarter_activity
    r = run_review(db, system)
    assert r.quarter.label == "2026Q3"

    tiers = r.section(audit_review.TIER_OVERRIDES).rows
    assert [(row[1], row[2], row[3], row[4]) for row in tiers] == [
        ("王经理 (M001)", "C0001", "mass → vip", "Long-standing family account")]
    assert tiers[0][0] == Q3

    exported_rows = r.section(audit_review.EXPORTS).rows
    assert len(exported_rows) == 1
    when, who, what, of, rows, masked, file, sha, _request = exported_rows[0]
    assert (who, what, rows, masked, file, sha) == ("王经理 (M001)", "report", exported.rows, "yes", "staff.xlsx",
                                                   exported.sha256)

    lockouts = r.section(audit_review.LOCKOUTS).rows
    assert [(row[2], row[3]) for row in lockouts] == [("account locked by an administrator", "T001"),
                                                      ("account unlocked", "T001")]
    assert all("M001" != row[3] for row in lockouts)  # Q2's lock and unlock belong to another quarter

    roles = {(row[2], row[3], row[4], row[5]) for row in r.section(audit_review.ROLES).rows}
    assert roles == {("role changed", "R002", "rm", "manager"), ("setting changed", "lockout.max_failures", "", "6")}

    ended = r.section(audit_review.SESSIONS).rows
    assert [(row[1], row[2], row[3], row[4]) for row in ended] == [
        (system.employee_no, "R001", "counter-3", "ended by an administrator")]

    assert r.section(audit_review.ACCESS).rows == ()
    assert r.counts == {"tier_overrides": 1, "exports": 1, "access": 0, "roles": 2, "lockouts": 2, "sessions": 1}
    assert r.chain.ok and dict(r.chain_rows)["Audit chain"] == "intact"
    for section in r.sections:  # never a secret value
        assert all("$argon2" not in str(v) and "[redacted]" not in str(v) for row in section.rows for v in row)


def test_another_quarter_holds_only_its_own_operations(quarter_activity, db, system):
    r = run_review(db, system, "2026Q2")
    assert [(row[2], row[3]) for row in r.section(audit_review.LOCKOUTS).rows] == [
        ("account locked by an administrator", "M001"), ("account unlocked", "M001")]
    assert r.counts["tier_overrides"] == r.counts["exports"] == r.counts["roles"] == r.counts["sessions"] == 0


def test_the_review_is_audited_with_its_counts(quarter_activity, db, system):
    r = run_review(db, system)
    logged = events(db, "audit.review")[-1]
    details = json.loads(logged.changes)
    assert (logged.actor_no, logged.entity_id, details["quarter"]) == (system.employee_no, "2026Q3", "2026Q3")
    assert details["counts"] == r.counts and details["chain"] == "intact"
    with db.session() as s:
        assert audit.verify_chain(s).ok


def test_the_xlsx_file_holds_a_sheet_per_section_and_is_audited(quarter_activity, db, system, tmp_path):
    r = run_review(db, system)
    with db.session(write=True) as s:
        result = audit_review.export_review(s, system, r, tmp_path / "review.xlsx", clock=FakeClock(LATER))
    wb = load_workbook(result.path)
    assert wb.sheetnames[:1] == ["Summary"]
    assert {"Tier overrides", "Exports", "Roles and permissions", "Unlocks and lockouts",
            "Sessions ended by admins", "Export"} <= set(wb.sheetnames)
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Quarter"] == "2026Q3" and summary["Tier overrides"] == 1 and summary["Audit chain"] == "intact"
    lock_rows = list(wb["Unlocks and lockouts"].iter_rows(min_row=2, values_only=True))
    assert [(row[2], row[3]) for row in lock_rows] == [("account locked by an administrator", "T001"),
                                                       ("account unlocked", "T001")]
    tier = list(wb["Tier overrides"].iter_rows(min_row=2, values_only=True))
    assert tier[0][2:] == ("C0001", "mass → vip", "Long-standing family account")
    logged = json.loads(events(db, "export.audit_review")[-1].changes)
    assert (logged["rows"], logged["sha256"], logged["quarter"]) == (result.rows, result.sha256, "2026Q3")
    # The next quarter's review lists this export.
    with db.session(write=True) as s:
        later = audit_review.review(s, system, audit_review.parse_quarter("2026Q4", clock=FakeClock(LATER)),
                                    clock=FakeClock(LATER))
    assert [row[2] for row in later.section(audit_review.EXPORTS).rows] == ["audit review"]


def test_only_an_administrator_reviews(quarter_activity, db, clock):
    with db.session(write=True) as s:
        manager = auth.authenticate(s, "M001", PASSWORD, clock=clock)
    with db.session(write=True) as s, pytest.raises(PermissionDenied):
        audit_review.review(s, manager, audit_review.parse_quarter("2026Q3", clock=FakeClock(LATER)))
    assert events(db, "audit.review") == []


@pytest.mark.parametrize("text", ["2026Q5", "2026-3", "Q3 2026", "", "20260Q1"])
def test_a_quarter_must_read_like_2026Q3(text):
    with pytest.raises(ValidationError, match="quarter like 2026Q3"):
        audit_review.parse_quarter(text, clock=FakeClock(LATER))


def test_a_quarter_that_has_not_begun_is_refused():
    with pytest.raises(ValidationError, match="2027Q1 has not begun"):
        audit_review.parse_quarter("2027Q1", clock=FakeClock(LATER))
    q = audit_review.parse_quarter("2026-q4", clock=FakeClock(LATER))  # the running quarter is fine
    assert (q.start.date(), q.end.date()) == (date(2026, 10, 1), date(2027, 1, 1))


# -- ocrm audit review ----------------------------------------------------------------------------

def test_cli_review_prints_each_section_and_writes_the_file(quarter_activity, db_url, db, tmp_path):
    out = tmp_path / "q3.xlsx"
    result = runner.invoke(app, ["audit", "review", "--quarter", "2026Q3", "--out", str(out), "--db", db_url])
    assert result.exit_code == 0, result.output
    for title in ("Tier overrides (1)", "Exports (1)", "Unlocks and lockouts (2)", "Roles and permissions (2)",
                  "Sessions ended by admins (1)", "Audit chain"):
        assert title in result.stdout
    assert "Access requests and grants: none" in result.stdout
    assert "C0001" in result.stdout and "lockout.max_" in result.stdout  # (a narrow terminal folds cells)
    logged = json.loads(events(db, "export.audit_review")[-1].changes)
    assert f"SHA-256 {logged['sha256']}" in result.stdout
    # The table lists the quarter's exports (the staff report), not the file written now.
    assert logged["sha256"][:12] not in result.stdout.split("Review 2026Q3 written")[0]
    assert load_workbook(out)["Tier overrides"]["C2"].value == "C0001"

    again = runner.invoke(app, ["audit", "review", "--quarter", "2026Q3", "--out", str(out), "--db", db_url])
    assert again.exit_code == 1 and "already exists" in again.stderr
    forced = runner.invoke(app, ["audit", "review", "--quarter", "2026Q3", "--out", str(out), "--force",
                                 "--db", db_url])
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize("args", [["--quarter", "2026Q7"], ["--quarter", "2999Q1"], []])
def test_cli_review_bad_usage_exits_2(db_url, args):
    result = runner.invoke(app, ["audit", "review", *args, "--db", db_url])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_access_requests_and_grants_are_listed_with_who_asked_and_for_whom(quarter_activity, db, system):
    from ocrm_tui.services import access

    q3 = FakeClock(Q3)
    with db.session(write=True) as s:
        rm_r001 = auth.authenticate(s, "R001", PASSWORD, clock=q3)
    with db.session(write=True) as s:
        request = access.request_customers(s, rm_r001, reason="Customer moved from another branch", hours=24,
                                           customer_nos=["C0001"], clock=q3)
    with db.session(write=True) as s:
        admin = auth.authenticate(s, "A001", PASSWORD, clock=q3)
        access.approve(s, admin, request.id, note="ok", clock=q3)
    rows = run_review(db, system).section(audit_review.ACCESS).rows
    assert sorted((row[1], row[2], row[3], row[4], row[5]) for row in rows) == sorted([
        ("李客户经理 (R001)", "requested", str(request.id), "R001", ""),
        ("系统管理员 (A001)", "approved", str(request.id), "R001", ""),
        ("系统管理员 (A001)", "access granted", str(request.id), "R001", "C0001"),
    ])
    assert all("[redacted]" not in str(v) for row in rows for v in row)
