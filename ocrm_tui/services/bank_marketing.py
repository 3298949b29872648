"""`ocrm import bank-marketing`: the UCI "Bank Marketing" file as customers and one ended campaign.

The file (``bank-full.csv``: ``;``-separated, a header row, one customer contacted by
telephone per row, in contact order from May 2008 to November 2010) is taken as it is:

- each row is a customer numbered after its row (``UCI0000001`` is the first data row, so
  a second import finds the same customers), without a name (staff see "Customer
  UCI0000001"), mobile or RM, in the organisation given (default: the head office);
- job, marital status and education become profile fields in the bank's words; the
  average yearly balance becomes the AUM and daily-average AUM (a negative balance counts
  as no assets; the figure itself is kept in the financial status); the tier follows from
  the AUM by the bank's tier rule, except where a manager set the tier by hand;
- a loan in default, a housing loan and a personal loan become tags (房贷客户 is the
  bank's existing mortgage tag);
- the campaign columns become one ended phone campaign, "Term deposit telemarketing
  2008–2010", with one target per row: converted when the customer subscribed (y = yes),
  else declined, contacted on the row's day and month (the year follows from the order:
  it moves on when the month goes back), with the channel, call length and number of
  calls in the note.

Every row is checked before anything is written; one bad row refuses the whole file,
naming the line, the column and why. The load is one transaction of bulk inserts (a
few seconds for the 45,211 rows) audited as one ``import.bank_marketing`` event with
the counts. Importing the same file again changes nothing and says so; tags are only
ever added, never taken off (staff may have tagged the customer since).
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time as day_time, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from ocrm_tui.db.models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CampaignType,
    Customer,
    CustomerTag,
    Organisation,
    Tag,
    TagFamily,
    TargetStatus,
)
from ocrm_tui.i18n import SUPPORTED, _, _c, translate_in
from ocrm_tui.services import audit, tags, tiers
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.validation import MAX_AMOUNT, RESIDENT_ID

COLUMNS = ("age", "job", "marital", "education", "default", "balance", "housing", "loan", "contact", "day", "month",
           "duration", "campaign", "pdays", "previous", "poutcome", "y")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
FIRST_YEAR = 2008
STARTS_ON = date(2008, 5, 1)
ENDS_ON = date(2010, 11, 30)
NUMBER_PREFIX = "UCI"
# The campaign's name (in the language of whoever imports it; found again in either).
CAMPAIGN_NAME = "Term deposit telemarketing 2008–2010"
CHUNK = 5000
MAX_REPORTED = 1  # bad rows named in the refusal (the first); the others are counted

# The file's codes in the bank's words (profile values are kept in Chinese, like the
# bank's own customer files); "unknown" is no value.
JOBS = {
    "admin.": "行政人员", "blue-collar": "蓝领工人", "entrepreneur": "企业主", "housemaid": "家政服务员",
    "management": "管理人员", "retired": "退休人员", "self-employed": "个体工商户", "services": "服务业人员",
    "student": "学生", "technician": "技术人员", "unemployed": "待业人员", "unknown": None,
}
MARITAL = {"married": "已婚", "single": "未婚", "divorced": "离异或丧偶"}
EDUCATION = {"primary": "小学", "secondary": "中学", "tertiary": "高等教育", "unknown": None}
CONTACTS = ("cellular", "telephone", "unknown")
POUTCOMES = ("success", "failure", "other", "unknown")
YES_NO = ("yes", "no")
# (column whose "yes" gives the tag, tag name, family)
TAGS = (("default", "信用违约客户", TagFamily.CUSTOM), ("housing", "房贷客户", TagFamily.CUSTOM),
        ("loan", "个人贷款客户", TagFamily.CUSTOM))

_customer = Customer.__table__  # type: ignore[attr-defined]
_target = CampaignTarget.__table__  # type: ignore[attr-defined]
_campaign = Campaign.__table__  # type: ignore[attr-defined]
_tag = Tag.__table__  # type: ignore[attr-defined]
_ct = CustomerTag.__table__  # type: ignore[attr-defined]

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class BadFile(ValidationError):
    """The file is refused: ``line`` and ``field`` (the column) say where, the message why."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None, bad_rows: int = 1):
        super().__init__(message, field=column)
        self.line = line
        self.bad_rows = bad_rows


