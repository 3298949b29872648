"""The audit trail records every change once, hides secrets, and detects tampering."""

import json

from sqlalchemy import text
from sqlmodel import select

from ocrm_tui.db.models import AuditRecord, Customer
from ocrm_tui.services import audit, auth, users
from ocrm_tui.services.orgs import get_org_by_code
from tests.conftest import remove_audit_protection, PASSWORD


def records(db):
    with db.session() as s:
        return list(s.exec(select(AuditRecord).order_by(AuditRecord.seq)))


def test_changes_and_security_events_are_recorded_by_the_session(branch, db, clock, system):
    with db.session(write=True) as s:
        try:
            auth.authenticate(s, "T001", "bad-password", clock=clock)
        except Exception:
            pass
    with db.session(write=True) as s:
        users.unlock_user(s, system, "T001", clock=clock)
    events = [r.event for r in records(db)]
    assert events.count("organisation.create") == len(branch.ORGS)
    assert events.count("staff_user.create") == len(branch.USERS)
    assert "login.failure" in events and "user.unlock" in events
    unlock = [r for r in records(db) if r.event == "user.unlock"][-1]
    assert unlock.actor_no == system.employee_no
    assert json.loads(unlock.changes)["failed_attempts"] == [1, 0]


def test_password_hashes_never_reach_the_trail(branch, db, clock, system):
    with db.session(write=True) as s:
        users.set_password(s, system, "R001", "another-pass-9", clock=clock)
    for r in records(db):
        assert "$argon2" not in r.changes
    reset = [r for r in records(db) if r.event == "user.password_reset"][-1]
    assert json.loads(reset.changes)["password_hash"] == ["[redacted]", "[redacted]"]


def test_update_records_before_and_after_of_changed_fields_only(branch, db, system):
    with db.session(write=True) as s:
        audit.acting_as(s, system)
        c = Customer(customer_no="C1", name="张伟", mobile="13800001234", org_id=get_org_by_code(s, "O1").id)
        s.add(c)
        s.commit()
        c.mobile = "13900005678"
        s.commit()
    last = records(db)[-1]
    assert (last.event, last.entity, last.entity_id) == ("customer.update", "customer", str(c.id))
    changes = json.loads(last.changes)
    assert changes["mobile"] == ["13800001234", "13900005678"]
    assert set(changes) == {"mobile"}


def test_log_event_writes_a_record_without_a_row_change(branch, db, system):
    with db.session(write=True) as s:
        audit.acting_as(s, system)
        audit.log_event(s, "customer.unmask", "customer", 42, {"field": "mobile"})
        s.commit()
    last = records(db)[-1]
    assert (last.action, last.event, last.entity_id) == ("event", "customer.unmask", "42")


def test_verify_passes_on_an_untouched_chain(branch, db):
    with db.session() as s:
        report = audit.verify_chain(s)
    assert report.ok and report.checked == len(records(db)) > 0


def test_verify_finds_an_edited_record(branch, db):
    target = records(db)[3]
    with db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("UPDATE audit_record SET changes = :c WHERE seq = :s"), {"c": "{}", "s": target.seq})
    with db.session() as s:
        report = audit.verify_chain(s)
    assert (report.ok, report.broken_seq, report.reason) == (False, target.seq, "altered")


def test_verify_finds_a_deleted_record(branch, db):
    target = records(db)[2]
    with db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": target.seq})
    with db.session() as s:
        report = audit.verify_chain(s)
    assert (report.ok, report.broken_seq, report.reason) == (False, target.seq, "missing")


def test_verify_finds_a_deleted_and_renumbered_record(branch, db):
    """Deleting a record and closing the gap still breaks the hash links."""
    target = records(db)[2]
    with db.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": target.seq})
        conn.execute(text("UPDATE audit_record SET seq = seq - 1 WHERE seq > :s"), {"s": target.seq})
    with db.session() as s:
        report = audit.verify_chain(s)
    assert report.ok is False and report.broken_seq == target.seq


def test_list_filters_by_user_and_entity(branch, db, clock):
    with db.session(write=True) as s:
        auth.authenticate(s, "R001", PASSWORD, clock=clock)
    with db.session() as s:
        mine = audit.list_records(s, actor_no="R001")
        orgs_only = audit.list_records(s, entity="organisation", limit=1000)
    assert mine and all(r.actor_no == "R001" for r in mine)
    assert len(orgs_only) == len(branch.ORGS)


def test_the_database_refuses_to_edit_or_delete_audit_records(branch, db):
    import pytest
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE audit_record SET changes = '{}' WHERE seq = 1", "DELETE FROM audit_record WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.session() as s:
        assert audit.verify_chain(s).ok
