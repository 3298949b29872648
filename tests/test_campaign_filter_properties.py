"""The campaign filter means what it says: for any filter, the customers its SQL matches are
exactly those a plain Python reading of the same filter picks out of the same customers.

A population of customers (tiers, daily-average AUM, birth dates, gender, occupation, risk
preference, branch, RM, tags, accounts of every product type opened on various days,
service contacts at various times) is built once per test, with values placed on the
boundaries the filters use (AUM bounds, "N days ago", birthdays). Hypothesis then draws
filters; each is evaluated by ``campaign_filter.resolve`` + ``conditions`` + ``where`` on the
database and by ``matches`` below, which is written from the meaning of each condition
(the docstrings of ``CampaignFilter``), not from the SQL. The campaign preview (scope,
suitability, the count after each condition) and list generation are held to the same
reading. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ocrm_tui.db.models import Account, CampaignTarget, Customer, CustomerTag, Product, ServiceContact, Tag
from ocrm_tui.services import auth, campaigns
from ocrm_tui.services import campaign_filter as cf
from ocrm_tui.services.clock import FakeClock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.users import get_user

from .conftest import Branch

UTC = timezone.utc
# "Now" for the filters: the test clock's default, and a leap day late in the (UTC) evening.
ANCHORS = (FakeClock().now, datetime(2028, 2, 29, 22, 30, tzinfo=UTC))
TAGS = ("房贷客户", "理财偏好", "代发工资", "高净值", "老年客户")
UNUSED_TAG = "沉睡客户"  # exists, nobody carries it
TIERS = ("mass", "vip", "wealth", "private")
PRODUCT_TYPES = ("deposit", "wealth", "fund", "insurance", "loan", "credit_card", "metal")
# One product per type; the risk level of the promoted product decides suitability.
PRODUCTS = {"deposit": ("DEP", "R1"), "wealth": ("WM", "R3"), "fund": ("FND", "R4"), "insurance": ("INS", "R2"),
            "loan": ("LN", None), "credit_card": ("CC", None), "metal": ("AU", "R5")}
OCCUPATIONS = ("教师", "医生", "工程师", "个体户")
ORG_CODES = tuple(code for code, *_rest in Branch.ORGS)
DAYS = (1, 7, 30, 90, 180, 365)
AGES = (0, 18, 30, 45, 60, 65, 120)
AUM_BOUNDS = tuple(Decimal(v) for v in ("0", "50000", "100000", "250000", "500000", "1000000"))
EXAMPLES = 30


# -- the population ------------------------------------------------------------------------------

@dataclass
class Person:
    """A customer as plain data: what the Python reading of a filter looks at."""

    id: int
    tier: str
    aum: Decimal
    birth: date | None
    gender: str | None
    occupation: str | None
    risk: int | None
    org: str
    rm: str | None
    tags: frozenset[str]
    accounts: list[tuple[str, str, date | None]] = field(default_factory=list)  # (type, status, opened on)
    contacts: list[datetime] = field(default_factory=list)


def _years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _people(rng: random.Random, n: int) -> list[dict]:
    """Customers whose values sit on and around the filters' boundaries."""
    aums = [Decimal(v) for v in ("0", "49999.99", "50000", "99999.99", "100000", "100000.01", "250000",
                                 "499999.99", "500000", "500000.01", "1000000", "6000000")]
    # Birthdays: for each "now" and each age a filter is likely to name, born exactly that
    # many years before, a day before that and a day after; a few leap-day births and no birth date.
    births = [_years_ago(anchor.date(), age) + timedelta(days=shift)
              for anchor in ANCHORS for age in AGES + (17, 64) for shift in (-1, 0, 1)]
    births += [date(2000, 2, 29), date(1960, 2, 29), date(2027, 2, 28), None, None, None]
    rng.shuffle(births)
    out = []
    for i in range(n):
        birth = births[i % len(births)]
        aum = aums[i % len(aums)] if i < 4 * len(aums) else Decimal(rng.randint(0, 2_000_000_00)) / 100
        accounts = []
        for _k in range(rng.choice((0, 1, 1, 2, 3))):
            day_anchor = rng.choice(ANCHORS).date()
            opened = None if rng.random() < 0.1 else day_anchor - timedelta(
                days=rng.choice(DAYS) + rng.choice((-1, 0, 0, 1)) if rng.random() < 0.8 else rng.randint(0, 2000))
            accounts.append((rng.choice(PRODUCT_TYPES), rng.choice(("active", "active", "closed", "dormant")), opened))
        contacts = []
        for _k in range(rng.choice((0, 0, 1, 2))):
            at_anchor = rng.choice(ANCHORS)
            contacts.append(at_anchor - timedelta(days=rng.choice(DAYS + (0, 400)))
                            + rng.choice((timedelta(0), timedelta(seconds=1), -timedelta(seconds=1),
                                          timedelta(hours=rng.randint(-30, 30)))))
        out.append({
            "tier": rng.choice(TIERS), "aum": aum, "birth": birth,
            "gender": rng.choice(("M", "F", "F", "M", None)), "occupation": rng.choice(OCCUPATIONS + (None,)),
            "risk": rng.choice((None, 1, 2, 3, 3, 4, 5)),
            "org": rng.choice(("O1", "O1", "O2", "O2", "SB", "B2", "B1", "X1", "HO")),
            "rm": rng.choice(("R001", "R002", None, None, "M001")),
            "tags": frozenset(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))),
            "accounts": accounts, "contacts": contacts,
        })
    return out


