"""Customer search: one input, the service recognises what was typed.

=====================  ==========================================================
typed                  searched
=====================  ==========================================================
110105199003071234     resident ID number (18 characters, or 15 digits), exact
13812345678            mobile, exact
9100000042, E1234567   customer number or another ID number (passport …), exact
5678                   last four digits of the mobile
张伟, 伟               Chinese name: names starting with it, then names containing it
zw, zhangwei           pinyin: full pinyin prefix, then initials prefix (zw → 张伟, 章薇)
张伟 1987, zw 5678     a name narrowed by birth year or mobile tail (or an 11-digit mobile)
=====================  ==========================================================

Every query is limited to the actor's data scope (``scope.customer_scope``); a teller's
exact lookup (ID number, mobile, customer number) also finds customers of their own
branch they have not served yet — opening one at the counter records a service contact
(``customers.open_at_counter``).

Results come in pages by keyset (the last row's sort key), never OFFSET: each phase of a
search (name prefix, then name fragment) is read in its index order.

Name fragments use a per-character index, because Chinese names are mostly 2–3
characters and trigram indexes cannot answer 1–2 character fragments: SQLite's FTS5
table ``customer_name_fts`` over ``name_chars`` ("张 伟 明"), PostgreSQL's GIN index over
``ocrm_name_grams(name)`` (every character and character pair). Both are kept in step by
the database (migration 0002).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ARRAY, ColumnElement, Select, Text, and_, cast, column, false, func, literal_column, not_, or_, select, table, tuple_
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from ocrm_tui.db.models import Customer, Organisation, Role, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.scope import customer_scope, org_subtree_ids
from ocrm_tui.services.validation import normalise_text

PAGE = 50
MAX_QUERY = 60  # characters; anything longer is not a lookup anyone types

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_NAME = re.compile(rf"^[{_CJK}·•]+$")
_PINYIN = re.compile(r"^[a-z]+$")
_RESIDENT_ID = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_MOBILE = re.compile(r"^1\d{10}$")
_TAIL = re.compile(r"^\d{4}$")
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9\-/]{2,39}$")
_VOWELS = set("aeiouv")

# The last four digits of the mobile: the same expression as the index ix_customer_mobile_tail.
MOBILE_TAIL = func.substr(Customer.mobile, func.length(Customer.mobile) - literal_column("3"))

# SQLite: the FTS5 index of name characters (rowid = customer.id).
_FTS = table("customer_name_fts", column("rowid"), column("customer_name_fts"))

EXACT_KINDS = frozenset({"id", "mobile", "number"})


@dataclass(frozen=True)
class ParsedQuery:
    """What the search text was recognised as."""

    kind: str  # empty / id / mobile / number / tail / name / pinyin / unrecognised / too_long
    term: str = ""
    years: tuple[int, ...] = ()  # narrowing: birth year …
    tails: tuple[str, ...] = ()  # … or last four digits of the mobile
    mobiles: tuple[str, ...] = ()  # … or the whole mobile

    @property
    def exact(self) -> bool:
        return self.kind in EXACT_KINDS


def parse(text: str) -> ParsedQuery:
    """Recognise a search text (full-width digits and letters count as ASCII)."""
    text = normalise_text(text or "")
    if not text:
        return ParsedQuery("empty")
    if len(text) > MAX_QUERY:
        return ParsedQuery("too_long")
    tokens = text.split()
    if len(tokens) == 1:
        token = tokens[0]
        upper = token.upper()
        if _RESIDENT_ID.match(upper):
            return ParsedQuery("id", upper)
        if _MOBILE.match(token):
            return ParsedQuery("mobile", token)
        if _TAIL.match(token):
            return ParsedQuery("tail", token)
        if _NAME.match(token):
            return ParsedQuery("name", token)
        if _PINYIN.match(token.lower()):
            return ParsedQuery("pinyin", token.lower())
        if _NUMBER.match(upper):
            return ParsedQuery("number", upper)
        return ParsedQuery("unrecognised")
    # A name (Chinese or pinyin) narrowed by birth years, mobile tails or mobiles, in any order.
    names = [t for t in tokens if _NAME.match(t) or _PINYIN.match(t.lower())]
    rest = [t for t in tokens if t not in names]
    if len(names) != 1 or not rest:
        return ParsedQuery("unrecognised")
    years: list[int] = []
    tails: list[str] = []
    mobiles: list[str] = []
    for t in rest:
        if _TAIL.match(t):
            tails.append(t)
            if 1900 <= int(t) <= 2099:
                years.append(int(t))
        elif _MOBILE.match(t):
            mobiles.append(t)
        else:
            return ParsedQuery("unrecognised")
    name = names[0]
    kind = "name" if _NAME.match(name) else "pinyin"
    return ParsedQuery(kind, name if kind == "name" else name.lower(), tuple(years), tuple(tails), tuple(mobiles))


def describe(query: ParsedQuery) -> str:
    """What the screen says it searched for."""
    return {
        "empty": _("Type an ID number, a mobile, a customer number or a name"),
        "id": _("ID number"),
        "mobile": _("Mobile"),
        "number": _("Customer number or ID number"),
        "tail": _("Last four digits of the mobile"),
        "name": _("Chinese name"),
        "pinyin": _("Pinyin of the name"),
        "too_long": _("The search text is too long: at most {n} characters", n=MAX_QUERY),
        "unrecognised": _("Not an ID number, mobile, customer number or name: type one of these (a name may be "
                          "followed by a birth year or the last four digits of the mobile)"),
    }[query.kind]


# -- the phases of a search ------------------------------------------------------------------

@dataclass
class _Phase:
    """One part of a result, read in the order of one index."""

    name: str
    where: list[ColumnElement]
    order: tuple  # sort key columns, the last one unique (customer id)
    fts: str | None = None  # SQLite: the FTS5 MATCH expression for this phase


def _upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prefix(col, prefix: str) -> ColumnElement[bool]:
    return and_(col >= prefix, col < _upper_bound(prefix))


def _fts_phrase(fragment: str) -> str:
    # Each character is one token; a phrase of them is the fragment in order. Only Chinese
    # characters reach here (parse), so nothing in it is FTS5 syntax.
    return '"' + " ".join(fragment) + '"'


def _name_grams(fragment: str) -> list[str]:
    if len(fragment) <= 2:
        return [fragment]
    return [fragment[i:i + 2] for i in range(len(fragment) - 1)]


def _phases(query: ParsedQuery, dialect: str) -> list[_Phase]:
    c = Customer
    by_id = (c.id,)
    term = query.term
    if query.kind == "id":
        return [_Phase("id", [c.id_number == term], by_id)]
    if query.kind == "mobile":
        return [_Phase("mobile", [c.mobile == term], by_id)]
    if query.kind == "number":
        return [_Phase("number", [c.customer_no == term], by_id), _Phase("other_id", [c.id_number == term, c.customer_no != term], by_id)]
    if query.kind == "tail":
        return [_Phase("tail", [MOBILE_TAIL == term], by_id)]
    if query.kind == "name":
        prefix = _prefix(c.name, term)
        phases = [_Phase("name_prefix", [prefix], (c.name, c.id))]
        if dialect == "sqlite":
            phases.append(_Phase("name_contains", [not_(prefix)], by_id, fts=_fts_phrase(term)))
        else:
            grams = cast(postgresql.array(_name_grams(term)), ARRAY(Text))
            contains = func.ocrm_name_grams(c.name).op("@>")(grams)
            where = [contains, not_(prefix)]
            if len(term) > 2:
                where.append(c.name.contains(term, autoescape=True))
            phases.append(_Phase("name_contains", where, by_id))
        return phases
    if query.kind == "pinyin":
        initials = _prefix(c.name_initials, term)
        if not set(term) & _VOWELS:
            return [_Phase("initials", [initials], (c.name_initials, c.id))]
        full = _prefix(c.name_pinyin, term)
        return [_Phase("pinyin", [full], (c.name_pinyin, c.id)),
                _Phase("initials", [initials, not_(full)], (c.name_initials, c.id))]
    return []


def _narrowing(query: ParsedQuery) -> ColumnElement[bool] | None:
    alternatives: list[ColumnElement] = []
    for y in query.years:
        alternatives.append(and_(Customer.birth_date >= date(y, 1, 1), Customer.birth_date < date(y + 1, 1, 1)))
    for t in query.tails:
        alternatives.append(MOBILE_TAIL == t)
    for m in query.mobiles:
        alternatives.append(Customer.mobile == m)
    return or_(*alternatives) if alternatives else None


def _scope(actor: Actor, query: ParsedQuery, now: datetime | None) -> ColumnElement[bool]:
    scope = customer_scope(actor, now=now)
    if actor.role == Role.TELLER and query.exact and actor.org_path:
        # At the counter a teller finds a customer of their branch by an exact number.
        scope = or_(scope, Customer.org_id.in_(org_subtree_ids(actor.org_path)))
    return scope


# -- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerRow:
    """One search result, masked for the actor."""

    id: int
    customer_no: str
    name: str
    mobile: str
    tier: str
    org_name: str
    rm_name: str


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: a phase and the last sort key read in it."""

    phase: int
    key: tuple | None = None


