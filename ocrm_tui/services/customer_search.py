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
from functools import lru_cache

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
    tuple_,
    union_all,
)
from sqlmodel import Session

from ocrm_tui.db.models import Customer, Organisation, Role, StaffUser
from ocrm_tui.i18n import _
from ocrm_tui.services import masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.scope import customer_scope_template, scope_params, subtree_param
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
#
# A search is one or more phases, each read in the order of one index (name prefix, then
# name fragment). Each phase's statement is built once per (phase, role, database, shape)
# with bound parameters, and only the values change from keystroke to keystroke.

def _upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _like_contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(fragment: str) -> str:
    # Each character is one token; a phrase of them is the fragment in order. Only Chinese
    # characters reach here (parse), so nothing in it is FTS5 syntax.
    return '"' + " ".join(fragment) + '"'


def _name_grams(fragment: str) -> list[str]:
    if len(fragment) <= 2:
        return [fragment]
    return [fragment[i:i + 2] for i in range(len(fragment) - 1)]


def _phase_names(query: ParsedQuery, dialect: str) -> list[str]:
    if query.kind in ("id", "mobile", "number", "tail"):
        return [query.kind]
    if query.kind == "name":
        contains = "name_contains" if dialect == "sqlite" or len(query.term) <= 2 else "name_contains_long"
        return ["name_prefix", contains]
    if query.kind == "pinyin":
        if not set(query.term) & _VOWELS:
            return ["initials"]
        return ["pinyin", "initials_after_pinyin"]
    return []


def _order(phase: str) -> tuple:
    c = Customer
    return {"name_prefix": (c.name, c.id), "pinyin": (c.name_pinyin, c.id), "initials": (c.name_initials, c.id),
            "initials_after_pinyin": (c.name_initials, c.id)}.get(phase, (c.id,))


def _conditions(phase: str, dialect: str) -> list[ColumnElement]:
    c = Customer
    b = bindparam
    name_prefix = and_(c.name >= b("lo"), c.name < b("hi"))
    pinyin = and_(c.name_pinyin >= b("lo"), c.name_pinyin < b("hi"))
    initials = and_(c.name_initials >= b("ilo"), c.name_initials < b("ihi"))
    if phase == "id":
        return [c.id_number == b("term")]
    if phase == "mobile":
        return [c.mobile == b("term")]
    if phase == "number":  # a customer number, or the number of another kind of ID
        return [or_(c.customer_no == b("term"), c.id_number == b("term"))]
    if phase == "tail":
        return [MOBILE_TAIL == b("term")]
    if phase == "name_prefix":
        return [name_prefix]
    if phase in ("name_contains", "name_contains_long"):
        if dialect == "sqlite":
            return [_FTS.c.customer_name_fts.op("MATCH")(b("fts")), not_(name_prefix)]
        grams = func.ocrm_name_grams(c.name).op("@>")(b("grams", type_=ARRAY(Text)))
        where = [grams, not_(name_prefix)]
        if phase == "name_contains_long":
            where.append(c.name.like(b("like"), escape="\\"))
        return where
    if phase == "pinyin":
        return [pinyin]
    if phase == "initials":
        return [initials]
    if phase == "initials_after_pinyin":
        return [initials, not_(pinyin)]
    raise ValueError(phase)


def _narrowing_clause(shape: tuple[int, int, int]) -> ColumnElement[bool] | None:
    years, tails, mobiles = shape
    alternatives: list[ColumnElement] = []
    for i in range(years):
        alternatives.append(and_(Customer.birth_date >= bindparam(f"y{i}_lo", type_=Customer.birth_date.type),
                                 Customer.birth_date < bindparam(f"y{i}_hi", type_=Customer.birth_date.type)))
    for i in range(tails):
        alternatives.append(MOBILE_TAIL == bindparam(f"t{i}"))
    for i in range(mobiles):
        alternatives.append(Customer.mobile == bindparam(f"m{i}"))
    return or_(*alternatives) if alternatives else None


_ORG = Organisation.__table__.alias("o")
_RM = StaffUser.__table__.alias("rm")
_PAGE_COLUMNS = (Customer.id, Customer.customer_no, Customer.name, Customer.mobile, Customer.tier, Customer.org_id,
                 Customer.rm_id, Customer.name_pinyin, Customer.name_initials,
                 _ORG.c.name.label("org_name"), _RM.c.name.label("rm_name"))


@lru_cache(maxsize=512)
def _template(phase: str, role: str, dialect: str, counter: bool, shape: tuple[int, int, int], keyed: bool,
              ids_only: bool) -> Select:
    """The statement of one phase for one role; values come as parameters (``_params``)."""
    scope = customer_scope_template(role)
    if counter:
        # At the counter a teller finds a customer of their branch by an exact number.
        scope = or_(scope, Customer.org_id.in_(select(Organisation.id).where(
            Organisation.path.like(bindparam("counter_org"), escape="\\"))))
    where = [*_conditions(phase, dialect), scope]
    narrowing = _narrowing_clause(shape)
    if narrowing is not None:
        where.append(narrowing)
    fts = dialect == "sqlite" and phase.startswith("name_contains")
    id_col = _FTS.c.rowid if fts else Customer.id
    order = tuple(id_col if col is Customer.id else col for col in _order(phase))
    if ids_only:
        stmt = select(id_col.label("id"))
    else:
        stmt = select(*_PAGE_COLUMNS)
    base = _FTS.join(Customer.__table__, Customer.id == _FTS.c.rowid) if fts else Customer.__table__
    if not ids_only:
        base = base.outerjoin(_ORG, _ORG.c.id == Customer.org_id).outerjoin(_RM, _RM.c.id == Customer.rm_id)
    stmt = stmt.select_from(base).where(*where)
    if keyed:
        keys = [bindparam(f"k{i}", type_=col.type) for i, col in enumerate(order)]
        stmt = stmt.where(tuple_(*order) > tuple_(*keys) if len(order) > 1 else order[0] > keys[0])
    if not ids_only:
        if dialect == "postgresql" and phase.startswith("name_contains"):
            # "id + 0": PostgreSQL would otherwise walk the primary key in order and test
            # every customer's name (it cannot tell how rare a character pair is); this
            # way it reads the pair's few rows from the GIN index and sorts them.
            stmt = stmt.order_by(Customer.id + literal_column("0")).limit(bindparam("limit"))
        else:
            stmt = stmt.order_by(*order).limit(bindparam("limit"))
    return stmt