def _on_the_boundaries(rng: random.Random, people: list[dict]) -> None:
    """For every "now", product type and number of days a filter is likely to name: an account
    opened exactly that many days ago and one a day earlier, and a contact exactly that long
    ago and one a second earlier, each given to a customer at random."""
    for anchor in ANCHORS:
        for days in DAYS:
            for ptype in PRODUCT_TYPES:
                for extra in (0, 1):
                    rng.choice(people)["accounts"].append(
                        (ptype, rng.choice(("active", "closed")), anchor.date() - timedelta(days=days + extra)))
            for extra in (timedelta(0), timedelta(seconds=1)):
                rng.choice(people)["contacts"].append(anchor - timedelta(days=days) - extra)


@dataclass
class Population:
    people: list[Person]
    actors: dict


@pytest.fixture
def population(db, branch) -> Population:
    rng = random.Random(20260105)
    people = []
    with db.session(write=True) as s:
        tag_ids = {}
        for name in (*TAGS, UNUSED_TAG):
            tag = Tag(name=name)
            s.add(tag)
            s.flush()
            tag_ids[name] = tag.id
        product_ids = {}
        for ptype, (code, risk) in PRODUCTS.items():
            product = Product(product_code=code, name=f"{ptype} product", product_type=ptype, risk_level=risk)
            s.add(product)
            s.flush()
            product_ids[ptype] = product.id
        orgs = {code: get_org_by_code(s, code).id for code in ORG_CODES}
        staff = {no: get_user(s, no).id for no in ("R001", "R002", "M001")}
        account_no = 0
        drawn = _people(rng, 60)
        _on_the_boundaries(rng, drawn)
        for i, p in enumerate(drawn):
            c = Customer(customer_no=f"93{i:08d}", name=f"客户{i}", mobile=f"139{i:08d}", gender=p["gender"],
                         birth_date=p["birth"], occupation=p["occupation"], risk_preference=p["risk"],
                         org_id=orgs[p["org"]], rm_id=staff[p["rm"]] if p["rm"] else None, tier=p["tier"],
                         aum=p["aum"], aum_daily_avg=p["aum"])
            s.add(c)
            s.flush()
            for tag in sorted(p["tags"]):
                s.add(CustomerTag(tag_id=tag_ids[tag], customer_id=c.id))
            for ptype, status, opened in p["accounts"]:
                account_no += 1
                s.add(Account(account_no=f"6222{account_no:012d}", customer_id=c.id, product_id=product_ids[ptype],
                              opened_on=opened, status=status))
            for at in p["contacts"]:
                s.add(ServiceContact(customer_id=c.id, user_id=staff["R001"], at=at, kind="phone"))
            people.append(Person(c.id, p["tier"], p["aum"], p["birth"], p["gender"], p["occupation"], p["risk"],
                                 p["org"], p["rm"], p["tags"], p["accounts"], p["contacts"]))
        s.commit()
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001")}
    return Population(people, actors)


# -- the filter, read in Python ---------------------------------------------------------------------

