"""The audit trail: append-only, hash-chained, written by one mechanism.

Every ORM flush that creates, changes or deletes business data appends one record per
object (who, when, what, before → after of the changed fields, never a secret value),
from a Session ``after_flush`` listener, in the same transaction as the change. Events
that change no row (an unmask, an export) are queued with ``log_event`` and written by
the same listener. Each record carries the hash of the one before it, so ``verify``
finds an edited or deleted record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlmodel import Session, SQLModel

from ocrm_tui.db.models import Alert, AuditArchive, AuditRecord, AumSnapshot, TicketEvent, Transaction, UserSession
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import system_clock

GENESIS = "0" * 64
REDACTED = "[redacted]"
# Core-banking facts arrive in bulk from the core system; their loads are audited as one
# import event each, not row by row. A ticket's timeline is itself an append-only trail of
# changes that are audited on the ticket; alerts are raised by scans that audit one event each.
# A terminal's session reports in every half minute; its start is the audited login and its
# end is audited as a session.end event.
NOT_AUDITED: tuple[type, ...] = (AuditRecord, AumSnapshot, Transaction, TicketEvent, Alert, UserSession)
_PG_AUDIT_LOCK = 7_240_061  # advisory lock key serialising appends on PostgreSQL


# -- context a service sets on its session -------------------------------------------

def acting_as(session: Session, actor: Actor | None, *, clock=None) -> Session:
    """Name the user the following changes are made by (and the clock to stamp them)."""
    session.info["actor"] = actor
    if clock is not None:
        session.info["clock"] = clock
    return session


def label(session: Session, obj: SQLModel, event_name: str) -> None:
    """Give the next audit record of ``obj`` a specific event name (e.g. user.lockout)."""
    session.info.setdefault("audit_labels", {})[id(obj)] = event_name


def log_event(session: Session, event_name: str, entity: str, entity_id: Any = None, details: dict | None = None) -> None:
    """Queue an event that changes no row; it is written at the next flush."""
    session.info.setdefault("audit_events", []).append(
        ("event", event_name, entity, None if entity_id is None else str(entity_id), details or {})
    )


# -- the listener ---------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _entity_name(obj: SQLModel) -> str:
    return obj.__table__.name  # type: ignore[attr-defined]


def _entity_id(obj: SQLModel) -> str | None:
    ident = inspect(obj).identity
    if ident is None:
        pk = [getattr(obj, c.key) for c in obj.__table__.primary_key.columns]  # type: ignore[attr-defined]
        ident = tuple(pk)
    return "/".join(str(v) for v in ident) if ident else None


def _snapshot(obj: SQLModel, before: bool) -> dict[str, list]:
    excluded = getattr(type(obj), "__audit_exclude__", frozenset())
    out: dict[str, list] = {}
    for attr in inspect(obj).mapper.column_attrs:
        value = getattr(obj, attr.key)
        if value is None:
            continue
        shown = REDACTED if attr.key in excluded else _plain(value)
        out[attr.key] = [shown, None] if before else [None, shown]
    return out


def _diff(obj: SQLModel) -> dict[str, list]:
    excluded = getattr(type(obj), "__audit_exclude__", frozenset())
    state = inspect(obj)
    out: dict[str, list] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        before = hist.deleted[0] if hist.deleted else None
        after = hist.added[0] if hist.added else None
        if before == after:
            continue
        if attr.key in excluded:
            out[attr.key] = [REDACTED, REDACTED]
        else:
            out[attr.key] = [_plain(before), _plain(after)]
    return out


def _after_flush(session: Session, _flush_context) -> None:
    labels: dict[int, str] = session.info.get("audit_labels", {})
    entries: list[tuple[str, str, str, str | None, dict]] = []

    def add(action: str, obj: SQLModel, changes: dict) -> None:
        entity = _entity_name(obj)
        name = labels.pop(id(obj), f"{entity}.{action}")
        entries.append((action, name, entity, _entity_id(obj), changes))

    for obj in session.new:
        if isinstance(obj, SQLModel) and not isinstance(obj, NOT_AUDITED):
            add("create", obj, _snapshot(obj, before=False))
    for obj in session.dirty:
        if isinstance(obj, SQLModel) and not isinstance(obj, NOT_AUDITED):
            changes = _diff(obj)
            if changes:
                add("update", obj, changes)
    for obj in session.deleted:
        if isinstance(obj, SQLModel) and not isinstance(obj, NOT_AUDITED):
            add("delete", obj, _snapshot(obj, before=True))
    entries.extend(session.info.pop("audit_events", []))
    _write(session, entries)


def _before_commit(session: Session) -> None:
    # Events queued with log_event when nothing else was changed: no flush will come.
    _write(session, session.info.pop("audit_events", []))


def _write(session: Session, entries: list) -> None:
    if entries:
        actor: Actor | None = session.info.get("actor")
        clock = session.info.get("clock", system_clock)
        _append(session, entries, actor, clock())


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "before_commit", _before_commit)


def record_hash(prev_hash: str, seq: int, at: datetime, actor_id, actor_no, action, event_name, entity, entity_id, changes: str) -> str:
    return _hash(prev_hash, seq, _at_text(at), actor_id, actor_no, action, event_name, entity, entity_id, changes)


def _at_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


at_text = _at_text  # a record's time as it is hashed (UTC, microseconds)


def _hash(prev_hash: str, seq: int, at_text: str, actor_id, actor_no, action, event_name, entity, entity_id,
          changes: str) -> str:
    body = json.dumps(
        [seq, at_text, actor_id, actor_no, action, event_name, entity, entity_id, changes],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def hold_trail(session: Session) -> None:
    """Until the transaction ends, be the only writer of the trail (PostgreSQL; an SQLite
    write transaction is alone anyway)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})")