def _params(query: ParsedQuery, actor: Actor, now: datetime | None) -> dict:
    term = query.term
    params = scope_params(actor, now=now)
    if actor.org_path:
        params["counter_org"] = subtree_param(actor.org_path)
    params["term"] = term
    if term:
        params["lo"], params["hi"] = term, _upper_bound(term)
        params["ilo"], params["ihi"] = term, _upper_bound(term)
        params["fts"] = _fts_phrase(term)
        params["grams"] = _name_grams(term)
        params["like"] = _like_contains(term)
    for i, y in enumerate(query.years):
        params[f"y{i}_lo"], params[f"y{i}_hi"] = date(y, 1, 1), date(y + 1, 1, 1)
    for i, t in enumerate(query.tails):
        params[f"t{i}"] = t
    for i, m in enumerate(query.mobiles):
        params[f"m{i}"] = m
    return params


def _shape(query: ParsedQuery) -> tuple[int, int, int]:
    return (len(query.years), len(query.tails), len(query.mobiles))


def _counter(actor: Actor, query: ParsedQuery) -> bool:
    return actor.role == Role.TELLER and query.exact and bool(actor.org_path)


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


def search(session: Session, actor: Actor, text: str, *, after: Cursor | None = None, limit: int = PAGE,
           now: datetime | None = None) -> SearchPage:
    """One page of the customers matching ``text`` in the actor's scope, masked for the actor."""
    query = parse(text)
    conn = session.connection()
    dialect = conn.dialect.name
    phases = _phase_names(query, dialect)
    if not phases:
        return SearchPage(query)
    params = _params(query, actor, now)
    counter, shape = _counter(actor, query), _shape(query)
    cursor = after or Cursor(0)
    found: list = []
    next_cursor: Cursor | None = None
    for index in range(cursor.phase, len(phases)):
        phase = phases[index]
        key = cursor.key if index == cursor.phase else None
        # Earlier phases' rows are not repeated: each phase excludes them in its conditions.
        stmt = _template(phase, actor.role, dialect, counter, shape, key is not None, False)
        values = dict(params, limit=limit - len(found) + 1)  # one more tells whether there is a next page
        if key is not None:
            values.update({f"k{i}": v for i, v in enumerate(key)})
        rows = conn.execute(stmt, values).all()
        if len(rows) == values["limit"]:
            rows = rows[:-1]
            found.extend(rows)
            last = rows[-1]
            next_cursor = Cursor(index, tuple(getattr(last, col.key) for col in _order(phase)))
            break
        found.extend(rows)
        if len(found) >= limit:
            # This phase is finished; the next page starts at the next phase.
            next_cursor = Cursor(index + 1) if index + 1 < len(phases) else None
            break
    return SearchPage(query, _present(actor, found), next_cursor)


def _present(actor: Actor, rows: list) -> list[CustomerRow]:
    teller = actor.role == Role.TELLER
    return [
        CustomerRow(
            id=r.id,
            customer_no=r.customer_no,
            name=masking.customer_name(r.name, r.customer_no, mask=teller),
            mobile=masking.mask_mobile(r.mobile) or "",
            tier=r.tier,
            org_name=r.org_name or "",
            rm_name=r.rm_name or "",
        )
        for r in rows
    ]


def result_ids(session: Session, actor: Actor, text: str, *, now: datetime | None = None) -> Select:
    """The ids of the whole result of ``text`` (every page) as one SELECT, for batch actions."""
    query = parse(text)
    dialect = session.get_bind().dialect.name
    phases = _phase_names(query, dialect)
    if not phases:
        return select(Customer.id).where(false())
    params = _params(query, actor, now)
    counter, shape = _counter(actor, query), _shape(query)
    selects = [_template(phase, actor.role, dialect, counter, shape, False, True).params(params) for phase in phases]
    if len(selects) == 1:
        return selects[0]
    return select(union_all(*selects).subquery().c[0])


def all_ids(session: Session, actor: Actor, text: str, *, limit: int, now: datetime | None = None) -> list[int]:
    """The ids of the whole result (at most ``limit``), for selecting every page at once."""
    sub = result_ids(session, actor, text, now=now).subquery()
    return list(session.scalars(select(sub.c[0]).limit(limit)))


def find_exact(session: Session, actor: Actor, text: str, customer_id: int, *, now: datetime | None = None) -> bool:
    """Whether ``customer_id`` is a result of the exact lookup ``text`` for this actor."""
    query = parse(text)
    if not query.exact:
        return False
    sub = result_ids(session, actor, text, now=now).subquery()
    return session.execute(select(sub.c[0]).where(sub.c[0] == customer_id).limit(1)).first() is not None
