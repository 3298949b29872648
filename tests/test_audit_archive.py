"""Audit retention: records older than the retention period move to one verified archive
file, the chain in the database continues from the archive's anchor, tampering with either
is found, and a cut that fails leaves everything as it was."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ocrm_tui.cli import app, audit_cmd
from ocrm_tui.db.models import AuditArchive, AuditRecord, LoginAttempt
from ocrm_tui.services import audit, audit_archive, auth, orgs, settings, users
from ocrm_tui.services.clock import FakeClock
from ocrm_tui.db import migrate
from ocrm_tui.services.errors import AuthenticationError, PermissionDenied, ValidationError
from tests.conftest import PASSWORD, remove_audit_protection

runner = CliRunner()
OLD = datetime(2021, 3, 1, 9, 0, tzinfo=timezone.utc)  # more than four years before TODAY
MIDDLE = datetime(2022, 6, 1, 9, 0, tzinfo=timezone.utc)
RECENT = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
TODAY = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
CUT = date(2022, 1, 1)


@pytest.fixture
def trail(db, system):
    """Staff created and logging in (one wrong password) in 2021, again in 2022 and in 2025."""
    old = FakeClock(OLD)
    with db.session(write=True) as s:
        audit.acting_as(s, system, clock=old)
        orgs.add_org(s, system, code="HO", name="总行", level="head")
        orgs.add_org(s, system, code="O1", name="人民路网点", level="outlet", parent_code="HO")
    with db.session(write=True) as s:
        users.add_user(s, system, employee_no="T001", name="陈柜员", role="teller", org_code="O1", password=PASSWORD,
                       clock=old)
    for when in (OLD, MIDDLE, RECENT):
        with db.session(write=True) as s, pytest.raises(AuthenticationError):
            auth.authenticate(s, "T001", "wrong-password", clock=FakeClock(when))
        with db.session(write=True) as s:
            auth.authenticate(s, "T001", PASSWORD, clock=FakeClock(when))
    return db


@pytest.fixture
def folder(tmp_path) -> Path:
    """Where archive files go (the SQLite database file sits in tmp_path itself)."""
    path = tmp_path / "archives"
    path.mkdir()
    return path


def counts(db):
    with db.session() as s:
        return (s.execute(select(func.count()).select_from(AuditRecord)).scalar(),
                s.execute(select(func.count()).select_from(LoginAttempt)).scalar(),
                s.execute(select(func.count()).select_from(AuditArchive)).scalar())


def seqs_before(db, when):
    with db.session() as s:
        return list(s.scalars(select(AuditRecord.seq).where(AuditRecord.at < when).order_by(AuditRecord.seq)))


def archive(db, actor, before=CUT, path=None, **kw):
    with db.session() as s:
        return audit_archive.archive(s, actor, before, path, clock=FakeClock(TODAY), **kw)


def lines(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_records_before_the_cut_move_to_a_file_that_verifies(trail, system, folder):
    db = trail
    moved = seqs_before(db, datetime(2022, 1, 1, tzinfo=timezone.utc))
    records_before, attempts_before, _ = counts(db)
    out = folder / "audit-2021.jsonl.gz"
    done = archive(db, system, path=out)

    assert (done.first_seq, done.last_seq, done.records, done.login_attempts) == (1, moved[-1], len(moved), 2)
    with db.session() as s:
        left = list(s.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
        assert left[0] == done.last_seq + 1
        assert s.execute(select(func.min(LoginAttempt.at))).scalar() >= datetime(2022, 1, 1, tzinfo=timezone.utc)
        anchor = s.scalars(select(AuditArchive)).one()
    records_after, attempts_after, _ = counts(db)
    assert records_after == records_before - len(moved) + 1  # + the audit.archive record
    assert attempts_after == attempts_before - 2
    assert (anchor.last_seq, anchor.last_hash, anchor.file_sha256, anchor.archived_by) == (
        done.last_seq, done.last_hash, done.sha256, system.employee_no)

    content = lines(out)
    assert content[0]["format"] == "ocrm-audit-archive" and content[0]["prev_hash"] == audit.GENESIS
    assert [c["seq"] for c in content if c.get("type") == "record"] == moved
    assert [c["outcome"] for c in content if c.get("type") == "login_attempt"] == ["wrong_password", "ok"]
    assert content[-1]["type"] == "end"

    check = audit_archive.verify_archive(out)
    assert check.ok and (check.records, check.login_attempts, check.last_hash) == (len(moved), 2, done.last_hash)
    with db.session() as s:
        report = audit.verify_chain(s)
        assert report.ok and report.anchor_seq == done.last_seq
        event = s.scalars(select(AuditRecord).where(AuditRecord.event == "audit.archive")).one()
        both = audit_archive.verify_archives(s, [out])
    assert event.seq > done.last_seq
    named = json.loads(event.changes)
    assert (named["last_seq"][1], named["last_hash"][1], named["file_sha256"][1]) == (
        done.last_seq, done.last_hash, done.sha256)
    assert both.continues and both.files[0].ok

    with db.session(write=True) as s:  # the trail goes on after the cut
        users.lock_user(s, system, "T001", clock=FakeClock(TODAY))
    with db.session() as s:
        assert audit.verify_chain(s).ok


def test_the_database_still_refuses_ordinary_deletes_and_edits(trail, system, folder):
    done = archive(trail, system, path=folder / "a.jsonl")
    for statement in (f"DELETE FROM audit_record WHERE seq = {done.last_seq + 1}",
                      f"UPDATE audit_record SET changes = '{{}}' WHERE seq = {done.last_seq + 1}",
                      "DELETE FROM audit_archive", "UPDATE audit_archive SET last_hash = 'x'"):
        with pytest.raises(DBAPIError, match="append-only"), trail.engine.begin() as conn:
            conn.execute(text(statement))
    with trail.session() as s:
        assert audit.verify_chain(s).ok


def test_an_edited_remaining_record_is_found(trail, system, folder):
    done = archive(trail, system, path=folder / "a.jsonl")
    target = done.last_seq + 2
    with trail.engine.begin() as conn:
        remove_audit_protection(conn)
        conn.execute(text("UPDATE audit_record SET changes = '{}' WHERE seq = :s"), {"s": target})
    with trail.session() as s:
        report = audit.verify_chain(s)
    assert (report.ok, report.broken_seq, report.reason) == (False, target, "altered")


def test_an_anchor_that_the_trail_does_not_name_is_found(trail, system, folder):
    archive(trail, system, path=folder / "a.jsonl")
    with trail.session() as s:
        head = audit.verify_chain(s)
    with trail.session(write=True) as s:  # a made-up cut, to hide the records before it
        s.add(AuditArchive(archived_by="x", before_at=TODAY, first_seq=1, last_seq=head.head_seq,
                           last_hash=head.head_hash, records=head.head_seq, login_attempts=0, file_name="x",
                           file_sha256="0" * 64))
        s.commit()
    with trail.session() as s:
        report = audit.verify_chain(s)
    assert (report.ok, report.reason, report.broken_seq) == (False, "anchor", head.head_seq)


def test_an_edited_archive_file_is_found(trail, system, folder):
    out = folder / "a.jsonl"
    archive(trail, system, path=out)
    original = out.read_text(encoding="utf-8").splitlines(keepends=True)

    record_edited = [line.replace("T001", "T009") if '"type":"record"' in line else line for line in original]
    out.write_text("".join(record_edited), encoding="utf-8")
    check = audit_archive.verify_archive(out)
    assert (check.ok, check.problem) == (False, "altered")

    attempt_edited = [line.replace('"success":false', '"success":true') for line in original]
    out.write_text("".join(attempt_edited), encoding="utf-8")
    assert audit_archive.verify_archive(out).problem == "sha256"

    # Even with a new closing line, the file is not the one the database recorded for the cut.
    body = "".join(attempt_edited[:-1])
    out.write_text(body + json.dumps({"type": "end", "sha256": hashlib.sha256(body.encode()).hexdigest()},
                                     separators=(",", ":")) + "\n", encoding="utf-8")
    assert audit_archive.verify_archive(out).ok
    with trail.session() as s:
        report = audit_archive.verify_archives(s, [out])
    assert (report.files[0].ok, report.files[0].problem, report.continues) == (False, "file", False)

    out.write_text("".join(original[:3]), encoding="utf-8")  # cut short
    assert audit_archive.verify_archive(out).problem == "format"


def test_a_second_archive_continues_from_the_first(trail, system, folder):
    first = archive(trail, system, path=folder / "a1.jsonl")
    second = archive(trail, system, before=date(2023, 1, 1), path=folder / "a2.jsonl.gz")
    assert second.first_seq == first.last_seq + 1 and second.login_attempts == 2
    assert lines(second.path)[0]["prev_hash"] == first.last_hash
    with trail.session() as s:
        assert audit.verify_chain(s).anchor_seq == second.last_seq and audit.verify_chain(s).ok
        assert audit_archive.verify_archives(s, [first.path, second.path]).continues
        only_first = audit_archive.verify_archives(s, [first.path])
        wrong_order = audit_archive.verify_archives(s, [second.path, first.path])
    assert only_first.files[0].ok and not only_first.continues
    assert wrong_order.files[-1].problem == "prev"


def test_a_cut_inside_the_retention_period_is_refused(trail, system, folder):
    before = counts(trail)
    with pytest.raises(ValidationError, match=r"kept 3 years \(setting retention.years\): archive before 2023-11-02"):
        archive(trail, system, before=date(2024, 1, 1), path=folder / "a.jsonl")
    with trail.session(write=True) as s:
        audit.acting_as(s, system)
        settings.set_setting(s, "retention.years", 5)
        s.commit()
    with pytest.raises(ValidationError, match="kept 5 years.*2021-11-02"):
        archive(trail, system, path=folder / "a.jsonl")
    assert counts(trail)[0] == before[0] + 1  # only the setting's own record
    assert list(folder.iterdir()) == []


def test_nothing_to_archive_writes_nothing(trail, system, folder):
    with pytest.raises(ValidationError, match="Nothing to archive"):
        archive(trail, system, before=date(2020, 1, 1), path=folder / "a.jsonl")
    archive(trail, system, path=folder / "a.jsonl")
    with pytest.raises(ValidationError, match="Nothing to archive"):
        archive(trail, system, path=folder / "b.jsonl")
    assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl"]


def test_only_an_administrator_archives(trail, folder):
    with trail.session(write=True) as s:
        teller = auth.authenticate(s, "T001", PASSWORD, clock=FakeClock(TODAY))
    with pytest.raises(PermissionDenied):
        archive(trail, teller, path=folder / "a.jsonl")


def test_a_file_that_cannot_be_written_leaves_everything_as_it_was(trail, system, folder, monkeypatch):
    before = counts(trail)

    def broken(*_args):
        yield {"type": "login_attempt"}
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_archive, "_attempt_lines", broken)
    with pytest.raises(ValidationError, match="Could not write the archive file .*No space left on device"):
        archive(trail, system, path=folder / "a.jsonl")
    assert counts(trail) == before
    assert list(folder.iterdir()) == []  # no file, no temporary file
    with trail.session() as s:
        assert audit.verify_chain(s).ok


def test_a_failed_commit_takes_the_file_away_again(trail, system, folder, monkeypatch):
    before = counts(trail)
    with trail.session(write=True) as s:
        def refuse():
            raise RuntimeError("the connection was lost")

        monkeypatch.setattr(s, "commit", refuse)
        with pytest.raises(RuntimeError):
            audit_archive.archive(s, system, CUT, folder / "a.jsonl", clock=FakeClock(TODAY))
    assert counts(trail) == before
    assert list(folder.iterdir()) == []


# -- an archive never replaces a file ---------------------------------------------------------------

def test_an_existing_file_is_never_replaced(trail, system, folder):
    out = folder / "a.jsonl"
    out.write_text("the branch's own notes\n", encoding="utf-8")
    before = counts(trail)
    with pytest.raises(ValidationError, match="already exists; an archive never replaces a file"):
        archive(trail, system, path=out)
    assert out.read_text(encoding="utf-8") == "the branch's own notes\n"
    assert counts(trail) == before and [p.name for p in folder.iterdir()] == ["a.jsonl"]


def test_a_name_taken_while_the_file_is_written_is_kept(trail, system, folder, monkeypatch):
    out = folder / "a.jsonl"
    before = counts(trail)
    real = audit_archive.verify_archive

    def someone_writes_the_name(path, **kw):
        out.write_text("written meanwhile\n", encoding="utf-8")
        return real(path, **kw)

    monkeypatch.setattr(audit_archive, "verify_archive", someone_writes_the_name)
    with pytest.raises(ValidationError, match="already exists; an archive never replaces a file"):
        archive(trail, system, path=out)
    assert out.read_text(encoding="utf-8") == "written meanwhile\n"
    assert counts(trail) == before and [p.name for p in folder.iterdir()] == ["a.jsonl"]  # no temporary file


def test_a_file_name_an_earlier_cut_recorded_is_refused(trail, system, folder, tmp_path):
    archive(trail, system, path=folder / "audit.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = counts(trail)
    with pytest.raises(ValidationError, match=r"archive file named audit.jsonl is already recorded \(the cut before"):
        archive(trail, system, before=date(2023, 1, 1), path=elsewhere / "audit.jsonl")
    (folder / "audit.jsonl").unlink()  # moved away: the name is still the recorded one
    with pytest.raises(ValidationError, match="already recorded"):
        archive(trail, system, before=date(2023, 1, 1), path=folder / "audit.jsonl")
    assert counts(trail) == before and list(elsewhere.iterdir()) == [] and list(folder.iterdir()) == []


def test_a_file_whose_content_is_already_recorded_is_refused(trail, system, folder, monkeypatch):
    first = archive(trail, system, path=folder / "a1.jsonl")
    written = []

    def stop(session, actor, p, result, clock):
        written.append(result.sha256)
        raise RuntimeError("stopped before the cut")

    with monkeypatch.context() as m:  # learn what the next file will hold (the clock is fixed)
        m.setattr(audit_archive, "_cut", stop)
        with pytest.raises(RuntimeError):
            archive(trail, system, before=date(2023, 1, 1), path=folder / "a2.jsonl")
    assert list(folder.iterdir()) == [folder / "a1.jsonl"]
    with trail.session(write=True) as s:  # the same file, recorded under another name
        s.add(AuditArchive(archived_by="x", before_at=OLD, first_seq=0, last_seq=0, last_hash=audit.GENESIS,
                           records=0, login_attempts=0, file_name="copy.jsonl", file_sha256=written[0]))
        s.commit()
    before = counts(trail)
    with pytest.raises(ValidationError, match=r"same content is already recorded \(.*copy.jsonl\)"):
        archive(trail, system, before=date(2023, 1, 1), path=folder / "a2.jsonl")
    assert counts(trail) == before and sorted(p.name for p in folder.iterdir()) == ["a1.jsonl"]
    with trail.session() as s:
        assert audit.archive_anchor(s)[0] == first.last_seq


def test_the_folder_is_forced_to_disk_after_the_rename_before_the_commit(trail, system, folder, monkeypatch):
    out = folder / "a.jsonl"
    seen = []
    real = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            seen.append((out.exists(), counts(trail)[2]))  # the name is there; the cut is not committed yet
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    archive(trail, system, path=out)
    assert seen == [(True, 0)]
    assert counts(trail)[2] == 1


# -- what the database itself allows -------------------------------------------------------------

def refused(db, *statements, match="append-only"):
    with pytest.raises(DBAPIError, match=match), db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_declaring_an_archive_is_not_enough_to_delete_records(trail, system, folder, backend):
    archive(trail, system, path=folder / "a.jsonl")
    with trail.session() as s:
        head = audit.verify_chain(s)
    with trail.session(write=True) as s:  # a made-up cut over the remaining records, in its own transaction
        s.add(AuditArchive(archived_by="x", before_at=TODAY, first_seq=1, last_seq=head.head_seq,
                           last_hash=head.head_hash, records=head.head_seq, login_attempts=0, file_name="x",
                           file_sha256="0" * 64))
        s.commit()
    delete = f"DELETE FROM audit_record WHERE seq = {head.head_seq - 1}"
    if backend == "postgres":
        refused(trail, "SELECT set_config('ocrm.archive', 'on', true)", delete)
        refused(trail, "SELECT set_config('ocrm.archive', 'on', true)", "DELETE FROM login_attempt")
        with trail.session() as s:
            assert audit.verify_chain(s).reason == "anchor"  # the made-up cut itself is found
            assert s.execute(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.seq == head.head_seq - 1)).scalar() == 1
    else:
        # SQLite's triggers only know the newest cut (and anyone who can write the file can drop them):
        # ocrm audit verify finds the made-up cut.
        with trail.engine.begin() as conn:
            conn.execute(text(delete))
        with trail.session() as s:
            report = audit.verify_chain(s)
        assert (report.ok, report.reason) == (False, "anchor")


def test_login_attempts_are_append_only(trail, system, folder, backend):
    refused(trail, "UPDATE login_attempt SET success = true")
    refused(trail, "DELETE FROM login_attempt")
    if backend == "postgres":
        refused(trail, "SELECT set_config('ocrm.archive', 'on', true)", "DELETE FROM login_attempt")
    done = archive(trail, system, path=folder / "a.jsonl")
    assert done.login_attempts == 2
    refused(trail, "UPDATE login_attempt SET outcome = 'ok'")
    refused(trail, "DELETE FROM login_attempt")  # all written after the cut's day
    with trail.session() as s:
        assert s.execute(select(func.count()).select_from(LoginAttempt)).scalar() == 4


def test_tables_of_the_trail_cannot_be_truncated(trail, backend):
    if backend != "postgres":
        pytest.skip("TRUNCATE is PostgreSQL's")
    before = counts(trail)
    for table in ("audit_record", "login_attempt", "audit_archive"):
        refused(trail, f"TRUNCATE {table} CASCADE", match=f"{table} is append-only")
    assert counts(trail) == before


# -- the cut is short and checks what it relies on -----------------------------------------------

def test_terminals_keep_working_while_the_file_is_written(trail, system, folder, monkeypatch):
    real = audit_archive.verify_archive
    logged_in = []

    def a_teller_logs_in(path, **kw):
        with trail.session(write=True) as s:
            logged_in.append(auth.authenticate(s, "T001", PASSWORD, clock=FakeClock(TODAY)))
        return real(path, **kw)

    monkeypatch.setattr(audit_archive, "verify_archive", a_teller_logs_in)
    done = archive(trail, system, path=folder / "a.jsonl")
    assert logged_in and done.login_attempts == 2
    with trail.session() as s:
        assert audit.verify_chain(s).ok
        assert s.execute(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= TODAY)).scalar() == 1


def test_a_trail_cut_meanwhile_is_refused_and_the_file_removed(trail, system, folder, monkeypatch):
    real = audit_archive.verify_archive
    others = []

    def another_admin_archives(path, **kw):
        if not others:
            others.append(True)
            others.append(archive(trail, system, path=folder / "other.jsonl"))
        return real(path, **kw)

    monkeypatch.setattr(audit_archive, "verify_archive", another_admin_archives)
    with pytest.raises(ValidationError, match="The audit trail changed meanwhile; nothing was archived. Run it again"):
        archive(trail, system, path=folder / "mine.jsonl")
    assert sorted(p.name for p in folder.iterdir()) == ["other.jsonl"]
    with trail.session() as s:
        assert audit.archive_anchor(s)[0] == others[1].last_seq
        assert audit.verify_chain(s).ok
        assert audit_archive.verify_archives(s, [folder / "other.jsonl"]).continues
    assert counts(trail)[2] == 1


def test_login_attempts_leave_only_with_audit_records(trail, system, folder):
    archive(trail, system, path=folder / "a1.jsonl")
    with trail.engine.begin() as conn:  # loaded from another system: no audit record of its own
        conn.execute(insert(LoginAttempt), [dict(employee_no="T001", at=datetime(2021, 6, 1, tzinfo=timezone.utc),
                                                  success=False, outcome="wrong_password", purpose="login",
                                                  terminal="")])
    with pytest.raises(ValidationError, match="the 1 login attempts before that day are archived only together "
                                              "with audit records: archive before a later day"):
        archive(trail, system, path=folder / "a2.jsonl")
    second = archive(trail, system, before=date(2023, 1, 1), path=folder / "a2.jsonl")
    assert second.records > 0 and second.login_attempts == 3
    assert [c["at"][:10] for c in lines(second.path) if c.get("type") == "login_attempt"] == [
        "2022-06-01", "2022-06-01", "2021-06-01"]
    with trail.session() as s:
        assert audit.verify_chain(s).ok


# -- the schema ----------------------------------------------------------------------------------

def downgrade(db, revision):
    from alembic import command

    cfg = migrate.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_the_schema_does_not_go_back_before_0007_after_a_cut(trail, system, folder):
    archive(trail, system, path=folder / "a.jsonl")
    with pytest.raises(RuntimeError, match="The audit trail has been archived .1 archive cut"):
        downgrade(trail, "0006")
    assert migrate.current_revision(trail.engine) == migrate.head_revision()
    with trail.session() as s:
        assert audit.verify_chain(s).ok and audit.archive_anchor(s) is not None


def test_without_a_cut_the_schema_goes_back_to_refusing_every_delete(db):
    # No staff: SQLite rebuilds staff_user on the way down, which its foreign keys refuse while staff exist.
    with db.session(write=True) as s:
        s.add(LoginAttempt(employee_no="T001", at=OLD, success=False, outcome="unknown_user", purpose="login",
                           terminal=""))
        s.commit()
    downgrade(db, "0006")
    assert migrate.current_revision(db.engine) == "0006"
    refused(db, "DELETE FROM audit_record WHERE seq = 1")
    with db.engine.begin() as conn:  # login attempts were not protected before 0007
        conn.execute(text("UPDATE login_attempt SET terminal = 'x'"))
    migrate.upgrade(db.engine)
    refused(db, "UPDATE login_attempt SET terminal = 'y'")


# -- ocrm audit archive / verify --archive ----------------------------------------------------------

def ocrm(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_cli_archive_and_verify(trail, db_url, folder):
    out = folder / "audit-2021.jsonl.gz"
    result = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--yes", "--db", db_url)
    assert result.exit_code == 0, result.output
    with trail.session() as s:
        anchor = s.scalars(select(AuditArchive)).one()
    assert f"SHA-256 {anchor.file_sha256}" in result.stdout
    assert f"continues after record {anchor.last_seq}" in result.stdout

    verified = ocrm("audit", "verify", "--archive", str(out), "--db", db_url)
    assert verified.exit_code == 0, verified.output
    assert f"records 1–{anchor.last_seq}" in verified.stdout and "audit chain intact" in verified.stdout
    assert f"archive cut after record {anchor.last_seq}" in verified.stdout

    data = gzip.decompress(out.read_bytes()).replace(b'"outcome":"ok"', b'"outcome":"locked"')
    out.write_bytes(gzip.compress(data))
    tampered = ocrm("audit", "verify", "--archive", str(out), "--db", db_url)
    assert tampered.exit_code == 1
    assert "content was changed" in tampered.stderr and "Traceback" not in tampered.output


def test_cli_archive_asks_on_a_terminal_and_refuses_without_one(trail, db_url, folder, monkeypatch):
    out = folder / "a.jsonl"
    before = counts(trail)
    no_terminal = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--db", db_url)
    assert no_terminal.exit_code == 2 and "--yes" in no_terminal.stderr
    monkeypatch.setattr(audit_cmd, "on_terminal", lambda: True)
    declined = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--db", db_url, input="n\n")
    assert declined.exit_code == 1 and "Nothing was archived." in declined.stderr
    assert counts(trail) == before and not out.exists()
    accepted = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--db", db_url, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "login attempts written before 2022-01-01" in accepted.stderr  # the question named what goes
    assert out.exists() and counts(trail)[2] == 1


def test_cli_archive_never_replaces_a_file(trail, db_url, folder, monkeypatch):
    out = folder / "a.jsonl"
    out.write_text("kept\n", encoding="utf-8")
    forced = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--yes", "--force", "--db", db_url)
    assert forced.exit_code == 2 and "No such option" in forced.stderr
    refused_ = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--yes", "--db", db_url)
    assert refused_.exit_code == 1 and "Traceback" not in refused_.output
    assert [line for line in refused_.stderr.splitlines() if line.strip()] == [
        f"Error: {out} already exists; an archive never replaces a file: choose another name"]
    monkeypatch.setattr(audit_cmd, "on_terminal", lambda: True)
    asked = ocrm("audit", "archive", "--before", "2022-01-01", "--out", str(out), "--db", db_url, input="y\n")
    assert asked.exit_code == 1 and "remove them from the database?" not in asked.stderr  # refused before asking
    assert out.read_text(encoding="utf-8") == "kept\n" and counts(trail)[2] == 0


def test_cli_archive_refusals_are_one_line(trail, db_url, folder):
    # The command runs on the system's clock.
    with trail.session() as s:
        latest = audit_archive.latest_cut(s)
    too_late = latest.replace(day=1) + timedelta(days=40)
    refused = ocrm("audit", "archive", "--before", too_late.isoformat(), "--out", str(folder / "a.jsonl"), "--yes",
                   "--db", db_url)
    assert refused.exit_code == 1
    assert [line for line in refused.stderr.splitlines() if line.strip()] == [
        f"Error: Audit and login records are kept 3 years (setting retention.years): archive before "
        f"{latest.isoformat()} or an earlier day"]
    bad = ocrm("audit", "archive", "--before", "last year", "--out", str(folder / "a.jsonl"), "--yes",
               "--db", db_url)
    assert bad.exit_code == 2
    missing = ocrm("audit", "verify", "--archive", str(folder / "none.jsonl"), "--db", db_url)
    assert missing.exit_code == 1 and "No archive file" in missing.stderr