def subtree(code: str) -> set[str]:
    """An organisation and every organisation under it, from the branch's tree."""
    parents = {c: parent for c, _name, _level, parent in Branch.ORGS}
    found = {code}
    changed = True
    while changed:
        more = {c for c, parent in parents.items() if parent in found} - found
        found |= more
        changed = bool(more)
    return found


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def holds(p: Person, ptype: str) -> bool:
    """Holding a product type: an account of that type that is still active."""
    return any(t == ptype and status == "active" for t, status, _opened in p.accounts)


def predicates(f: cf.CampaignFilter, now: datetime) -> list[tuple[str, object]]:
    """Each condition of the filter as (key, test of a Person), in the order the filter's
    sentence names them (the order a zero-match preview counts them in)."""
    today = now.date()
    out = []
    if f.tiers:
        out.append(("tiers", lambda p: p.tier in f.tiers))
    if f.aum_min is not None or f.aum_max is not None:
        out.append(("aum", lambda p: (f.aum_min is None or p.aum >= f.aum_min)
                    and (f.aum_max is None or p.aum <= f.aum_max)))
    for tag in f.tags_all:
        out.append(("tags_all", lambda p, tag=tag: tag in p.tags))
    if f.tags_any:
        out.append(("tags_any", lambda p: bool(p.tags & set(f.tags_any))))
    if f.tags_none:
        out.append(("tags_none", lambda p: not p.tags & set(f.tags_none)))
    for ptype in f.products_held:
        out.append(("products_held", lambda p, ptype=ptype: holds(p, ptype)))
    if f.products_not_held:
        out.append(("products_not_held", lambda p: not any(holds(p, t) for t in f.products_not_held)))
    if f.no_purchase_type is not None:
        since = today - timedelta(days=f.no_purchase_days)  # "in the last N days" includes the day N days ago
        out.append(("no_purchase", lambda p: not any(t == f.no_purchase_type and opened is not None and opened >= since
                                                    for t, _status, opened in p.accounts)))
    if f.not_contacted_days is not None:
        since_at = now - timedelta(days=f.not_contacted_days)
        out.append(("not_contacted", lambda p: not any(at >= since_at for at in p.contacts)))
    if f.age_min is not None or f.age_max is not None:
        out.append(("age", lambda p: p.birth is not None
                    and (f.age_min is None or age_on(p.birth, today) >= f.age_min)
                    and (f.age_max is None or age_on(p.birth, today) <= f.age_max)))
    if f.gender is not None:
        out.append(("gender", lambda p: p.gender == f.gender))
    if f.occupations:
        out.append(("occupations", lambda p: p.occupation in f.occupations))
    if f.org_code is not None:
        orgs = subtree(f.org_code)
        out.append(("org", lambda p: p.org in orgs))
    if f.rm_employee_no is not None:
        out.append(("rm", lambda p: p.rm == f.rm_employee_no))
    return out


def matches(people: list[Person], f: cf.CampaignFilter, now: datetime) -> set[int]:
    tests = [test for _key, test in predicates(f, now)]
    return {p.id for p in people if all(test(p) for test in tests)}


# -- filters --------------------------------------------------------------------------------------

def _tags():
    return st.lists(st.sampled_from((*TAGS, UNUSED_TAG)), max_size=3, unique=True).map(tuple)


def _amount():
    return st.sampled_from(AUM_BOUNDS) | st.decimals(min_value=0, max_value=2_000_000, places=2)


def _age():
    return st.sampled_from(AGES + (17, 64)) | st.integers(0, cf.MAX_AGE)


def _days():
    return st.sampled_from(DAYS) | st.integers(1, cf.MAX_DAYS)


CONDITIONS = {
    "tags_any": _tags(),
    "tags_all": _tags(),
    "tags_none": _tags(),
    "tiers": st.lists(st.sampled_from(TIERS), max_size=4, unique=True).map(tuple),
    "aum": st.tuples(st.none() | _amount(), st.none() | _amount()),
    "products_held": st.lists(st.sampled_from(PRODUCT_TYPES), max_size=2, unique=True).map(tuple),
    "products_not_held": st.lists(st.sampled_from(PRODUCT_TYPES), max_size=3, unique=True).map(tuple),
    "no_purchase": st.tuples(st.sampled_from(PRODUCT_TYPES), _days()),
    "not_contacted_days": _days(),
    "age": st.tuples(st.none() | _age(), st.none() | _age()),
    "gender": st.sampled_from(("M", "F")),
    "occupations": st.lists(st.sampled_from(OCCUPATIONS + ("农民",)), max_size=3, unique=True).map(tuple),
    "org_code": st.sampled_from(ORG_CODES),
    "rm_employee_no": st.sampled_from(("R001", "R002", "M001")),
}


