"""Retention of the audit trail: moving old audit and login records to a verified archive file.

Audit and login records are kept ``retention.years`` years (never fewer than 3) in the
database. After that an administrator may cut the trail: the records written before a
day leave the database for ONE archive file, and the database keeps an anchor (the last
archived record's number and hash, and the file's SHA-256) from which the remaining chain
continues. The cut is a prefix of the chain: it stops at the first record written on or
after the day, so the chain in the database stays gapless.

The file is JSON lines (gzip-compressed when its name ends in ``.gz``):

- a header: format, version, the day, the first and last record numbers, the hash the
  first record links to (the previous archive's last hash, or the chain's start), counts;
- every archived audit record with every column needed to re-hash it;
- every archived login attempt;
- an end line with the SHA-256 of all lines before it.

An archive never replaces a file: a name that exists or that an earlier cut of this
database recorded is refused, and so is a file with the content of a recorded one.

The plan, the check of the chain and the file are done in a read transaction (on SQLite
without the write lock, so that the terminals keep working while a large file is
written): the file is written under a temporary name, forced to disk, read back and
verified (every hash recomputed, every link followed). Then ONE short write transaction
checks that the newest anchor and the records to cut are still what the file holds
(else nothing is archived: the trail changed meanwhile), stores the anchor, writes an
``audit.archive`` record (after the cut, naming the anchor and the file's SHA-256),
deletes the archived rows, gives the file its name, forces the folder to disk and
commits. A failure leaves the database as it was and no file.

A cut always moves audit records: login attempts leave together with them (each cut is
recorded by the last record it moved, so login attempts alone would have no cut of
their own); a day before which only login attempts are left is refused, naming them.

The database itself lets only such a transaction delete audit records and login attempts
(migration 0007). On PostgreSQL the transaction must declare itself an archive AND have
inserted the archive row whose range holds the records (and whose day is after the
attempts); updates, other deletes and TRUNCATE are refused. On SQLite the triggers allow
deleting records up to the newest anchor and attempts before its day; but anyone who can
write the SQLite file can drop triggers, so there ``ocrm audit verify`` is the protection:
it finds a deleted or edited audit record and an anchor that no archive record names
(a login attempt made at a terminal has its own audit record).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, delete, func, or_, select, text
from sqlmodel import Session

from ocrm_tui.db.models import AuditArchive, AuditRecord, LoginAttempt
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, exports
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, OcrmError, PermissionDenied, ValidationError
from ocrm_tui.services.settings import get_setting

FORMAT = "ocrm-audit-archive"
VERSION = 1
MIN_RETENTION_YEARS = 3
BATCH = 5000
GZIP_MAGIC = b"\x1f\x8b"
RECORD_COLUMNS = ("seq", "at", "actor_id", "actor_no", "action", "event", "entity", "entity_id", "changes",
                  "prev_hash", "hash")
ATTEMPT_COLUMNS = ("id", "employee_no", "user_id", "at", "success", "outcome", "purpose", "terminal")


def local_midnight(day: date) -> datetime:
    """The start of a day on this machine's clock, as an aware datetime."""
    return datetime(day.year, day.month, day.day).astimezone()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def latest_cut(session: Session, *, clock: Clock = system_clock) -> date:
    """The latest day an archive may cut at: today minus the retention period."""
    years = max(int(get_setting(session, "retention.years")), MIN_RETENTION_YEARS)
    return _years_before(clock().astimezone().date(), years)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator archives the audit trail"))


# -- what a cut takes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchivePlan:
    before: date
    cut_at: datetime  # local midnight of ``before``
    first_seq: int
    last_seq: int
    prev_hash: str  # what the first archived record links to
    records: int
    login_attempts: int