@dataclass(frozen=True, slots=True)
class BankRow:
    number: int  # data row 1, 2, … (the customer number)
    line: int
    age: int
    job: str
    marital: str
    education: str
    default: bool
    balance: Decimal
    housing: bool
    loan: bool
    contact: str
    contacted_on: date
    duration: int
    calls: int
    pdays: int
    previous: int
    poutcome: str
    subscribed: bool
    customer_no: str



@dataclass(frozen=True)
class BankFile:
    path: Path
    rows: list[BankRow]
    sha256: str
    extra_columns: tuple[str, ...] = ()


@dataclass
class ImportResult:
    rows: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    tags_created: list[str] = field(default_factory=list)
    customer_tags_added: int = 0
    campaign_id: int | None = None
    campaign_name: str = ""
    campaign_created: bool = False
    targets_added: int = 0
    targets_already: int = 0
    converted: int = 0  # rows with y = yes
    tiers: dict[str, int] = field(default_factory=dict)  # tier → imported customers in it
    extra_columns: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.customers_added or self.customers_updated or self.tags_created or self.customer_tags_added
                    or self.campaign_created or self.targets_added)


def customer_number(row_number: int) -> str:
    return f"{NUMBER_PREFIX}{row_number:07d}"


# -- reading and checking -------------------------------------------------------------------------

def _problem(line: int, column: str, reason: str) -> tuple[int, str, str]:
    return line, column, reason


def _whole(value: str, low: int, high: int | None = None) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    if number < low or (high is not None and number > high):
        return None
    return number


class _Checker:
    """Checks one row after another; the year of a contact follows from the order of the rows."""

    def __init__(self) -> None:
        self.year = FIRST_YEAR
        self.last_month = 0

    def row(self, number: int, line: int, cells: dict[str, str]) -> tuple[BankRow | None, tuple[int, str, str] | None]:
        def bad(column: str, reason: str):
            return None, _problem(line, column, reason)

        age = _whole(cells["age"], 0, 130)
        if age is None:
            return bad("age", _("{value} is not an age in years", value=repr(cells["age"])))
        for column, known in (("job", JOBS), ("marital", MARITAL), ("education", EDUCATION), ("contact", CONTACTS),
                              ("poutcome", POUTCOMES), ("default", YES_NO), ("housing", YES_NO), ("loan", YES_NO),
                              ("y", YES_NO), ("month", MONTHS)):
            if cells[column] not in known:
                return bad(column, _("{value} is not one of {known}", value=repr(cells[column]),
                                     known=", ".join(known)))
        try:
            balance = Decimal(cells["balance"])
        except InvalidOperation:
            return bad("balance", _("{value} is not an amount", value=repr(cells["balance"])))
        if not balance.is_finite() or abs(balance) > MAX_AMOUNT or balance != balance.quantize(Decimal("0.01")):
            return bad("balance", _("{value} is not an amount", value=repr(cells["balance"])))
        numbers = {}
        for column, low in (("day", 1), ("duration", 0), ("campaign", 1), ("pdays", -1), ("previous", 0)):
            value = _whole(cells[column], low, 31 if column == "day" else 1_000_000)
            if value is None:
                return bad(column, _("{value} is not a whole number from {low}", value=repr(cells[column]), low=low))
            numbers[column] = value
        month = MONTHS.index(cells["month"]) + 1
        year = self.year + (1 if month < self.last_month else 0)
        try:
            contacted_on = date(year, month, numbers["day"])
        except ValueError:
            return bad("day", _("{year}-{month:02d} has no day {day}", year=year, month=month, day=numbers["day"]))
        self.year, self.last_month = year, month
        return BankRow(number, line, age, cells["job"], cells["marital"], cells["education"], cells["default"] == "yes",
                       balance, cells["housing"] == "yes", cells["loan"] == "yes", cells["contact"], contacted_on,
                       numbers["duration"], numbers["campaign"], numbers["pdays"], numbers["previous"],
                       cells["poutcome"], cells["y"] == "yes", customer_number(number)), None