@dataclass(frozen=True)
class SearchPage:
    query: ParsedQuery
    rows: list[CustomerRow] = field(default_factory=list)
    next: Cursor | None = None  # None: this was the last page

    @property
    def message(self) -> str:
        return describe(self.query)


_COLUMNS = (Customer.id, Customer.customer_no, Customer.name, Customer.mobile, Customer.tier, Customer.org_id,
            Customer.rm_id, Customer.name_pinyin, Customer.name_initials)


def _phase_select(phase: _Phase, cols, scope, narrowing, dialect: str) -> Select:
    where = [*phase.where, scope]
    if narrowing is not None:
        where.append(narrowing)
    if phase.fts is not None:
        stmt = (select(*cols).select_from(_FTS.join(Customer, Customer.id == _FTS.c.rowid))
                .where(_FTS.c.customer_name_fts.op("MATCH")(phase.fts), *where))
        return stmt
    return select(*cols).where(*where)


def search(session: Session, actor: Actor, text: str, *, after: Cursor | None = None, limit: int = PAGE,
           now: datetime | None = None) -> SearchPage:
    """One page of the customers matching ``text`` in the actor's scope, masked for the actor."""
    query = parse(text)
    dialect = session.get_bind().dialect.name
    phases = _phases(query, dialect)
    if not phases:
        return SearchPage(query)
    scope = _scope(actor, query, now)
    narrowing = _narrowing(query)
    cursor = after or Cursor(0)
    found: list = []
    next_cursor: Cursor | None = None
    for index in range(cursor.phase, len(phases)):
        phase = phases[index]
        # Earlier phases' rows are not repeated: each phase excludes them in its conditions.
        stmt = _phase_select(phase, _COLUMNS, scope, narrowing, dialect)
        order = [(_FTS.c.rowid if phase.fts is not None and col is Customer.id else col) for col in phase.order]
        key = cursor.key if index == cursor.phase else None
        if key is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*key) if len(order) > 1 else order[0] > key[0])
        want = limit - len(found) + 1  # one more tells whether there is a next page
        rows = session.execute(stmt.order_by(*order).limit(want)).all()
        if len(rows) == want:
            rows = rows[:-1]
            found.extend(rows)
            next_cursor = Cursor(index, _sort_key(phase, rows[-1]))
            break
        found.extend(rows)
        if len(found) >= limit:
            # This phase is finished; the next page starts at the next phase.
            next_cursor = Cursor(index + 1) if index + 1 < len(phases) else None
            break
    return SearchPage(query, _present(session, actor, found), next_cursor)