def plan(session: Session, actor: Actor, before: date, *, clock: Clock = system_clock) -> ArchivePlan:
    """What archiving before ``before`` would move (checks the retention period; nothing is changed)."""
    _require_admin(actor)
    latest = latest_cut(session, clock=clock)
    if before > latest:
        years = max(int(get_setting(session, "retention.years")), MIN_RETENTION_YEARS)
        raise ValidationError(
            _("Audit and login records are kept {years} years (setting retention.years): archive before {day} "
              "or an earlier day", years=years, day=latest.isoformat()), field="before")
    cut_at = local_midnight(before)
    anchor = audit.archive_anchor(session)
    start, prev = (anchor[0], anchor[1]) if anchor else (0, audit.GENESIS)
    first_kept = session.execute(
        select(func.min(AuditRecord.seq)).where(AuditRecord.seq > start, AuditRecord.at >= cut_at)).scalar()
    if first_kept is None:
        last = session.execute(select(func.max(AuditRecord.seq))).scalar() or start
    else:
        last = first_kept - 1
    records = max(last - start, 0)
    attempts = session.execute(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at < cut_at)).scalar()
    if records == 0:
        if attempts:
            raise ValidationError(
                _("Nothing to archive: no audit records before {day} are left in the database; the {n} login "
                  "attempts before that day are archived only together with audit records: archive before a "
                  "later day",
                  day=before.isoformat(), n=attempts), field="before")
        raise ValidationError(_("Nothing to archive: no audit records before {day} are left in the database",
                                day=before.isoformat()), field="before")
    return ArchivePlan(before, cut_at, start + 1, last, prev, records, int(attempts or 0))


# -- writing the file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    before: date
    first_seq: int
    last_seq: int
    last_hash: str
    records: int
    login_attempts: int
    sha256: str  # of the file as stored