@st.composite
def filters(draw) -> cf.CampaignFilter:
    """A filter of a few conditions (any of them, empty values included): enough to match
    some customers of a 60-customer population, often enough to match none."""
    keys = draw(st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=5, unique=True))
    values: dict = {}
    for key in keys:
        value = draw(CONDITIONS[key])
        if key == "aum":
            values["aum_min"], values["aum_max"] = value
        elif key == "age":
            values["age_min"], values["age_max"] = value
        elif key == "no_purchase":
            values["no_purchase_type"], values["no_purchase_days"] = value
        else:
            values[key] = value
    return cf.CampaignFilter(**values)


def sql_ids(session, f: cf.CampaignFilter, now: datetime) -> set[int]:
    conds = cf.conditions(f, cf.resolve(session, f), now=now)
    return set(session.scalars(select(Customer.id).where(cf.where(conds))))


def run(test, *strategies, examples: int = EXAMPLES):
    """Run ``test`` over drawn examples inside the calling test (its fixtures built once)."""
    settings(max_examples=examples, deadline=None, database=None,
             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])(
        given(*strategies)(test))()


# -- properties ------------------------------------------------------------------------------------

def test_the_sql_of_any_filter_matches_the_customers_the_filter_describes(db, population):
    """conditions() + where() against the Python reading, for filters the form would accept;
    a filter that check() refuses as contradictory matches nobody in Python either."""
    people = population.people
    matched = []

    def check(f, now):
        expected = matches(people, f, now)
        try:
            cf.check(f)
        except ValidationError:
            # Only contradictions and upside-down ranges can be refused here: the drawn values
            # are all ones the bank uses. Such a filter could never match anyone.
            assert expected == set(), f
            return
        assert cf.from_json(cf.to_json(f)) == f  # stored and read back unchanged
        with db.session() as s:
            got = sql_ids(s, f, now)
        assert got == expected, (f, now, sorted(got - expected), sorted(expected - got))
        matched.append(len(expected))

    run(check, filters(), st.sampled_from(ANCHORS), examples=40)
    # The population is rich enough that the drawn filters tell something apart.
    assert any(0 < n < len(people) for n in matched), matched


def test_each_condition_alone_matches_what_it_describes(db, population):
    """Every kind of condition on its own, on and around the boundaries of the population."""
    people = population.people

    def check(values, now):
        for key, value in values.items():
            f = _single(key, value)
            expected = matches(people, f, now)
            try:
                cf.check(f)
            except ValidationError:
                assert expected == set(), f
                continue
            with db.session() as s:
                assert sql_ids(s, f, now) == expected, f

    run(check, st.fixed_dictionaries(CONDITIONS), st.sampled_from(ANCHORS), examples=40)


def _single(key: str, value) -> cf.CampaignFilter:
    pairs = {"aum": ("aum_min", "aum_max"), "age": ("age_min", "age_max"),
             "no_purchase": ("no_purchase_type", "no_purchase_days")}
    if key in pairs:
        return cf.CampaignFilter(**dict(zip(pairs[key], value, strict=True)))
    return cf.CampaignFilter(**{key: value})


