"""`ocrm access …` and the approved unmasked target export, through Typer's CliRunner on
SQLite and PostgreSQL: staff act with --as, and decide or export full values in person (their
password, asked for or read with --password-stdin); decisions and refusals give exit codes
0/1/2, and the file with full values is read back and matched with its audit event."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from ocrm_tui.db.models import AccessRequest, Customer, LoginAttempt, StaffUser
from ocrm_tui.services import auth, scope, users
from ocrm_tui.services.errors import NotFoundError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.users import get_user
from tests.conftest import PASSWORD
from tests.test_cli_campaigns import audit_events, live, ocrm, one_line_error, read_csv, sha256  # noqa: F401

IN_PERSON = PASSWORD + "\n"  # the --as member's password, on standard input (--password-stdin)


def add_customers(db) -> dict[str, int]:
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "X1")}
        for no, org_code in [("C0003", "O1"), ("C0004", "X1")]:
            s.add(Customer(customer_no=no, name="客户" + no, mobile="1380000" + no[-4:], org_id=org[org_code]))
        s.commit()
        return dict(s.execute(select(Customer.customer_no, Customer.id)).all())


def r001_opens(db, customer_id) -> bool:
    with db.session() as s:
        try:
            scope.get_customer_in_scope(s, auth.actor_for(s, get_user(s, "R001")), customer_id)
            return True
        except NotFoundError:
            return False


def request_no(result) -> int:
    return int(re.search(r"Request (\d+)", result.stdout).group(1))


def test_a_request_through_its_decision(db_url, db, branch):
    ids = add_customers(db)
    assert ocrm("access", "request", "--customers", "C0003,C0004", "--reason", "joint visit", "--hours", "8",
                "--db", db_url).exit_code == 2  # who asks?
    both = ocrm("access", "request", "--customers", "C0003", "--campaign-filter", "1", "--reason", "x", "--hours", "8",
                "--as", "R001", "--db", db_url)
    assert both.exit_code == 2
    too_long = ocrm("access", "request", "--customers", "C0003", "--reason", "joint visit", "--hours", "100",
                    "--as", "R001", "--db", db_url)
    assert too_long.exit_code == 1 and "1–72 hours" in one_line_error(too_long)
    asked = ocrm("access", "request", "--customers", "C0003,C0004", "--reason", "joint visit", "--hours", "8",
                 "--as", "R001", "--db", db_url)
    assert asked.exit_code == 0, asked.output
    rid = request_no(asked)
    assert "pending" in asked.stdout

    mine = ocrm("access", "list", "--as", "R001", "--db", db_url)
    assert mine.exit_code == 0 and "joint visit" in mine.stdout and "pending" in mine.stdout
    waiting = ocrm("access", "list", "--pending", "--as", "M001", "--db", db_url)
    assert waiting.exit_code == 0 and "李客户经理" in waiting.stdout and "(R001)" in waiting.stdout
    assert "No request waits" in ocrm("access", "list", "--pending", "--as", "M900", "--db", db_url).stdout
    assert "李客户经理" in ocrm("access", "list", "--pending", "--db", db_url).stdout  # the server's administrator

    own = ocrm("access", "approve", str(rid), "--as", "R001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert own.exit_code == 1 and "cannot approve your own request" in one_line_error(own)
    other = ocrm("access", "approve", str(rid), "--as", "M900", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert other.exit_code == 1 and "requester's manager" in one_line_error(other)
    server = ocrm("access", "approve", str(rid), "--db", db_url)
    assert server.exit_code == 1 and "named member of staff" in one_line_error(server)
    assert ocrm("access", "reject", str(rid), "--as", "M001", "--db", db_url).exit_code == 2  # --note is required

    # On a terminal the password is asked for, hidden.
    approved = ocrm("access", "approve", str(rid), "--note", "ok", "--as", "M001", "--db", db_url, input=IN_PERSON)
    assert approved.exit_code == 0, approved.output
    assert "Password of M001" in approved.stderr and PASSWORD not in approved.output
    assert "approved" in approved.stdout and "Granted: 1 customers." in approved.stdout
    assert "not granted: C0004" in approved.stdout
    assert r001_opens(db, ids["C0003"]) and not r001_opens(db, ids["C0004"])
    again = ocrm("access", "approve", str(rid), "--as", "A001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert again.exit_code == 1 and "no longer pending" in one_line_error(again)

    revoked = ocrm("access", "revoke", str(rid), "--note", "visit cancelled", "--as", "M001", "--password-stdin",
                   "--db", db_url, input=IN_PERSON)
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert not r001_opens(db, ids["C0003"])
    assert [e.event for e in audit_events(db, "access.revoke")] == ["access.revoke"]


def test_withdraw_and_reject(db_url, db, branch):
    add_customers(db)
    first = request_no(ocrm("access", "request", "--customers", "C0003", "--reason", "visit", "--hours", "2",
                            "--as", "R001", "--db", db_url))
    not_mine = ocrm("access", "withdraw", str(first), "--as", "R002", "--db", db_url)
    assert not_mine.exit_code == 1 and "No such access request" in one_line_error(not_mine)
    withdrawn = ocrm("access", "withdraw", str(first), "--as", "R001", "--db", db_url)
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.stdout
    second = request_no(ocrm("access", "request", "--customers", "C0003", "--reason", "visit", "--hours", "2",
                             "--as", "R001", "--db", db_url))
    rejected = ocrm("access", "reject", str(second), "--note", "ask the RM of record", "--as", "M001",
                    "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert rejected.exit_code == 0 and "rejected" in rejected.stdout
    with db.session() as s:
        statuses = dict(s.execute(select(AccessRequest.id, AccessRequest.status)).all())
    assert statuses == {first: "withdrawn", second: "rejected"}
    assert ocrm("access", "approve", "999", "--as", "M001", "--password-stdin", "--db", db_url,
                input=IN_PERSON).exit_code == 1


def test_an_unmasked_target_export_end_to_end(db_url, db, live, tmp_path):  # noqa: F811
    out = tmp_path / "targets.csv"
    refused = ocrm("export", "targets", str(live), "--out", str(out), "--unmasked", "--as", "M001", "--db", db_url)
    assert refused.exit_code == 1
    assert f"ocrm access request-export --what targets:{live}" in one_line_error(refused)
    assert ocrm("export", "targets", str(live), "--out", str(out), "--request", "1", "--as", "M001",
                "--db", db_url).exit_code == 2  # --request without --unmasked
    bad = ocrm("access", "request-export", "--what", "targets:all", "--purpose", "p", "--hours", "4", "--as", "M001",
               "--db", db_url)
    assert bad.exit_code == 1 and "targets:<campaign no.>" in one_line_error(bad)

    asked = ocrm("access", "request-export", "--what", f"targets:{live}", "--purpose", "roadshow call list",
                 "--hours", "4", "--as", "M001", "--db", db_url)
    assert asked.exit_code == 0, asked.output
    rid = request_no(asked)
    early = ocrm("export", "targets", str(live), "--out", str(out), "--unmasked", "--request", str(rid),
                 "--as", "M001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert early.exit_code == 1 and "not approved" in one_line_error(early) and not out.exists()
    assert ocrm("access", "approve", str(rid), "--as", "A001", "--password-stdin", "--db", db_url,
                input=IN_PERSON).exit_code == 0

    # Full values leave only with the exporter there in person.
    wrong = ocrm("export", "targets", str(live), "--out", str(out), "--unmasked", "--request", str(rid),
                 "--as", "M001", "--password-stdin", "--db", db_url, input="not-my-password\n")
    assert wrong.exit_code == 1 and "Wrong employee number or password" in one_line_error(wrong)
    assert not out.exists() and audit_events(db, "access.use") == []
    done = ocrm("export", "targets", str(live), "--out", str(out), "--unmasked", "--request", str(rid),
                "--as", "M001", "--db", db_url, input=IN_PERSON)
    assert done.exit_code == 0, done.output
    assert "Password of M001" in done.stderr
    assert "full names and mobiles" in done.stdout
    header, *rows, blank, footer = read_csv(out)
    assert {r[0]: r[1:3] for r in rows}["9300000000"] == ["张伟", "13900000001"]
    assert footer[0].endswith(f"unmasked, approved by 系统管理员 (A001) under request {rid}")
    (event,) = audit_events(db, "export.targets")
    details = json.loads(event.changes)
    assert (event.actor_no, details["masked"], details["request"]) == ("M001", False, rid)
    assert details["sha256"] == sha256(out)
    (use,) = audit_events(db, "access.use")
    assert use.actor_no == "M001"

    twice = ocrm("export", "targets", str(live), "--out", str(tmp_path / "again.csv"), "--unmasked",
                 "--request", str(rid), "--as", "M001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert twice.exit_code == 1 and "used already" in one_line_error(twice)
    assert not (tmp_path / "again.csv").exists()


def test_a_decision_is_made_in_person_and_a_wrong_password_counts_towards_the_lockout(db_url, db, branch):
    add_customers(db)
    # Asking, listing and withdrawing need no password: nothing is decided and no value leaves.
    asked = ocrm("access", "request", "--customers", "C0003", "--reason", "visit", "--hours", "2", "--as", "R001",
                 "--db", db_url)
    assert asked.exit_code == 0 and "Password" not in asked.stderr
    rid = request_no(asked)
    assert ocrm("access", "list", "--pending", "--as", "M001", "--db", db_url).exit_code == 0

    def pending() -> bool:
        with db.session() as s:
            return s.get(AccessRequest, rid).status == "pending"

    no_line = ocrm("access", "approve", str(rid), "--as", "M001", "--password-stdin", "--db", db_url, input="")
    assert no_line.exit_code == 2 and "Expected the password on standard input" in one_line_error(no_line)
    for command in (["approve", str(rid)], ["reject", str(rid), "--note", "no"], ["revoke", str(rid), "--note", "no"]):
        wrong = ocrm("access", *command, "--as", "M001", "--password-stdin", "--db", db_url, input="guess-0000\n")
        assert wrong.exit_code == 1 and one_line_error(wrong).endswith("Wrong employee number or password"), command
    assert pending()
    with db.session() as s:
        attempts = s.scalars(select(LoginAttempt).where(LoginAttempt.employee_no == "M001")).all()
        assert [(a.purpose, a.success, a.outcome) for a in attempts] == [("cli", False, "wrong_password")] * 3
        assert all(a.terminal.startswith("cli@") for a in attempts)
    assert [e.actor_no for e in audit_events(db, "cli.failure")] == ["M001"] * 3

    # Like any login: the fifth wrong password in a row locks the account, and then even the right one is refused.
    for _ in range(2):
        ocrm("access", "approve", str(rid), "--as", "M001", "--password-stdin", "--db", db_url, input="guess-0000\n")
    locked = ocrm("access", "approve", str(rid), "--as", "M001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert locked.exit_code == 1 and "This account is locked" in one_line_error(locked)
    assert pending()
    with db.session() as s:
        assert s.scalar(select(StaffUser.locked_until).where(StaffUser.employee_no == "M001")) is not None
    assert ocrm("user", "unlock", "M001", "--db", db_url).exit_code == 0
    approved = ocrm("access", "approve", str(rid), "--as", "M001", "--password-stdin", "--db", db_url, input=IN_PERSON)
    assert approved.exit_code == 0, approved.output
    assert [e.actor_no for e in audit_events(db, "cli.success")] == ["M001"]
    assert [e.actor_no for e in audit_events(db, "access.approve")] == ["M001"]


def test_an_export_request_needs_the_right_to_see_full_values(db_url, db, live):  # noqa: F811
    with db.session(write=True) as s:
        users.set_unmask(s, auth.actor_for(s, get_user(s, "A001")), "M001", "withdraw")
    refused = ocrm("access", "request-export", "--what", f"targets:{live}", "--purpose", "call list", "--hours", "4",
                   "--as", "M001", "--db", db_url)
    assert refused.exit_code == 1 and "right to see full customer values" in one_line_error(refused)
    with db.session() as s:
        assert s.scalar(select(AccessRequest.id)) is None
