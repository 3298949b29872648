"""`ocrm import customers|products|accounts|transactions FILE`: the core banking system's extracts.

The files (DESIGN.md, "Core-banking extract formats"): CSV, UTF-8 (a BOM is accepted),
comma-separated, a header row naming the columns in any order; columns the format does
not know are reported and ignored, an empty optional cell is no value.

Checking: every row is checked before anything is written — the header has every
required column (else the file is refused at line 1), types and lengths, resident ID
numbers with their check digit (and the birth date and gender they give), mobiles,
gender M/F, dates YYYY-MM-DD, times in ISO 8601 (a time without an offset is UTC),
amounts as decimals with at most two places (positive for transactions), the
vocabularies (product type, risk level R1–R5, account status, direction in/out, channel),
what a row refers to (an organisation, an active RM by employee number, a product, a
customer, an account — on file already) and a natural key given twice in the file. Each
bad row is named by its line, column and reason. By default one bad row refuses the whole
file and nothing is written; with ``skip_invalid`` the good rows are loaded and the bad
ones are written next to the input as ``<name>.rejects.csv`` (the line, the row's cells
and the reason). A dry run checks and counts what would be inserted, updated, left
unchanged and rejected, and writes nothing.

Upsert on the natural keys (customer_no, product_code, account_no, txn_id): a new key is
inserted, a known one updated where the extract says something else, else left alone.
For customers the extract wins for the core fields (name — with the pinyin and name-index
keys the customer form computes —, gender, birth date, ID, mobile, e-mail, address,
occupation, branch); what staff keep (tags, the extended profile, the tier override) is
never touched, and the RM of the extract is taken only by a customer without one. A
changed customer gets a new version (an edit form opened before the import is refused
as stale) and a ``customer.import_update`` audit record with before → after of each
changed field.

One transaction per file: the file is checked, written, the affected customers' AUM and
tiers brought up to date (``services.aum``, after accounts and transactions) and one
``import.<kind>`` audit event recorded (file name, sha256, counts), then committed. A
process killed half-way leaves the database as it was; the same import run again gives
what an uninterrupted run gives, and importing a loaded file again changes nothing.

Speed (docs/BENCHMARKS.md, "Imports"): rows are checked with plain string work (a line
without quotes is split at its commas; a transaction row written plainly takes a short
path and keeps the form the driver writes, with no time or decimal objects), reference
look-ups are dictionaries filled by a few key reads (a transactions file about as large as
the bank's accounts reads them all first), and rows are written with bulk writers (the
driver's executemany of tuples on SQLite, COPY on PostgreSQL). On SQLite a file that brings
at least as many transactions as the table holds sets the table's secondary indexes aside
and builds them again at the end, inside the same transaction (building an index once
beats keeping it up to date row by row), and ``import_session`` gives the import a
connection that leaves the foreign-key checks to the import itself: every reference it
writes was read in the same write transaction, which holds SQLite's write lock from the
first read (other terminals' saves wait for a large file; a 15-minute extract is small).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Float, String, any_, bindparam, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from ocrm_tui.db.models import (
    Account,
    Channel,
    Customer,
    Organisation,
    Product,
    ProductType,
    Role,
    StaffUser,
    Transaction,
)
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.aum import AumResult, refresh_customers
from ocrm_tui.services.bank_marketing import BadFile, _bulk_writer, _NameIndexPause
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.validation import MAX_AMOUNT, RESIDENT_ID, check_amount, normalise_text

KINDS = ("customers", "products", "accounts", "transactions")
PRODUCT_TYPES = tuple(t.value for t in ProductType)
RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
ACCOUNT_STATUSES = ("active", "dormant", "frozen", "closed")
DIRECTIONS = ("in", "out")
CHANNELS = tuple(c.value for c in Channel)
CHECK_CHUNK = 10_000  # rows between progress reports while checking
WRITE_CHUNK = 10_000  # rows per bulk insert (and progress report)
KEY_CHUNK = 5_000  # keys per IN list on SQLite (it allows some 32,000 bound values)
ANY_CHUNK = 50_000  # keys per = ANY(array) on PostgreSQL
RANGE_FROM = 20_000  # from this many keys SQLite may read the keys' range instead of IN lists
BULK_FROM = 20_000  # from this many new rows SQLite may set a table's secondary indexes aside

_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,2})?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_UTC = timezone.utc

_customer = Customer.__table__  # type: ignore[attr-defined]
_product = Product.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]
_txn = Transaction.__table__  # type: ignore[attr-defined]
_org = Organisation.__table__  # type: ignore[attr-defined]
_staff = StaffUser.__table__  # type: ignore[attr-defined]

Progress = Callable[[str, int, int], None]  # (stage, done, total); stage: read / <kind> / indexes / aum


@dataclass(frozen=True)
class Format:
    """One extract: its columns in the documented order, which are required, its natural key."""

    kind: str
    entity: str  # the table, as the audit trail names it
    columns: tuple[str, ...]
    required: frozenset[str]
    key: str


FORMATS = {
    "customers": Format("customers", "customer",
                        ("customer_no", "name", "gender", "birth_date", "id_type", "id_number", "mobile", "email",
                         "address", "occupation", "org_code", "rm_employee_no"),
                        frozenset({"customer_no", "name", "mobile", "org_code"}), "customer_no"),
    "products": Format("products", "product", ("product_code", "name", "product_type", "risk_level"),
                       frozenset({"product_code", "name", "product_type"}), "product_code"),
    "accounts": Format("accounts", "account",
                       ("account_no", "customer_no", "product_code", "currency", "balance", "opened_on", "matures_on",
                        "status"),
                       frozenset({"account_no", "customer_no", "product_code", "balance"}), "account_no"),
    "transactions": Format("transactions", "txn",
                           ("txn_id", "account_no", "posted_at", "amount", "direction", "channel", "counterparty",
                            "memo"),
                           frozenset({"txn_id", "account_no", "posted_at", "amount", "direction", "channel"}),
                           "txn_id"),
}


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # "" when the row as a whole is wrong
    reason: str

    def text(self) -> str:
        where = (_("Line {line}, column {column}", line=self.line, column=self.column) if self.column
                 else _("Line {line}", line=self.line))
        return _("{where}: {reason}", where=where, reason=self.reason)


@dataclass(frozen=True)
class Rejected:
    """A bad row: its line and everything wrong with it."""

    line: int
    problems: tuple[Problem, ...]

    @property
    def reason(self) -> str:
        return "; ".join(f"{p.column}: {p.reason}" if p.column else p.reason for p in self.problems)


class FileRefused(BadFile):
    """Nothing was imported: the file cannot be read, or has bad rows and they were not to be skipped."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None, bad_rows: int = 1,
                 problems: list[Problem] | None = None):
        super().__init__(message, line=line, column=column, bad_rows=bad_rows)
        self.problems = problems or []