def _append(session: Session, entries, actor: Actor | None, at: datetime) -> None:
    conn = session.connection()
    # One writer at a time extends the chain; released at commit or rollback.
    hold_trail(session)
    last = conn.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    at = at.astimezone(timezone.utc)
    actor_id = actor.id if actor else None
    actor_no = actor.employee_no if actor else None
    rows = []
    at_text = _at_text(at)  # one batch, one time stamp
    for action, name, entity, entity_id, changes in entries:
        seq += 1
        text = json.dumps(changes, ensure_ascii=False, sort_keys=True, default=str)
        h = _hash(prev, seq, at_text, actor_id, actor_no, action, name, entity, entity_id, text)
        rows.append(
            dict(seq=seq, at=at, actor_id=actor_id, actor_no=actor_no, action=action, event=name,
                 entity=entity, entity_id=entity_id, changes=text, prev_hash=prev, hash=h)
        )
        prev = h
    if conn.dialect.name == "postgresql" and len(rows) > 50:
        # Many records (a batch action): multi-row INSERTs instead of one statement per row.
        for i in range(0, len(rows), 1000):
            conn.execute(insert(AuditRecord).values(rows[i:i + 1000]))
    else:
        conn.execute(insert(AuditRecord), rows)


# -- reading and verifying --------------------------------------------------------------

@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    # missing / link / altered / cut (the expected head is gone) / anchor (the newest archive
    # record does not match the archive event in the trail)
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    anchor_seq: int = 0  # the chain in the database starts after this record (0: no archive)


ARCHIVE_EVENT = "audit.archive"


def archive_anchor(session: Session) -> tuple[int, str, str] | None:
    """(last_seq, last_hash, file_sha256) of the newest archive cut, or None."""
    row = session.execute(select(AuditArchive.last_seq, AuditArchive.last_hash, AuditArchive.file_sha256)
                          .order_by(AuditArchive.last_seq.desc()).limit(1)).first()
    return (row[0], row[1], row[2]) if row else None


def _names_anchor(rec: AuditRecord, last_seq: int) -> dict | None:
    """The anchor fields an audit.archive record names, when it names the cut at ``last_seq``."""
    if rec.event != ARCHIVE_EVENT:
        return None
    try:
        fields = {k: v[1] if isinstance(v, list) and len(v) == 2 else v for k, v in json.loads(rec.changes).items()}
    except (ValueError, AttributeError):
        return None
    return fields if fields.get("last_seq") == last_seq else None