def _lines(path: Path, digest) -> Iterator[str]:
    with open(path, "rb") as f:
        for raw in f:
            digest.update(raw)
            yield raw.decode("utf-8")


def read_file(path: str | Path, *, progress: Progress | None = None) -> BankFile:
    """Read and check the whole file. A bad row refuses it (``BadFile``): the first one is
    named (line, column, why) with the number of bad rows in all."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadFile(_("{path} is not a file that can be read", path=str(path)))
    digest = hashlib.sha256()
    rows: list[BankRow] = []
    problems: list[tuple[int, str, str]] = []
    bad_rows = 0
    try:
        reader = csv.reader(_lines(path, digest), delimiter=";", quotechar='"', strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise BadFile(_("The file is empty")) from None
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        names = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise BadFile(_("Line 1: the header has no column {column}; a bank-marketing file has the columns {columns}",
                            column=missing[0], columns=";".join(COLUMNS)), line=1, column=missing[0])
        duplicated = sorted({n for n in names if n and names.count(n) > 1})
        if duplicated:
            raise BadFile(_("Line 1: the column {column} appears twice in the header", column=duplicated[0]),
                          line=1, column=duplicated[0])
        position = {c: names.index(c) for c in COLUMNS}
        extra = tuple(h for h in names if h not in COLUMNS)
        checker = _Checker()
        number = 0
        for cells in reader:
            line = reader.line_num
            if not cells or cells == [""]:
                continue  # a blank line
            number += 1
            if len(cells) != len(names):
                bad_rows += 1
                shown = names[len(cells)] if len(cells) < len(names) else ""  # the first column without a value
                if len(problems) < MAX_REPORTED:
                    problems.append(_problem(line, shown, _("{n} values where the header has {m} columns",
                                                            n=len(cells), m=len(names))))
                continue
            row, problem = checker.row(number, line, {c: cells[i].strip() for c, i in position.items()})
            if problem is not None:
                bad_rows += 1
                if len(problems) < MAX_REPORTED:
                    problems.append(problem)
                continue
            rows.append(row)
            if progress and number % CHUNK == 0:
                progress("read", number, 0)
    except UnicodeDecodeError:
        raise BadFile(_("{path} is not UTF-8 text", path=str(path))) from None
    except csv.Error as exc:
        raise BadFile(_("Line {line}: the file cannot be read as ;-separated values ({reason})",
                        line=reader.line_num, reason=str(exc)), line=reader.line_num) from None
    except OSError as exc:
        raise BadFile(_("{path} cannot be read: {reason}", path=str(path), reason=exc.strerror or str(exc))) from None
    if problems:
        line, column, reason = problems[0]
        where = (_("Line {line}, column {column}", line=line, column=column) if column
                 else _("Line {line}", line=line))
        message = _("{where}: {reason}; nothing was imported", where=where, reason=reason)
        if bad_rows > 1:
            message = _("{message} ({n} bad rows in all)", message=message, n=f"{bad_rows:,}")
        raise BadFile(message, line=line, column=column or None, bad_rows=bad_rows)
    if not rows:
        raise BadFile(_("The file has a header but no rows"))
    if progress:
        progress("read", len(rows), len(rows))
    return BankFile(path, rows, digest.hexdigest(), extra)


# -- what a row becomes ---------------------------------------------------------------------------

def _aum(balance: Decimal) -> Decimal:
    return max(balance, Decimal(0)).quantize(Decimal("0.01"))


def financial_status(balance: Decimal) -> str:
    # A profile value in the bank's words, whatever language the import ran in.
    return f"年均余额 {balance.normalize():f} 欧元"


def _facts(row: BankRow) -> dict:
    return {"occupation": JOBS[row.job], "marital_status": MARITAL[row.marital], "education": EDUCATION[row.education],
            "financial_status": financial_status(row.balance), "aum": _aum(row.balance),
            "aum_daily_avg": _aum(row.balance)}


def _contact_word(contact: str) -> str:
    return {"cellular": _("mobile phone"), "telephone": _("landline"), "unknown": _("unknown channel")}[contact]


def _earlier_word(poutcome: str) -> str:
    return {"success": _c("earlier campaign", "success"), "failure": _c("earlier campaign", "failure"),
            "other": _c("earlier campaign", "other"), "unknown": _c("earlier campaign", "unknown")}[poutcome]


def target_note(row: BankRow) -> str:
    note = _("{channel}; last call {seconds} s; calls in this campaign: {calls}",
             channel=_contact_word(row.contact), seconds=row.duration, calls=row.calls)
    if row.previous and row.pdays >= 0:
        note += "; " + _("earlier campaigns: calls {calls}, the last {days} days before, outcome {outcome}",
                         calls=row.previous, days=row.pdays, outcome=_earlier_word(row.poutcome))
    elif row.previous:
        note += "; " + _("earlier campaigns: calls {calls}, outcome {outcome}", calls=row.previous,
                         outcome=_earlier_word(row.poutcome))
    return note


def _contacted_at(day: date) -> datetime:
    # The file gives the day only: noon UTC is that day in every branch's time zone.
    return datetime.combine(day, day_time(12, 0), tzinfo=timezone.utc)


# -- loading --------------------------------------------------------------------------------------

def _root_org(session: Session) -> Organisation:
    org = session.scalars(select(Organisation).where(Organisation.parent_id.is_(None))
                          .order_by(Organisation.id).limit(1)).first()
    if org is None:
        raise ValidationError(_("There is no organisation yet; add the head office first (ocrm org add)"),
                              field="org")
    return org


def _campaign_names() -> list[str]:
    names = []
    for lang in SUPPORTED:
        name = translate_in(lang, CAMPAIGN_NAME)
        if name not in names:
            names.append(name)
    return names


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _bulk_writer(session: Session) -> Callable[[object, list[dict]], None]:
    """Rows inserted many at a time, in the session's transaction: on SQLite the driver's
    executemany of tuples (the demo's writer: Core spends most of a bulk load building
    parameters row by row), on PostgreSQL COPY (several times faster than a multi-row
    INSERT), elsewhere SQLAlchemy Core's executemany."""
    from ocrm_tui.services.demo import CoreWriter, SqliteTupleWriter

    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return lambda table, rows: _copy_rows(conn, table, rows)
    writer = SqliteTupleWriter() if conn.dialect.name == "sqlite" else CoreWriter()
    return lambda table, rows: writer.write(conn, table, rows)