def _line(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _iso(value: datetime) -> str:
    return audit.at_text(value)


def _record_lines(session: Session, p: ArchivePlan) -> Iterator[tuple[dict, str]]:
    t = AuditRecord.__table__
    stmt = (select(*(t.c[name] for name in RECORD_COLUMNS)).where(t.c.seq >= p.first_seq, t.c.seq <= p.last_seq)
            .order_by(t.c.seq).execution_options(yield_per=BATCH))
    for row in session.execute(stmt):
        values = dict(zip(RECORD_COLUMNS, row))
        values["at"] = _iso(values["at"])
        yield {"type": "record", **values}, values["hash"]


def _attempt_lines(session: Session, p: ArchivePlan) -> Iterator[dict]:
    t = LoginAttempt.__table__
    stmt = (select(*(t.c[name] for name in ATTEMPT_COLUMNS)).where(t.c.at < p.cut_at).order_by(t.c.id)
            .execution_options(yield_per=BATCH))
    for row in session.execute(stmt):
        values = dict(zip(ATTEMPT_COLUMNS, row))
        values["at"] = _iso(values["at"])
        values["success"] = bool(values["success"])
        yield {"type": "login_attempt", **values}


def _write_file(session: Session, actor: Actor, p: ArchivePlan, temp: Path, compressed: bool, now: datetime) -> str:
    """Write the archive to ``temp``; returns the last archived record's hash."""
    digest = hashlib.sha256()
    last_hash = p.prev_hash
    raw = open(temp, "wb")
    out: IO[bytes] = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if compressed else raw

    def put(obj: dict) -> None:
        data = _line(obj)
        digest.update(data)
        out.write(data)

    try:
        put({"format": FORMAT, "version": VERSION, "before": p.before.isoformat(), "before_at": _iso(p.cut_at),
             "first_seq": p.first_seq, "last_seq": p.last_seq, "prev_hash": p.prev_hash, "records": p.records,
             "login_attempts": p.login_attempts, "archived_at": _iso(now), "archived_by": actor.employee_no})
        for obj, h in _record_lines(session, p):
            put(obj)
            last_hash = h
        for obj in _attempt_lines(session, p):
            put(obj)
        out.write(_line({"type": "end", "sha256": digest.hexdigest()}))
        if out is not raw:
            out.close()
        raw.flush()
        os.fsync(raw.fileno())
    finally:
        raw.close()
    return last_hash


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_target(session: Session, path: str | os.PathLike) -> Path:
    """The archive file to write: its folder exists, no file has the name, and no earlier cut
    recorded a file of that name (an archive never replaces one)."""
    target = exports.check_destination(path, overwrite=True)
    if target.exists():
        raise ValidationError(_("{path} already exists; an archive never replaces a file: choose another name",
                                path=str(target)), field="out")
    _refuse_recorded(session, target.name, None)
    return target


def _refuse_recorded(session: Session, name: str, sha256: str | None) -> None:
    t = AuditArchive
    same = t.file_name == name[:255] if sha256 is None else or_(t.file_name == name[:255], t.file_sha256 == sha256)
    row = session.execute(select(t.file_name, t.file_sha256, t.before_at).where(same).limit(1)).first()
    if row is None:
        return
    day = row[2].astimezone().date().isoformat()
    if row[0] == name[:255]:
        raise ValidationError(_("An archive file named {name} is already recorded (the cut before {day}); "
                                "choose another name", name=name, day=day), field="out")
    raise ValidationError(_("An archive file with the same content is already recorded (the cut before {day}, "
                            "{name}); nothing was archived", name=row[0], day=day), field="out")


@contextmanager
def _reading(session: Session) -> Iterator[Session]:
    """A read transaction of its own on the session's database: never the write lock on SQLite,
    one snapshot on PostgreSQL."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    options: dict = {"ocrm_write": False}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with Session(engine.execution_options(**options)) as reader:
        yield reader


def _begin_write(session: Session) -> None:
    """The cut's transaction; on SQLite it begins IMMEDIATE (it waits its turn for the lock)."""
    if not session.in_transaction():
        session.connection(execution_options={"ocrm_write": True})


def _put_in_place(temp: Path, target: Path) -> None:
    """Give the verified file its name, never replacing a file that took the name meanwhile."""
    taken = ValidationError(_("{path} already exists; an archive never replaces a file: choose another name",
                              path=str(target)), field="out")
    try:
        os.link(temp, target)  # fails if the name is taken
    except FileExistsError:
        raise taken from None
    except OSError:  # a file system without hard links: claim the name first, then move onto it
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise taken from None
        os.replace(temp, target)
    else:
        temp.unlink()


def _sync_folder(folder: Path) -> None:
    """Force the folder's entry for the new name to disk (a crash after the commit keeps the file)."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows: the file system journals the rename itself
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def archive(session: Session, actor: Actor, before: date, path: str | os.PathLike, *,
            clock: Clock = system_clock) -> ArchiveResult:
    """Move the audit records and login attempts written before ``before`` to one verified archive
    file and cut them from the database (commits ``session``, which should not be in a transaction
    yet). Administrators only.

    The plan, the chain check and the file are done in a read transaction of their own; the cut is
    one short write transaction that first checks that nothing it relies on has changed."""
    _require_admin(actor)
    now = clock()
    with _reading(session) as reader:
        p = plan(reader, actor, before, clock=clock)
        target = check_target(reader, path)
        chain = audit.verify_chain(reader)
        if not chain.ok:
            raise ValidationError(_("The audit trail does not verify (record {seq}); nothing was archived. "
                                    "Check it with ocrm audit verify", seq=chain.broken_seq), field="before")
        compressed = target.name.endswith(".gz")
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        os.close(handle)
        temp = Path(temp_name)
        try:
            try:
                last_hash = _write_file(reader, actor, p, temp, compressed, now)
            except OSError as exc:
                raise ValidationError(_("Could not write the archive file {path}: {reason}", path=str(target),
                                        reason=exc.strerror or str(exc)), field="out") from None
            check = verify_archive(temp, expect_prev=p.prev_hash)
            if not check.ok or (check.first_seq, check.last_seq, check.records, check.login_attempts,
                                check.last_hash) != (p.first_seq, p.last_seq, p.records, p.login_attempts, last_hash):
                raise OcrmError(_("The archive file did not verify when read back ({problem}); nothing was archived",
                                  problem=check.problem or "count"))
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    result = ArchiveResult(target, before, p.first_seq, p.last_seq, last_hash, p.records, p.login_attempts,
                           check.file_sha256)
    placed = False
    try:
        _begin_write(session)
        _cut(session, actor, p, result, clock)
        _put_in_place(temp, target)
        placed = True
        _sync_folder(target.parent)
        session.commit()
    except BaseException:
        if placed:
            target.unlink(missing_ok=True)  # ours: a name that was taken is refused above
        temp.unlink(missing_ok=True)
        session.rollback()
        raise
    return result


def _unchanged(session: Session, p: ArchivePlan, result: ArchiveResult) -> bool:
    """In the cut's transaction: the newest anchor, the records to cut and the login attempts are
    still those the file holds."""
    anchor = audit.archive_anchor(session)
    start = (anchor[0], anchor[1]) if anchor else (0, audit.GENESIS)
    records = session.execute(select(func.count(), func.min(AuditRecord.seq), func.max(AuditRecord.seq))
                              .where(AuditRecord.seq >= p.first_seq, AuditRecord.seq <= p.last_seq)).one()
    last_hash = session.execute(select(AuditRecord.hash).where(AuditRecord.seq == p.last_seq)).scalar()
    attempts = session.execute(select(func.count()).select_from(LoginAttempt)
                               .where(LoginAttempt.at < p.cut_at)).scalar()
    return (start == (p.first_seq - 1, p.prev_hash) and tuple(records) == (p.records, p.first_seq, p.last_seq)
            and last_hash == result.last_hash and attempts == p.login_attempts)


def _cut(session: Session, actor: Actor, p: ArchivePlan, result: ArchiveResult, clock: Clock) -> None:
    """In the open write transaction: check that nothing changed, store the anchor, write
    audit.archive, delete the archived rows."""
    audit.acting_as(session, actor, clock=clock)
    audit.hold_trail(session)  # no other writer extends or cuts the trail until the commit
    if not _unchanged(session, p, result):
        raise ValidationError(_("The audit trail changed meanwhile; nothing was archived. Run it again"),
                              field="before")
    _refuse_recorded(session, result.path.name, result.sha256)
    if session.get_bind().dialect.name == "postgresql":
        # The database lets a transaction that says it is an archive, and inserted the archive
        # row, delete what that row covers (0007).
        session.execute(text("SELECT set_config('ocrm.archive', 'on', true)"))
    anchor = AuditArchive(archived_at=clock(), archived_by=actor.employee_no, before_at=p.cut_at,
                          first_seq=p.first_seq, last_seq=p.last_seq, last_hash=result.last_hash, records=p.records,
                          login_attempts=p.login_attempts, file_name=result.path.name[:255],
                          file_sha256=result.sha256)
    session.add(anchor)
    # The anchor's own audit record is the audit.archive event: written before the deletes,
    # so that it extends the chain after the cut.
    audit.label(session, anchor, audit.ARCHIVE_EVENT)
    session.flush()
    gone = session.execute(delete(AuditRecord).where(AuditRecord.seq >= p.first_seq, AuditRecord.seq <= p.last_seq)
                           .execution_options(synchronize_session=False)).rowcount
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.at < p.cut_at)
                               .execution_options(synchronize_session=False)).rowcount
    if gone != p.records or attempts != p.login_attempts:
        raise OcrmError(_("The records changed while they were archived; nothing was archived. Try again"))


# -- checking a file ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveCheck:
    path: Path
    ok: bool
    # format / sha256 (the file was edited) / prev (does not follow the archive before it) /
    # missing / link / altered (a record) / count / order / unknown (no cut of this database
    # names it) / file (the database's anchor names another file)
    problem: str | None = None
    broken_seq: int | None = None
    before: str | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    first_prev: str | None = None
    last_hash: str | None = None
    records: int = 0
    login_attempts: int = 0
    file_sha256: str = ""


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    f: IO[bytes] = gzip.open(path, "rb") if compressed else open(path, "rb")
    with f:
        yield from f


def verify_archive(path: str | os.PathLike, *, expect_prev: str | None = None) -> ArchiveCheck:
    """Check an archive file: its closing SHA-256, every record's hash and every link, from the first
    record's prev_hash (which must be ``expect_prev`` when given, and the chain's start for record 1)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFoundError(_("No archive file {path}", path=str(path)), field="archive")
    file_sha = _file_sha256(path)
    base = ArchiveCheck(path, False, file_sha256=file_sha)
    digest = hashlib.sha256()
    header: dict | None = None
    end: dict | None = None
    records = attempts = 0
    prev = expected = None
    try:
        for raw in _lines(path):
            if end is not None:
                return replace(base, problem="format")  # nothing may follow the end line
            obj = json.loads(raw)
            if header is None:
                if obj.get("format") != FORMAT or obj.get("version") != VERSION:
                    return replace(base, problem="format")
                header = obj
                prev, expected = header["prev_hash"], header["first_seq"]
                base = replace(base, before=header["before"], first_seq=expected, first_prev=prev)
                if expect_prev is not None and prev != expect_prev:
                    return replace(base, problem="prev", broken_seq=expected)
                if expected == 1 and prev != audit.GENESIS:
                    return replace(base, problem="prev", broken_seq=1)
            elif obj.get("type") == "record":
                if attempts:
                    return replace(base, problem="format")
                if obj["seq"] != expected:
                    return replace(base, problem="missing", broken_seq=expected, records=records)
                if obj["prev_hash"] != prev:
                    return replace(base, problem="link", broken_seq=obj["seq"], records=records)
                h = audit.record_hash(obj["prev_hash"], obj["seq"], datetime.fromisoformat(obj["at"]), obj["actor_id"],
                                      obj["actor_no"], obj["action"], obj["event"], obj["entity"], obj["entity_id"],
                                      obj["changes"])
                if h != obj["hash"]:
                    return replace(base, problem="altered", broken_seq=obj["seq"], records=records)
                prev, expected, records = h, expected + 1, records + 1
            elif obj.get("type") == "login_attempt":
                attempts += 1
            elif obj.get("type") == "end":
                end = obj
                continue
            else:
                return replace(base, problem="format")
            digest.update(raw)
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return replace(base, problem="format")
    if header is None or end is None:
        return replace(base, problem="format")
    found = replace(base, last_seq=expected - 1, last_hash=prev, records=records, login_attempts=attempts)
    if end.get("sha256") != digest.hexdigest():
        return replace(found, problem="sha256")
    if (records, attempts, expected - 1) != (header["records"], header["login_attempts"], header["last_seq"]):
        return replace(found, problem="count")
    return replace(found, ok=True)


