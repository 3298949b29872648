"""F4 Campaigns, driven through Pilot: the list of campaigns, one campaign with its metrics and
the organiser's keys (generate the list, start, pause, end), and the target list where an RM
records outcomes one by one or for a selection."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from textual.widgets import ContentSwitcher, Input, Label, Static

from ocrm_tui.app import create_app
from ocrm_tui.db.models import Campaign, CampaignTarget, Customer, Product
from ocrm_tui.screens.campaign_targets import AmountDialog, StatusTab, TargetListScreen, TargetTable
from ocrm_tui.screens.campaign_view import CampaignScreen, FiguresDialog
from ocrm_tui.screens.dialogs import ConfirmDialog, ErrorDialog
from ocrm_tui.screens.panes.campaigns import CampaignsPane, CampaignTable
from ocrm_tui.screens.ticket_batch import BatchConfirmDialog
from ocrm_tui.services import auth, campaigns, tags, users
from tests.conftest import PASSWORD
from tests.test_customers import people  # noqa: F401  (the fixture)
from tests.test_tui import SIZE, SQLITE_ONLY, log_in, settle, type_text
from tests.test_tui_tickets_queue import record_notices, wait_for

__all__ = ["people"]

# customer → (tier, daily-average AUM, risk preference, tags)
PROFILES = {
    "张伟": ("vip", "250000", 3, ("房贷客户",)),
    "章薇": ("wealth", "820000", 4, ("房贷客户", "代发工资")),
    "张伟明": ("vip", "150000", 2, ("代发工资",)),
    "李张伟": ("mass", "30000", None, ()),
    "王明": ("private", "6500000", 5, ("代发工资",)),
    "欧阳娜娜": ("wealth", "900000", 4, ("房贷客户",)),
}


def actors_of(db) -> dict:
    with db.session() as s:
        return {no: auth.actor_for(s, users.get_user(s, no)) for no in ("A001", "M001", "R001", "R002", "T001", "M900")}


def build_campaigns(db, people, clock) -> dict[str, int]:  # noqa: F811
    """Four campaigns of 城东支行 (SB), made by its manager M001:

    - 信用卡激活季 (phone, active): VIP, wealth and private customers — 张伟, 章薇 (R001's),
      张伟明 (R002's) and 王明 (unowned: given to R001 in turn); 章薇 converted 50,000.
    - 年末理财沙龙 (salon, paused): 房贷客户, promoting an R3 wealth product.
    - 新年短信问候 (SMS, draft): no list yet.
    - 存款回馈 (benefit, ended).
    """
    ids, _ = people
    with db.session(write=True) as s:
        for name, (tier, aum, risk, _tags) in PROFILES.items():
            s.execute(update(Customer).where(Customer.id == ids[name]).values(
                tier=tier, aum_daily_avg=Decimal(aum), aum=Decimal(aum), risk_preference=risk))
        if s.scalar(select(Product.id).where(Product.product_code == "WM-R3")) is None:
            s.add(Product(product_code="WM-R3", name="年年丰理财", product_type="wealth", risk_level="R3"))
        s.commit()
    a = actors_of(db)
    with db.session(write=True) as s:
        for name, (_tier, _aum, _risk, names) in PROFILES.items():
            for tag in names:
                tags.tag_customer(s, a["A001"], ids[name], tag, clock=clock)
    made: dict[str, int] = {}

    def create(key: str, **values) -> int:
        with db.session(write=True) as s:
            made[key] = campaigns.create_campaign(s, a["M001"], values, clock=clock)
        return made[key]

    def generate_and_start(key: str) -> None:
        with db.session(write=True) as s:
            campaigns.generate(s, a["M001"], made[key], clock=clock)
        with db.session(write=True) as s:
            campaigns.set_status(s, a["M001"], made[key], "active", clock=clock)

    create("ended", name="存款回馈", type="benefit", goal="回馈存款客户", starts_on="2025-10-01",
           ends_on="2025-12-31", budget="20000", actual_cost="18000",
           filter={"tiers": ["wealth", "private"]})
    generate_and_start("ended")
    with db.session(write=True) as s:
        campaigns.set_status(s, a["M001"], made["ended"], "ended", clock=clock)
    create("draft", name="新年短信问候", type="sms", goal="春节前问候客户", starts_on="2026-01-20",
           ends_on="2026-02-10", budget="3000", sms_template="{surname}{title}您好，{rm_name}祝您新年快乐！")
    create("paused", name="年末理财沙龙", type="salon", goal="邀请房贷客户参加理财沙龙", starts_on="2025-12-15",
           ends_on="2026-01-31", budget="15000", actual_cost="6000", product_code="WM-R3",
           filter={"tags_any": ["房贷客户"]})
    generate_and_start("paused")
    with db.session(write=True) as s:
        campaigns.set_status(s, a["M001"], made["paused"], "paused", clock=clock)
    create("active", name="信用卡激活季", type="phone", goal="提升信用卡激活率", starts_on="2026-01-01",
           ends_on="2026-03-31", budget="50000", actual_cost="12000",
           filter={"tiers": ["vip", "wealth", "private"]})
    generate_and_start("active")
    with db.session() as s:
        page = campaigns.target_page(s, a["M001"], made["active"])
    made.update({f"target:{row.name}": row.id for row in page})
    with db.session(write=True) as s:
        campaigns.record_outcome(s, a["R001"], made["target:章薇"], "converted", amount="50000", clock=clock)
    return made


@pytest.fixture
def plan(db, people, clock) -> dict[str, int]:  # noqa: F811
    return build_campaigns(db, people, clock)



# -- driving the screens ------------------------------------------------------------------------

async def open_pane(app, pilot, employee_no: str) -> CampaignsPane:
    await log_in(app, pilot, employee_no, PASSWORD)
    await pilot.press("f4")
    pane = app.screen.query_one(CampaignsPane)
    await wait_for(app, pilot, lambda: pane.drawn)
    return pane


async def open_campaign(app, pilot, employee_no: str, name: str) -> CampaignScreen:
    """Log in, F4, move to the campaign by its name and press Enter."""
    return await choose_campaign(app, pilot, await open_pane(app, pilot, employee_no), name)


async def choose_campaign(app, pilot, pane: CampaignsPane, name: str) -> CampaignScreen:
    table = pane.query_one(CampaignTable)
    names = [r["name"] for r in table_rows(table)]
    table.move_cursor(row=names.index(name))
    await pilot.pause()
    await pilot.press("enter")
    await wait_for(app, pilot, lambda: isinstance(app.screen, CampaignScreen) and app.screen.drawn)
    return app.screen


async def open_targets(app, pilot, employee_no: str, name: str) -> TargetListScreen:
    screen = await open_campaign(app, pilot, employee_no, name)
    await pilot.press("t")
    await wait_for(app, pilot, lambda: isinstance(app.screen, TargetListScreen) and app.screen.drawn)
    assert screen is not app.screen
    return app.screen


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def table_rows(table) -> list[dict[str, str]]:
    """The table as shown: one {column key: text} per row."""
    keys = [column.key.value for column in table.ordered_columns]
    return [dict(zip(keys, (str(c) for c in table.get_row_at(i)))) for i in range(table.row_count)]


def footer_keys(app) -> list[str]:
    return [key.description for key in app.screen.query("FooterKey")]


def block(screen, body_id: str) -> str:
    """A section of the campaign screen as plain text."""
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(screen.query_one(f"#{body_id}", Static).content)
    return console.export_text()


def figure(screen, label: str) -> str:
    """The value beside a label of the campaign's results."""
    for line in block(screen, "campaign-results").splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"no {label!r} in the results")


def targets_of(db, campaign_id: int) -> dict[str, tuple[str, Decimal | None]]:
    """customer name → (outcome, converted amount) of every target of the campaign."""
    with db.session() as s:
        rows = s.execute(select(Customer.name, CampaignTarget.status, CampaignTarget.converted_amount)
                         .join(Customer, Customer.id == CampaignTarget.customer_id)
                         .where(CampaignTarget.campaign_id == campaign_id)).all()
    return {name: (status, amount) for name, status, amount in rows}


def status_of(db, campaign_id: int) -> str:
    with db.session() as s:
        return s.scalar(select(Campaign.status).where(Campaign.id == campaign_id))


# -- F4: the list -------------------------------------------------------------------------------

@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_manager_sees_the_branch_campaigns_live_ones_first(db_url, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot, "M001")
        assert app.screen.query_one("#panes", ContentSwitcher).current == "campaigns"
        rows = table_rows(pane.query_one(CampaignTable))
        assert [r["name"] for r in rows] == ["信用卡激活季", "年末理财沙龙", "新年短信问候", "存款回馈"]
        assert [r["status"] for r in rows] == ["Active", "Paused", "Draft", "Ended"]
        first = rows[0]
        assert (first["type"], first["scope"], first["period"], first["targets"], first["converted"]) == \
            ("Phone outreach", "城东支行", "2026-01-01 – 03-31", "4", "1")
        assert rows[3]["period"] == "2025-10-01 – 12-31"
        assert "mine" not in rows[0]  # "to contact" is an RM's column
        assert "New campaign" in footer_keys(app)
        assert str(pane.query_one("#campaigns-status", Static).render()) == "4 campaigns · 1 active"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_an_rm_sees_the_campaigns_with_customers_of_theirs_and_how_many_to_contact(db_url, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot, "R001")
        rows = table_rows(pane.query_one(CampaignTable))
        assert [r["name"] for r in rows] == ["信用卡激活季", "年末理财沙龙", "存款回馈"]  # not the draft: no list yet
        assert [r["mine"] for r in rows] == ["2", "2", "—"]  # an ended campaign has nothing left to contact
        assert rows[0]["targets"] == "3"  # R001's three of the four
        assert "New campaign" not in footer_keys(app)
        await pilot.press("n")  # not offered, and does nothing
        await settle(app, pilot)
        assert app.screen.query_one(CampaignsPane) is pane
        assert "4 of your customers to contact" in str(pane.query_one("#campaigns-status", Static).render())


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_teller_is_told_who_works_campaigns(db_url, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot, "T001")
        assert pane.query_one(CampaignTable).row_count == 0
        note = pane.query_one("#campaigns-empty", Static)
        assert note.display and "worked by relationship managers and managers" in str(note.render())


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_manager_with_no_campaigns_is_told_how_to_make_one(db_url, branch, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot, "M001")
        assert "Press N to create one" in str(pane.query_one("#campaigns-empty", Static).render())


# -- the campaign screen ------------------------------------------------------------------------

async def test_a_manager_generates_the_list_of_a_draft_starts_it_and_sends_the_sms(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_campaign(app, pilot, "M001", "新年短信问候")
        assert "not generated yet: press G" in block(screen, "campaign-target-group")
        keys = footer_keys(app)
        assert {"Edit", "Generate list", "Start campaign", "End"} <= set(keys)
        assert not {"Resume", "Pause", "Send SMS", "Target list"} & set(keys)

        await press(app, pilot, "g")
        question = app.screen
        assert isinstance(question, BatchConfirmDialog)
        assert str(question.query_one("#batch-question", Static).render()) == \
            "5 customers match now.\nMake the target list of 新年短信问候 from them?"
        await press(app, pilot, "y")
        result = app.screen
        assert isinstance(result, FiguresDialog)
        assert ("Added", "5") in result.figures and ("On the list now", "5") in result.figures
        await press(app, pilot, "escape")
        assert app.screen is screen
        assert figure(screen, "Targets") == "5"
        assert set(targets_of(db, plan["draft"])) == {"张伟", "章薇", "李张伟", "张伟明", "王明"}

        await press(app, pilot, "a")  # start
        assert status_of(db, plan["draft"]) == "active"
        keys = footer_keys(app)
        assert {"Pause", "End", "Send SMS", "Target list"} <= set(keys)
        assert not {"Start campaign", "Resume"} & set(keys)

        await press(app, pilot, "s")
        question = app.screen
        assert isinstance(question, BatchConfirmDialog)
        assert "for its 5 targets" in str(question.query_one("#batch-question", Static).render())
        await press(app, pilot, "y")
        assert isinstance(app.screen, FiguresDialog)
        assert app.screen.figures == [("Queued now", "5"), ("Queued before", "0"), ("Left out: no valid mobile", "0")]
        await press(app, pilot, "escape", "s", "y")
        assert app.screen.figures[:2] == [("Queued now", "0"), ("Queued before", "5")]  # never twice


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_regenerating_a_live_campaign_only_adds_new_matches(db_url, db, people, plan, clock):
    ids, _ = people
    with db.session(write=True) as s:  # one more wealth customer of the branch since the list was made
        s.execute(update(Customer).where(Customer.id == ids["李张伟"]).values(tier="wealth"))
        s.commit()
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_campaign(app, pilot, "M001", "信用卡激活季")
        await press(app, pilot, "g")
        question = app.screen
        assert "Add those not on the list" in str(question.query_one("#batch-question", Static).render())
        assert "only gains new matches" in str(question.query_one("#batch-detail", Static).render())
        await press(app, pilot, "y")
        assert ("Added", "1") in app.screen.figures and ("On the list now", "5") in app.screen.figures
    assert targets_of(db, plan["active"])["章薇"] == ("converted", Decimal("50000.00"))  # outcomes kept


async def test_generating_while_another_terminal_changes_the_campaign_is_refused(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_campaign(app, pilot, "M001", "新年短信问候")
        shown = screen.view.version
        with db.session(write=True) as s:  # the administrator edits it at another terminal
            admin = actors_of(db)["A001"]
            values = campaigns.form_values(campaigns.get_campaign(s, admin, plan["draft"]))
            campaigns.update_campaign(s, admin, plan["draft"], {**values, "budget": "4000"}, version=shown,
                                      clock=clock)
        await press(app, pilot, "g", "y")
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        message = str(dialog.query_one("#error-message", Static).render())
        assert "系统管理员 changed this campaign while you had it open" in message
        assert "nothing was changed" in message
        await press(app, pilot, "escape")
        assert screen.view.version > shown  # read again: the next try is made on what is there now
        assert "4,000.00" in block(screen, "campaign-details")
    assert targets_of(db, plan["draft"]) == {}  # nothing half-done


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_ending_asks_first_and_is_final(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_campaign(app, pilot, "M001", "年末理财沙龙")
        assert {"Resume", "End"} <= set(footer_keys(app))
        await press(app, pilot, "x")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Ending is final" in str(app.screen.query_one(".dialog-message", Static).render())
        await press(app, pilot, "n")
        assert status_of(db, plan["paused"]) == "paused"
        await press(app, pilot, "x", "y")
        assert status_of(db, plan["paused"]) == "ended"
        keys = set(footer_keys(app))
        assert not {"Resume", "Pause", "End", "Generate list"} & keys
        assert {"Edit", "Target list"} <= keys  # the cost can still be corrected; the list read


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_an_rm_reads_the_campaign_without_the_organisers_keys(db_url, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_campaign(app, pilot, "R001", "信用卡激活季")
        keys = set(footer_keys(app))
        assert "Target list" in keys
        assert not {"Edit", "Generate list", "Start campaign", "Resume", "Pause", "End", "Send SMS"} & keys
        await press(app, pilot, "g", "x")  # not offered: nothing happens
        assert app.screen is screen
        assert figure(screen, "Targets") == "3"  # their own targets
        assert "VIP, wealth or private banking customers" in block(screen, "campaign-target-group")


# -- the target list ----------------------------------------------------------------------------

@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_an_rm_records_outcomes_one_by_one_and_the_metrics_follow(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        targets = await open_targets(app, pilot, "R001", "信用卡激活季")
        assert targets.current_view == "pending"  # what is left to do comes first
        table = targets.query_one(TargetTable)
        rows = table_rows(table)
        assert [r["name"] for r in rows] == ["张伟", "王明"]
        assert rows[0]["mobile"] == "138****5678" and rows[0]["tier"] == "VIP" and rows[0]["aum"] == "250,000"
        assert "rm" not in rows[0]  # all of them are R001's

        await press(app, pilot, "c")  # 张伟 contacted: the row leaves the pending tab
        assert targets_of(db, plan["active"])["张伟"] == ("contacted", None)
        assert [r["name"] for r in table_rows(table)] == ["王明"]

        await press(app, pilot, "v")
        dialog = app.screen
        assert isinstance(dialog, AmountDialog)
        await type_text(pilot, "12.345")
        await press(app, pilot, "enter")
        assert app.screen is dialog  # refused in the dialog, with what was typed kept
        assert dialog.error == "An amount has at most two decimal places"
        assert dialog.value == "12.345"
        dialog.query_one(Input).value = ""
        await type_text(pilot, "80,000")
        await press(app, pilot, "enter")
        assert app.screen is targets
        assert targets_of(db, plan["active"])["王明"] == ("converted", Decimal("80000.00"))
        assert "Nobody is left to contact" in str(targets.query_one("#targets-empty", Static).render())

        await press(app, pilot, "5")  # the Converted tab
        assert targets.current_view == "converted"
        assert [(r["name"], r["amount"]) for r in table_rows(table)] == [("章薇", "50,000.00"), ("王明", "80,000.00")]

        await press(app, pilot, "escape")  # back on the campaign: the figures follow
        screen = app.screen
        assert isinstance(screen, CampaignScreen)
        await wait_for(app, pilot, lambda: screen.metrics.overall.converted == 2)
        assert figure(screen, "Conversions") == "2"
        assert figure(screen, "Contacted").startswith("3")  # of R001's three
        assert figure(screen, "Converted amount") == "130,000.00"


async def test_a_batch_outcome_for_a_selection_and_for_the_whole_tab(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        targets = await open_targets(app, pilot, "M001", "信用卡激活季")
        table = targets.query_one(TargetTable)
        assert [r["name"] for r in table_rows(table)] == ["张伟", "张伟明", "王明"]
        assert [r["rm"] for r in table_rows(table)] == ["李客户经理", "赵客户经理", "李客户经理"]

        await press(app, pilot, "space", "space")  # 张伟 and 张伟明
        assert len(targets.selected_ids) == 2
        line = str(targets.query_one("#targets-line", Static).render())
        assert line.startswith("2 targets selected — C Contacted · I Interested · V Converted")
        await press(app, pilot, "i")
        question = app.screen
        assert isinstance(question, BatchConfirmDialog)
        assert str(question.query_one("#batch-question", Static).render()) == \
            "Record “Interested” for the 2 selected targets?"
        await press(app, pilot, "y")
        outcomes = targets_of(db, plan["active"])
        assert outcomes["张伟"][0] == outcomes["张伟明"][0] == "interested"
        assert outcomes["王明"][0] == "pending"
        assert targets.selected_ids == frozenset()

        await press(app, pilot, "1")  # All: four targets
        assert targets.current_view == ""
        await press(app, pilot, "ctrl+a")
        assert len(targets.selected_ids) == 4
        await press(app, pilot, "v")
        await type_text(pilot, "1000")
        await press(app, pilot, "enter")
        assert "the 4 selected targets" in str(app.screen.query_one("#batch-question", Static).render())
        assert "1000" in str(app.screen.query_one("#batch-detail", Static).render())
        await press(app, pilot, "y")
        assert {name: o for name, o in targets_of(db, plan["active"]).items()} == {
            name: ("converted", Decimal("1000.00")) for name in ("张伟", "章薇", "张伟明", "王明")}
        tabs = {tab.view: str(tab.render()) for tab in targets.query(StatusTab)}
        assert tabs["converted"].endswith("Converted 4") and tabs["pending"].endswith("Pending 0")


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_paused_campaign_refuses_outcomes_and_says_why(db_url, db, plan, clock):
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        targets = await open_targets(app, pilot, "R001", "年末理财沙龙")
        assert "Paused" in str(targets.query_one("#targets-note", Label).render())
        notices = record_notices(app)
        await press(app, pilot, "c")
        assert "The campaign is paused; outcomes are recorded again when it resumes" in notices
        assert {o for o, _amount in targets_of(db, plan["paused"]).values()} == {"pending"}
        await press(app, pilot, "ctrl+a", "d", "y")  # a batch too
        assert notices.count("The campaign is paused; outcomes are recorded again when it resumes") == 2
        assert {o for o, _amount in targets_of(db, plan["paused"]).values()} == {"pending"}


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_enter_opens_the_customer(db_url, plan, clock):
    from ocrm_tui.screens.customer_profile import ProfileScreen

    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_targets(app, pilot, "R001", "信用卡激活季")
        await press(app, pilot, "down", "enter")
        await wait_for(app, pilot, lambda: isinstance(app.screen, ProfileScreen) and app.screen.drawn)
        assert app.screen.profile.name == "王明"


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_n_and_e_open_the_campaign_form_and_the_screens_read_again_after_it(db_url, db, plan, clock):
    from ocrm_tui.screens.campaign_form import CampaignFormScreen

    admin = actors_of(db)["A001"]
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_pane(app, pilot, "M001")
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, CampaignFormScreen) and form.campaign_id is None
        with db.session(write=True) as s:  # meanwhile, at another terminal
            campaigns.create_campaign(s, admin, {"name": "理财节", "type": "salon", "org_code": "SB"}, clock=clock)
        await press(app, pilot, "escape")
        assert app.screen.query_one(CampaignsPane) is pane
        await wait_for(app, pilot, lambda: "理财节" in [r["name"] for r in table_rows(pane.query_one(CampaignTable))])

        screen = await choose_campaign(app, pilot, pane, "新年短信问候")
        await press(app, pilot, "e")
        form = app.screen
        assert isinstance(form, CampaignFormScreen) and form.campaign_id == plan["draft"]
        with db.session(write=True) as s:
            values = campaigns.form_values(campaigns.get_campaign(s, admin, plan["draft"]))
            campaigns.update_campaign(s, admin, plan["draft"], {**values, "budget": "4500"}, clock=clock)
        await press(app, pilot, "escape")
        assert app.screen is screen
        await wait_for(app, pilot, lambda: "4,500.00" in block(screen, "campaign-details"))


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_generating_a_list_nobody_matches_says_which_condition_emptied_it(db_url, db, plan, clock):
    with db.session(write=True) as s:  # private banking customers with a mortgage: none in the branch
        cid = campaigns.create_campaign(s, actors_of(db)["M001"], {
            "name": "私行房贷回访", "type": "phone", "filter": {"tiers": ["private"], "tags_any": ["房贷客户"]}},
            clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_campaign(app, pilot, "M001", "私行房贷回访")
        await press(app, pilot, "g")
        question = app.screen
        assert str(question.query_one("#batch-question", Static).render()).startswith("0 customers match now.")
        detail = str(question.query_one("#batch-detail", Static).render())
        assert "Nothing matches. Customers left after each condition:" in detail
        steps = detail.split("after each condition:")[1].strip().splitlines()
        assert [line.rsplit(":", 1)[1].strip() for line in steps] == ["5", "1", "0"]  # scope, tier, tag
        await press(app, pilot, "n")
    assert targets_of(db, cid) == {}


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_filter_naming_a_deleted_tag_is_shown_and_generating_is_refused(db_url, db, plan, clock):
    a = actors_of(db)
    with db.session(write=True) as s:
        cid = campaigns.create_campaign(s, a["M001"], {"name": "代发客户回馈", "type": "benefit",
                                                       "filter": {"tags_any": ["代发工资"]}}, clock=clock)
    with db.session(write=True) as s:  # the tag is merged away at another terminal
        tags.merge_tags(s, a["A001"], "代发工资", "房贷客户", clock=clock)
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_campaign(app, pilot, "M001", "代发客户回馈")
        assert "The tag 代发工资 no longer exists: take it out of the filter" in block(screen, "campaign-target-group")
        notices = record_notices(app)
        await press(app, pilot, "g")
        assert app.screen is screen  # no question: nothing to generate from
        assert notices == ["The tag 代发工资 no longer exists: take it out of the filter"]
    assert targets_of(db, cid) == {}


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_a_long_list_is_read_a_page_at_a_time_and_ctrl_a_selects_the_whole_tab(db_url, db, people, plan,
                                                                                       clock):  # noqa: F811
    from ocrm_tui.services.orgs import get_org_by_code

    with db.session(write=True) as s:  # sixty more VIP customers of R001 since the list was made
        o1, r001 = get_org_by_code(s, "O1").id, users.get_user(s, "R001").id
        s.add_all(Customer(customer_no=f"92000{i:05d}", name=f"客户{i:02d}", mobile=f"1390000{i:04d}", org_id=o1,
                           rm_id=r001, tier="vip", aum_daily_avg=Decimal("120000")) for i in range(60))
        s.commit()
    with db.session(write=True) as s:
        assert campaigns.generate(s, actors_of(db)["M001"], plan["active"], clock=clock).added == 60
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        targets = await open_targets(app, pilot, "R001", "信用卡激活季")
        table = targets.query_one(TargetTable)
        assert table.row_count == campaigns.PAGE_SIZE
        assert str(targets.query_one("#targets-line", Static).render()) == \
            "Pending: 62 targets, 50 shown (more below)"
        await press(app, pilot, "pagedown", "pagedown")  # near the end: the next page
        await wait_for(app, pilot, lambda: table.row_count == 62)

        await press(app, pilot, "home", "ctrl+a")
        assert len(targets.selected_ids) == 62
        await press(app, pilot, "u")
        assert "the 62 selected targets" in str(app.screen.query_one("#batch-question", Static).render())
        await press(app, pilot, "y")
        outcomes = targets_of(db, plan["active"])
        assert sum(1 for o, _amount in outcomes.values() if o == "unreachable") == 62
        assert outcomes["章薇"][0] == "converted"  # not in the tab: untouched


@SQLITE_ONLY  # what is shown; the rules behind it run on both databases in test_campaigns.py
async def test_ctrl_a_on_a_tab_too_big_to_act_on_at_once_says_so(db_url, plan, clock, monkeypatch):
    monkeypatch.setattr(campaigns, "MAX_SELECTION", 3)  # the manager's four targets are one too many
    app = create_app(db_url, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        targets = await open_targets(app, pilot, "M001", "信用卡激活季")
        await press(app, pilot, "1")
        notices = record_notices(app)
        await press(app, pilot, "ctrl+a")
        assert notices == ["This tab holds more than 3 targets: record outcomes for fewer at a time"]
        assert targets.selected_ids == frozenset()


@pytest.mark.parametrize("partial, cost, expected", [
    (False, "1000", "6900.00 %"),  # (70,000 − 1,000) / 1,000
    (True, "1000", "— (for the whole list only)"),  # a share's amount against the whole cost means nothing
    (False, "0", "— (no cost recorded)"),
])
def test_the_roi_line_says_why_it_is_missing(partial, cost, expected):
    from rich.console import Console

    from ocrm_tui.screens.campaign_view import results_block

    row = campaigns.MetricRow("All targets", 6, 4, 3, 2, Decimal("70000.00"))
    m = campaigns.Metrics(1, "x", "active", "城东支行", "", row, [], [], Decimal("0"), Decimal(cost), partial=partial)
    console = Console(width=80, record=True)
    console.print(results_block(m))
    assert expected in console.export_text()