def _copy_rows(conn, table, rows: list[dict]) -> None:
    """PostgreSQL COPY … FROM STDIN of dictionaries with the same keys (psycopg adapts the
    values: text, integers, Decimal, booleans, aware datetimes, None as NULL)."""
    keys = tuple(rows[0])
    columns = ", ".join(f'"{table.c[k].name}"' for k in keys)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row[k] for k in keys))


class _NameIndexPause:
    """On SQLite, the name-fragment index (FTS5) is kept in step by a trigger per inserted
    customer, which costs about 0.1 ms a row; for a bulk load the trigger is set aside and
    the new customers are indexed in one statement. Both happen inside the import's write
    transaction (SQLite's DDL is transactional, and no other terminal writes meanwhile):
    a failed import puts the trigger back with everything else."""

    TRIGGER = "customer_name_fts_insert"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ddl: str | None = None
        self.after_id = 0
        conn = session.connection()
        if conn.dialect.name != "sqlite":
            return
        self.ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                        (self.TRIGGER,)).scalar()
        if self.ddl:
            self.after_id = conn.execute(select(func.coalesce(func.max(_customer.c.id), 0))).scalar_one()
            conn.exec_driver_sql(f"DROP TRIGGER {self.TRIGGER}")

    def resume(self) -> None:
        if not self.ddl:
            return
        conn = self.session.connection()
        conn.exec_driver_sql("INSERT INTO customer_name_fts(rowid, name_chars) "
                             "SELECT id, name_chars FROM customer WHERE id > ?", (self.after_id,))
        conn.exec_driver_sql(self.ddl)
        self.ddl = None


