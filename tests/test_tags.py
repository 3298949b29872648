"""Tags: the vocabulary (add, rename, merge), tagging one customer, tagging a whole search
result, and `ocrm tag …` — on every backend, with the scope and the audit trail checked."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import Customer, CustomerCollaborator, CustomerTag, ServiceContact, Tag
from ocrm_tui.services import audit, auth, tags
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.scope import not_found_message
from ocrm_tui.services.users import get_user

runner = CliRunner()


def ocrm(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def book(branch, db):
    """Customers spread over the tree (as in test_scope), and an actor of every role."""
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "O2", "SB", "X1")}
        user = {n: get_user(s, n) for n in ("A001", "M001", "R001", "R002", "T001", "M900")}

        def cust(no, org_code, rm=None):
            c = Customer(customer_no=no, name="客户" + no, mobile="1380000" + no[-4:], org_id=org[org_code],
                         rm_id=user[rm].id if rm else None)
            s.add(c)
            return c

        cs = {
            "C0001": cust("C0001", "O1", "R001"),  # R001's own
            "C0002": cust("C0002", "O2", "R002"),  # R002's own; R001 collaborates
            "C0003": cust("C0003", "O1"),  # in the pool, served by T001 at the counter
            "C0004": cust("C0004", "X1"),  # another tier-1 branch
            "C0005": cust("C0005", "SB"),  # the sub-branch itself
            "C0006": cust("C0006", "O2", "R002"),  # R002's own only
        }
        s.flush()
        s.add(CustomerCollaborator(customer_id=cs["C0002"].id, user_id=user["R001"].id))
        s.add(ServiceContact(customer_id=cs["C0003"].id, user_id=user["T001"].id, kind="counter"))
        s.commit()
        ids = {k: v.id for k, v in cs.items()}
        actors = {no: auth.actor_for(s, u) for no, u in user.items()}
    return ids, actors


def tagged(db, tag_name: str) -> list[str]:
    """Customer numbers carrying a tag."""
    with db.session() as s:
        return sorted(s.scalars(
            select(Customer.customer_no).join(CustomerTag, CustomerTag.customer_id == Customer.id)
            .join(Tag, Tag.id == CustomerTag.tag_id).where(Tag.name == tag_name)
        ))


def records(db, **filters) -> list[audit.AuditRow]:
    with db.session() as s:
        return audit.list_records(s, limit=100_000, **filters)


def chain_ok(db) -> bool:
    with db.session() as s:
        return audit.verify_chain(s).ok


def add(db, actor, name, family="custom"):
    with db.session(write=True) as s:
        return tags.add_tag(s, actor, name, family)


# -- the vocabulary ------------------------------------------------------------------------

def test_a_manager_adds_a_tag_with_its_name_cleaned_and_audited(db, book):
    _, a = book
    tag = add(db, a["M001"], "  房贷客户  ", "behaviour")
    assert (tag.name, tag.family) == ("房贷客户", "behaviour")
    wide = add(db, a["A001"], "ＶＩＰ  潜力")  # full-width letters, two spaces
    assert wide.name == "VIP 潜力" and wide.family == "custom"
    created = records(db, entity="tag", entity_id=str(tag.id))
    assert [r.event for r in created] == ["tag.create"]
    assert created[0].actor_no == "M001"
    assert created[0].changes["name"] == [None, "房贷客户"]
    assert chain_ok(db)


@pytest.mark.parametrize("name, message", [
    ("", "1–64 characters"),
    ("   ", "1–64 characters"),
    ("x" * 65, "1–64 characters"),
])
def test_a_tag_name_must_have_1_to_64_characters(db, book, name, message):
    _, a = book
    with pytest.raises(ValidationError, match=message):
        add(db, a["A001"], name)
    assert add(db, a["A001"], "x" * 64).name == "x" * 64


def test_a_duplicate_tag_is_refused_naming_the_existing_one(db, book):
    _, a = book
    add(db, a["A001"], "VIP潜力", "attitude")
    with pytest.raises(ValidationError) as dup:
        add(db, a["A001"], "vip潜力")
    assert str(dup.value) == "A tag named VIP潜力 already exists (family: Attitude)"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Tag)) == 1


def test_an_unknown_family_is_refused(db, book):
    _, a = book
    with pytest.raises(ValidationError, match="Family must be one of: demographic, behaviour, attitude, relationship, custom"):
        add(db, a["A001"], "x", "interest")


@pytest.mark.parametrize("who", ["R001", "T001"])
def test_only_managers_and_admins_manage_the_vocabulary(db, book, who):
    _, a = book
    add(db, a["A001"], "old")
    with db.session(write=True) as s:
        with pytest.raises(PermissionDenied, match="Only a manager or an administrator"):
            tags.add_tag(s, a[who], "new")
        with pytest.raises(PermissionDenied):
            tags.rename_tag(s, a[who], "old", "new")
        with pytest.raises(PermissionDenied):
            tags.merge_tags(s, a[who], "old", "old")


def test_list_tags_by_family_then_name_with_customer_counts(db, book):
    ids, a = book
    for name, family in [("zz", "custom"), ("房贷客户", "custom"), ("青年客户", "demographic"),
                         ("保守型", "attitude"), ("aa", "custom")]:
        add(db, a["A001"], name, family)
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷客户", [ids["C0001"], ids["C0002"]])
    with db.session() as s:
        listed = [(t.family, t.name, t.customers) for t in tags.list_tags(s)]
        only_custom = [t.name for t in tags.list_tags(s, family="custom")]
    assert listed == [
        ("demographic", "青年客户", 0),
        ("attitude", "保守型", 0),
        ("custom", "aa", 0),
        ("custom", "zz", 0),
        ("custom", "房贷客户", 2),
    ]
    assert only_custom == ["aa", "zz", "房贷客户"]


def test_suggestions_put_prefix_matches_first_and_treat_wildcards_as_text(db, book):
    ids, a = book
    for name in ["基金定投意向", "偏好基金", "基金偏好", "100%保本", "1000元以上", "a_b", "axb", "AB客户"]:
        add(db, a["A001"], name)
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "基金偏好", list(ids.values()))
        tags.batch_tag(s, a["A001"], "偏好基金", [ids["C0001"]])

    def names(prefix, limit=10):
        with db.session() as s:
            return [t.name for t in tags.suggest_tags(s, prefix, limit)]

    # Prefix matches first (most used first), then names containing the text.
    assert names("基金") == ["基金偏好", "基金定投意向", "偏好基金"]
    assert names("基金", limit=1) == ["基金偏好"]
    assert names("%") == ["100%保本"]  # not "everything"
    assert names("100%") == ["100%保本"]
    assert names("a_") == ["a_b"]  # "_" is not "any one character": axb is not suggested
    assert names("ab") == ["AB客户"]  # ignoring case
    assert names("zzz") == []
    # Nothing typed: the most used tags.
    assert names("", limit=2) == ["基金偏好", "偏好基金"]
    with db.session() as s:
        first = tags.suggest_tags(s, "基金")[0]
    assert (first.family, first.customers) == ("custom", 6)


def test_rename_keeps_the_customers_and_refuses_a_taken_name(db, book):
    ids, a = book
    add(db, a["A001"], "房贷")
    add(db, a["A001"], "车贷")
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷", [ids["C0001"]])
        tag = tags.rename_tag(s, a["M001"], "房贷", "房贷客户")
    assert tag.name == "房贷客户"
    assert tagged(db, "房贷客户") == ["C0001"]
    renamed = records(db, entity="tag", entity_id=str(tag.id))[0]
    assert renamed.event == "tag.rename" and renamed.changes == {"name": ["房贷", "房贷客户"]}
    with db.session(write=True) as s:
        with pytest.raises(ValidationError, match="A tag named 车贷 already exists"):
            tags.rename_tag(s, a["A001"], "房贷客户", "车贷")
        with pytest.raises(NotFoundError, match="No tag named 无此标签"):
            tags.rename_tag(s, a["A001"], "无此标签", "x")
    add(db, a["A001"], "vip")
    with db.session(write=True) as s:  # a change of case only is a rename, not a duplicate
        assert tags.rename_tag(s, a["A001"], "vip", "VIP").name == "VIP"
    assert chain_ok(db)


def test_merge_moves_the_customers_once_and_deletes_the_source(db, book):
    ids, a = book
    add(db, a["A001"], "房贷")
    add(db, a["A001"], "房贷客户")
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷", [ids["C0001"], ids["C0002"], ids["C0003"]])
        tags.batch_tag(s, a["A001"], "房贷客户", [ids["C0003"], ids["C0004"]])  # C0003 has both
        source_id = tags.get_tag(s, "房贷").id
        target_id = tags.get_tag(s, "房贷客户").id
    with db.session(write=True) as s:
        moved = tags.merge_tags(s, a["M001"], "房贷", "房贷客户")
    assert moved == 2
    assert tagged(db, "房贷客户") == ["C0001", "C0002", "C0003", "C0004"]
    with db.session() as s:
        assert tags.find_tag(s, "房贷") is None
        assert s.scalar(select(func.count()).select_from(CustomerTag).where(CustomerTag.tag_id == source_id)) == 0
    merge = records(db, entity="tag", entity_id=str(target_id))[0]
    assert merge.event == "tag.merge"
    assert merge.changes == {"source": "房贷", "source_id": source_id, "target": "房贷客户", "moved": 2,
                             "already_tagged": 1}
    deleted = records(db, entity="tag", entity_id=str(source_id))[0]
    assert deleted.event == "tag.delete" and deleted.changes["name"] == ["房贷", None]
    assert chain_ok(db)


def test_merge_refusals(db, book):
    _, a = book
    add(db, a["A001"], "a")
    with db.session(write=True) as s:
        with pytest.raises(ValidationError, match="cannot be merged into itself"):
            tags.merge_tags(s, a["A001"], "a", "A")
        with pytest.raises(NotFoundError, match="No tag named b"):
            tags.merge_tags(s, a["A001"], "a", "b")


# -- tagging one customer -------------------------------------------------------------------

def test_an_rm_tags_a_customer_of_their_book_and_it_is_audited(db, book, clock):
    ids, a = book
    add(db, a["A001"], "理财偏好", "behaviour")
    with db.session(write=True) as s:
        assert tags.tag_customer(s, a["R001"], ids["C0001"], "理财偏好", clock=clock) is True
    with db.session(write=True) as s:
        assert tags.tag_customer(s, a["R001"], ids["C0001"], "理财偏好") is False  # already had it
        mine = tags.tags_of_customer(s, a["R001"], ids["C0001"])
    assert [(t.name, t.family) for t in mine] == [("理财偏好", "behaviour")]
    tag_id = mine[0].id
    rec = records(db, entity="customer_tag")
    assert len(rec) == 1
    assert rec[0].event == "customer_tag.create" and rec[0].actor_no == "R001"
    assert rec[0].entity_id == f"{tag_id}/{ids['C0001']}"
    assert rec[0].changes["customer_id"] == [None, ids["C0001"]]
    assert rec[0].changes["tag_id"] == [None, tag_id]
    assert rec[0].changes["created_by"] == [None, a["R001"].id]
    assert chain_ok(db)


def test_an_unknown_name_becomes_a_new_custom_tag_unless_told_otherwise(db, book):
    ids, a = book
    with db.session(write=True) as s:
        with pytest.raises(NotFoundError, match="No tag named 出国金融需求"):
            tags.tag_customer(s, a["R001"], ids["C0001"], "出国金融需求", create_custom=False)
    with db.session(write=True) as s:
        assert tags.tag_customer(s, a["R001"], ids["C0001"], " 出国金融需求 ")
        new = tags.get_tag(s, "出国金融需求")
    assert new.family == "custom"
    assert tagged(db, "出国金融需求") == ["C0001"]
    assert [r.event for r in records(db, entity="tag")] == ["tag.create"]


def test_untag_takes_the_tag_off_and_is_audited(db, book):
    ids, a = book
    with db.session(write=True) as s:
        tags.tag_customer(s, a["R001"], ids["C0002"], "家庭客户")  # a customer R001 collaborates on
    with db.session(write=True) as s:
        assert tags.untag_customer(s, a["R001"], ids["C0002"], "家庭客户") is True
    with db.session(write=True) as s:
        assert tags.untag_customer(s, a["R001"], ids["C0002"], "家庭客户") is False
        assert tags.tags_of_customer(s, a["R001"], ids["C0002"]) == []
    events = [r.event for r in records(db, entity="customer_tag")]
    assert events == ["customer_tag.delete", "customer_tag.create"]
    assert records(db, entity="customer_tag")[0].changes["customer_id"] == [ids["C0002"], None]


def test_a_customer_outside_the_scope_reads_like_a_missing_one(db, book):
    ids, a = book
    add(db, a["A001"], "房贷客户")
    with db.session(write=True) as s:
        tags.tag_customer(s, a["R002"], ids["C0006"], "房贷客户")
    for call in (
        lambda s, cid: tags.tag_customer(s, a["R001"], cid, "房贷客户"),
        lambda s, cid: tags.untag_customer(s, a["R001"], cid, "房贷客户"),
        lambda s, cid: tags.tags_of_customer(s, a["R001"], cid),
    ):
        with db.session(write=True) as s:
            with pytest.raises(NotFoundError) as outside:
                call(s, ids["C0006"])  # R002's customer
            with pytest.raises(NotFoundError) as missing:
                call(s, 999_999)
        assert str(outside.value) == str(missing.value) == not_found_message()
    assert tagged(db, "房贷客户") == ["C0006"]


def test_a_teller_adds_a_need_heard_at_the_counter_but_does_not_remove_or_batch_tag(db, book):
    ids, a = book
    add(db, a["A001"], "房贷客户")
    with db.session(write=True) as s:
        assert tags.tag_customer(s, a["T001"], ids["C0003"], "留学汇款需求")  # a customer they served
        with pytest.raises(NotFoundError):
            tags.tag_customer(s, a["T001"], ids["C0006"], "留学汇款需求")  # one they did not
    with db.session(write=True) as s:
        for call in (
            lambda: tags.untag_customer(s, a["T001"], ids["C0003"], "留学汇款需求"),
            lambda: tags.batch_tag(s, a["T001"], "房贷客户", [ids["C0003"]]),
        ):
            with pytest.raises(PermissionDenied) as refused:
                call()
            assert "ask the customer's relationship manager" in str(refused.value)
        # Reading the tags of a customer they served is allowed.
        assert [t.name for t in tags.tags_of_customer(s, a["T001"], ids["C0003"])] == ["留学汇款需求"]
    assert tagged(db, "房贷客户") == []


# -- tagging many customers ------------------------------------------------------------------

def test_batch_tag_touches_only_the_customers_in_scope_and_skips_those_already_tagged(db, book):
    ids, a = book
    everyone = list(ids.values())
    with db.session(write=True) as s:
        assert tags.batch_tag(s, a["R002"], "基金定投意向", [ids["C0006"]]) == 1
    with db.session(write=True) as s:
        # R001 sees C0001 (own) and C0002 (collaborates) of the six.
        assert tags.batch_tag(s, a["R001"], "基金定投意向", everyone + everyone) == 2
    assert tagged(db, "基金定投意向") == ["C0001", "C0002", "C0006"]
    with db.session(write=True) as s:
        # The manager's branch: C0001, C0002, C0003, C0005, C0006 — three not yet tagged.
        assert tags.batch_tag(s, a["M001"], "基金定投意向", select(Customer.id)) == 2
    assert tagged(db, "基金定投意向") == ["C0001", "C0002", "C0003", "C0005", "C0006"]

    tag_id = tagged_id(db, "基金定投意向")
    rec = records(db, entity="customer_tag")
    assert sorted((r.event, r.actor_no, r.entity_id) for r in rec) == sorted([
        ("customer_tag.create", "R002", f"{tag_id}/{ids['C0006']}"),
        ("customer_tag.create", "R001", f"{tag_id}/{ids['C0001']}"),
        ("customer_tag.create", "R001", f"{tag_id}/{ids['C0002']}"),
        ("customer_tag.create", "M001", f"{tag_id}/{ids['C0003']}"),
        ("customer_tag.create", "M001", f"{tag_id}/{ids['C0005']}"),
    ])
    assert all(r.changes == {"tag": "基金定投意向"} for r in rec)
    assert chain_ok(db)


def test_a_batch_that_reaches_nobody_creates_no_tag(db, book):
    ids, a = book
    with db.session(write=True) as s:
        assert tags.batch_tag(s, a["R001"], "新标签", [ids["C0004"], ids["C0006"], 999_999]) == 0
        assert tags.batch_tag(s, a["R001"], "新标签", []) == 0
    with db.session() as s:
        assert tags.find_tag(s, "新标签") is None
    assert records(db, entity="tag") == []


def tagged_id(db, name: str) -> int:
    with db.session() as s:
        return tags.get_tag(s, name).id


def test_batch_tag_of_a_search_result_select(db, book):
    ids, a = book
    # A search result with its own order and limit: only its rows are tagged.
    result = (select(Customer.id).where(Customer.customer_no.in_(["C0001", "C0003", "C0004"]))
              .order_by(Customer.customer_no.desc()).limit(2))
    with db.session(write=True) as s:
        assert tags.batch_tag(s, a["A001"], "营销目标", result) == 2
    assert tagged(db, "营销目标") == ["C0003", "C0004"]
    with db.session(write=True) as s:
        with pytest.raises(ValueError, match="one column"):
            tags.batch_tag(s, a["A001"], "营销目标", select(Customer.id, Customer.name))


def test_batch_remove_takes_the_tag_off_the_customers_in_scope_only(db, book):
    ids, a = book
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷客户", list(ids.values()))
    with db.session(write=True) as s:
        assert tags.batch_tag(s, a["R001"], "房贷客户", list(ids.values()), remove=True) == 2
    assert tagged(db, "房贷客户") == ["C0003", "C0004", "C0005", "C0006"]
    with db.session(write=True) as s:
        assert tags.batch_tag(s, a["R001"], "房贷客户", list(ids.values()), remove=True) == 0
        assert tags.batch_tag(s, a["M001"], "房贷客户", select(Customer.id), remove=True) == 3
        with pytest.raises(NotFoundError, match="No tag named 无此标签"):
            tags.batch_tag(s, a["M001"], "无此标签", select(Customer.id), remove=True)
    assert tagged(db, "房贷客户") == ["C0004"]
    removed = [r for r in records(db, entity="customer_tag") if r.event == "customer_tag.delete"]
    assert len(removed) == 5 and all(r.changes == {"tag": "房贷客户"} for r in removed)
    assert chain_ok(db)


def test_batch_tag_of_ten_thousand_customers(db, branch, system, monkeypatch):
    monkeypatch.setattr(tags, "ID_CHUNK", 3_000)  # a list is sent in several statements
    now = datetime.now(timezone.utc)
    with db.session(write=True) as s:
        org_id = get_org_by_code(s, "O1").id
        s.execute(insert(Customer.__table__), [  # type: ignore[attr-defined]
            dict(customer_no=f"B{i:06d}", name="批量客户", name_pinyin="", name_initials="", name_chars="",
                 mobile="13800000000", org_id=org_id, tier="mass",
                 tier_manual=False, aum=0, aum_daily_avg=0, id_type="居民身份证", created_at=now, updated_at=now)
            for i in range(10_000)
        ])
        s.commit()
        ids = list(s.scalars(select(Customer.id)))
    with db.session(write=True) as s:
        assert tags.batch_tag(s, system, "万人名单", ids[:100]) == 100  # a list of ids
    with db.session(write=True) as s:
        assert tags.batch_tag(s, system, "万人名单", ids) == 9_900
    with db.session(write=True) as s:
        assert tags.batch_tag(s, system, "万人名单", select(Customer.id)) == 0
        assert tags.tag_info(s, "万人名单").customers == 10_000
    assert len(records(db, entity="customer_tag")) == 10_000
    with db.session(write=True) as s:
        assert tags.batch_tag(s, system, "万人名单", select(Customer.id), remove=True) == 10_000
    assert chain_ok(db)


# -- ocrm tag ---------------------------------------------------------------------------------

def one_line_error(result) -> str:
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_tag_add_and_list(db_url, db, book):
    ids, a = book
    added = ocrm("tag", "add", "房贷客户", "--family", "behaviour", "--db", db_url)
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "Added tag 房贷客户 (Behaviour)."
    assert ocrm("tag", "add", "青年客户", "--family", "demographic", "--db", db_url).exit_code == 0
    assert ocrm("tag", "add", "自定义一", "--db", db_url).exit_code == 0
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷客户", list(ids.values()))

    listed = ocrm("tag", "list", "--db", db_url)
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert "Tags" in lines[0]
    order = [next(i for i, line in enumerate(lines) if name in line) for name in ("青年客户", "房贷客户", "自定义一")]
    assert order == sorted(order)
    assert any("房贷客户" in line and "6" in line and "Behaviour" in line for line in lines)
    assert "Total: 3" in listed.stdout

    one_family = ocrm("tag", "list", "--family", "demographic", "--db", db_url)
    assert "青年客户" in one_family.stdout and "房贷客户" not in one_family.stdout


def test_tag_add_refusals(db_url, branch):
    assert ocrm("tag", "add", "房贷客户", "--db", db_url).exit_code == 0
    dup = ocrm("tag", "add", "房贷客户", "--db", db_url)
    assert dup.exit_code == 1
    assert one_line_error(dup) == "Error: A tag named 房贷客户 already exists (family: Custom)"
    bad_family = ocrm("tag", "add", "x", "--family", "interest", "--db", db_url)
    assert bad_family.exit_code == 2
    assert ocrm("tag", "add", "--db", db_url).exit_code == 2  # no name


def test_tag_list_when_there_are_none(db_url, branch):
    empty = ocrm("tag", "list", "--db", db_url)
    assert empty.exit_code == 0
    assert "No tags yet" in empty.stdout


def test_tag_rename(db_url, db, branch):
    ocrm("tag", "add", "房贷", "--db", db_url)
    ocrm("tag", "add", "车贷", "--db", db_url)
    renamed = ocrm("tag", "rename", "房贷", "房贷客户", "--db", db_url)
    assert renamed.exit_code == 0, renamed.output
    assert renamed.stdout.strip() == "Renamed tag 房贷 to 房贷客户."
    taken = ocrm("tag", "rename", "房贷客户", "车贷", "--db", db_url)
    assert taken.exit_code == 1
    assert "already exists" in one_line_error(taken)
    missing = ocrm("tag", "rename", "无此标签", "x", "--db", db_url)
    assert missing.exit_code == 1 and one_line_error(missing) == "Error: No tag named 无此标签"


def test_tag_merge_asks_with_the_counts_and_needs_an_answer(db_url, db, book):
    ids, a = book
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "房贷", [ids["C0001"], ids["C0002"]])
        tags.batch_tag(s, a["A001"], "房贷客户", [ids["C0002"]])

    no_answer = ocrm("tag", "merge", "房贷", "房贷客户", "--db", db_url)  # no terminal, no input
    assert no_answer.exit_code == 1
    assert "Merge tag 房贷 (customers: 2) into 房贷客户 (customers: 1) and delete 房贷?" in no_answer.stderr
    assert no_answer.stderr.splitlines()[-1] == (
        "Error: Nothing was merged: no answer. Add --yes to merge without being asked.")
    assert "Traceback" not in no_answer.output
    assert tagged(db, "房贷") == ["C0001", "C0002"]

    declined = ocrm("tag", "merge", "房贷", "房贷客户", "--db", db_url, input="n\n")
    assert declined.exit_code == 1
    assert declined.stderr.rstrip().endswith("Error: Nothing was merged.")
    assert tagged(db, "房贷") == ["C0001", "C0002"]

    confirmed = ocrm("tag", "merge", "房贷", "房贷客户", "--db", db_url, input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert confirmed.stdout.splitlines()[-1] == "Merged tag 房贷 into 房贷客户 (customers moved: 1); 房贷 is deleted."
    assert tagged(db, "房贷客户") == ["C0001", "C0002"]
    assert tagged(db, "房贷") == []


def test_tag_merge_with_yes_asks_nothing(db_url, db, book):
    ids, a = book
    with db.session(write=True) as s:
        tags.batch_tag(s, a["A001"], "a", [ids["C0001"]])
        tags.add_tag(s, a["A001"], "b")
    merged = ocrm("tag", "merge", "a", "b", "--yes", "--db", db_url)
    assert merged.exit_code == 0, merged.output
    assert merged.stderr == ""
    assert tagged(db, "b") == ["C0001"]
    missing = ocrm("tag", "merge", "a", "b", "--yes", "--db", db_url)
    assert missing.exit_code == 1 and one_line_error(missing) == "Error: No tag named a"


def test_tag_commands_in_chinese(db_url, db, book):
    ids, a = book
    added = ocrm("--lang", "zh", "tag", "add", "房贷客户", "--family", "relationship", "--db", db_url)
    assert added.exit_code == 0
    assert added.stdout.strip() == "已添加标签 房贷客户（社会关系）。"
    listed = ocrm("--lang", "zh", "tag", "list", "--db", db_url)
    assert "标签" in listed.stdout and "类别" in listed.stdout and "客户数" in listed.stdout
    assert "共 1 条" in listed.stdout
    dup = ocrm("--lang", "zh", "tag", "add", "房贷客户", "--db", db_url)
    assert dup.exit_code == 1
    assert "名为 房贷客户 的标签已存在" in one_line_error(dup)
