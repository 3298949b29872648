"""The 360° customer profile, its tag editor and the tier override, driven as staff use them."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from rich.cells import cell_len
from rich.console import Console
from sqlmodel import select
from textual.widgets import Input, OptionList, RadioButton, Static

from ocrm_tui.app import create_app
from ocrm_tui.db.models import (
    Account,
    AumSnapshot,
    Customer,
    CustomerCollaborator,
    CustomerTag,
    Product,
    ServiceContact,
    Tag,
    Transaction,
)
from ocrm_tui.i18n import set_language
from ocrm_tui.locale_zh import ZH
from ocrm_tui.screens.customer_profile import ProfileScreen
from ocrm_tui.screens.customer_tags import TagEditor
from ocrm_tui.screens.tier_override import TierOverrideDialog
from ocrm_tui.services.audit import list_records
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user
from ocrm_tui.widgets import tag_colours, vocabulary
from tests.conftest import PASSWORD
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text

UTC = timezone.utc


def resident_id(first17: str) -> str:
    """An ID number with its real check digit (GB 11643)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


ZHANG_ID = resident_id("32010619870314231")
ZHANG_MOBILE = "13812345678"
LIN_MOBILE = "13955501234"


def build_customers(db) -> dict[str, int]:
    """Three customers, every section of the profile filled for the first.

    张伟明 — R001's customer at 人民路网点 (O1), R002 collaborates, served once by T001 at
    the counter; accounts, transactions, 24 months of AUM, a tag of every family.
    欧阳娜娜 — R002's customer at 解放路网点 (O2): outside R001's scope.
    林小红 — at O1 without an RM, never served: a teller finds her by mobile at the counter.
    """
    with db.session(write=True) as s:
        org = {c: get_org_by_code(s, c).id for c in ("O1", "O2")}
        staff = {n: get_user(s, n).id for n in ("R001", "R002", "T001")}

        def customer(no, name, org_code, rm=None, **fields):
            c = Customer(customer_no=no, name=name, org_id=org[org_code], rm_id=staff[rm] if rm else None,
                         created_at=datetime(2024, 1, 2, tzinfo=UTC), updated_at=datetime(2024, 1, 2, tzinfo=UTC),
                         **name_keys(name), **fields)
            s.add(c)
            return c

        zhang = customer(
            "9100000001", "张伟明", "O1", "R001", gender="M", birth_date=date(1987, 3, 14), id_number=ZHANG_ID,
            mobile=ZHANG_MOBILE, email="zhangwm@163.com", address="江苏省南京市鼓楼区中山北路100号3栋502室",
            occupation="工程师", marital_status="已婚", education="本科", family="三口之家", financial_status="收入稳定，有房贷",
            risk_preference=3, hobbies="摄影、跑步", preferred_contact_time="工作日晚上", tier="vip",
            aum=Decimal("181000.00"), aum_daily_avg=Decimal("170000.00"))
        ouyang = customer("9100000002", "欧阳娜娜", "O2", "R002", gender="F", birth_date=date(1990, 7, 1),
                          id_number=resident_id("32010219900701002"), mobile="13700001111")
        lin = customer("9100000003", "林小红", "O1", gender="F", birth_date=date(1995, 11, 20),
                       id_number=resident_id("32010419951120004"), mobile=LIN_MOBILE)
        s.flush()

        products = {}
        for code, name, ptype in (("DEP-CUR", "活期储蓄", "deposit"), ("WM-QTR", "季季盈理财", "wealth"),
                                  ("FD-BOND", "稳健债券基金", "fund"), ("CC-STD", "标准信用卡", "credit_card")):
            products[code] = Product(product_code=code, name=name, product_type=ptype)
            s.add(products[code])
        s.flush()
        accounts = {}
        for no, code, balance in (("6222020000001234", "DEP-CUR", "80500.00"), ("8801010000005678", "WM-QTR", "100000.00"),
                                  ("8802010000004321", "FD-BOND", "1234567.89"), ("6258020000009012", "CC-STD", "3200.50")):
            accounts[no] = Account(account_no=no, customer_id=zhang.id, product_id=products[code].id,
                                   balance=Decimal(balance), opened_on=date(2023, 5, 1))
            s.add(accounts[no])
        s.flush()
        txns = [
            ("T1", "6222020000001234", datetime(2026, 1, 4, 2, 15, tzinfo=UTC), "12000.00", "in", "mobile", "南京某科技有限公司"),
            ("T2", "6258020000009012", datetime(2026, 1, 3, 11, 40, tzinfo=UTC), "368.00", "out", "pos", "苏果超市"),
            ("T3", "6222020000001234", datetime(2026, 1, 2, 1, 30, tzinfo=UTC), "2000.00", "out", "counter", None),
            ("T4", "8801010000005678", datetime(2025, 12, 28, 6, 0, tzinfo=UTC), "50000.00", "out", "online", None),
            ("T5", "6222020000001234", datetime(2025, 12, 20, 9, 5, tzinfo=UTC), "1500000.00", "in", "phone", "张建国"),
            ("T6", "6222020000001234", datetime(2025, 12, 15, 3, 0, tzinfo=UTC), "800.00", "out", "atm", None),
        ]
        for txn_id, account, at, amount, direction, channel, counterparty in txns:
            s.add(Transaction(txn_id=txn_id, account_id=accounts[account].id, customer_id=zhang.id, posted_at=at,
                              amount=Decimal(amount), direction=direction, channel=channel, counterparty=counterparty))
        # 24 months of daily-average AUM, oldest first: rising, then a dip in the last month.
        values = [120000 + 2500 * i for i in range(23)] + [170000]
        for i, value in enumerate(values):
            month = date(2024 + i // 12, i % 12 + 1, 1)
            s.add(AumSnapshot(customer_id=zhang.id, month=month, aum=Decimal(value), aum_daily_avg=Decimal(value)))
        for name, family in (("中年客户", "demographic"), ("手机银行活跃", "behaviour"), ("稳健型", "attitude"),
                             ("家庭客户", "relationship"), ("房贷客户", "custom"), ("基金定投意向", "custom")):
            tag = Tag(name=name, family=family, created_at=datetime(2024, 1, 2, tzinfo=UTC))
            s.add(tag)
            s.flush()
            if name != "基金定投意向":
                s.add(CustomerTag(tag_id=tag.id, customer_id=zhang.id, created_at=datetime(2024, 1, 2, tzinfo=UTC)))
        s.add(CustomerCollaborator(customer_id=zhang.id, user_id=staff["R002"]))
        s.add(ServiceContact(customer_id=zhang.id, user_id=staff["T001"], kind="counter",
                             at=datetime(2026, 1, 2, 1, 30, tzinfo=UTC), note="咨询大额存单利率"))
        s.add(ServiceContact(customer_id=zhang.id, user_id=staff["R001"], kind="phone",
                             at=datetime(2025, 12, 20, 8, 0, tzinfo=UTC), note="理财到期提醒，客户同意续投"))
        s.commit()
        return {"zhang": zhang.id, "ouyang": ouyang.id, "lin": lin.id}


@pytest.fixture
def customers(branch, db) -> dict[str, int]:
    return build_customers(db)


def plain(widget, width: int = 200) -> str:
    """The text a Static shows (its Rich renderable without colours; wide, so that nothing wraps)."""
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True, legacy_windows=False)
    console.print(widget.content)
    return console.export_text()


