"""One campaign: what it is, whom it targets, how it is going, and what the user may do next.

Everything shown comes from ``services.campaigns``: ``get_campaign`` (the definition, the
filter read back as a sentence, the moves the user may make) and ``metrics`` (targets,
contacts, participation, conversions, converted amount, cost and ROI, overall, by tier
and by tag), read together by one worker.

The organiser's keys — edit, generate the list, start or resume, pause, end, send the SMS —
are offered only when the service allows them (``CampaignView.moves`` and
``can_organise``); each runs one service call in a worker with the version on screen, so a
change made from a stale screen is refused with the service's message and the campaign is
read again. Generating asks first, saying how many customers match now and what happens to
the list; ending and sending ask too. T opens the target list, Escape goes back (dismissing
with True when something changed: the caller reloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal, RecordScreen
from ocrm_tui.screens.customer_profile import HEADER_STYLE, LABEL_STYLE, Section, key_values, money, text_or_none, when
from ocrm_tui.screens.panes.campaigns import period_text
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader

STATUS_BADGES = {
    "draft": "bold #f0f0f0 on #5a6270",
    "active": "bold #ffffff on #3d7d46",
    "paused": "bold #1b1b1b on #e3b341",
    "ended": "bold #f0f0f0 on #3a3f4b",
}
ERROR_STYLE = "bold #e5534b"
MAX_STEPS_SHOWN = 12


def _service():
    """services.campaigns, imported when first needed (after login: the database layer is loaded)."""
    from ocrm_tui.services import campaigns

    return campaigns


def badge(label: str, style: str) -> Text:
    """A label on a coloured ground, as wide as the label (not the cell it sits in)."""
    text = Text()
    text.append(f" {label} ", style=style)
    return text


def status_badge(status: str) -> Text:
    return badge(_service().status_name(status), STATUS_BADGES.get(status, "bold"))


def count_and_share(n: int, share: float | None) -> Text:
    """12 (25.00 %)"""
    text = Text(f"{n:,}")
    if share is not None:
        text.append(f" ({_service().percent(share)})", style=LABEL_STYLE)
    return text


# -- drawing the sections -------------------------------------------------------------------------

def details_block(v) -> Table:
    c = _service()
    return key_values([
        (_("Type"), Text(c.type_name(v.type))),
        (_("Status"), status_badge(v.status)),
        (_("Scope"), Text(v.scope)),
        (_("Owner"), text_or_none(v.owner)),
        (_("Period"), Text(period_text(v.starts_on, v.ends_on))),
        (_("Budget"), Text(money(v.budget))),
        (_("Actual cost"), Text(money(v.actual_cost))),
        (_("Promoted product"), text_or_none(v.product)),
        (_("Goal"), text_or_none(v.goal)),
    ])


def target_group_block(v) -> Table:
    sentence = Text(v.filter_text)
    if v.filter_problem:
        sentence.append("\n")
        sentence.append(v.filter_problem, style=ERROR_STYLE)
    if v.generated_at is not None:
        made = Text(_("{n} targets, made {time}", n=f"{v.targets:,}", time=when(v.generated_at)))
    else:
        made = Text(_("not generated yet: press G"), style=LABEL_STYLE) if v.can_organise else \
            Text(_("not generated yet"), style=LABEL_STYLE)
    rows = [(_("Filter"), sentence), (_("Target list"), made)]
    if v.sms_template or v.type == "sms":
        rows.append((_("SMS text"), text_or_none(v.sms_template)))
        rows.append((_("SMS queued"), Text(f"{v.queued_sms:,}")))
    return key_values(rows)


def results_block(m) -> Table:
    o = m.overall
    roi = m.roi
    if roi is not None:
        roi_text = Text(_service().percent(roi), style="bold")
    elif m.partial:  # a share of the list: its amount against the whole cost would mean nothing
        roi_text = Text(_("— (for the whole list only)"), style=LABEL_STYLE)
    else:
        roi_text = Text(_("— (no cost recorded)"), style=LABEL_STYLE)
    return key_values([
        (_("Targets"), Text(f"{o.targets:,}", style="bold")),
        (_("Contacted"), count_and_share(o.contacted, o.contact_rate)),
        (_("Participation rate"), Text(_service().percent(o.participation_rate))),
        (_("Conversions"), Text(f"{o.converted:,}")),
        (_("Conversion rate"), Text(_service().percent(o.conversion_rate), style="bold")),
        (_("Converted amount"), Text(money(o.amount))),
        (_("Cost"), Text(money(m.cost))),
        (_("ROI"), roi_text),
    ])


def groups_block(rows: list, first: str, empty: str) -> Table | Text:
    """One line per group (a tier, a tag): targets, contacts, participation, conversions, amount."""
    if not rows:
        return Text(empty, style=LABEL_STYLE)
    pct = _service().percent
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, expand=True, show_edge=False,
                  header_style=HEADER_STYLE)
    table.add_column(first, no_wrap=True, overflow="ellipsis", ratio=1)
    for title in (_("Targets"), _("Contacted"), _("Participation rate"), _("Conversions"), _("Conversion rate"),
                  _("Converted amount")):
        table.add_column(title, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(r.label, f"{r.targets:,}", f"{r.contacted:,}", pct(r.participation_rate), f"{r.converted:,}",
                      Text(pct(r.conversion_rate), style="bold" if r.converted else ""), money(r.amount))
    return table


# -- dialogs --------------------------------------------------------------------------------------

class FiguresDialog(OcrmModal[None]):
    """What an action did, in figures (the list generated, the messages queued). Enter or
    Escape closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="figures.close", tooltip="Close this message"),
    ]
    DEFAULT_CSS = """
    FiguresDialog .dialog { width: 64; max-width: 100%; }
    FiguresDialog #figures-body { height: auto; margin-top: 1; }
    """

    def __init__(self, title: str, summary: str, figures: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._summary, self._figures = title, summary, figures

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style=LABEL_STYLE, no_wrap=True)
        table.add_column(justify="right", style="bold", no_wrap=True)
        for label, value in self._figures:
            table.add_row(label, value)
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._summary, classes="dialog-message", id="figures-summary", markup=False)
            yield Static(table, id="figures-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="figures-ok")

    def on_mount(self) -> None:
        self.query_one("#figures-ok", Button).focus()

    @property
    def figures(self) -> list[tuple[str, str]]:
        return list(self._figures)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


# -- the screen -----------------------------------------------------------------------------------

class CampaignScreen(RecordScreen):
    """One campaign, its metrics and what may be done with it."""

    RECORD = "campaign"

    # a is "Start" for a draft and "Resume" for a paused campaign: check_action offers one of the two.
    BINDINGS = [
        Binding("t", "targets", "Target list", id="campaign.targets",
                tooltip="The customers on the list and their outcomes"),
        Binding("e", "edit", "Edit", id="campaign.edit", tooltip="Change the campaign and the filter of its customers"),
        Binding("g", "generate", "Generate list", id="campaign.generate",
                tooltip="Make the target list from the customers who match the filter now"),
        Binding("a", "start", "Start campaign", id="campaign.start", tooltip="Start the campaign: RMs record outcomes"),
        Binding("a", "resume", "Resume", id="campaign.resume", tooltip="Resume the paused campaign"),
        Binding("p", "pause", "Pause", id="campaign.pause",
                tooltip="Pause the campaign: no outcomes are recorded until it resumes"),
        Binding("x", "end", "End", id="campaign.end", tooltip="End the campaign for good; its figures stay"),
        Binding("s", "send_sms", "Send SMS", id="campaign.send_sms",
                tooltip="Queue the campaign's message for every target with a valid mobile"),
        Binding("escape", "back", "Back", id="campaign.back", tooltip="Back to where you came from"),
    ]

    DEFAULT_CSS = """
    CampaignScreen { background: $background; }
    CampaignScreen #campaign-title { height: 1; padding: 0 1; background: $panel; }
    CampaignScreen #campaign-title Label { height: 1; }
    CampaignScreen #campaign-name { text-style: bold; color: $text; }
    CampaignScreen #campaign-type { width: 1fr; margin-left: 2; color: $text-muted; }
    CampaignScreen #campaign-status { margin-left: 1; }
    CampaignScreen #campaign-state { height: auto; padding: 0 1; color: $text-muted; }
    CampaignScreen #campaign-state.-error { color: $text-error; text-style: bold; padding: 1 2; }
    CampaignScreen #campaign-state.-hidden { display: none; }
    CampaignScreen #campaign-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    CampaignScreen #campaign-body.-hidden { display: none; }
    CampaignScreen #campaign-top {
        layout: grid; grid-size: 3; grid-columns: 7fr 6fr 37; grid-rows: auto; grid-gutter: 0 1; height: auto;
    }
    CampaignScreen #campaign-top > .profile-section { height: 100%; }
    CampaignScreen .profile-section {
        height: auto; padding: 0 1; border: round $primary 60%; border-title-color: $primary;
        border-title-style: bold;
    }
    CampaignScreen .section-body { height: auto; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        view: Any  # services.campaigns.CampaignView
        metrics: Any  # services.campaigns.Metrics

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class Previewed(Message):
        """How many customers match now: what generating would do, for the question."""

        version: int
        preview: Any  # services.campaigns.Preview

    @dataclass
    class Done(Message):
        kind: str  # generate, start, resume, pause, end, sms
        result: Any  # GenerateResult, SmsResult or the new version
        view: Any
        metrics: Any

    @dataclass
    class Refused(Message):
        kind: str
        message: str
        stale: bool
        view: Any  # read again (None when it could not be)
        metrics: Any

    def __init__(self, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.view = None  # the CampaignView on screen
        self.metrics = None
        self.drawn = False  # True once the campaign is on screen
        self.loading = False
        self.busy = False  # a change is being made
        self.changed = False  # something was changed here: the caller reloads
        self.error: str | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        actor = getattr(self.app, "actor", None)
        if actor is not None:
            yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role,
                            org_name=actor.org_name)
        with Horizontal(id="campaign-title"):
            yield Label("", id="campaign-name", markup=False)
            yield Label("", id="campaign-type", markup=False)
            yield Label("", id="campaign-status")
        yield Static(_("Loading the campaign…"), id="campaign-state", markup=False)
        with VerticalScroll(id="campaign-body", classes="-hidden"):
            with Vertical(id="campaign-top"):
                yield Section(_("Campaign"), "campaign-details", id="section-details")
                yield Section(_("Target group"), "campaign-target-group", id="section-target-group")
                yield Section(_("Results"), "campaign-results", id="section-results")
            yield Section(_("By tier"), "campaign-by-tier", id="section-by-tier")
            yield Section(_("By tag"), "campaign-by-tag", id="section-by-tag")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Marketing campaign")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self.reload()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self._generation += 1
        self.loading = True
        self.refresh_bindings()
        self._load(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign", description="load campaign")
    def _load(self, generation: int) -> None:
        from ocrm_tui.services.errors import OcrmError

        try:
            view, metrics = self._read()
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, view, metrics))

    def _read(self):
        """(CampaignView, Metrics) as they are now (from a worker)."""
        from ocrm_tui.services import campaigns

        app = self.app
        with app.session() as s:  # type: ignore[attr-defined]
            view = campaigns.get_campaign(s, app.actor, self.campaign_id)  # type: ignore[attr-defined]
            metrics = campaigns.metrics(s, app.actor, self.campaign_id)  # type: ignore[attr-defined]
        return view, metrics

    def _read_quietly(self):
        from ocrm_tui.services.errors import OcrmError

        try:
            return self._read()
        except OcrmError:
            return None, None

    def on_campaign_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # an older load answered after a newer one was asked for
        self.loading = False
        self.error = None
        self._show(message.view, message.metrics)

    def on_campaign_screen_load_failed(self, message: LoadFailed) -> None:
        self._load_failed(message.generation, message.message)

    def could_not_load(self) -> str:
        return _("The campaign could not be loaded.")

    # -- drawing ------------------------------------------------------------------------------

    def _show(self, view, metrics) -> None:
        self.view, self.metrics = view, metrics
        c = _service()
        self.query_one("#campaign-name", Label).update(view.name)
        self.query_one("#campaign-type", Label).update(c.type_name(view.type))
        self.query_one("#campaign-status", Label).update(status_badge(view.status))
        self._set_state("")
        self.query_one("#campaign-details", Static).update(details_block(view))
        self.query_one("#campaign-target-group", Static).update(target_group_block(view))
        self.query_one("#campaign-results", Static).update(results_block(metrics))
        self.query_one("#campaign-by-tier", Static).update(
            groups_block(metrics.by_tier, _("Tier"), _("No targets yet")))
        self.query_one("#campaign-by-tag", Static).update(
            groups_block(metrics.by_tag, _("Tag"), _("None of the targets has a tag") if metrics.overall.targets
                         else _("No targets yet")))
        body = self.query_one("#campaign-body", VerticalScroll)
        body.remove_class("-hidden")
        if self.focused is None:
            body.focus()  # ↑/↓/PgUp/PgDn scroll the campaign
        self.refresh_bindings()
        if not self.drawn:
            self.call_after_refresh(self._mark_drawn)

    def _mark_drawn(self) -> None:
        self.drawn = True

    # -- which keys are offered ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        v = self.view
        if action == "back":
            return True
        if v is None:
            return False
        allowed = {
            "targets": v.targets > 0,
            "edit": v.can_organise,
            "generate": v.can_organise and v.status != "ended",
            "start": "active" in v.moves and v.status == "draft",
            "resume": "active" in v.moves and v.status == "paused",
            "pause": "paused" in v.moves,
            "end": "ended" in v.moves,
            "send_sms": v.can_organise and v.status == "active" and bool(v.sms_template),
        }.get(action)
        if allowed is None:
            return True
        if not allowed:
            return False
        if action == "targets":
            return True
        return None if (self.busy or self.loading) else True  # shown, but greyed while saving

    def _ready(self, action: str) -> bool:
        return self.view is not None and self.check_action(action, ()) is True

    # -- the keys -----------------------------------------------------------------------------

    def action_targets(self) -> None:
        if not self._ready("targets"):
            return
        from ocrm_tui.screens.campaign_targets import TargetListScreen

        self.app.push_screen(TargetListScreen(self.campaign_id), callback=self._back_here)

    def _back_here(self, _result=None) -> None:
        self.reload()  # outcomes recorded there change the figures here

    def action_edit(self) -> None:
        if not self._ready("edit"):
            return
        from ocrm_tui.screens.campaign_form import CampaignFormScreen

        self.app.push_screen(CampaignFormScreen(campaign_id=self.campaign_id), callback=self._edited)

    def _edited(self, saved_id: int | None) -> None:
        if saved_id:
            self.changed = True
        self.reload()

    def action_generate(self) -> None:
        if not self._ready("generate"):
            return
        self.busy = True
        self.refresh_bindings()
        self._preview(self.view.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-change", description="campaign preview")
    def _preview(self, version: int) -> None:
        from ocrm_tui.services import campaigns
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor, clock = app.actor, app.clock  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                preview = campaigns.campaign_preview(s, actor, self.campaign_id, clock=clock)
        except OcrmError as exc:
            view, metrics = self._read_quietly()
            self.post_message(self.Refused("generate", exc.message, False, view, metrics))
            return
        self.post_message(self.Previewed(version, preview))

    def on_campaign_screen_previewed(self, message: Previewed) -> None:
        self.busy = False
        self.refresh_bindings()
        v = self.view
        if v is None:
            return
        p = message.preview
        if v.status == "draft":
            question = _("{n} customers match now.\nMake the target list of {name} from them?",
                         n=f"{p.count:,}", name=v.name)
            what = (_("The list made before ({n} targets) is replaced.", n=f"{v.targets:,}") if v.targets
                    else _("Each customer goes to their own RM; customers without one are shared in turn among "
                           "the RMs of the campaign's scope."))
        else:
            question = _("{n} customers match now.\nAdd those not on the list of {name} yet?",
                         n=f"{p.count:,}", name=v.name)
            what = _("The campaign is under way: its list only gains new matches; nobody is taken off it and no "
                     "outcome changes.")
        lines = [what]
        if p.unsuitable:
            lines.append(_("{n} more match but are left out: the product's risk is above their recorded risk "
                           "preference (or none is recorded).", n=f"{p.unsuitable:,}"))
        if p.count == 0 and p.steps:
            lines.append(_("Nothing matches. Customers left after each condition:"))
            lines.extend(f"  {label}: {n:,}" for label, n in p.steps[:MAX_STEPS_SHOWN])
        from ocrm_tui.screens.ticket_batch import BatchConfirmDialog

        def answered(go: bool | None) -> None:
            if go:
                self._perform("generate", message.version)

        self.app.push_screen(BatchConfirmDialog(_("Generate the target list"), question, detail="\n".join(lines),
                                                yes=_("Generate"), no=_("Back")), callback=answered)

    def action_start(self) -> None:
        if self._ready("start"):
            self._perform("start")

    def action_resume(self) -> None:
        if self._ready("resume"):
            self._perform("resume")

    def action_pause(self) -> None:
        if self._ready("pause"):
            self._perform("pause")

    def action_end(self) -> None:
        if not self._ready("end"):
            return
        from ocrm_tui.screens.dialogs import ConfirmDialog

        def answered(go: bool | None) -> None:
            if go:
                self._perform("end")

        self.app.push_screen(ConfirmDialog(
            _("End {name}?", name=self.view.name),
            _("Ending is final: no more outcomes are recorded, the list no longer changes and the campaign cannot "
              "be resumed. Its figures stay for the report."),
            yes=_("End the campaign"), no=_("Back")), callback=answered)

    def action_send_sms(self) -> None:
        if not self._ready("send_sms"):
            return
        from ocrm_tui.screens.ticket_batch import BatchConfirmDialog

        v = self.view
        question = _("Queue the message of {name} for its {n} targets?", name=v.name, n=f"{v.targets:,}")
        notes = [v.sms_template or "", "",
                 _("Each target is sent it once: those sent it before are skipped, those without a valid mobile "
                   "are left out.")]
        if v.queued_sms:
            notes.append(_("{n} messages are already queued.", n=f"{v.queued_sms:,}"))

        def answered(go: bool | None) -> None:
            if go:
                self._perform("sms")

        self.app.push_screen(BatchConfirmDialog(_("Send the SMS"), question, detail="\n".join(notes),
                                                yes=_("Queue the messages"), no=_("Back")), callback=answered)

    def action_back(self) -> None:
        self.dismiss(self.changed)

    # -- making the change --------------------------------------------------------------------

    def _perform(self, kind: str, version: int | None = None) -> None:
        if self.view is None or self.busy:
            return
        self.busy = True
        self.refresh_bindings()
        self._change(kind, self.view.version if version is None else version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-change", description="change campaign")
    def _change(self, kind: str, version: int) -> None:
        from ocrm_tui.services import campaigns
        from ocrm_tui.services.errors import OcrmError, StaleRecordError

        app = self.app
        actor, clock, cid = app.actor, app.clock, self.campaign_id  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if kind == "generate":
                    result = campaigns.generate(s, actor, cid, version=version, clock=clock)
                elif kind == "sms":
                    result = campaigns.send_sms(s, actor, cid, clock=clock)
                else:
                    to_status = {"start": "active", "resume": "active", "pause": "paused", "end": "ended"}[kind]
                    result = campaigns.set_status(s, actor, cid, to_status, version=version, clock=clock)
        except OcrmError as exc:
            view, metrics = self._read_quietly()
            self.post_message(self.Refused(kind, exc.message, isinstance(exc, StaleRecordError), view, metrics))
            return
        view, metrics = self._read_quietly()
        self.post_message(self.Done(kind, result, view, metrics))

    def _show_again(self, view, metrics) -> None:
        if view is not None:
            self._generation += 1  # an older load still on its way is not drawn over this
            self._show(view, metrics)
        else:
            self.reload()

    def on_campaign_screen_done(self, message: Done) -> None:
        self.busy = False
        self.changed = True
        self._show_again(message.view, message.metrics)
        name = message.view.name if message.view is not None else (self.view.name if self.view else "")
        kind, r = message.kind, message.result
        if kind == "generate":
            figures = [(_("Added"), f"{r.added:,}")]
            if r.removed:
                figures.append((_("Replaced (the list made before)"), f"{r.removed:,}"))
            figures.append((_("On the list now"), f"{r.total:,}"))
            figures.append((_("Left out: the product does not suit them"), f"{r.unsuitable:,}"))
            self.app.push_screen(FiguresDialog(_("Target list generated"),
                                               _("The target list of {name} holds {n} customers.", name=name,
                                                 n=f"{r.total:,}"), figures))
        elif kind == "sms":
            figures = [(_("Queued now"), f"{r.queued:,}"), (_("Queued before"), f"{r.already:,}"),
                       (_("Left out: no valid mobile"), f"{r.no_mobile:,}")]
            self.app.push_screen(FiguresDialog(_("Messages queued"),
                                               _("{n} messages of {name} wait in the outbox for the SMS gateway.",
                                                 n=f"{r.queued:,}", name=name), figures))
        else:
            self.notify({"start": _("{name} has started: RMs can record outcomes", name=name),
                         "resume": _("{name} has resumed", name=name),
                         "pause": _("{name} is paused", name=name),
                         "end": _("{name} has ended", name=name)}[kind], timeout=3)

    def on_campaign_screen_refused(self, message: Refused) -> None:
        self.busy = False
        if message.view is not None:
            self._show_again(message.view, message.metrics)
        else:
            self.refresh_bindings()
        if message.stale:
            self.app.push_screen(_stale_dialog(message.message))
        else:
            self.notify(message.message, severity="error", timeout=6)


def _stale_dialog(message: str):
    from ocrm_tui.screens.dialogs import ErrorDialog

    return ErrorDialog(_("Changed by someone else"), _("{message}\nThe campaign has been read again: look at it "
                                                       "and try again.", message=message))