def import_bank_marketing(session: Session, actor: Actor, path: str | Path, *, org_code: str | None = None,
                          progress: Progress | None = None, clock: Clock = system_clock,
                          bank_file: BankFile | None = None) -> ImportResult:
    """Check the whole file, then load it in one transaction (see the module's description)."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator imports files"))
    started = time.perf_counter()
    data = bank_file or read_file(path, progress=progress)
    audit.acting_as(session, actor, clock=clock)
    org = get_org_by_code(session, org_code.strip()) if org_code and org_code.strip() else _root_org(session)
    thresholds = tiers.tier_thresholds(session)
    now = clock()
    result = ImportResult(rows=len(data.rows), converted=sum(r.subscribed for r in data.rows),
                          extra_columns=data.extra_columns)
    total = len(data.rows)

    write = _bulk_writer(session)

    # Customers: added, or brought up to date when the file says something else. The file's
    # customer numbers are one range of the unique index: read once, not row by row.
    numbers = {r.customer_no for r in data.rows}
    in_file = _customer.c.customer_no.between(min(numbers), max(numbers))
    existing = {r.customer_no: r for r in session.execute(
        select(_customer.c.id, _customer.c.customer_no, _customer.c.occupation, _customer.c.marital_status,
               _customer.c.education, _customer.c.financial_status, _customer.c.aum, _customer.c.aum_daily_avg,
               _customer.c.tier, _customer.c.tier_manual).where(in_file)) if r.customer_no in numbers}
    name_index = _NameIndexPause(session)
    done = 0
    for chunk in _chunks(data.rows):
        new_rows, changed_rows = [], []
        for row in chunk:
            facts = _facts(row)
            tier = tiers.tier_for(facts["aum_daily_avg"], thresholds)
            old = existing.get(row.customer_no)
            if old is None:
                new_rows.append({"customer_no": row.customer_no, "name": "", "name_pinyin": "", "name_initials": "",
                                 "name_chars": "", "id_type": RESIDENT_ID, "mobile": "", "org_id": org.id,
                                 "tier": tier, "tier_manual": False, "created_at": now, "updated_at": now,
                                 "version": 1, **facts})
            elif any(getattr(old, k) != v for k, v in facts.items()):
                changed_rows.append({"b_id": old.id, "b_tier": old.tier if old.tier_manual else tier,
                                     "b_now": now, **{f"b_{k}": v for k, v in facts.items()}})
            else:
                result.customers_unchanged += 1
        if new_rows:
            write(_customer, new_rows)
            result.customers_added += len(new_rows)
        if changed_rows:
            session.execute(
                update(_customer).where(_customer.c.id == bindparam("b_id"))
                .values(**{k: bindparam(f"b_{k}") for k in _facts(chunk[0])}, tier=bindparam("b_tier"),
                        updated_at=bindparam("b_now"), version=_customer.c.version + 1)
                .execution_options(synchronize_session=False),
                changed_rows)
            result.customers_updated += len(changed_rows)
        done += len(chunk)
        if progress:
            progress("customers", done, total)
    name_index.resume()
    ids: dict[str, int] = {}
    tier_counts: dict[str, int] = {}
    for no, cid, tier in session.execute(select(_customer.c.customer_no, _customer.c.id, _customer.c.tier)
                                         .where(in_file)):
        if no in numbers:
            ids[no] = cid
            tier_counts[tier] = tier_counts.get(tier, 0) + 1
    result.tiers = {t: tier_counts[t] for t in tiers.TIERS if tier_counts.get(t)}

    # Tags: the bank's tag when it exists, else a new one; customers on file before may have them.
    tag_ids: dict[str, int] = {}
    for column, name, family in TAGS:
        tag = tags.find_tag(session, name)
        if tag is None:
            tag_ids[column] = session.execute(insert(_tag).values(name=name, family=family, created_at=now)
                                              .returning(_tag.c.id)).scalar_one()
            result.tags_created.append(name)
        else:
            tag_ids[column] = tag.id
    have: set[tuple[int, int]] = set()
    if existing:
        have = {(t, c) for t, c in session.execute(
            select(_ct.c.tag_id, _ct.c.customer_id).join(_customer, _customer.c.id == _ct.c.customer_id)
            .where(_ct.c.tag_id.in_(list(tag_ids.values())), in_file))}
    done = 0
    for chunk in _chunks(data.rows):
        rows = [{"tag_id": tag_ids[column], "customer_id": ids[r.customer_no], "created_at": now,
                 "created_by": actor.id}
                for r in chunk for column, _n, _f in TAGS
                if getattr(r, column) and (tag_ids[column], ids[r.customer_no]) not in have]
        if rows:
            write(_ct, rows)
            result.customer_tags_added += len(rows)
        done += len(chunk)
        if progress:
            progress("tags", done, total)

    # The campaign and its targets.
    name = _(CAMPAIGN_NAME)
    campaign_id = session.scalar(select(_campaign.c.id).where(
        _campaign.c.name.in_(_campaign_names()), _campaign.c.type == CampaignType.PHONE.value,
        _campaign.c.starts_on == STARTS_ON, _campaign.c.ends_on == ENDS_ON).order_by(_campaign.c.id).limit(1))
    on_list: set[int] = set()
    if campaign_id is None:
        campaign_id = session.execute(insert(_campaign).values(
            name=name, type=CampaignType.PHONE.value,
            goal=_("Term deposit subscriptions by telephone (UCI Bank Marketing data set)"),
            owner_id=actor.id, org_id=org.id if org_code else None, starts_on=STARTS_ON, ends_on=ENDS_ON,
            budget=Decimal("0.00"), actual_cost=Decimal("0.00"), status=CampaignStatus.ENDED.value, filter_json="{}",
            generated_at=now, created_by=actor.id, created_at=now, updated_by=actor.id, updated_at=now, version=1,
        ).returning(_campaign.c.id)).scalar_one()
        result.campaign_created = True
        result.campaign_name = name
    else:
        result.campaign_name = session.scalar(select(_campaign.c.name).where(_campaign.c.id == campaign_id)) or name
        on_list = set(session.scalars(select(_target.c.customer_id).where(_target.c.campaign_id == campaign_id)))
    result.campaign_id = campaign_id
    done = 0
    for chunk in _chunks(data.rows):
        rows = [{"campaign_id": campaign_id, "customer_id": ids[r.customer_no], "rm_id": None,
                 "status": (TargetStatus.CONVERTED if r.subscribed else TargetStatus.DECLINED).value,
                 "converted_amount": None, "contacted_at": _contacted_at(r.contacted_on), "note": target_note(r),
                 "added_at": now, "updated_by": actor.id, "updated_at": now}
                for r in chunk if ids[r.customer_no] not in on_list]
        if rows:
            write(_target, rows)
        result.targets_added += len(rows)
        result.targets_already += len(chunk) - len(rows)
        done += len(chunk)
        if progress:
            progress("targets", done, total)

    result.seconds = time.perf_counter() - started
    audit.log_event(session, "import.bank_marketing", "campaign", campaign_id, {
        "file": data.path.name, "sha256": data.sha256, "rows": result.rows, "org": org.code,
        "customers_added": result.customers_added, "customers_updated": result.customers_updated,
        "customers_unchanged": result.customers_unchanged, "tags_created": result.tags_created,
        "customer_tags_added": result.customer_tags_added, "campaign_created": result.campaign_created,
        "targets_added": result.targets_added, "targets_already": result.targets_already,
        "converted": result.converted})
    session.commit()
    return result