@dataclass(frozen=True)
class ArchivesReport:
    files: tuple[ArchiveCheck, ...]
    continues: bool  # the chain in the database continues from the last file
    anchor_seq: int  # the newest archive cut in the database (0: none)


def verify_archives(session: Session, paths: Sequence[str | os.PathLike]) -> ArchivesReport:
    """Check archive files in order (each continuing the one before), each against the database's
    record of its cut, and that the chain in the database continues from the last one."""
    checks: list[ArchiveCheck] = []
    previous: ArchiveCheck | None = None
    for p in paths:
        check = verify_archive(p, expect_prev=previous.last_hash if previous else None)
        if check.ok and previous is not None and check.first_seq != (previous.last_seq or 0) + 1:
            check = replace(check, ok=False, problem="order", broken_seq=check.first_seq)
        if check.ok:
            cut = session.execute(select(AuditArchive.file_sha256)
                                  .where(AuditArchive.last_seq == check.last_seq)).first()
            if cut is None:
                check = replace(check, ok=False, problem="unknown")
            elif cut[0] != check.file_sha256:
                check = replace(check, ok=False, problem="file")
        checks.append(check)
        if not check.ok:
            break
        previous = check
    anchor = audit.archive_anchor(session)
    last = checks[-1] if checks else None
    continues = bool(last and last.ok and anchor and (anchor[0], anchor[1]) == (last.last_seq, last.last_hash))
    return ArchivesReport(tuple(checks), continues, anchor[0] if anchor else 0)
