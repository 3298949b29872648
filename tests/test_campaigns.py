"""Campaigns: the filter's meaning and its refusals, suitability, list generation and its
distribution among RMs, outcomes, metrics, SMS, stale edits — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ocrm_tui.db.models import (
    Account,
    AuditRecord,
    CampaignTarget,
    Customer,
    CustomerTag,
    Product,
    ServiceContact,
    SmsMessage,
    Tag,
)
from ocrm_tui.i18n import set_language
from ocrm_tui.services import auth, campaigns, customer_search, tags
from ocrm_tui.services import campaign_filter as cf
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, StaleRecordError, ValidationError
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

# name, org, rm, tier, daily-average AUM, risk preference, gender, born, mobile, tags
PEOPLE = [
    ("张伟", "O1", "R001", "vip", 120_000, 3, "M", date(1980, 3, 1), "13900000001", ["房贷客户"]),
    ("李娜", "O1", None, "vip", 300_000, 4, "F", date(1990, 6, 1), "13900000002", ["房贷客户", "理财偏好"]),
    ("王芳", "O2", None, "wealth", 800_000, 2, "F", date(1975, 1, 9), "13900000003", ["房贷客户"]),
    ("刘洋", "O2", "R002", "wealth", 450_000, None, "M", date(1968, 12, 1), "", ["房贷客户"]),
    ("陈静", "O1", None, "mass", 20_000, 5, "F", date(2000, 2, 2), "13900000005", []),
    ("杨磊", "O2", None, "vip", 60_000, 3, "M", date(1985, 5, 5), "12345", ["理财偏好"]),
    ("赵敏", "O1", None, "vip", 200_000, 5, "F", date(1988, 8, 8), "13900000007", ["房贷客户"]),
    ("江北客户", "X1", None, "vip", 200_000, 5, "M", date(1988, 8, 8), "13900000008", ["房贷客户"]),
]


@pytest.fixture
def market(branch, db, system, clock):
    with db.session(write=True) as s:
        tag_ids = {}
        for name in ("房贷客户", "理财偏好"):
            t = Tag(name=name)
            s.add(t)
            s.flush()
            tag_ids[name] = t.id
        s.add(Product(product_code="WM-1Y", name="年年丰理财", product_type="wealth", risk_level="R3"))
        s.add(Product(product_code="DEP-1Y", name="一年期定期存款", product_type="deposit", risk_level="R1"))
        s.flush()
        ids = {}
        for i, (name, org, rm, tier, aum, risk, gender, born, mobile, tag_names) in enumerate(PEOPLE):
            c = Customer(customer_no=f"9200000{i:03d}", name=name, **name_keys(name), mobile=mobile, gender=gender,
                         birth_date=born, org_id=get_org_by_code(s, org).id, rm_id=get_user(s, rm).id if rm else None,
                         tier=tier, aum=Decimal(aum), aum_daily_avg=Decimal(aum), risk_preference=risk)
            s.add(c)
            s.flush()
            ids[name] = c.id
            for t in tag_names:
                s.add(CustomerTag(tag_id=tag_ids[t], customer_id=c.id))
        wm = s.scalar(select(Product.id).where(Product.product_code == "WM-1Y"))
        # 张伟 bought a wealth product 30 days ago; 王芳 180 days ago.
        today = clock().date()
        s.add(Account(account_no="880101000001", customer_id=ids["张伟"], product_id=wm,
                      opened_on=today - timedelta(days=30)))
        s.add(Account(account_no="880101000002", customer_id=ids["王芳"], product_id=wm,
                      opened_on=today - timedelta(days=180)))
        s.commit()
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001", "R001", "R002", "T001", "M900")}
    return ids, actors


def preview(db, actor, clock, **conditions):
    with db.session() as s:
        return campaigns.preview(s, actor, conditions, clock=clock)


def new_campaign(db, actor, clock, **values):
    base = {"name": "房贷客户理财推介", "type": "phone", "filter": {}}
    base.update(values)
    with db.session(write=True) as s:
        return campaigns.create_campaign(s, actor, base, clock=clock)


def view(db, actor, cid):
    with db.session() as s:
        return campaigns.get_campaign(s, actor, cid)


def generate(db, actor, cid, clock):
    with db.session(write=True) as s:
        return campaigns.generate(s, actor, cid, version=campaigns.get_campaign(s, actor, cid).version, clock=clock)


def start(db, actor, cid, clock, status="active"):
    with db.session(write=True) as s:
        return campaigns.set_status(s, actor, cid, status, version=campaigns.get_campaign(s, actor, cid).version,
                                    clock=clock)


def targets(db, cid) -> dict[int, int | None]:
    with db.session() as s:
        return dict(s.execute(select(CampaignTarget.customer_id, CampaignTarget.rm_id)
                              .where(CampaignTarget.campaign_id == cid)).all())


# -- the filter ---------------------------------------------------------------------------------

def test_a_four_condition_filter_counts_the_right_customers_and_reads_as_a_sentence(db, market, clock):
    ids, actors = market
    result = preview(db, actors["A001"], clock, tiers=["vip", "wealth"], aum_min="100000", aum_max="500000",
                     tags_all=["房贷客户"], tags_none=["理财偏好"])
    # vip/wealth, 100k–500k, 房贷客户, not 理财偏好: 张伟, 刘洋, 赵敏, 江北客户 (李娜 has 理财偏好, 王芳 800k).
    assert result.count == 4
    assert result.sentence == ("VIP or wealth customers with AUM 100,000–500,000, tagged 房贷客户, "
                               "not tagged 理财偏好")
    assert result.steps == []


def test_a_manager_counts_inside_their_branch_only(db, market, clock):
    ids, actors = market
    assert preview(db, actors["M001"], clock, tags_all=["房贷客户"]).count == 5  # not 江北客户 (X1)
    assert preview(db, actors["M900"], clock, tags_all=["房贷客户"]).count == 1


def test_no_recent_purchase_and_not_contacted_use_the_clock(db, market, clock):
    ids, actors = market
    with db.session(write=True) as s:
        s.add(ServiceContact(customer_id=ids["李娜"], user_id=actors["R001"].id, at=clock() - timedelta(days=3)))
        s.commit()
    got = preview(db, actors["A001"], clock, tags_all=["房贷客户"], no_purchase_type="wealth", no_purchase_days=90,
                  not_contacted_days=7)
    # 张伟 bought 30 days ago; 李娜 was contacted 3 days ago; 王芳's purchase is older than 90 days.
    assert got.count == 4
    assert "without a wealth management product bought in the last 90 days" in got.sentence


def test_age_gender_and_occupation_conditions(db, market, clock):
    ids, actors = market
    # On 2026-01-05: 张伟 45, 李娜 35, 王芳 50, 刘洋 57, 陈静 25, 杨磊 40, 赵敏 37, 江北客户 37.
    assert preview(db, actors["A001"], clock, age_min=35, age_max=45).count == 5
    assert preview(db, actors["A001"], clock, age_min=35, age_max=45, gender="F").count == 2


def test_zero_matches_say_which_condition_emptied_the_set(db, market, clock):
    ids, actors = market
    result = preview(db, actors["M001"], clock, tiers=["mass"], tags_all=["房贷客户"])
    assert result.count == 0
    assert result.steps == [("customers in the campaign's scope", 7), ("mass customers", 1), ("tagged 房贷客户", 0)]


@pytest.mark.parametrize("conditions, field, words", [
    ({"aum_min": "500000", "aum_max": "100000"}, "aum_min", "upside down"),
    ({"tags_all": ["房贷客户"], "tags_none": ["房贷客户"]}, "tags_none", "both required and excluded"),
    ({"products_held": ["loan"], "products_not_held": ["loan"]}, "products_not_held", "both required and excluded"),
    ({"tags_all": ["已删除的标签"]}, "tags_all", "no longer exists"),
    ({"tiers": ["gold"]}, "tiers", "Unknown tier"),
    ({"no_purchase_days": 90}, "no_purchase_type", "needs both"),
    ({"age_min": "abc"}, "age_min", "not a whole number"),
])
def test_bad_filters_are_refused_with_the_field(db, market, clock, conditions, field, words):
    ids, actors = market
    with pytest.raises(ValidationError) as err:
        preview(db, actors["A001"], clock, **conditions)
    assert err.value.field == field
    assert words in err.value.message


def test_a_tag_deleted_after_the_campaign_was_saved_is_named(db, market, clock, system):
    ids, actors = market
    with db.session(write=True) as s:
        tags.add_tag(s, system, "临时标签")
    cid = new_campaign(db, actors["A001"], clock, filter={"tags_any": ["临时标签"]})
    with db.session(write=True) as s:
        tags.merge_tags(s, system, "临时标签", "房贷客户")
    v = view(db, actors["A001"], cid)
    assert v.filter_problem == "The tag 临时标签 no longer exists: take it out of the filter"
    with pytest.raises(ValidationError, match="临时标签 no longer exists"):
        generate(db, actors["A001"], cid, clock)
    assert targets(db, cid) == {}


def test_the_sentence_in_chinese(db, market, clock):
    ids, actors = market
    set_language("zh")
    got = preview(db, actors["A001"], clock, tiers=["vip", "wealth"], aum_min="100000", aum_max="500000",
                  tags_all=["房贷客户"], no_purchase_type="wealth", no_purchase_days=90)
    assert got.sentence == "贵宾或财富客户，日均资产 100,000–500,000，带有标签 房贷客户，近 90 天未购买理财产品"


# -- suitability ----------------------------------------------------------------------------------

def test_a_risky_product_leaves_out_customers_it_does_not_suit_and_says_how_many(db, market, clock):
    ids, actors = market
    with db.session() as s:
        got = campaigns.preview(s, actors["A001"], {"tags_all": ["房贷客户"]}, product_code="WM-1Y", clock=clock)
    # 房贷客户: 张伟 3, 李娜 4, 王芳 2 (too low), 刘洋 none (missing), 赵敏 5, 江北客户 5.
    assert (got.count, got.unsuitable) == (4, 2)
    cid = new_campaign(db, actors["A001"], clock, product_code="WM-1Y", filter={"tags_all": ["房贷客户"]})
    result = generate(db, actors["A001"], cid, clock)
    assert (result.added, result.unsuitable) == (4, 2)
    assert set(targets(db, cid)) == {ids["张伟"], ids["李娜"], ids["赵敏"], ids["江北客户"]}


# -- generating the list -------------------------------------------------------------------------

def test_each_customer_goes_to_their_own_rm_and_the_unowned_in_turn_to_the_scopes_rms(db, market, clock):
    ids, actors = market
    cid = new_campaign(db, actors["M001"], clock, filter={"tiers": ["vip", "wealth"]})
    result = generate(db, actors["M001"], cid, clock)
    got = targets(db, cid)
    r1, r2 = actors["R001"].id, actors["R002"].id
    # The manager's branch (SB): no 江北客户, no mass 陈静.
    assert set(got) == {ids[n] for n in ("张伟", "李娜", "王芳", "刘洋", "杨磊", "赵敏")}
    assert result.added == result.total == 6
    assert got[ids["张伟"]] == r1 and got[ids["刘洋"]] == r2
    unowned = [got[ids[n]] for n in ("李娜", "王芳", "杨磊", "赵敏")]  # in customer order
    assert unowned == [r1, r2, r1, r2]


def test_regenerating_a_draft_replaces_the_list_and_a_live_list_only_gains(db, market, clock):
    ids, actors = market
    admin = actors["A001"]
    cid = new_campaign(db, admin, clock, filter={"tiers": ["wealth"]})
    assert generate(db, admin, cid, clock).total == 2
    with db.session(write=True) as s:
        v = campaigns.get_campaign(s, admin, cid)
        values = {**campaigns.form_values(v), "filter": {"tiers": ["mass"]}}
        campaigns.update_campaign(s, admin, cid, values, version=v.version, clock=clock)
    result = generate(db, admin, cid, clock)
    assert (result.removed, result.added, result.total) == (2, 1, 1)
    assert set(targets(db, cid)) == {ids["陈静"]}
    start(db, admin, cid, clock)
    with db.session(write=True) as s:
        v = campaigns.get_campaign(s, admin, cid)
        campaigns.update_campaign(s, admin, cid, {**campaigns.form_values(v), "filter": {"tiers": ["mass", "wealth"]}},
                                  version=v.version, clock=clock)
    result = generate(db, admin, cid, clock)
    assert (result.removed, result.added, result.total) == (0, 2, 3)
    assert generate(db, admin, cid, clock).added == 0


def test_generating_from_a_stale_screen_is_refused_and_changes_nothing(db, market, clock):
    ids, actors = market
    cid = new_campaign(db, actors["M001"], clock, filter={"tiers": ["wealth"]})
    stale = view(db, actors["M001"], cid).version
    with db.session(write=True) as s:
        v = campaigns.get_campaign(s, actors["A001"], cid)
        campaigns.update_campaign(s, actors["A001"], cid, {**campaigns.form_values(v), "name": "改名"},
                                  version=v.version, clock=clock)
    with db.session(write=True) as s, pytest.raises(StaleRecordError, match="系统管理员 changed this campaign"):
        campaigns.generate(s, actors["M001"], cid, version=stale, clock=clock)
    assert targets(db, cid) == {}


def test_who_may_organise(db, market, clock):
    ids, actors = market
    with pytest.raises(PermissionDenied):
        new_campaign(db, actors["R001"], clock)
    with pytest.raises(PermissionDenied, match="bank-wide campaign is organised by an administrator"):
        new_campaign(db, actors["M001"], clock, org_code="HO")
    cid = new_campaign(db, actors["M900"], clock)
    with pytest.raises(NotFoundError):
        view(db, actors["M001"], cid)  # another branch's campaign
    with pytest.raises(PermissionDenied):
        preview(db, actors["T001"], clock)
    with db.session() as s, pytest.raises(PermissionDenied):
        campaigns.preview(s, actors["M001"], {}, org_code="X1", clock=clock)  # another branch's customers


@pytest.mark.parametrize("values, field", [
    ({"name": " "}, "name"),
    ({"type": "fax"}, "type"),
    ({"starts_on": "2026-03-01", "ends_on": "2026-02-01"}, "ends_on"),
    ({"budget": "-5"}, "budget"),
    ({"type": "sms", "sms_template": ""}, "sms_template"),
    ({"sms_template": "{surname}{title}您好，{balance}"}, "sms_template"),
    ({"sms_template": "{surname 您好"}, "sms_template"),
    ({"product_code": "NOPE"}, "product_code"),
])
def test_bad_campaign_values_are_refused_with_the_field(db, market, clock, values, field):
    ids, actors = market
    with pytest.raises(ValidationError) as err:
        new_campaign(db, actors["A001"], clock, **values)
    assert err.value.field == field


def test_the_workflow_needs_a_list_to_start_and_ends_for_good(db, market, clock):
    ids, actors = market
    admin = actors["A001"]
    cid = new_campaign(db, admin, clock, filter={"tiers": ["wealth"]})
    with pytest.raises(ValidationError, match="Generate the target list"):
        start(db, admin, cid, clock)
    generate(db, admin, cid, clock)
    start(db, admin, cid, clock)
    start(db, admin, cid, clock, "paused")
    start(db, admin, cid, clock, "active")
    start(db, admin, cid, clock, "ended")
    with pytest.raises(ValidationError, match="has ended"):
        start(db, admin, cid, clock, "active")
    with pytest.raises(ValidationError, match="list is final"):
        generate(db, admin, cid, clock)
    with db.session() as s:
        events = set(s.scalars(select(AuditRecord.event).where(AuditRecord.entity == "campaign")))
    assert {"campaign.start", "campaign.pause", "campaign.resume", "campaign.end", "campaign.generate"} <= events


# -- outcomes ---------------------------------------------------------------------------------------

@pytest.fixture
def live(db, market, clock):
    ids, actors = market
    cid = new_campaign(db, actors["M001"], clock, filter={"tiers": ["vip", "wealth"]}, actual_cost="1000")
    generate(db, actors["M001"], cid, clock)
    start(db, actors["M001"], cid, clock)
    return cid


def test_an_rm_sees_and_works_only_their_targets(db, market, clock, live):
    ids, actors = market
    r1 = actors["R001"]
    with db.session() as s:
        mine = campaigns.target_page(s, r1, live)
        theirs = campaigns.target_ids(s, actors["R002"], live)
    assert [t.name for t in mine] == ["张伟", "李娜", "杨磊"]
    assert mine[0].mobile == "139****0001"
    with db.session(write=True) as s, pytest.raises(NotFoundError):
        campaigns.record_outcome(s, r1, theirs[0], "contacted", clock=clock)


def test_a_target_given_to_an_rm_is_in_their_data_scope_while_the_campaign_is_live(db, market, clock, live):
    ids, actors = market
    r1 = actors["R001"]
    with db.session() as s:
        found = customer_search.search(s, r1, "李娜").rows
    assert [r.id for r in found] == [ids["李娜"]]  # not in R001's book: given to them by the campaign
    start(db, actors["M001"], live, clock, "ended")
    with db.session() as s:
        assert customer_search.search(s, r1, "李娜").rows == []


def test_recording_outcomes_and_the_metrics(db, market, clock, live):
    ids, actors = market
    r1, r2 = actors["R001"], actors["R002"]
    with db.session() as s:
        t1 = {t.name: t.id for t in campaigns.target_page(s, r1, live)}
        t2 = {t.name: t.id for t in campaigns.target_page(s, r2, live)}
    with db.session(write=True) as s:
        with pytest.raises(ValidationError) as err:
            campaigns.record_outcome(s, r1, t1["张伟"], "converted", clock=clock)
        assert err.value.field == "amount"
        with pytest.raises(ValidationError):
            campaigns.record_outcome(s, r1, t1["张伟"], "converted", amount="12.345", clock=clock)
        campaigns.record_outcome(s, r1, t1["张伟"], "converted", amount="50000", note="买了年年丰", clock=clock)
        campaigns.record_outcome(s, r1, t1["李娜"], "interested", clock=clock)
        campaigns.record_outcome(s, r1, t1["杨磊"], "unreachable", clock=clock)
        campaigns.record_outcome(s, r2, t2["王芳"], "converted", amount="20000", clock=clock)
        campaigns.record_outcome(s, r2, t2["刘洋"], "declined", clock=clock)
    with db.session() as s:
        m = campaigns.metrics(s, actors["M001"], live)
        contacts = s.scalar(select(func.count()).select_from(ServiceContact).where(ServiceContact.kind == "campaign"))
    o = m.overall
    assert (o.targets, o.contacted, o.participated, o.converted, o.amount) == (6, 4, 3, 2, Decimal("70000.00"))
    assert o.conversion_rate == pytest.approx(2 / 6)
    assert m.roi == Decimal("69")  # (70,000 − 1,000) / 1,000
    by_tier = {r.label: (r.targets, r.converted) for r in m.by_tier}
    assert by_tier == {"Wealth customer": (2, 1), "VIP customer": (4, 1)}
    by_tag = {r.label: (r.targets, r.converted, r.amount) for r in m.by_tag}
    assert by_tag["房贷客户"] == (5, 2, Decimal("70000.00"))
    assert by_tag["理财偏好"] == (2, 0, Decimal("0.00"))
    assert contacts == 4  # unreachable is not a contact
    with db.session() as s:
        rm_view = campaigns.metrics(s, r1, live)
    assert rm_view.overall.targets == 3  # an RM's figures are their own targets
    assert rm_view.partial and rm_view.roi is None  # their share's amount against the whole cost means nothing


def test_a_paused_campaign_takes_no_outcomes(db, market, clock, live):
    ids, actors = market
    start(db, actors["M001"], live, clock, "paused")
    with db.session() as s:
        target = campaigns.target_ids(s, actors["R001"], live)[0]
    with db.session(write=True) as s, pytest.raises(ValidationError, match="paused"):
        campaigns.record_outcome(s, actors["R001"], target, "contacted", clock=clock)


def test_a_batch_outcome_changes_only_the_actors_targets(db, market, clock, live):
    ids, actors = market
    with db.session() as s:
        every = campaigns.target_ids(s, actors["M001"], live)
    with db.session(write=True) as s:
        result = campaigns.batch_outcome(s, actors["R001"], live, every, "contacted", clock=clock)
    assert (result.changed, result.skipped) == (3, 3)
    with db.session() as s:
        counts = campaigns.target_counts(s, actors["M001"], live)
        audited = s.scalar(select(func.count()).select_from(AuditRecord)
                           .where(AuditRecord.event == "campaign.batch_outcome"))
    assert (counts["contacted"], counts["pending"], counts[""]) == (3, 3, 6)
    assert audited == 1


# -- SMS ----------------------------------------------------------------------------------------

def test_sms_is_queued_once_per_target_with_a_valid_mobile(db, market, clock):
    ids, actors = market
    admin = actors["A001"]
    cid = new_campaign(db, admin, clock, type="sms", product_code="DEP-1Y", filter={"tiers": ["vip", "wealth"]},
                       sms_template="{surname}{title}您好，{product}利率上调，详询{rm_name}。")
    generate(db, admin, cid, clock)
    with db.session(write=True) as s, pytest.raises(ValidationError, match="while a campaign is active"):
        campaigns.send_sms(s, admin, cid, clock=clock)
    start(db, admin, cid, clock)
    with db.session(write=True) as s:
        first = campaigns.send_sms(s, admin, cid, clock=clock)
    with db.session(write=True) as s:
        second = campaigns.send_sms(s, admin, cid, clock=clock)
    # 7 vip/wealth customers; 刘洋 has no risk preference on record, so even an R1 product
    # leaves him out; 杨磊's "12345" is not a mobile.
    assert (first.queued, first.already, first.no_mobile) == (5, 0, 1)
    assert (second.queued, second.already) == (0, 5)
    with db.session() as s:
        body = s.scalar(select(SmsMessage.body).where(SmsMessage.customer_id == ids["张伟"]))
    assert body == "张先生您好，一年期定期存款利率上调，详询李客户经理。"