@dataclass
class ImportResult:
    kind: str
    file: str
    sha256: str = ""
    rows: int = 0  # data rows in the file
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()
    rejects_path: Path | None = None
    dry_run: bool = False
    check_seconds: float = 0.0  # reading and checking the file
    write_seconds: float = 0.0  # writing the rows (indexes included)
    aum: AumResult | None = None  # the affected customers' AUM and tiers (accounts, transactions)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rejected for p in r.problems]

    @property
    def seconds(self) -> float:
        """Checking and writing (the AUM refresh has its own time)."""
        return self.check_seconds + self.write_seconds


def rejects_path(path: str | Path) -> Path:
    """Where the rejected rows of ``path`` go: ``<name>.rejects.csv`` next to it."""
    path = Path(path)
    return path.with_name(f"{path.stem}.rejects.csv")


# -- reading --------------------------------------------------------------------------------------

def _records(handle, where: list[int]) -> Iterator[tuple[int, list[str]]]:
    """(line it starts on, cells) of each record of a CSV file opened with ``newline=""``.

    A line without a quote is split at its commas — the common case, several times faster
    than the csv module; a record with quotes is read by the csv module, with the lines that
    follow while a quoted cell is still open (its quotes are balanced when the record ends).
    ``where[0]`` is the line being read, for a message about a record that cannot be read.
    """
    number = start = 0
    pending: str | None = None
    for line in handle:
        number += 1
        if pending is None and '"' not in line:
            yield number, line.rstrip("\r\n").split(",")
            continue
        if pending is None:
            start, pending = number, line
        else:
            pending += line
        if pending.count('"') % 2:
            continue  # a quoted cell goes on on the next line
        where[0] = start
        yield start, next(csv.reader([pending], strict=True))
        pending = None
    if pending is not None:
        where[0] = start
        raise csv.Error("a quoted value is not closed at the end of the file")