def verify_chain(session: Session, batch: int = 5000, *, expect_head: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain in order; report the first record that is missing or altered.

    The chain alone cannot show that its newest records were deleted. ``expect_head``
    is a (seq, hash) written down from an earlier verify, outside the database: that
    record must still be there, unchanged.

    After an archive cut the chain starts from the newest archive's anchor: its first
    record follows the anchor's last_seq and links to its last_hash, and the audit.archive
    record written with the cut must name the same anchor and file.
    """
    anchor = archive_anchor(session)
    expected_seq = 1
    prev = GENESIS
    anchor_seq = 0
    anchor_confirmed = True
    if anchor is not None:
        anchor_seq, prev, anchor_sha = anchor
        expected_seq = anchor_seq + 1
        anchor_confirmed = False
    checked = 0
    head_found = expect_head is None
    if expect_head is not None and expect_head[0] <= anchor_seq:
        # Archived: the archive files hold it (`ocrm audit verify --archive`); only the anchor is here.
        if expect_head[0] == anchor_seq and expect_head[1] != prev:
            return ChainReport(False, 0, anchor_seq, "altered", anchor_seq=anchor_seq)
        head_found = True
    stmt = (select(AuditRecord).where(AuditRecord.seq > anchor_seq).order_by(AuditRecord.seq)
            .execution_options(yield_per=batch))
    for rec in session.scalars(stmt):
        if rec.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, "missing", anchor_seq=anchor_seq)
        if rec.prev_hash != prev:
            return ChainReport(False, checked, rec.seq, "link", anchor_seq=anchor_seq)
        h = record_hash(rec.prev_hash, rec.seq, rec.at, rec.actor_id, rec.actor_no, rec.action, rec.event,
                        rec.entity, rec.entity_id, rec.changes)
        if h != rec.hash:
            return ChainReport(False, checked, rec.seq, "altered", anchor_seq=anchor_seq)
        if expect_head is not None and rec.seq == expect_head[0]:
            if rec.hash != expect_head[1]:
                return ChainReport(False, checked, rec.seq, "altered", anchor_seq=anchor_seq)
            head_found = True
        if not anchor_confirmed:
            named = _names_anchor(rec, anchor_seq)
            if named is not None:
                if named.get("last_hash") != anchor[1] or named.get("file_sha256") != anchor_sha:
                    return ChainReport(False, checked, anchor_seq, "anchor", anchor_seq=anchor_seq)
                anchor_confirmed = True
        prev = rec.hash
        expected_seq += 1
        checked += 1
    if not anchor_confirmed:
        return ChainReport(False, checked, anchor_seq, "anchor", anchor_seq=anchor_seq)
    if not head_found:
        return ChainReport(False, checked, expect_head[0], "cut", expected_seq - 1, prev, anchor_seq=anchor_seq)
    return ChainReport(True, checked, head_seq=expected_seq - 1, head_hash=prev, anchor_seq=anchor_seq)


def describe_changes(changes: dict, text: Callable[[Any], str], *, skip: tuple[str, ...] = (),
                     sep: str = "; ") -> str:
    """A record's {field: [before, after]} in words, ``field: before → after`` (a created field:
    its value; a secret: its name only). ``updated_at`` beside other changes is left out: the
    record's time says it."""
    parts = []
    for field, pair in changes.items():
        if field in skip or (field == "updated_at" and len(changes) > 1):
            continue
        if isinstance(pair, list) and len(pair) == 2:
            before, after = pair
            if REDACTED in (before, after):
                parts.append(field)
            elif before is None:
                parts.append(f"{field}: {text(after)}")
            else:
                parts.append(f"{field}: {text(before)} → {text(after)}")
        else:
            parts.append(f"{field}: {text(pair)}")
    return sep.join(parts)


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor_no: str | None
    event: str
    entity: str
    entity_id: str | None
    changes: dict


def list_records(
    session: Session,
    *,
    actor_no: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditRow]:
    """Newest first, filtered by acting user, entity and time."""
    stmt = select(AuditRecord)
    if actor_no:
        stmt = stmt.where(AuditRecord.actor_no == actor_no)
    if entity:
        stmt = stmt.where(AuditRecord.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditRecord.entity_id == entity_id)
    if since:
        stmt = stmt.where(AuditRecord.at >= since)
    if until:
        stmt = stmt.where(AuditRecord.at < until)
    stmt = stmt.order_by(AuditRecord.seq.desc()).limit(limit)
    return [
        AuditRow(r.seq, r.at, r.actor_no, r.event, r.entity, r.entity_id, json.loads(r.changes))
        for r in session.scalars(stmt)
    ]
