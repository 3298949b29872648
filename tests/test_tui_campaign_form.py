"""The campaign form, driven as a branch manager uses it: a name, a type, a filter built
condition by condition with the count following each change, a refusal at the row it names,
the condition that leaves nobody, saving; editing a campaign, and a save another terminal
overtook. On SQLite and PostgreSQL.

The customers (fixture ``clientele``): six in 城东支行 (SB, M001's branch) and its outlets, one
in 江北分行 (X1) that M001 never counts.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from textual.widgets import Input, OptionList, Select, Static, TextArea

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Campaign, Customer, Product
from ocrm_tui.i18n import set_language
from ocrm_tui.screens.campaign_form import DEBOUNCE_SECONDS, CampaignFormScreen
from ocrm_tui.screens.dialogs import ConfirmDialog
from ocrm_tui.services import auth, campaigns, tags
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user
from ocrm_tui.widgets.campaign_filter_builder import KeyToggles
from tests.conftest import PASSWORD
from tests.test_tui import SQLITE_ONLY, log_in, settle
from tests.test_tui_profile import plain

FORM_SIZE = (120, 40)

# name, org, rm, tier, daily-average AUM, risk preference, gender, born, tags
CLIENTELE = [
    ("张伟", "O1", "R001", "vip", 120_000, 3, "M", date(1980, 3, 1), ["房贷客户"]),
    ("李娜", "O1", None, "vip", 300_000, 4, "F", date(1990, 6, 1), ["房贷客户", "理财偏好"]),
    ("王芳", "O2", None, "wealth", 800_000, 2, "F", date(1975, 1, 9), ["房贷客户"]),
    ("刘洋", "O2", "R002", "wealth", 450_000, None, "M", date(1968, 12, 1), ["房贷客户"]),
    ("陈静", "O1", None, "mass", 20_000, 5, "F", date(2000, 2, 2), []),
    ("杨磊", "O2", None, "vip", 60_000, 3, "M", date(1985, 5, 5), ["理财偏好"]),
    ("江北客户", "X1", None, "vip", 200_000, 5, "M", date(1988, 8, 8), ["房贷客户"]),
]


@pytest.fixture
def clientele(branch, db, clock):
    """The customers above, their tags (given by the tag service), two products; the actors."""
    with db.session() as s:
        actors = {no: auth.actor_for(s, get_user(s, no)) for no in ("A001", "M001", "R001", "M900")}
    with db.session(write=True) as s:
        s.add(Product(product_code="WM-1Y", name="年年丰理财", product_type="wealth", risk_level="R3"))
        s.add(Product(product_code="DEP-1Y", name="一年期定期存款", product_type="deposit", risk_level="R1"))
        ids = {}
        for i, (name, org, rm, tier, aum, risk, gender, born, _tags) in enumerate(CLIENTELE):
            c = Customer(customer_no=f"9300000{i:03d}", name=name, **name_keys(name), mobile=f"139000000{i:02d}",
                         gender=gender, birth_date=born, org_id=get_org_by_code(s, org).id,
                         rm_id=get_user(s, rm).id if rm else None, tier=tier, aum=Decimal(aum),
                         aum_daily_avg=Decimal(aum), risk_preference=risk)
            s.add(c)
            s.flush()
            ids[name] = c.id
        s.commit()
    with db.session(write=True) as s:
        for name, *_rest, tag_names in CLIENTELE:
            for tag_name in tag_names:
                tags.tag_customer(s, actors["A001"], ids[name], tag_name, clock=clock)
        s.commit()
    return ids, actors


async def counted(app, pilot, form: CampaignFormScreen) -> None:
    """Wait for the count that answers the last change (the form counts after a pause in typing)."""
    for _ in range(100):
        await pilot.pause(DEBOUNCE_SECONDS / 3)
        await settle(app, pilot)
        if form.preview_settled:
            return
    raise AssertionError("the count never came")


async def write(pilot, text: str) -> None:
    """Type into the focused field (as a paste: one key event per character is slow)."""
    focused = pilot.app.focused
    if isinstance(focused, TextArea):
        focused.insert(text)
    else:
        assert isinstance(focused, Input), focused
        focused.insert_text_at_cursor(text)
    await pilot.pause()


async def fill_in(app, pilot, form, selector: str, text: str) -> None:
    """Go to a field, replace what it holds, leave it (Tab), and wait for the count."""
    field = form.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await write(pilot, text)
    await press(app, pilot, "tab")
    await counted(app, pilot, form)


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def open_form(app, pilot, campaign_id: int | None = None) -> CampaignFormScreen:
    form = CampaignFormScreen(campaign_id)
    results = []
    app.push_screen(form, callback=results.append)
    form.results = results  # what the form dismissed with
    await settle(app, pilot)
    await counted(app, pilot, form)
    assert app.screen is form
    return form


def text_of(form, selector: str) -> str:
    return plain(form.query_one(selector, Static), 200).strip()


def count_text(form) -> str:
    return text_of(form, "#preview-count")


def row_error(form, row: str) -> str:
    return text_of(form, f"#ferr-{row}") if form.query_one(f"#frow-{row}").has_class("-invalid") else ""


def stored(db, campaign_id: int) -> Campaign:
    with db.session() as s:
        return s.get(Campaign, campaign_id)


# -- building a campaign ------------------------------------------------------------------------------


async def test_a_manager_builds_a_filter_watching_the_count_and_saves_the_campaign(db_url, db, clientele, clock):
    ids, actors = clientele
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot)
        # Nothing chosen yet: every customer of the manager's branch (not 江北客户 of X1).
        assert count_text(form) == "6 customers match"
        assert text_of(form, "#preview-sentence") == "All customers in the campaign's scope"
        assert form.query_one("#in-org_code", Input).value == "SB"
        assert app.focused is form.query_one("#in-name", Input)

        await write(pilot, "房贷客户理财回访")
        await press(app, pilot, "tab")
        assert app.focused is form.query_one("#in-type", KeyToggles)
        await press(app, pilot, "3")  # offline salon; the form moves on to the goal
        assert form.query_one("#in-type", KeyToggles).value == "salon"
        assert app.focused is form.query_one("#in-goal", Input)
        await write(pilot, "提升理财签约")

        # Tiers: 2 VIP, 3 wealth.
        form.query_one("#fin-tiers", KeyToggles).focus()
        await press(app, pilot, "2", "3")
        await counted(app, pilot, form)
        assert count_text(form) == "5 customers match"
        assert text_of(form, "#preview-sentence") == "VIP or wealth customers"

        await fill_in(app, pilot, form, "#fin-tags_all", "房贷客户")
        assert count_text(form) == "4 customers match"

        # A range upside down: the message at the AUM row, in place of a count.
        await fill_in(app, pilot, form, "#fin-aum_min", "500000")
        await fill_in(app, pilot, form, "#fin-aum_max", "100000")
        message = "The AUM range is upside down: the minimum 500,000 is above the maximum 100,000"
        assert row_error(form, "aum") == message
        assert count_text(form) == message and form.query_one("#preview-count").has_class("-error")
        assert form.preview is None

        await fill_in(app, pilot, form, "#fin-aum_min", "100000")
        await fill_in(app, pilot, form, "#fin-aum_max", "500,000")
        assert row_error(form, "aum") == ""
        assert count_text(form) == "3 customers match"  # 张伟, 李娜, 刘洋

        await fill_in(app, pilot, form, "#fin-tags_none", "理财偏好")
        assert count_text(form) == "2 customers match"  # 张伟, 刘洋
        assert text_of(form, "#preview-sentence") == (
            "VIP or wealth customers with AUM 100,000–500,000, tagged 房贷客户, not tagged 理财偏好")

        # The wealth product (R3) leaves out 刘洋, whose risk preference is not recorded.
        form.query_one("#in-product_code", Select).value = "WM-1Y"
        await counted(app, pilot, form)
        assert count_text(form) == "1 customer matches"
        assert text_of(form, "#preview-unsuitable") == "1 left out: the product's risk is above their risk preference"
        assert "below risk preference R3" in text_of(form, "#note-product_code")

        # Women only: nobody is left, and the count after each condition says where they went.
        form.query_one("#fin-gender", KeyToggles).focus()
        await press(app, pilot, "3")
        await counted(app, pilot, form)
        assert count_text(form) == "0 customers match"
        steps = text_of(form, "#preview-steps")
        assert "Customers left after each condition" in steps
        lines = [line.split(None, 1) for line in steps.splitlines()[1:] if line.strip()]
        assert [(n, label.strip()) for n, label in lines] == [
            ("6", "customers in the campaign's scope"), ("5", "VIP or wealth customers"),
            ("3", "with AUM 100,000–500,000"), ("3", "tagged 房贷客户"), ("2", "not tagged 理财偏好"),
            ("0", "women only"), ("0", "whose risk preference suits the product")]
        await press(app, pilot, "1")  # any gender again
        await counted(app, pilot, form)
        assert count_text(form) == "1 customer matches" and text_of(form, "#preview-steps") == ""

        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
        [saved_id] = form.results
        assert isinstance(saved_id, int)

    c = stored(db, saved_id)
    assert (c.name, c.type, c.goal, c.status) == ("房贷客户理财回访", "salon", "提升理财签约", "draft")
    assert json.loads(c.filter_json) == {"tiers": ["vip", "wealth"], "aum_min": "100000", "aum_max": "500000",
                                         "tags_all": ["房贷客户"], "tags_none": ["理财偏好"]}
    with db.session() as s:
        view = campaigns.get_campaign(s, actors["M001"], saved_id)
    assert view.org_code == "SB" and view.product_code == "WM-1Y"
    assert view.filter_text == ("VIP or wealth customers with AUM 100,000–500,000, tagged 房贷客户, "
                                "not tagged 理财偏好")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py and test_campaign_filter_properties.py
async def test_wrong_fields_are_all_marked_at_once_and_nothing_is_saved_or_lost(db_url, db, clientele, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot)
        form.query_one("#in-type", KeyToggles).focus()
        await press(app, pilot, "1")  # an SMS blast, without its text
        form.query_one("#in-starts_on", Input).value = "2025-13-01"
        form.query_one("#in-budget", Input).value = "lots"
        await fill_in(app, pilot, form, "#fin-tags_all", "房贷客户")
        await fill_in(app, pilot, form, "#fin-tags_none", "房贷客户")
        # The contradiction is said at once, at the row it names, in place of a count.
        contradiction = "The tag 房贷客户 is both required and excluded: no customer can match"
        assert row_error(form, "tags_none") == contradiction and count_text(form) == contradiction

        await press(app, pilot, "ctrl+s")
        assert app.screen is form
        status = text_of(form, "#form-status")
        assert status.startswith("5 fields need attention: A campaign needs a name")
        assert form.query_one("#form-status").has_class("-error")
        for row in ("name", "period", "budget", "sms_template"):
            assert form.query_one(f"#field-{row}").has_class("-invalid"), row
        assert text_of(form, "#err-period") == "A date is written YYYY-MM-DD"
        assert text_of(form, "#err-sms_template") == "An SMS campaign needs the text of its message"
        assert row_error(form, "tags_none") == contradiction
        assert app.focused is form.query_one("#in-name", Input)  # the first wrong field
        assert form.query_one("#in-budget", Input).value == "lots"  # what was typed stays
        assert form.query_one("#fin-tags_none", Input).value == "房贷客户"
        with db.session() as s:
            assert s.scalars(select(Campaign)).all() == []

        # An unknown placeholder is said while typing the text.
        form.query_one("#in-sms_template", TextArea).focus()
        await pilot.pause()
        await write(pilot, "{surname}{title}您好，{gift}已到账")
        await settle(app, pilot)
        assert text_of(form, "#err-sms_template").startswith("Unknown placeholder {gift} in the SMS text")

        # Put right, it saves.
        form.query_one("#in-sms_template", TextArea).text = "{surname}{title}您好，{rm_name}邀您了解{product}"
        form.query_one("#in-name", Input).value = "房贷客户短信"
        form.query_one("#in-starts_on", Input).value = "2025-07-01"
        form.query_one("#in-budget", Input).value = "5,000"
        await fill_in(app, pilot, form, "#fin-tags_none", "理财偏好")
        assert count_text(form) == "3 customers match"  # 张伟, 王芳, 刘洋
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
        [saved_id] = form.results
    c = stored(db, saved_id)
    assert (c.name, c.type, c.starts_on, c.budget) == ("房贷客户短信", "sms", date(2025, 7, 1), Decimal("5000"))
    assert c.sms_template == "{surname}{title}您好，{rm_name}邀您了解{product}"
    assert json.loads(c.filter_json) == {"tags_all": ["房贷客户"], "tags_none": ["理财偏好"]}


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py and test_campaign_filter_properties.py
async def test_a_tag_is_suggested_while_typing_and_enter_takes_it(db_url, db, clientele, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot)
        field = form.query_one("#fin-tags_any", Input)
        field.focus()
        await pilot.pause()
        await write(pilot, "理财偏好, 房")
        for _ in range(20):  # the suggestions come once typing has paused
            await pilot.pause(0.05)
            await settle(app, pilot)
        listing = form.query_one("#fsug-tags_any", OptionList)
        assert listing.has_class("-shown")
        assert [listing.get_option_at_index(i).id for i in range(listing.option_count)] == ["房贷客户"]
        # The name still being typed is not counted yet (nor refused as a tag that does not exist).
        await counted(app, pilot, form)
        assert count_text(form) == "2 customers match"  # 李娜, 杨磊: tagged 理财偏好
        assert row_error(form, "tags_any") == ""
        await press(app, pilot, "down", "enter")
        assert field.value == "理财偏好, 房贷客户, "
        assert app.focused is field and not listing.has_class("-shown")
        await counted(app, pilot, form)
        assert count_text(form) == "5 customers match"  # every tagged customer of the branch
        assert text_of(form, "#preview-sentence") == "Customers of any tier tagged 理财偏好 or 房贷客户"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py and test_campaign_filter_properties.py
async def test_a_filter_naming_a_deleted_tag_says_so_at_its_row(db_url, db, clientele, clock):
    ids, actors = clientele
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, actors["M001"], {"name": "理财回访", "type": "phone",
                                                             "filter": {"tags_any": ["理财偏好"]}}, clock=clock)
    with db.session(write=True) as s:
        tags.merge_tags(s, actors["A001"], "理财偏好", "房贷客户", clock=clock)
        s.commit()
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot, cid)
        message = "The tag 理财偏好 no longer exists: take it out of the filter"
        assert row_error(form, "tags_any") == message and count_text(form) == message
        await fill_in(app, pilot, form, "#fin-tags_any", "房贷客户")
        assert row_error(form, "tags_any") == ""
        assert count_text(form) == "5 customers match"


# -- editing ------------------------------------------------------------------------------------------


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py and test_campaign_filter_properties.py
async def test_a_campaign_is_edited_from_what_was_saved(db_url, db, clientele, clock):
    ids, actors = clientele
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, actors["M001"], {
            "name": "房贷客户回访", "type": "phone", "goal": "了解需求", "org_code": "O1", "budget": "3000",
            "product_code": "DEP-1Y", "filter": {"tiers": ["vip"], "tags_all": ["房贷客户"], "age_max": "60"}},
            clock=clock)
        version = campaigns.get_campaign(s, actors["M001"], cid).version
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot, cid)
        assert text_of(form, "#form-title") == "Edit campaign: 房贷客户回访 (Draft)"
        assert form.query_one("#in-name", Input).value == "房贷客户回访"
        assert form.query_one("#in-type", KeyToggles).value == "phone"
        assert form.query_one("#in-org_code", Input).value == "O1"
        assert form.query_one("#in-budget", Input).value == "3000.00"
        assert form.query_one("#in-product_code", Select).value == "DEP-1Y"
        assert form.query_one("#fin-tiers", KeyToggles).selected == ("vip",)
        assert form.query_one("#fin-tags_all", Input).value == "房贷客户"
        assert form.query_one("#fin-age_max", Input).value == "60"
        # O1's VIP customers tagged 房贷客户, at most 60: 张伟 and 李娜.
        assert count_text(form) == "2 customers match"
        assert not form.has_unsaved_input()

        await fill_in(app, pilot, form, "#in-org_code", "SB")
        assert count_text(form) == "2 customers match"
        form.query_one("#fin-tiers", KeyToggles).focus()
        await press(app, pilot, "3")  # wealth too
        await counted(app, pilot, form)
        assert count_text(form) == "3 customers match"  # and 王芳 (刘洋 is over 60)
        form.query_one("#in-name", Input).value = "房贷客户回访（支行）"
        assert form.has_unsaved_input()
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form and form.results == [cid]

    with db.session() as s:
        view = campaigns.get_campaign(s, actors["M001"], cid)
    assert view.version == version + 1
    assert (view.name, view.org_code, view.goal, view.product_code) == ("房贷客户回访（支行）", "SB", "了解需求", "DEP-1Y")
    assert view.filter.tiers == ("vip", "wealth") and view.filter.age_max == 60


async def test_a_save_another_terminal_overtook_is_refused_and_the_input_kept(db_url, db, clientele, clock):
    ids, actors = clientele
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, actors["M001"], {"name": "房贷客户回访", "type": "phone",
                                                             "filter": {"tiers": ["vip"]}}, clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot, cid)

        # Meanwhile an administrator renames it at another terminal.
        with db.session(write=True) as s:
            view = campaigns.get_campaign(s, actors["A001"], cid)
            campaigns.update_campaign(s, actors["A001"], cid, {**campaigns.form_values(view), "name": "总行改名"},
                                      version=view.version, clock=clock)

        form.query_one("#in-goal", Input).value = "提升理财签约"
        await press(app, pilot, "ctrl+s")
        assert app.screen is form and form.results == []
        status = text_of(form, "#form-status")
        assert "系统管理员 changed this campaign while you had it open" in status
        assert "What you typed is kept" in status
        assert form.query_one("#in-goal", Input).value == "提升理财签约"

        await press(app, pilot, "ctrl+s")  # again: still refused, still not overwritten
        assert app.screen is form
    c = stored(db, cid)
    assert (c.name, c.goal) == ("总行改名", "")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py and test_campaign_filter_properties.py
async def test_leaving_with_input_asks_first(db_url, db, clientele, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot)
        await press(app, pilot, "escape")  # nothing typed: it just closes
        assert app.screen is not form and form.results == [None]

        form = await open_form(app, pilot)
        await fill_in(app, pilot, form, "#fin-tags_all", "房贷客户")
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "escape")  # stay
        assert app.screen is form and form.query_one("#fin-tags_all", Input).value == "房贷客户"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, ConfirmDialog)
        app.screen.dismiss(True)  # leave
        await settle(app, pilot)
        assert app.screen is not form and form.results == [None]
    with db.session() as s:
        assert s.scalars(select(Campaign)).all() == []


async def test_the_form_works_in_chinese(db_url, db, clientele, clock):
    set_language("zh")
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=FORM_SIZE) as pilot:
        await log_in(app, pilot, "M001", PASSWORD)
        form = await open_form(app, pilot)
        assert count_text(form) == "6 位客户符合条件"
        form.query_one("#fin-tiers", KeyToggles).focus()
        await press(app, pilot, "2")
        await counted(app, pilot, form)
        assert count_text(form) == "3 位客户符合条件"
        assert text_of(form, "#preview-sentence") == "贵宾客户"
        await fill_in(app, pilot, form, "#fin-age_min", "70")
        assert count_text(form) == "0 位客户符合条件"
        assert "逐个条件筛选后剩余的客户数" in text_of(form, "#preview-steps")