class _Source:
    """The file's header and its records."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.fmt = fmt
        self.where = [1]
        self.handle = open(path, encoding="utf-8-sig", newline="")
        self.records = _records(self.handle, self.where)
        try:
            _line, header = next(self.records)
        except StopIteration:
            raise FileRefused(_("The file is empty"), line=1) from None
        self.header = header
        names = [h.strip().lower() for h in header]
        missing = [c for c in fmt.columns if c in fmt.required and c not in names]
        if missing:
            raise FileRefused(_("Line 1: the header has no column {column}; a {kind} file has the columns {columns}",
                                kind=fmt.kind, column=missing[0], columns=",".join(fmt.columns)),
                              line=1, column=missing[0])
        duplicated = sorted({n for n in names if n and names.count(n) > 1})
        if duplicated:
            raise FileRefused(_("Line 1: the column {column} appears twice in the header", column=duplicated[0]),
                              line=1, column=duplicated[0])
        self.width = len(names)
        self.names = names
        self.position = {c: names.index(c) for c in fmt.columns if c in names}
        self.extra = tuple(h for h, n in zip(header, names) if n not in fmt.columns)

    def close(self) -> None:
        self.handle.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- checking -------------------------------------------------------------------------------------

def _text(cells: list[str], position: int | None) -> str:
    return normalise_text(cells[position]) if position is not None else ""


class _Checker:
    """The rules of one format: each row on its own (``row``), then what needs the database
    (``finish``), what is on file already (``plan``) and the writing (``write``)."""

    fmt: Format

    def __init__(self, session: Session, source: _Source, now: datetime) -> None:
        self.position = source.position
        self.now = now
        self.seen: dict[str, int] = {}  # natural key → line it first appeared on

    def p(self, column: str) -> int | None:
        return self.position.get(column)

    def key_once(self, key: str, line: int, problems: list[Problem]) -> None:
        first = self.seen.setdefault(key, line)
        if first != line:
            problems.append(Problem(line, self.fmt.key, _("{value} is already on line {first} of this file",
                                                          value=key, first=first)))

    def row(self, line: int, cells: list[str]) -> tuple[object | None, list[Problem]]:
        raise NotImplementedError

    def finish(self, session: Session, rows: list) -> tuple[list, list[Rejected]]:
        return rows, []

    def plan(self, session: Session, rows: list) -> "_Plan":
        raise NotImplementedError

    def write(self, session: Session, plan: "_Plan", progress: Progress | None, now: datetime) -> set[int]:
        """Write the plan; the customers whose assets it changed."""
        raise NotImplementedError


@dataclass
class _Plan:
    inserts: list = field(default_factory=list)
    updates: list = field(default_factory=list)  # (key, id, changes {column: (before, after)}, new values)
    unchanged: int = 0


def _required(value: str, column: str, line: int, problems: list[Problem], max_length: int) -> str:
    if not value:
        problems.append(Problem(line, column, _("{column} is required", column=column)))
    elif len(value) > max_length:
        problems.append(Problem(line, column, _("{column} is at most {n} characters", column=column, n=max_length)))
    return value


def _optional(value: str, column: str, line: int, problems: list[Problem], max_length: int) -> str | None:
    if len(value) > max_length:
        problems.append(Problem(line, column, _("{column} is at most {n} characters", column=column, n=max_length)))
    return value or None


def _day(value: str, column: str, line: int, problems: list[Problem]) -> date | None:
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(line, column, _("{value} is not a date written YYYY-MM-DD", value=value)))
        return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _by_keys(session: Session, stmt, key_col, keys: set[str] | dict[str, object]) -> Iterator:
    """The rows of ``stmt`` (its first column the key) whose ``key_col`` is one of ``keys``.

    PostgreSQL: ``= ANY(array)`` in chunks. SQLite (where text compares by code point, as
    in Python): a large set whose range holds few other keys is read as that range of the
    unique index, else IN lists.
    """
    if not keys:
        return
    conn = session.connection()
    ordered = list(keys)
    if conn.dialect.name == "postgresql":
        for chunk in _chunks(ordered, ANY_CHUNK):
            yield from session.execute(stmt.where(key_col == any_(bindparam("keys", type_=ARRAY(String)))),
                                       {"keys": chunk})
        return
    if len(keys) >= RANGE_FROM:
        low, high = min(keys), max(keys)
        in_range = session.scalar(select(func.count()).where(key_col.between(low, high)))
        if in_range <= 4 * len(keys):
            if in_range:
                for row in session.execute(stmt.where(key_col.between(low, high))):
                    if row[0] in keys:
                        yield row
            return
    for chunk in _chunks(ordered, KEY_CHUNK):
        yield from session.execute(stmt.where(key_col.in_(bindparam("keys", expanding=True))), {"keys": chunk})


def _executemany_update(session: Session, table, columns: list[str], rows: list[dict], *, bump_version: bool = False,
                        now: datetime | None = None) -> None:
    values = {c: bindparam(f"b_{c}") for c in columns}
    if bump_version:
        values.update(updated_at=now, version=table.c.version + 1)
    for chunk in _chunks(rows, WRITE_CHUNK):
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(**values)
                        .execution_options(synchronize_session=False), chunk)


# -- products -------------------------------------------------------------------------------------

class _Products(_Checker):
    fmt = FORMATS["products"]
    COLUMNS = ("name", "product_type", "risk_level")

    def row(self, line, cells):
        problems: list[Problem] = []
        code = _required(_text(cells, self.p("product_code")), "product_code", line, problems, 32)
        name = _required(_text(cells, self.p("name")), "name", line, problems, 100)
        product_type = _text(cells, self.p("product_type")).lower()
        if product_type not in PRODUCT_TYPES:
            problems.append(Problem(line, "product_type", _("{value} is not one of {known}", value=repr(product_type),
                                                            known=", ".join(PRODUCT_TYPES))))
        risk = _text(cells, self.p("risk_level")).upper() or None
        if risk is not None and risk not in RISK_LEVELS:
            problems.append(Problem(line, "risk_level", _("{value} is not one of {known}", value=repr(risk),
                                                          known=", ".join(RISK_LEVELS))))
        if code:
            self.key_once(code, line, problems)
        if problems:
            return None, problems
        return {"product_code": code, "name": name, "product_type": product_type, "risk_level": risk}, problems

    def plan(self, session, rows):
        existing = {r.product_code: r for r in session.execute(
            select(_product.c.product_code, _product.c.id, *(_product.c[c] for c in self.COLUMNS)))}
        return _upsert_plan(rows, existing, "product_code", self.COLUMNS)

    def write(self, session, plan, progress, now):
        _write_plan(session, _product, plan, list(self.COLUMNS), progress, self.fmt.kind)
        return set()


def _upsert_plan(rows: list[dict], existing: dict, key: str, columns) -> _Plan:
    plan = _Plan()
    for row in rows:
        old = existing.get(row[key])
        if old is None:
            plan.inserts.append(row)
            continue
        changes = {c: (getattr(old, c), row[c]) for c in columns if getattr(old, c) != row[c]}
        if changes:
            plan.updates.append((row[key], old.id, changes, row))
        else:
            plan.unchanged += 1
    return plan


def _write_plan(session: Session, table, plan: _Plan, columns: list[str], progress: Progress | None, stage: str,
                *, bump_version: bool = False, now: datetime | None = None) -> None:
    """Updates first (a key a new row takes may be given up by an update), then bulk inserts."""
    total = len(plan.inserts) + len(plan.updates)
    if progress and total:
        progress(stage, 0, total)
    if plan.updates:
        _executemany_update(session, table, columns,
                            [{"b_id": ident, **{f"b_{c}": row[c] for c in columns}}
                             for _k, ident, _c, row in plan.updates],
                            bump_version=bump_version, now=now)
        if progress:
            progress(stage, len(plan.updates), total)
    write = _bulk_writer(session)
    done = len(plan.updates)
    for chunk in _chunks(plan.inserts, WRITE_CHUNK):
        write(table, chunk)
        done += len(chunk)
        if progress:
            progress(stage, done, total)


# -- customers ------------------------------------------------------------------------------------

class _Customers(_Checker):
    fmt = FORMATS["customers"]
    # What the extract decides; everything else of a customer is kept by staff.
    CORE = ("name", "gender", "birth_date", "id_type", "id_number", "mobile", "email", "address", "occupation",
            "org_id")
    KEYS = ("name_pinyin", "name_initials", "name_chars")

    def __init__(self, session, source, now):
        super().__init__(session, source, now)
        self.orgs = dict(session.execute(select(_org.c.code, _org.c.id)).all())
        self.rms = dict(session.execute(select(_staff.c.employee_no, _staff.c.id)
                                        .where(_staff.c.role == Role.RM.value, _staff.c.active.is_(True))).all())
        self.documents: dict[tuple[str, str], int] = {}  # (ID type, number) → line
        from ocrm_tui.services.customers import check_field, implied_by_id  # the customer form's rules

        self.check_field, self.implied_by_id = check_field, implied_by_id

    def row(self, line, cells):
        check_field, implied_by_id = self.check_field, self.implied_by_id
        problems: list[Problem] = []
        values = {c: _text(cells, self.p(c)) for c in self.fmt.columns}
        values["id_type"] = values["id_type"] or RESIDENT_ID
        number = _required(values["customer_no"], "customer_no", line, problems, 32)
        cleaned: dict[str, object] = {}
        for column in ("name", "gender", "birth_date", "id_type", "id_number", "mobile", "email", "address",
                       "occupation"):
            if column == "id_number" and not values["id_number"]:
                cleaned[column] = None
                continue
            try:
                cleaned[column] = check_field(column, values)
            except ValidationError as exc:
                problems.append(Problem(line, exc.field or column, exc.message))
        implied = implied_by_id(values)
        if implied.get("birth_date") and cleaned.get("birth_date") is None:
            cleaned["birth_date"] = date.fromisoformat(implied["birth_date"])
        if implied.get("gender") and cleaned.get("gender") is None:
            cleaned["gender"] = implied["gender"]
        org_id = self.orgs.get(values["org_code"])
        if values["org_code"] and org_id is None:
            problems.append(Problem(line, "org_code", _("No organisation with code {code}", code=values["org_code"])))
        elif not values["org_code"]:
            problems.append(Problem(line, "org_code", _("{column} is required", column="org_code")))
        rm_id = None
        if values["rm_employee_no"]:
            rm_id = self.rms.get(values["rm_employee_no"])
            if rm_id is None:
                problems.append(Problem(line, "rm_employee_no", _("{no} is not an active relationship manager",
                                                                  no=values["rm_employee_no"])))
        if number:
            self.key_once(number, line, problems)
        if cleaned.get("id_number"):
            document = (str(cleaned["id_type"]), str(cleaned["id_number"]))
            first = self.documents.setdefault(document, line)
            if first != line:
                problems.append(Problem(line, "id_number", _("This ID number is already on line {first} of this file",
                                                             first=first)))
        if problems:
            return None, problems
        return {"line": line, "customer_no": number, **cleaned, "org_id": org_id, "rm_id": rm_id}, problems

    def finish(self, session, rows):
        """An ID number on file already belongs to that customer only."""
        numbers = {r["id_number"] for r in rows if r["id_number"]}
        owners = {(id_type, number): customer_no for number, id_type, customer_no in _by_keys(
            session, select(_customer.c.id_number, _customer.c.id_type, _customer.c.customer_no),
            _customer.c.id_number, numbers)}
        good, bad = [], []
        for r in rows:
            owner = owners.get((r["id_type"], r["id_number"])) if r["id_number"] else None
            if owner is not None and owner != r["customer_no"]:
                bad.append(Rejected(r["line"], (Problem(r["line"], "id_number", _(
                    "This ID number belongs to customer {no}", no=owner)),)))
            else:
                good.append(r)
        return good, bad

    def plan(self, session, rows):
        from ocrm_tui.services.pinyin import name_keys

        keys = {r["customer_no"] for r in rows}
        existing = {r.customer_no: r for r in _by_keys(
            session, select(_customer.c.customer_no, _customer.c.id, _customer.c.rm_id,
                            *(_customer.c[c] for c in self.CORE)),
            _customer.c.customer_no, keys)}
        plan = _Plan()
        now = self.now
        for row in rows:
            old = existing.get(row["customer_no"])
            if old is None:
                plan.inserts.append({
                    "customer_no": row["customer_no"], **{c: row[c] for c in self.CORE}, **name_keys(row["name"]),
                    "rm_id": row["rm_id"], "tier": "mass", "tier_manual": False, "aum": Decimal("0.00"),
                    "aum_daily_avg": Decimal("0.00"), "created_at": now, "updated_at": now, "version": 1})
                continue
            changes = {c: (getattr(old, c), row[c]) for c in self.CORE if getattr(old, c) != row[c]}
            rm_id = old.rm_id
            if old.rm_id is None and row["rm_id"] is not None:
                changes["rm_id"] = (None, row["rm_id"])
                rm_id = row["rm_id"]
            if not changes:
                plan.unchanged += 1
                continue
            new_keys = name_keys(row["name"])
            if "name" in changes:
                old_keys = name_keys(old.name)
                changes.update({k: (old_keys[k], v) for k, v in new_keys.items() if old_keys[k] != v})
            plan.updates.append((row["customer_no"], old.id, changes,
                                 {**{c: row[c] for c in self.CORE}, **new_keys, "rm_id": rm_id}))
        return plan

    def write(self, session, plan, progress, now):
        for _no, ident, changes, _row in plan.updates:
            audit.log_event(session, "customer.import_update", "customer", ident,
                            {c: [_plain(before), _plain(after)] for c, (before, after) in changes.items()})
        name_index = _NameIndexPause(session) if plan.inserts else None
        _write_plan(session, _customer, plan, [*self.CORE, *self.KEYS, "rm_id"], progress, self.fmt.kind,
                    bump_version=True, now=now)
        if name_index is not None:
            name_index.resume()
        return set()


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# -- accounts -------------------------------------------------------------------------------------

class _Accounts(_Checker):
    fmt = FORMATS["accounts"]
    COLUMNS = ("customer_id", "product_id", "currency", "balance", "opened_on", "matures_on", "status")

    def __init__(self, session, source, now):
        super().__init__(session, source, now)
        self.products = dict(session.execute(select(_product.c.product_code, _product.c.id)).all())

    def row(self, line, cells):
        problems: list[Problem] = []
        number = _required(_text(cells, self.p("account_no")), "account_no", line, problems, 40)
        customer_no = _required(_text(cells, self.p("customer_no")), "customer_no", line, problems, 32)
        code = _text(cells, self.p("product_code"))
        product_id = self.products.get(code)
        if product_id is None:
            problems.append(Problem(line, "product_code", _("No product with code {code}", code=code) if code
                                    else _("{column} is required", column="product_code")))
        currency = _text(cells, self.p("currency")).upper() or "CNY"
        if not _CURRENCY.fullmatch(currency):
            problems.append(Problem(line, "currency", _("{value} is not a currency code of three letters",
                                                        value=repr(currency))))
        balance = None
        try:
            balance = check_amount(_text(cells, self.p("balance")), field="balance", minimum=-MAX_AMOUNT)
        except ValidationError as exc:
            problems.append(Problem(line, "balance", exc.message))
        opened = _day(_text(cells, self.p("opened_on")), "opened_on", line, problems)
        matures = _day(_text(cells, self.p("matures_on")), "matures_on", line, problems)
        if opened and matures and matures < opened:
            problems.append(Problem(line, "matures_on", _("The account matures before it was opened")))
        status = _text(cells, self.p("status")).lower() or "active"
        if status not in ACCOUNT_STATUSES:
            problems.append(Problem(line, "status", _("{value} is not one of {known}", value=repr(status),
                                                      known=", ".join(ACCOUNT_STATUSES))))
        if number:
            self.key_once(number, line, problems)
        if problems:
            return None, problems
        return {"line": line, "account_no": number, "customer_no": customer_no, "product_id": product_id,
                "currency": currency, "balance": balance, "opened_on": opened, "matures_on": matures,
                "status": status}, problems

    def finish(self, session, rows):
        wanted = {r["customer_no"] for r in rows}
        ids = dict(_by_keys(session, select(_customer.c.customer_no, _customer.c.id), _customer.c.customer_no, wanted))
        good, bad = [], []
        for r in rows:
            cid = ids.get(r["customer_no"])
            if cid is None:
                bad.append(Rejected(r["line"], (Problem(r["line"], "customer_no", _(
                    "No customer with number {no}", no=r["customer_no"])),)))
            else:
                r["customer_id"] = cid
                good.append(r)
        return good, bad

    def plan(self, session, rows):
        keys = {r["account_no"] for r in rows}
        existing = {r.account_no: r for r in _by_keys(
            session, select(_account.c.account_no, _account.c.id, *(_account.c[c] for c in self.COLUMNS)),
            _account.c.account_no, keys)}
        inserts = [{k: r[k] for k in ("account_no", *self.COLUMNS)} for r in rows if r["account_no"] not in existing]
        plan = _upsert_plan([r for r in rows if r["account_no"] in existing], existing, "account_no", self.COLUMNS)
        plan.inserts = inserts
        return plan

    def write(self, session, plan, progress, now):
        affected = {r["customer_id"] for r in plan.inserts}
        moved = []
        for _no, ident, changes, row in plan.updates:
            affected.add(row["customer_id"])
            if "customer_id" in changes:
                affected.add(changes["customer_id"][0])
                moved.append({"b_account": ident, "b_customer": row["customer_id"]})
        _write_plan(session, _account, plan, list(self.COLUMNS), progress, self.fmt.kind)
        if moved:
            # A transaction carries its account's customer (the profile and alerts read by customer).
            session.execute(update(_txn).where(_txn.c.account_id == bindparam("b_account"))
                            .values(customer_id=bindparam("b_customer"))
                            .execution_options(synchronize_session=False), moved)
        return affected


# -- transactions ---------------------------------------------------------------------------------

_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
DIRECTION_SET = frozenset(DIRECTIONS)
CHANNEL_SET = frozenset(CHANNELS)


def _read_all_accounts(session: Session, path: Path) -> bool:
    """Whether a transactions file is about as large as the bank's accounts (a row takes some
    60 bytes; the highest account id stands for their number without counting them)."""
    accounts = session.execute(select(func.max(_account.c.id))).scalar() or 0
    return accounts <= path.stat().st_size // 60


def _real_clock(text: str) -> str:
    return f"{text}.000000" if _TIME.fullmatch(text) else ""


def _real_day(text: str) -> str:
    try:
        return f"{text} " if _DAY.fullmatch(text) and date.fromisoformat(text) else ""
    except ValueError:
        return ""


class _Transactions(_Checker):
    """The hot path (a day's transactions of a whole bank). A row stays a tuple in the form the
    driver writes: the time as UTC text ("2026-01-05 09:30:00.000000", SQLAlchemy's SQLite form;
    PostgreSQL reads it with "+00"), the amount as its checked text (a float on SQLite, like
    SQLAlchemy's NUMERIC there). A time becomes a ``datetime`` only when it is not written plainly
    as YYYY-MM-DDTHH:MM:SS in UTC."""

    fmt = FORMATS["transactions"]
    COLUMNS = ("account_id", "customer_id", "posted_at", "amount", "direction", "channel", "counterparty", "memo")

    def __init__(self, session, source, now):
        super().__init__(session, source, now)
        self.sqlite = session.connection().dialect.name == "sqlite"
        self.latest = _stored_time(now + timedelta(days=1))
        self.days: dict[str, str] = {}  # "YYYY-MM-DD" → "YYYY-MM-DD " when a real day, else ""
        self.clocks: dict[str, str] = {}  # "HH:MM:SS" → "HH:MM:SS.000000" when a time of day, else ""
        p = self.position
        self.take = itemgetter(*(p[c] for c in ("txn_id", "account_no", "posted_at", "amount", "direction",
                                                 "channel")))
        self.counterparty = p.get("counterparty")
        self.memo = p.get("memo")
        # A file about as large as the bank's accounts: read them all once and give each row its
        # account as it is checked; else look up the accounts the file names after reading it.
        self.known: dict[str, tuple[int, int]] | None = None
        if _read_all_accounts(session, source.path):
            self.known = {no: (aid, cid) for no, aid, cid in session.execute(
                select(_account.c.account_no, _account.c.id, _account.c.customer_id))}
        self.row = self._plain_row()

    def _plain_row(self) -> Callable[[int, list[str]], tuple]:
        """The check of a row as most rows are written: every value plain, in range and on its
        first appearance. Anything else (a space, capitals, an offset, any problem) goes through
        the full check, ``checked_row``, which says what is wrong."""
        take, days, clocks, latest = self.take, self.days, self.clocks, self.latest
        known, sqlite = self.known, self.sqlite
        seen, amount_ok, full, resolve = self.seen.setdefault, _AMOUNT.fullmatch, self.checked_row, self._resolve
        at_counterparty, at_memo = self.counterparty, self.memo
        directions, channels, fine = DIRECTION_SET, CHANNEL_SET, ()

        def row(line: int, cells: list[str]):
            txn_id, account_no, posted, amount, direction, channel = take(cells)
            txn_id, account_no = txn_id.strip(), account_no.strip()
            counterparty = cells[at_counterparty].strip() if at_counterparty is not None else ""
            memo = cells[at_memo].strip() if at_memo is not None else ""
            if (0 < len(txn_id) <= 40 and 0 < len(account_no) <= 40 and direction in directions
                    and channel in channels and len(counterparty) <= 100 and len(memo) <= 255
                    and amount_ok(amount) and amount.strip("0.") and len(posted) == 19 and posted[10] in "T "):
                day, clock = days.get(posted[:10]), clocks.get(posted[11:])
                if day is None:
                    day = days[posted[:10]] = _real_day(posted[:10])
                if clock is None:
                    clock = clocks[posted[11:]] = _real_clock(posted[11:])
                if day and clock:
                    stored = day + clock
                    if stored <= latest and seen(txn_id, line) == line:
                        if known is None:
                            return (line, txn_id, account_no, stored, amount, direction, channel,
                                    counterparty or None, memo or None), fine
                        found = known.get(account_no)
                        if found is not None:
                            if sqlite:
                                return (txn_id, found[0], found[1], stored, float(amount), direction, channel,
                                        counterparty or None, memo or None), fine
                            return (txn_id, found[0], found[1], stored + "+00", amount, direction, channel,
                                    counterparty or None, memo or None), fine
            parsed, problems = full(line, cells)
            if problems or known is None:
                return parsed, problems
            return resolve(parsed, known.get(parsed[2]))

        return row

    def _resolve(self, parsed: tuple, found: tuple[int, int] | None) -> tuple[tuple | None, list[Problem]]:
        """A checked row with its account (id, customer id), as the driver writes it."""
        line, txn_id, account_no, posted, amount, direction, channel, counterparty, memo = parsed
        if found is None:
            return None, [Problem(line, "account_no", _("No account with number {no}", no=account_no))]
        if self.sqlite:
            return (txn_id, found[0], found[1], posted, float(amount), direction, channel, counterparty, memo), []
        return (txn_id, found[0], found[1], posted + "+00", amount, direction, channel, counterparty, memo), []

    def _time(self, text: str) -> str | None:
        """The UTC time of ``text`` as stored, or None when it is not a time. The plain form's
        day and time of day are each checked once (a file has a few hundred days)."""
        if len(text) == 19 and text[10] in "T ":
            day = self.days.get(text[:10])
            if day is None:
                day = self.days[text[:10]] = _real_day(text[:10])
            clock = self.clocks.get(text[11:])
            if clock is None:
                clock = self.clocks[text[11:]] = _real_clock(text[11:])
            if day and clock:
                return day + clock
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return _stored_time(moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC))

    def checked_row(self, line, cells):
        txn_id, account_no, posted_text, amount, direction, channel = self.take(cells)
        txn_id, account_no = txn_id.strip(), account_no.strip()
        posted_text, amount = posted_text.strip(), amount.strip()
        counterparty = cells[self.counterparty].strip() if self.counterparty is not None else ""
        memo = cells[self.memo].strip() if self.memo is not None else ""
        problems: list[Problem] = []
        if not txn_id or len(txn_id) > 40:
            _required(txn_id, "txn_id", line, problems, 40)
        if not account_no or len(account_no) > 40:
            _required(account_no, "account_no", line, problems, 40)
        posted = self._time(posted_text)
        if posted is None:
            problems.append(Problem(line, "posted_at", _("{value} is not a time in ISO 8601 (2026-01-05T09:30:00)",
                                                         value=repr(posted_text))))
        elif posted > self.latest:
            problems.append(Problem(line, "posted_at", _("{value} is in the future", value=posted_text)))
        if not _AMOUNT.fullmatch(amount) or not amount.strip("0."):
            try:
                amount = str(check_amount(amount, minimum=Decimal("0.01")))
            except ValidationError as exc:
                problems.append(Problem(line, "amount", exc.message))
        if direction not in DIRECTION_SET:
            direction = direction.strip().lower()
            if direction not in DIRECTIONS:
                problems.append(Problem(line, "direction", _("{value} is not one of {known}", value=repr(direction),
                                                             known=", ".join(DIRECTIONS))))
        if channel not in CHANNEL_SET:
            channel = channel.strip().lower()
            if channel not in CHANNELS:
                problems.append(Problem(line, "channel", _("{value} is not one of {known}", value=repr(channel),
                                                           known=", ".join(CHANNELS))))
        if len(counterparty) > 100:
            _optional(counterparty, "counterparty", line, problems, 100)
        if len(memo) > 255:
            _optional(memo, "memo", line, problems, 255)
        if txn_id:
            first = self.seen.setdefault(txn_id, line)
            if first != line:
                problems.append(Problem(line, "txn_id", _("{value} is already on line {first} of this file",
                                                          value=txn_id, first=first)))
        if problems:
            return None, problems
        return (line, txn_id, account_no, posted, amount, direction, channel, counterparty or None,
                memo or None), problems

    def finish(self, session, rows):
        """Each row's account and customer (unless the accounts were all read first), as the driver writes it."""
        if self.known is not None:
            return rows, []
        accounts = {no: (aid, cid) for no, aid, cid in _by_keys(
            session, select(_account.c.account_no, _account.c.id, _account.c.customer_id),
            _account.c.account_no, {r[2] for r in rows})}
        good, bad = [], []
        for parsed in rows:
            row, problems = self._resolve(parsed, accounts.get(parsed[2]))
            if problems:
                bad.append(Rejected(parsed[0], tuple(problems)))
            else:
                good.append(row)
        return good, bad

    def _comparable(self, row) -> tuple:
        """A row of the file or of the table, in one form: amounts as Decimal, times as stored text."""
        posted = row[3] if isinstance(row[3], str) else _stored_time(row[3])
        return (row[1], row[2], posted.removesuffix("+00"), Decimal(str(row[4])).quantize(Decimal("0.01")),
                *row[5:9])

    def plan(self, session, rows):
        keys = self.seen  # every id of the file (a rejected row's too: harmless for a look-up)
        # Read as stored: no time or amount objects for the rows that are already there.
        existing = {r[0]: r for r in _by_keys(
            session, select(_txn.c.txn_id, _txn.c.account_id, _txn.c.customer_id,
                            type_coerce(_txn.c.posted_at, String), type_coerce(_txn.c.amount, Float),
                            _txn.c.direction, _txn.c.channel, _txn.c.counterparty, _txn.c.memo, _txn.c.id),
            _txn.c.txn_id, keys)}
        plan = _Plan()
        if not existing:
            plan.inserts = rows
            return plan
        for row in rows:
            old = existing.get(row[0])
            if old is None:
                plan.inserts.append(row)
                continue
            before, after = self._comparable(old), self._comparable(row)
            if before == after:
                plan.unchanged += 1
                continue
            values = dict(zip(self.COLUMNS, after))
            values["posted_at"] = datetime.fromisoformat(values["posted_at"]).replace(tzinfo=_UTC)
            changes = {c: (b, a) for c, b, a in zip(self.COLUMNS, before, after) if b != a}
            plan.updates.append((row[0], old.id, changes, values))
        return plan

    def write(self, session, plan, progress, now):
        stage = self.fmt.kind
        total = len(plan.inserts) + len(plan.updates)
        if progress and total:
            progress(stage, 0, total)
        affected = {r[2] for r in plan.inserts}
        for _no, _ident, changes, row in plan.updates:
            affected.add(row["customer_id"])
            if "customer_id" in changes:
                affected.add(changes["customer_id"][0])
        if plan.updates:
            _executemany_update(session, _txn, list(self.COLUMNS),
                                [{"b_id": ident, **{f"b_{c}": row[c] for c in self.COLUMNS}}
                                 for _no, ident, _c, row in plan.updates])
            if progress:
                progress(stage, len(plan.updates), total)
        if plan.inserts:
            aside = _set_indexes_aside(session, "txn", len(plan.inserts))
            done = len(plan.updates)
            for chunk in _chunks(plan.inserts, WRITE_CHUNK):
                insert_tuples(session, _txn, _TXN_INSERT, chunk)
                done += len(chunk)
                if progress:
                    progress(stage, done, total)
            _restore_indexes(session, aside, len(plan.inserts), progress)
        return affected


_TXN_INSERT = ("txn_id", "account_id", "customer_id", "posted_at", "amount", "direction", "channel", "counterparty",
               "memo")


def _stored_time(moment: datetime) -> str:
    """A time as SQLAlchemy's SQLite dialect stores it: UTC text with microseconds."""
    return moment.astimezone(_UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def insert_tuples(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples of ``columns``) in the session's transaction, as the driver takes
    them: on SQLite its executemany (times as ``_stored_time`` text, dates as ISO text, amounts
    as numbers, as SQLAlchemy's SQLite dialect writes them), on PostgreSQL COPY."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         rows)


def _set_indexes_aside(session: Session, table: str, new_rows: int) -> list[str]:
    """On SQLite, when the file brings at least as many rows as ``table`` holds (and many),
    drop its non-unique indexes inside the import's transaction; the DDL to build them again."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or new_rows < BULK_FROM:
        return []
    held = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar()
    if new_rows < held:
        return []
    from ocrm_tui.services.demo import _drop_secondary_structures

    return _drop_secondary_structures(conn, [table])


def _restore_indexes(session: Session, statements: list[str], rows: int, progress: Progress | None) -> None:
    if not statements:
        return
    if progress:
        progress("indexes", 0, rows)
    conn = session.connection()
    for statement in statements:
        conn.exec_driver_sql(statement)
    if progress:
        progress("indexes", rows, rows)


CHECKERS: dict[str, type[_Checker]] = {"customers": _Customers, "products": _Products, "accounts": _Accounts,
                                       "transactions": _Transactions}


# -- the import -----------------------------------------------------------------------------------

@dataclass
class _Checked:
    rows: list
    rejected: list[Rejected]
    total: int
    extra: tuple[str, ...]
    checker: _Checker


def _check(session: Session, fmt: Format, path: Path, now: datetime, progress: Progress | None) -> _Checked:
    if not path.is_file():
        raise FileRefused(_("{path} is not a file that can be read", path=str(path)))
    source = None
    total = 0
    try:
        source = _Source(path, fmt)
        checker = CHECKERS[fmt.kind](session, source, now)
        rows: list = []
        rejected: list[Rejected] = []
        width = source.width
        check_row = checker.row
        append = rows.append
        if progress:
            progress("read", 0, 0)
        for line, cells in source.records:
            if len(cells) != width:
                if len(cells) == 1 and not cells[0].strip():
                    continue  # a blank line
                total += 1
                shown = source.names[len(cells)] if len(cells) < width else ""
                rejected.append(Rejected(line, (Problem(line, shown, _(
                    "{n} values where the header has {m} columns", n=len(cells), m=width)),)))
            else:
                total += 1
                row, problems = check_row(line, cells)
                if problems:
                    rejected.append(Rejected(line, tuple(problems)))
                else:
                    append(row)
            if progress and total % CHECK_CHUNK == 0:
                progress("read", total, 0)
    except UnicodeDecodeError:
        raise FileRefused(_("{path} is not UTF-8 text", path=str(path))) from None
    except csv.Error as exc:
        line = source.where[0] if source else 1
        raise FileRefused(_("Line {line}: the file cannot be read as comma-separated values ({reason})",
                            line=line, reason=str(exc)), line=line) from None
    except OSError as exc:
        raise FileRefused(_("{path} cannot be read: {reason}", path=str(path),
                            reason=exc.strerror or str(exc))) from None
    finally:
        if source is not None:
            source.close()
    if not total:
        raise FileRefused(_("The file has a header but no rows"), line=2)
    rows, more = checker.finish(session, rows)
    if more:
        rejected = sorted(rejected + more, key=lambda r: r.line)
    if progress:
        progress("read", total, total)
    return _Checked(rows, rejected, total, source.extra, checker)


def _refusal(rejected: list[Rejected]) -> FileRefused:
    problems = [p for r in rejected for p in r.problems]
    first = problems[0]
    message = _("{where}: {reason}; nothing was imported",
                where=(_("Line {line}, column {column}", line=first.line, column=first.column) if first.column
                       else _("Line {line}", line=first.line)), reason=first.reason)
    if len(rejected) > 1:
        message = _("{message} ({n} bad rows in all)", message=message, n=f"{len(rejected):,}")
    return FileRefused(message, line=first.line, column=first.column or None, bad_rows=len(rejected),
                       problems=problems)


def import_file(session: Session, actor: Actor, kind: str, path: str | Path, *, dry_run: bool = False,
                skip_invalid: bool = False, progress: Progress | None = None,
                clock: Clock = system_clock) -> ImportResult:
    """Check the whole file, then load it in one transaction (see the module's description).

    Raises FileRefused (nothing written) when the file cannot be read, lacks a required
    column, or has bad rows and ``skip_invalid`` is not set. Commits, except in a dry run.
    """
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator imports files"))
    if kind not in FORMATS:
        raise ValidationError(_("{value} is not one of {known}", value=repr(kind), known=", ".join(KINDS)),
                              field="kind")
    fmt = FORMATS[kind]
    path = Path(path).expanduser()
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    with _no_cycle_collection():
        started = time.perf_counter()
        checked = _check(session, fmt, path, now, progress)
        result = ImportResult(kind=kind, file=path.name, sha256=_sha256(path), rows=checked.total,
                              rejected=checked.rejected, extra_columns=checked.extra, dry_run=dry_run)
        if checked.rejected and not skip_invalid:
            raise _refusal(checked.rejected)
        plan = checked.checker.plan(session, checked.rows)
        result.inserted, result.updated, result.unchanged = len(plan.inserts), len(plan.updates), plan.unchanged
        result.check_seconds = time.perf_counter() - started
        if dry_run:
            session.rollback()
            return result
        started = time.perf_counter()
        affected = checked.checker.write(session, plan, progress, now)
        result.write_seconds = time.perf_counter() - started
    del checked, plan
    if affected:
        if progress:
            progress("aum", 0, len(affected))
        result.aum = refresh_customers(session, actor, affected, clock=clock, commit=False)
        if progress:
            progress("aum", len(affected), len(affected))
    if result.rejected:
        # Before the commit: an import whose rejects cannot be kept is not done.
        result.rejects_path = write_rejects(path, result.rejected, rejects_path(path))
    audit.log_event(session, f"import.{kind}", fmt.entity, None, _audit_details(result))
    session.commit()
    return result


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Millions of row tuples kept in lists make Python's cyclic garbage collector walk them
    again and again (a tenth of the time of a large file); they hold no cycles, so it rests
    while a file is checked and written."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _audit_details(result: ImportResult) -> dict:
    details = {"file": result.file, "sha256": result.sha256, "rows": result.rows, "inserted": result.inserted,
               "updated": result.updated, "unchanged": result.unchanged, "rejected": len(result.rejected)}
    if result.extra_columns:
        details["extra_columns"] = list(result.extra_columns)
    if result.rejects_path:
        details["rejects_file"] = result.rejects_path.name
    if result.aum is not None:
        details["aum_customers"] = result.aum.customers
        details["tiers_changed"] = result.aum.tiers_changed
    return details


def write_rejects(path: Path, rejected: list[Rejected], target: Path) -> Path:
    """The rejected rows as they are in ``path``, after their line number, with the reason."""
    reasons = {r.line: r.reason for r in rejected}
    try:
        with open(path, encoding="utf-8-sig", newline="") as source, \
                open(target, "w", encoding="utf-8-sig", newline="") as out:
            records = _records(source, [1])
            writer = csv.writer(out)
            _line, header = next(records)
            writer.writerow(["line", *header, "reason"])
            for line, cells in records:
                if line in reasons:
                    writer.writerow([line, *(cells + [""] * len(header))[:len(header)], reasons[line]])
    except OSError as exc:
        raise ValidationError(_("{path} cannot be written: {reason}", path=str(target),
                                reason=exc.strerror or str(exc)), field="rejects") from None
    return target


@contextmanager
def import_session(db, *, write: bool = True) -> Iterator[Session]:
    """A session for one import of ``db`` (a ``Database``).

    On SQLite the import's connection leaves foreign-key checks to the import (every key it
    writes was read in the same write transaction, which no other terminal can change
    meanwhile; the checks cost about as much as the inserts) and keeps a larger page cache;
    both are put back before the connection goes back to the pool.
    """
    if not write or not db.is_sqlite:
        with db.session(write=write) as session:
            yield session
        return
    with db.engine.connect() as conn:
        conn.execution_options(ocrm_write=True)
        raw = conn.connection.driver_connection
        cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("PRAGMA cache_size=-262144")
        try:
            with Session(bind=conn, expire_on_commit=False) as session:
                yield session
        finally:
            if conn.in_transaction():
                conn.rollback()
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute(f"PRAGMA cache_size={int(cache)}")