def test_the_preview_counts_the_python_matches_inside_the_scope_and_leaves_out_unsuitable_customers(
        db, population, clock):
    """preview(): the count inside the campaign's scope, without the customers the promoted
    product's risk level does not suit (risk preference missing or lower); how many were left
    out for that; and, when nobody is left, the count after each condition in turn."""
    people = population.people
    by_id = {p.id: p for p in people}
    seen = {"suitability": 0, "zero": 0, "some": 0}

    def check(f, now, who, scope, ptype):
        try:
            cf.check(f)
        except ValidationError:
            return
        clock.now = now
        actor = population.actors[who]
        product = PRODUCTS[ptype] if ptype else None
        if who == "M001" and scope is not None and scope not in subtree("SB"):
            # A manager counts customers of their own branch only.
            with db.session() as s, pytest.raises(PermissionDenied):
                campaigns.preview(s, actor, f, org_code=scope, clock=clock)
            return
        with db.session() as s:
            got = campaigns.preview(s, actor, f, org_code=scope, product_code=product[0] if product else None,
                                    clock=clock)
        # A manager's campaign is for their sub-branch unless another branch of theirs is named.
        scope_code = scope or ("SB" if who == "M001" else None)
        in_scope = {p.id for p in people if scope_code is None or p.org in subtree(scope_code)}
        matching = matches(people, f, now) & in_scope
        level = int(product[1][1]) if product and product[1] else None
        suitable = {i for i in matching if level is None or (by_id[i].risk is not None and by_id[i].risk >= level)}
        assert (got.count, got.unsuitable) == (len(suitable), len(matching) - len(suitable)), (f, scope_code, product)
        if level is not None and matching - suitable:
            # Every customer left out has no recorded preference or one below the product's level.
            assert all(by_id[i].risk is None or by_id[i].risk < level for i in matching - suitable)
            seen["suitability"] += 1
        if got.count:
            assert got.steps == []
            seen["some"] += 1
            return
        seen["zero"] += 1
        # Nobody matches: the count after the scope, each condition, then suitability.
        counts = [n for _label, n in got.steps]
        assert counts and counts[-1] == 0, got.steps
        assert all(a >= b for a, b in zip(counts, counts[1:], strict=False)), got.steps
        expected, left = [], set(in_scope)
        if scope_code is not None:
            expected.append(len(left))
        for _key, test in predicates(f, now):
            left = {i for i in left if test(by_id[i])}
            expected.append(len(left))
        if level is not None:
            left = {i for i in left if by_id[i].risk is not None and by_id[i].risk >= level}
            expected.append(len(left))
        assert counts == expected, (f, got.steps, expected)

    run(check, filters(), st.sampled_from(ANCHORS), st.sampled_from(("A001", "M001")),
        st.sampled_from((None, "SB", "O1", "O2")) | st.sampled_from((None, "B1", "X1", "HO")),
        st.sampled_from((None, "wealth", "fund", "metal", "deposit", "loan")), examples=40)
    assert seen["some"] and seen["zero"] and seen["suitability"], seen


def test_a_generated_list_holds_exactly_the_suitable_matches_of_the_scope(db, population, clock):
    """generate(): the snapshot is the preview's customers, each owned one with their own RM."""
    people = population.people
    by_id = {p.id: p for p in people}
    admin = population.actors["A001"]
    with db.session() as s:
        rm_ids = {no: get_user(s, no).id for no in ("R001", "R002", "M001")}
    sizes = []

    def check(f, now, scope, ptype):
        try:
            cf.check(f)
        except ValidationError:
            return
        clock.now = now
        with db.session(write=True) as s:
            cid = campaigns.create_campaign(s, admin, {"name": "属性检验", "type": "phone", "org_code": scope or "",
                                                       "product_code": PRODUCTS[ptype][0] if ptype else "",
                                                       "filter": f}, clock=clock)
        with db.session(write=True) as s:
            result = campaigns.generate(s, admin, cid, clock=clock)
        with db.session() as s:
            listed = dict(s.execute(select(CampaignTarget.customer_id, CampaignTarget.rm_id)
                                    .where(CampaignTarget.campaign_id == cid)).all())
        level = int(PRODUCTS[ptype][1][1]) if ptype and PRODUCTS[ptype][1] else None
        expected = {i for i in matches(people, f, now)
                    if (scope is None or by_id[i].org in subtree(scope))
                    and (level is None or (by_id[i].risk is not None and by_id[i].risk >= level))}
        assert set(listed) == expected, f
        assert result.total == result.added == len(expected)
        for customer_id, rm_id in listed.items():
            owner = by_id[customer_id].rm
            if owner is not None:
                assert rm_id == rm_ids[owner]
        sizes.append(len(expected))

    run(check, filters(), st.sampled_from(ANCHORS), st.sampled_from((None, "SB", "B1", "X1")),
        st.sampled_from((None, "wealth", "fund")), examples=25)
    assert any(sizes), sizes


def test_a_filter_naming_a_tag_that_no_longer_exists_is_refused_by_name(db, population):
    def check(f, gone):
        key = ("tags_any", "tags_all", "tags_none")[gone]
        f = replace(f, **{key: (*getattr(f, key), "已删除标签")})
        with db.session() as s:
            with pytest.raises(ValidationError) as exc:
                cf.resolve(s, f)
        assert "已删除标签" in exc.value.message and exc.value.field == key

    run(check, filters(), st.integers(0, 2), examples=10)