def _sort_key(phase: _Phase, row) -> tuple:
    values = []
    for col in phase.order:
        values.append(getattr(row, col.key))
    return tuple(values)


def _present(session: Session, actor: Actor, rows: list) -> list[CustomerRow]:
    if not rows:
        return []
    org_ids = {r.org_id for r in rows}
    rm_ids = {r.rm_id for r in rows if r.rm_id is not None}
    orgs = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
    rms = dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(rm_ids))).all()) if rm_ids else {}
    teller = actor.role == Role.TELLER
    return [
        CustomerRow(
            id=r.id,
            customer_no=r.customer_no,
            name=masking.mask_name(r.name) if teller else r.name,
            mobile=masking.mask_mobile(r.mobile) or "",
            tier=r.tier,
            org_name=orgs.get(r.org_id, ""),
            rm_name=rms.get(r.rm_id, "") if r.rm_id is not None else "",
        )
        for r in rows
    ]


def result_ids(session: Session, actor: Actor, text: str, *, now: datetime | None = None) -> Select:
    """The ids of the whole result of ``text`` (every page) as one SELECT, for batch actions."""
    query = parse(text)
    dialect = session.get_bind().dialect.name
    phases = _phases(query, dialect)
    if not phases:
        return select(Customer.id).where(false())
    scope = _scope(actor, query, now)
    narrowing = _narrowing(query)
    selects = []
    for phase in phases:
        id_col = _FTS.c.rowid.label("id") if phase.fts is not None else Customer.id
        selects.append(_phase_select(phase, (id_col,), scope, narrowing, dialect))
    if len(selects) == 1:
        return selects[0]
    from sqlalchemy import union_all

    return select(union_all(*selects).subquery().c[0])


def find_exact(session: Session, actor: Actor, text: str, customer_id: int, *, now: datetime | None = None) -> bool:
    """Whether ``customer_id`` is a result of the exact lookup ``text`` for this actor."""
    query = parse(text)
    if not query.exact:
        return False
    stmt = result_ids(session, actor, text, now=now)
    sub = stmt.subquery()
    return session.execute(select(sub.c[0]).where(sub.c[0] == customer_id).limit(1)).first() is not None
