"""Customers: search kinds and paging, scope and masking per role, counter lookups,
create/edit with duplicates and stale saves, unmask and tier override audit."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from ocrm_tui.db.models import Customer, CustomerCollaborator, ServiceContact
from ocrm_tui.services import audit, auth, customer_search, customers
from ocrm_tui.services.demo import check_digit
from ocrm_tui.services.errors import (
    DuplicateCustomer,
    NotFoundError,
    PermissionDenied,
    StaleRecordError,
    ValidationError,
)
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user


def rid(birth: str, seq: int, male: bool, county: str = "320102") -> str:
    """A valid resident ID number: county, birth date, sequence with the gender digit, check digit."""
    body = f"{county}{birth.replace('-', '')}{seq:02d}{(1 if male else 2)}"
    return body + check_digit(body)


PEOPLE = [
    # customer_no, name, birth, male, mobile, org, rm
    ("9100000101", "张伟", "1987-05-01", True, "13812345678", "O1", "R001"),
    ("9100000102", "章薇", "1990-02-03", False, "13900001111", "O1", "R001"),
    ("9100000103", "张伟明", "1987-09-09", True, "13700005678", "O2", "R002"),
    ("9100000104", "李张伟", "1975-01-01", True, "15000002222", "O1", None),
    ("9100000105", "欧阳娜娜", "1995-12-12", False, "18600003333", "X1", None),
    ("9100000106", "王明", "1980-06-06", True, "18600004444", "SB", None),
]


@pytest.fixture
def people(branch, db, clock):
    ids = {}
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "O2", "SB", "X1")}
        user = {n: get_user(s, n).id for n in ("R001", "R002", "T001")}
        for i, (no, name, birth, male, mobile, org_code, rm) in enumerate(PEOPLE):
            c = Customer(customer_no=no, name=name, **name_keys(name), gender="M" if male else "F",
                         birth_date=date.fromisoformat(birth), id_number=rid(birth, i + 10, male), mobile=mobile,
                         address="江苏省南京市鼓楼区中山路1号", org_id=org[org_code], rm_id=user[rm] if rm else None)
            s.add(c)
            s.flush()
            ids[name] = c.id
        s.add(CustomerCollaborator(customer_id=ids["张伟明"], user_id=user["R001"]))
        # The teller served 张伟 once.
        s.add(ServiceContact(customer_id=ids["张伟"], user_id=user["T001"], kind="counter"))
        s.commit()
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001", "R001", "R002", "T001", "M900")}
    return ids, actors


def names(db, actor, text, **kw):
    with db.session() as s:
        return [r.name for r in customer_search.search(s, actor, text, **kw).rows]


# -- recognising what was typed -----------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("", "empty"), ("   ", "empty"),
    ("320102198705011012", "id"), ("32010219870501101x", "id"),
    ("13812345678", "mobile"), ("１３８１２３４５６７８", "mobile"),
    ("5678", "tail"), ("9100000101", "number"), ("E12345678", "number"),
    ("张伟", "name"), ("ZW", "pinyin"), ("zhangwei", "pinyin"),
    ("张伟 1987", "name"), ("zw 5678", "pinyin"),
    ("' OR 1=1 --", "unrecognised"), ("%", "unrecognised"), ("_", "unrecognised"), ("😀", "unrecognised"),
    ("张%", "unrecognised"), ("x" * 1000, "too_long"),
])
def test_the_search_text_is_recognised(text, kind):
    assert customer_search.parse(text).kind == kind


def test_a_mixed_query_keeps_the_year_and_the_tail():
    q = customer_search.parse("张伟 1987")
    assert (q.term, q.years, q.tails) == ("张伟", (1987,), ("1987",))
    q = customer_search.parse("5678 zw")
    assert (q.kind, q.term, q.years, q.tails) == ("pinyin", "zw", (), ("5678",))


# -- every kind of search ---------------------------------------------------------------------

def test_exact_lookups(db, people):
    ids, a = people
    admin = a["A001"]
    with db.session() as s:
        number = s.scalar(select(Customer.id_number).where(Customer.id == ids["章薇"]))
    assert names(db, admin, number) == ["章薇"]
    assert names(db, admin, number.lower()) == ["章薇"]  # a lower-case x
    assert names(db, admin, "13812345678") == ["张伟"]
    assert names(db, admin, "１３８１２３４５６７８") == ["张伟"]  # full-width digits
    assert names(db, admin, "9100000105") == ["欧阳娜娜"]
    assert names(db, admin, "13800000000") == []


def test_a_chinese_name_finds_prefixes_first_then_names_containing_it(db, people):
    _, a = people
    assert names(db, a["A001"], "张伟") == ["张伟", "张伟明", "李张伟"]
    assert names(db, a["A001"], "伟") == ["张伟", "张伟明", "李张伟"]  # contained anywhere
    assert names(db, a["A001"], "娜娜") == ["欧阳娜娜"]
    assert names(db, a["A001"], "阳娜娜") == ["欧阳娜娜"]  # three characters inside the name
    assert names(db, a["A001"], "明") == ["张伟明", "王明"]  # no prefix: by id
    assert names(db, a["A001"], "赵") == []


def test_pinyin_initials_and_full_pinyin(db, people):
    _, a = people
    assert names(db, a["A001"], "zw") == ["张伟", "章薇", "张伟明"]  # zw, zw, zwm
    assert names(db, a["A001"], "ZW") == ["张伟", "章薇", "张伟明"]
    assert names(db, a["A001"], "zhangwei") == ["张伟", "章薇", "张伟明"]  # 章薇 is zhangwei too
    assert names(db, a["A001"], "zhang") == ["张伟", "章薇", "张伟明"]  # by full pinyin, then id
    assert names(db, a["A001"], "oyn") == ["欧阳娜娜"]


def test_a_name_narrowed_by_birth_year_or_mobile_tail(db, people):
    _, a = people
    assert names(db, a["A001"], "张伟 1987") == ["张伟", "张伟明"]
    assert names(db, a["A001"], "张伟 5678") == ["张伟", "张伟明"]
    assert names(db, a["A001"], "张伟 1975") == ["李张伟"]
    assert names(db, a["A001"], "zw 1111") == ["章薇"]
    assert names(db, a["A001"], "张伟 13700005678") == ["张伟明"]


def test_mobile_tail_within_the_scope(db, people):
    _, a = people
    assert sorted(names(db, a["A001"], "5678")) == ["张伟", "张伟明"]
    assert names(db, a["R002"], "5678") == ["张伟明"]


@pytest.mark.parametrize("text", ["' OR 1=1 --", "%", "_", "张%", "😀", "x" * 1000, "", "\x00", "a'b", "zw' --"])
def test_bad_input_is_safe_and_finds_nothing(db, people, text):
    _, a = people
    with db.session() as s:
        page = customer_search.search(s, a["A001"], text)
    assert page.rows == [] and page.next is None
    assert page.message  # says what to type instead


def test_results_come_in_keyset_pages_without_gaps_or_repeats(db, people):
    ids, a = people
    seen = []
    cursor = None
    pages = 0
    with db.session() as s:
        while True:
            page = customer_search.search(s, a["A001"], "伟", after=cursor, limit=2)
            seen.extend(r.name for r in page.rows)
            pages += 1
            cursor = page.next
            if cursor is None:
                break
    assert seen == ["张伟", "张伟明", "李张伟"]
    assert pages == 2
    with db.session() as s:
        assert customer_search.search(s, a["A001"], "zw", limit=1).next is not None


def test_the_whole_result_is_one_select_for_batch_actions(db, people):
    ids, a = people
    with db.session() as s:
        stmt = customer_search.result_ids(s, a["A001"], "伟")
        assert sorted(s.scalars(stmt)) == sorted([ids["张伟"], ids["张伟明"], ids["李张伟"]])
        stmt = customer_search.result_ids(s, a["R001"], "伟")
        assert sorted(s.scalars(stmt)) == sorted([ids["张伟"], ids["张伟明"]])


# -- scope and masking per role ---------------------------------------------------------------

def test_each_role_finds_only_its_customers(db, people):
    _, a = people
    assert names(db, a["R001"], "张伟") == ["张伟", "张伟明"]  # own + collaboration
    assert names(db, a["R002"], "张伟") == ["张伟明"]
    assert names(db, a["M001"], "张伟") == ["张伟", "张伟明", "李张伟"]  # SB subtree
    assert names(db, a["M900"], "zw") == []
    assert names(db, a["M900"], "欧阳") == ["欧阳娜娜"]


def test_a_teller_name_search_lists_only_customers_they_served_masked(db, people):
    _, a = people
    with db.session() as s:
        rows = customer_search.search(s, a["T001"], "张").rows
    assert [r.name for r in rows] == ["张*"]
    assert rows[0].mobile == "138****5678"


def test_a_teller_exact_lookup_finds_branch_customers_and_opening_records_a_contact(db, people, clock):
    ids, a = people
    teller = a["T001"]
    assert names(db, teller, "15000002222") == ["李**"]  # O1 customer never served
    assert names(db, teller, "李张伟") == []  # not by name
    assert names(db, teller, "18600003333") == []  # another branch: not even by mobile
    with db.session(write=True) as s:
        assert customers.open_at_counter(s, teller, "15000002222", ids["李张伟"], clock=clock)
        s.commit()
    assert names(db, teller, "李张伟") == ["李**"]  # served now
    with db.session(write=True) as s:
        with pytest.raises(NotFoundError):
            customers.open_at_counter(s, teller, "15000002222", ids["欧阳娜娜"], clock=clock)
        with pytest.raises(NotFoundError):
            customers.open_at_counter(s, teller, "李张伟", ids["李张伟"], clock=clock)  # a name is no counter lookup


def test_results_are_masked_for_every_role(db, people):
    _, a = people
    with db.session() as s:
        row = customer_search.search(s, a["R001"], "13812345678").rows[0]
    assert (row.name, row.mobile) == ("张伟", "138****5678")
    assert row.org_name and row.rm_name


def test_the_profile_is_masked_by_default_and_unmasking_is_audited(db, people):
    ids, a = people
    with db.session() as s:
        p = customers.get_profile(s, a["R001"], ids["张伟"])
    assert p.mobile == "138****5678" and p.id_number.startswith("3") and "*" in p.id_number
    assert p.address == "江苏省南京市鼓楼区****" and p.name == "张伟" and p.masked and p.can_unmask
    with db.session(write=True) as s:
        p = customers.get_profile(s, a["R001"], ids["张伟"], unmask=True)
        s.commit()
    assert p.mobile == "13812345678" and not p.masked
    with db.session() as s:
        rec = audit.list_records(s, entity="customer", entity_id=str(ids["张伟"]))[0]
        assert rec.event == "customer.unmask" and rec.actor_no == "R001"
        assert audit.verify_chain(s).ok


def test_a_teller_sees_the_surname_only_and_may_not_unmask(db, people):
    ids, a = people
    with db.session() as s:
        p = customers.get_profile(s, a["T001"], ids["张伟"])
        assert p.name == "张*" and not p.can_unmask and not p.can_edit
        with pytest.raises(PermissionDenied):
            customers.get_profile(s, a["T001"], ids["张伟"], unmask=True)


def test_the_right_to_unmask_follows_the_role_setting_and_per_user_grants(db, people, system):
    from ocrm_tui.services import settings, users

    ids, a = people
    # Withdrawn from one RM: masked only, no edit form (it would show the full values).
    with db.session(write=True) as s:
        users.set_unmask(s, system, "R001", "withdraw")
    with db.session(write=True) as s:
        p = customers.get_profile(s, a["R001"], ids["张伟"])
        assert not p.can_unmask and not p.can_edit and p.mobile == "138****5678"
        with pytest.raises(PermissionDenied):
            customers.get_profile(s, a["R001"], ids["张伟"], unmask=True)
        with pytest.raises(PermissionDenied):
            customers.edit_values(s, a["R001"], ids["张伟"])
    # Granted to a teller (a counter supervisor): full values, each view audited with the fields.
    with db.session(write=True) as s:
        users.set_unmask(s, system, "T001", "grant")
    with db.session(write=True) as s:
        p = customers.get_profile(s, a["T001"], ids["张伟"], unmask=True)
    assert p.mobile == "13812345678" and p.name == "张伟"
    # The role setting: managers no longer by role; R002 (left to the role) neither once rm is removed.
    with db.session(write=True) as s:
        settings.set_setting(s, "unmask.roles", ["admin"])
        s.commit()
    with db.session() as s:
        assert not customers.get_profile(s, a["M001"], ids["张伟"]).can_unmask
        assert not customers.get_profile(s, a["R002"], ids["张伟明"]).can_unmask
        assert customers.get_profile(s, a["A001"], ids["张伟"]).can_unmask
    with db.session(write=True) as s:
        users.set_unmask(s, system, "R001", "role")
        users.set_unmask(s, system, "M001", "grant")
    with db.session() as s:
        assert not customers.get_profile(s, a["R001"], ids["张伟"]).can_unmask  # back to the role: rm is not listed
        assert customers.get_profile(s, a["M001"], ids["张伟"]).can_unmask
        records = audit.list_records(s, entity="customer", entity_id=str(ids["张伟"]))
        unmask = next(r for r in records if r.event == "customer.unmask" and r.actor_no == "T001")
        assert set(unmask.changes["fields"]) == {"name", "id_number", "mobile", "address", "account_no"}
        assert "13812345678" not in json.dumps(unmask.changes)  # the field, never the value
        changes = [r for r in audit.list_records(s, entity="staff_user") if r.event == "user.unmask_change"]
        assert [(r.changes["unmask"][0], r.changes["unmask"][1]) for r in reversed(changes)] == [
            (None, False), (None, True), (False, None), (None, True)]
        assert audit.verify_chain(s).ok


def test_the_unmask_roles_setting_takes_roles_only(db, branch):
    from ocrm_tui.services import settings

    with db.session(write=True) as s:
        for bad in (["rm", "cashier"], "rm", ["rm", "rm"]):
            with pytest.raises(ValidationError):
                settings.set_setting(s, "unmask.roles", bad)


def test_a_customer_outside_the_scope_is_refused_like_a_missing_one(db, people):
    ids, a = people
    with db.session() as s:
        with pytest.raises(NotFoundError) as outside:
            customers.get_profile(s, a["R002"], ids["张伟"])
        with pytest.raises(NotFoundError) as missing:
            customers.get_profile(s, a["R002"], 999_999)
        assert str(outside.value) == str(missing.value)
        with pytest.raises(NotFoundError):
            customers.edit_values(s, a["R002"], ids["张伟"])


# -- create, duplicates, edit -----------------------------------------------------------------

def form(**over):
    values = {"name": "赵敏", "id_type": "居民身份证", "id_number": rid("1992-03-04", 55, False), "mobile": "13612340000"}
    values.update(over)
    return values


def test_create_fills_birth_date_and_gender_from_the_id_number(db, people, clock):
    _, a = people
    with db.session(write=True) as s:
        new_id = customers.create_customer(s, a["R001"], form(), clock=clock)
        s.commit()
    with db.session() as s:
        c = s.get(Customer, new_id)
        assert (c.birth_date, c.gender, c.rm_id, c.name_initials) == (date(1992, 3, 4), "F", a["R001"].id, "zm")
        assert audit.list_records(s, entity="customer", entity_id=str(new_id))[0].event == "customer.create"
    assert names(db, a["R001"], "敏") == ["赵敏"]  # the fragment index is kept in step


@pytest.mark.parametrize("field, value, words", [
    ("id_number", "320102199203045511", "check digit"),
    ("mobile", "12345", "11 digits"),
    ("email", "not-an-email", "e-mail"),
    ("birth_date", "1992-13-01", "YYYY-MM-DD"),
    ("birth_date", "1993-03-04", "birth date"),  # disagrees with the ID number
    ("gender", "M", "female"),  # the ID number's gender digit says F
    ("name", "", "required"),
    ("name", "赵敏'; DROP TABLE customer; --", "Chinese characters"),
])
def test_a_wrong_field_is_named_and_nothing_is_saved(db, people, clock, field, value, words):
    _, a = people
    with db.session(write=True) as s:
        before = s.scalar(select(func.count()).select_from(Customer))
        with pytest.raises(ValidationError) as exc:
            customers.create_customer(s, a["R001"], form(**{field: value}), clock=clock)
        assert words in exc.value.message
        assert exc.value.field in (field, "birth_date", "gender", "id_number")
        assert s.scalar(select(func.count()).select_from(Customer)) == before


def test_duplicates_same_id_number_blocks_same_mobile_asks(db, people, clock):
    ids, a = people
    with db.session() as s:
        zw = s.get(Customer, ids["张伟"])
        zw_id_number, zw_birth = zw.id_number, zw.birth_date
    with db.session(write=True) as s:
        with pytest.raises(DuplicateCustomer) as exc:
            customers.create_customer(s, a["R001"], form(id_number=zw_id_number, name="张伟", mobile="13600000001"),
                                      clock=clock)
        assert exc.value.blocking and exc.value.duplicates[0].customer_id == ids["张伟"]
        with pytest.raises(DuplicateCustomer) as exc:
            customers.create_customer(s, a["R001"], form(mobile="13812345678"), clock=clock)
        assert not exc.value.blocking and exc.value.duplicates[0].reason == "mobile"
        assert "张伟" in exc.value.duplicates[0].label
        new_id = customers.create_customer(s, a["R001"], form(mobile="13812345678"), accept_similar=True, clock=clock)
        s.commit()
    assert new_id
    # Someone outside the scope: said to exist, but not shown.
    with db.session(write=True) as s:
        with pytest.raises(DuplicateCustomer) as exc:
            customers.create_customer(s, a["R002"], form(name="张伟", id_number=rid(str(zw_birth), 70, True),
                                                          mobile="13600000002", birth_date=str(zw_birth)), clock=clock)
        dup = exc.value.duplicates[0]
        assert dup.reason == "name_birth" and dup.customer_id is None and "张伟" not in dup.label


def test_an_edit_saves_and_a_stale_edit_is_refused_naming_the_changed_fields(db, people, clock):
    ids, a = people
    with db.session(write=True) as s:
        base_r1 = customers.edit_values(s, a["R001"], ids["张伟"])
        s.commit()
    with db.session(write=True) as s:
        base_m = customers.edit_values(s, a["M001"], ids["张伟"])
        s.commit()
    assert base_r1["mobile"] == "13812345678"  # full values for editing (audited as an unmask)
    with db.session(write=True) as s:
        mine = dict(base_m, email="zw@example.com")
        version = customers.update_customer(s, a["M001"], ids["张伟"], mine, base_m, clock=clock)
        s.commit()
    assert version == int(base_m["version"]) + 1
    with db.session(write=True) as s:
        theirs = dict(base_r1, mobile="13812349999")
        with pytest.raises(StaleRecordError) as exc:
            customers.update_customer(s, a["R001"], ids["张伟"], theirs, base_r1, clock=clock)
    assert exc.value.changed == {"email": ("", "zw@example.com")}
    with db.session() as s:
        c = s.get(Customer, ids["张伟"])
        assert (c.mobile, c.email) == ("13812345678", "zw@example.com")  # nothing overwritten
        events = [r.event for r in audit.list_records(s, entity="customer", entity_id=str(ids["张伟"]))]
        assert events.count("customer.update") == 1 and events.count("customer.unmask") == 2


def test_tellers_open_new_files_but_do_not_edit(db, people, clock):
    ids, a = people
    with db.session(write=True) as s:
        new_id = customers.create_customer(s, a["T001"], form(), clock=clock)
        s.commit()
    assert names(db, a["T001"], "赵敏") == ["赵*"]  # served: the teller opened the file
    with db.session(write=True) as s:
        with pytest.raises(PermissionDenied):
            customers.edit_values(s, a["T001"], new_id)


# -- tiers ------------------------------------------------------------------------------------

def test_only_a_manager_overrides_a_tier_with_a_reason_and_it_is_audited(db, people, clock):
    ids, a = people
    with db.session(write=True) as s:
        with pytest.raises(PermissionDenied):
            customers.override_tier(s, a["R001"], ids["张伟"], "private", "big family business", clock=clock)
        with pytest.raises(ValidationError):
            customers.override_tier(s, a["M001"], ids["张伟"], "private", "", clock=clock)
        with pytest.raises(NotFoundError):
            customers.override_tier(s, a["M001"], ids["欧阳娜娜"], "private", "another branch", clock=clock)
        customers.override_tier(s, a["M001"], ids["张伟"], "private", "family office client", clock=clock)
        s.commit()
    with db.session() as s:
        c = s.get(Customer, ids["张伟"])
        assert (c.tier, c.tier_manual, c.tier_reason) == ("private", True, "family office client")
        rec = audit.list_records(s, entity="customer", entity_id=str(ids["张伟"]))[0]
        assert rec.event == "customer.tier_override" and rec.changes["tier"] == ["mass", "private"]
    with db.session(write=True) as s:
        assert customers.clear_tier_override(s, a["M001"], ids["张伟"], clock=clock) == "mass"
        s.commit()


def test_opening_at_the_counter_records_the_visit_then_shows_the_masked_profile(db, people, clock):
    ids, a = people
    with db.session(write=True) as s:
        p = customers.open_customer(s, a["T001"], ids["李张伟"], counter_lookup="15000002222", clock=clock)
    assert (p.name, p.mobile) == ("李**", "150****2222")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ServiceContact)
                        .where(ServiceContact.customer_id == ids["李张伟"])) == 1
    with db.session(write=True) as s:
        with pytest.raises(NotFoundError):  # a name is no counter lookup, and 欧阳娜娜 is another branch's
            customers.open_customer(s, a["T001"], ids["欧阳娜娜"], counter_lookup="18600003333", clock=clock)