def section(screen, body_id: str) -> str:
    return plain(screen.query_one(f"#{body_id}", Static))


def title_bar(screen) -> str:
    return " | ".join(plain(w).strip() for w in screen.query("#profile-title Label").results(Static))


def footer_keys(screen) -> list[str]:
    return [key.description for key in screen.query("FooterKey")]


async def open_profile(app, pilot, customer_id: int, **kwargs) -> ProfileScreen:
    screen = ProfileScreen(customer_id, **kwargs)
    app.push_screen(screen)
    await settle(app, pilot)
    assert app.screen is screen
    return screen


def audit_events(db, event: str, entity_id: int | None = None) -> list:
    with db.session() as s:
        return [r for r in list_records(s, entity_id=str(entity_id) if entity_id else None, limit=1000)
                if r.event == event]


# -- what an RM sees -----------------------------------------------------------------------------


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py
async def test_an_rm_sees_the_whole_profile_masked(db_url, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        assert screen.drawn and screen.error is None
        title = title_bar(screen)
        assert "张伟明" in title and "9100000001" in title and "VIP customer" in title and "Masked" in title

        basic = section(screen, "basic")
        assert "138****5678" in basic and ZHANG_MOBILE not in basic
        assert f"3{'*' * 16}{ZHANG_ID[-1]}" in basic and ZHANG_ID not in basic
        assert "江苏省南京市鼓楼区****" in basic and "中山北路" not in basic
        assert "1987-03-14 (age 38)" in basic  # the clock says 2026-01-05

        extended = section(screen, "extended")
        assert "三口之家" in extended and "3 · Balanced" in extended and "工作日晚上" in extended
        relationship = section(screen, "relationship")
        assert "人民路网点" in relationship and "李客户经理 (R001)" in relationship and "赵客户经理 (R002)" in relationship

        assets = section(screen, "assets")
        assert "170,000.00" in assets and "▼ 2.9%" in assets and "▲ 3.0%" in assets  # month down, quarter up
        assert "Funds" in assets and "1,234,567.89" in assets and "Credit cards" in assets

        txns = section(screen, "transactions")
        assert "622202******1234" in txns and "6222020000001234" not in txns
        # Amounts are right-aligned (measured in terminal cells, as drawn at the section's width).
        drawn = plain(screen.query_one("#transactions", Static), screen.query_one("#transactions").content_region.width)
        ends = {cell_len(line[:line.index(amount) + len(amount)]) for line in drawn.splitlines()
                for amount in ("12,000.00", "368.00", "1,500,000.00") if amount in line}
        assert len(ends) == 1
        assert "1,500,000.00" in txns and "Mobile banking" in txns and "苏果超市" in txns
        tags = section(screen, "tags")
        for name in ("中年客户", "手机银行活跃", "稳健型", "家庭客户", "房贷客户"):
            assert name in tags
        assert "Relationships" in tags and "基金定投意向" not in tags
        contacts = section(screen, "contacts")
        assert "咨询大额存单利率" in contacts and "陈柜员 (T001)" in contacts

        keys = footer_keys(screen)
        assert {"Unmask", "Edit", "Tags", "Back"} <= set(keys)
        assert "Set tier" not in keys  # a manager's key

        await pilot.press("escape")
        assert app.screen is not screen


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_u_unmasks_for_this_view_and_is_audited(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        assert audit_events(db, "customer.unmask", customers["zhang"]) == []

        await pilot.press("u")
        await settle(app, pilot)
        basic = section(screen, "basic")
        assert ZHANG_MOBILE in basic and ZHANG_ID in basic and "中山北路100号" in basic
        assert "6222020000001234" in section(screen, "transactions")
        assert "Full values shown" in title_bar(screen)
        assert "Unmask" not in footer_keys(screen)  # nothing more to show
        [record] = audit_events(db, "customer.unmask", customers["zhang"])
        assert record.actor_no == "R001"

        # A change made from the profile reloads it masked: the full values were for that view only.
        screen.reload()
        await settle(app, pilot)
        assert "138****5678" in section(screen, "basic")
        assert "Unmask" in footer_keys(screen)


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py
async def test_a_teller_sees_the_surname_only_and_cannot_unmask(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        assert screen.drawn
        assert "张**" in title_bar(screen) and "张伟明" not in title_bar(screen)
        basic = section(screen, "basic")
        assert "张**" in basic and "138****5678" in basic
        keys = footer_keys(screen)
        assert "Unmask" not in keys and "Edit" not in keys and "Set tier" not in keys
        assert "Back" in keys

        await pilot.press("u", "o", "e")  # nothing happens
        await settle(app, pilot)
        assert app.screen is screen
        assert "138****5678" in section(screen, "basic")
        assert audit_events(db, "customer.unmask") == []


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_a_teller_adds_a_need_heard_at_the_counter_but_removes_no_tag(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        await pilot.press("t")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor)
        await type_text(pilot, "出国金融需求")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "出国金融需求" in tags_in_db(db, customers["zhang"])

        current = editor.query_one("#tag-current", OptionList)
        current.focus()
        await pilot.pause()
        current.highlighted = 0
        await pilot.press("delete")  # the service refuses; the editor says why
        await settle(app, pilot)
        assert "中年客户" in tags_in_db(db, customers["zhang"])
        assert "Tellers" in plain(editor.query_one("#tag-status", Static))
        assert editor.query_one("#tag-status").has_class("-error")

        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen and "出国金融需求" in section(screen, "tags")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_a_teller_opens_a_customer_at_the_counter(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "T001", PASSWORD)
        screen = await open_profile(app, pilot, customers["lin"], counter_lookup=LIN_MOBILE)
        assert screen.drawn and "林**" in title_bar(screen)
        assert "Counter" in section(screen, "contacts")  # the service contact just recorded
    with db.session() as s:
        served = s.exec(select(ServiceContact).where(ServiceContact.customer_id == customers["lin"])).all()
        assert [c.kind for c in served] == ["counter"]


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_a_customer_out_of_scope_reads_as_not_found_and_escape_goes_back(db_url, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        below = app.screen
        screen = await open_profile(app, pilot, customers["ouyang"])
        assert not screen.drawn
        assert plain(screen.query_one("#profile-status", Static)).strip() == "No such customer, or not in your customers"
        assert "欧阳" not in title_bar(screen)
        assert footer_keys(screen)[0] == "Back" and "Unmask" not in footer_keys(screen)
        await pilot.press("escape")
        assert app.screen is below


# -- a manager sets the tier ---------------------------------------------------------------------


async def test_a_manager_overrides_the_tier_with_a_reason_and_goes_back_to_automatic(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        assert "Set tier" in footer_keys(screen)

        await pilot.press("o")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, TierOverrideDialog)
        assert dialog.query_one("#tier-vip", RadioButton).value  # the tier now is chosen
        dialog.query_one("#tier-wealth", RadioButton).value = True
        await pilot.press("ctrl+s")  # no reason yet: the service refuses, the dialog says why
        await settle(app, pilot)
        assert app.screen is dialog
        assert "reason" in plain(dialog.query_one("#tier-status", Static))
        assert app.focused is dialog.query_one("#tier-reason", Input)

        await type_text(pilot, "分行批准的代发工资大客户")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen
        title = title_bar(screen)
        assert "Wealth customer" in title and "manual: 分行批准的代发工资大客户" in title
        [record] = audit_events(db, "customer.tier_override", customers["zhang"])
        assert record.actor_no == "M001"
        assert record.changes["tier"] == ["vip", "wealth"]

        await pilot.press("o")
        await settle(app, pilot)
        await pilot.click("#tier-clear")
        await settle(app, pilot)
        assert app.screen is screen
        assert "VIP customer" in title_bar(screen) and "manual" not in title_bar(screen)
        assert len(audit_events(db, "customer.tier_override", customers["zhang"])) == 2


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py
async def test_an_rm_has_no_tier_override(db_url, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        await pilot.press("o")
        await settle(app, pilot)
        assert app.screen is screen


# -- tags ----------------------------------------------------------------------------------------


def tags_in_db(db, customer_id: int) -> set[str]:
    with db.session() as s:
        return set(s.exec(select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
                          .where(CustomerTag.customer_id == customer_id)).all())


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_customers.py and test_tags.py
async def test_the_tag_editor_adds_and_removes_tags(db_url, db, customers, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        await pilot.press("t")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, TagEditor)
        current = editor.query_one("#tag-current", OptionList)
        assert [current.get_option_at_index(i).id for i in range(current.option_count)] == [
            "中年客户", "手机银行活跃", "稳健型", "家庭客户", "房贷客户"]

        # Typing suggests existing tags (those the customer has are left out); ↓ then Enter picks one.
        await type_text(pilot, "基金")
        suggestions = editor.query_one("#tag-suggestions", OptionList)

        def suggested() -> list[str | None]:
            return [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)]

        # The suggestions come once typing has paused (~0.2 s): wait for them, not for a fixed time.
        for _ in range(100):
            await pilot.pause(0.02)
            await settle(app, pilot)
            if suggested() == ["基金定投意向"]:
                break
        assert suggested() == ["基金定投意向"]
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert "基金定投意向" in tags_in_db(db, customers["zhang"])
        assert editor.query_one("#tag-input", Input).value == ""

        # A new name becomes a custom tag.
        await type_text(pilot, "出国金融需求")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "出国金融需求" in tags_in_db(db, customers["zhang"])
        assert "Added 出国金融需求" in plain(editor.query_one("#tag-status", Static))

        # Delete on a highlighted tag takes it off.
        current.focus()
        await pilot.pause()
        current.highlighted = 0  # 中年客户
        await pilot.press("delete")
        await settle(app, pilot)
        assert "中年客户" not in tags_in_db(db, customers["zhang"])

        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        tags = section(screen, "tags")
        assert "基金定投意向" in tags and "出国金融需求" in tags and "中年客户" not in tags
    by_r001 = [r.event for e in ("customer_tag.create", "customer_tag.delete") for r in audit_events(db, e)
               if r.actor_no == "R001"]
    assert sorted(by_r001) == ["customer_tag.create", "customer_tag.create", "customer_tag.delete"]


# -- languages -----------------------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_profile_speaks_chinese(db_url, customers, clock):
    set_language("zh")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(app, pilot, "R001", PASSWORD)
        screen = await open_profile(app, pilot, customers["zhang"])
        titles = [s.border_title for s in screen.query(".profile-section")]
        assert titles == ["基本信息", "扩展信息", "管户关系", "资产", "标签", "工单", "近期交易", "联系记录"]
        assert "贵宾客户" in title_bar(screen) and "已脱敏" in title_bar(screen)
        assert "基金" in section(screen, "assets") and "手机银行" in section(screen, "transactions")
        assert {"显示明文", "编辑", "标签", "返回"} <= set(footer_keys(screen))


def test_every_profile_text_and_key_has_a_chinese_translation():
    """Names looked up from tables (not _("literal")) and binding texts are in the catalogue too."""
    from textual.binding import Binding

    from ocrm_tui.screens import customer_profile, customer_tags, tier_override

    texts = [*vocabulary.TIER_NAMES.values(), *vocabulary.PRODUCT_TYPE_NAMES.values(),
             *vocabulary.CHANNEL_NAMES.values(), *vocabulary.CONTACT_KIND_NAMES.values(),
             *vocabulary.RISK_NAMES.values(), *tag_colours.FAMILY_NAMES.values(),
             *customer_profile.PERIOD_NAMES.values()]
    for cls in (customer_profile.ProfileScreen, customer_tags.TagEditor, customer_tags.CurrentTags,
                tier_override.TierOverrideDialog):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding) and binding.id and binding.tooltip
            texts += [binding.description, binding.tooltip]
    assert [t for t in texts if t not in ZH] == []
