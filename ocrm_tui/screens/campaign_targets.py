"""The target list of one campaign: the customers to contact and what came of it.

An RM sees their own targets, a manager every target of their branch (the service scopes
them: ``campaigns.target_page``). Tabs above the list show all targets and each outcome
with its count (1–7, ←/→ or Tab switch); the list is read 50 rows at a time, the next page
when the cursor nears the end.

One key records an outcome on the highlighted target: C contacted, I interested, V
converted (asks the amount of new business), D declined, U unreachable. Space selects a
row, Ctrl+A every target of the tab (not only the rows shown); the same keys then record
one outcome for the whole selection, after a confirmation that names how many. The
service refuses outcomes while a campaign is not active, with its own message. Enter opens
the customer's profile.

On a narrow terminal a manager's list leaves out the mobile column before the name gets
too short (the RM column is the one a manager needs; an RM's list has no RM column).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal, OcrmScreen
from ocrm_tui.screens.campaign_view import status_badge
from ocrm_tui.screens.customer_profile import local_time
from ocrm_tui.screens.panes.customers import TIER_STYLE, tier_name
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.list_table import ListTable

# "" is every target; then each outcome, in the order of the work.
VIEWS = ("", "pending", "contacted", "interested", "converted", "declined", "unreachable")
OUTCOME_KEYS = {"contacted": "c", "interested": "i", "converted": "v", "declined": "d", "unreachable": "u"}
OUTCOME_STYLES = {"pending": "", "contacted": "#58a6ff", "interested": "bold #e3b341", "converted": "bold #3fb950",
                  "declined": "#8b95a5", "unreachable": "#e5534b"}
SELECTED_MARK = "✓"
MIN_NAME_WIDTH = 12
MAX_RELOAD_ROWS = 500  # after a change the rows shown are read again, up to this many
AMOUNT_MAX_LENGTH = 24


def view_name(view: str) -> str:
    from ocrm_tui.services.campaigns import outcome_name

    return _("All") if not view else outcome_name(view)


def amount_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def contacted_text(value) -> str:
    return "" if value is None else local_time(value).strftime("%m-%d %H:%M")


class StatusTab(Static):
    """One tab: its number, an outcome (or All) and how many targets have it."""

    DEFAULT_CSS = """
    StatusTab { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    StatusTab:hover { background: $boost; }
    StatusTab.-active { background: $primary; color: $text; text-style: bold; }
    """

    def __init__(self, index: int) -> None:
        super().__init__("", id=f"status-tab-{index}", markup=False)
        self.index = index
        self.view = VIEWS[index]

    def on_click(self) -> None:
        self.screen.show_view(self.view)  # type: ignore[attr-defined]


class TargetTable(ListTable):
    """The targets of one tab. The outcome keys act on the selection, or on the highlighted row."""

    BINDINGS = [
        Binding("c", "outcome('contacted')", "Contacted", id="targets.contacted",
                tooltip="Record that the customer was contacted"),
        Binding("i", "outcome('interested')", "Interested", id="targets.interested",
                tooltip="Record that the customer is interested"),
        Binding("v", "outcome('converted')", "Converted", id="targets.converted",
                tooltip="Record a conversion, with the amount of new business"),
        Binding("d", "outcome('declined')", "Declined", id="targets.declined",
                tooltip="Record that the customer declined"),
        Binding("u", "outcome('unreachable')", "Unreachable", id="targets.unreachable",
                tooltip="Record that the customer could not be reached"),
        Binding("space", "toggle_row", "Select", id="targets.toggle", tooltip="Select or deselect this target"),
        Binding("ctrl+a", "select_all", "Select all", id="targets.select_all",
                tooltip="Select every target of this tab, not only the ones shown"),
        Binding("escape", "clear_selection", "Clear selection", id="targets.clear_selection", show=False,
                tooltip="Deselect every target"),
        Binding("tab", "next_view", "Next tab", show=False, key_display="Tab / →", id="targets.next_view",
                tooltip="Show the next tab"),
        Binding("shift+tab", "previous_view", "Previous tab", show=False, key_display="Shift+Tab / ←",
                id="targets.previous_view", tooltip="Show the previous tab"),
    ]

    @property
    def list_screen(self) -> "TargetListScreen":
        return self.screen  # type: ignore[return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_attached or not isinstance(self.screen, TargetListScreen):
            return True
        return self.list_screen.allows(action)

    def action_outcome(self, status: str) -> None:
        self.list_screen.record(status)

    def action_toggle_row(self) -> None:
        self.list_screen.toggle_current_row()

    def action_select_all(self) -> None:
        self.list_screen.select_whole_view()

    def action_clear_selection(self) -> None:
        self.list_screen.clear_selection()

    def action_next_view(self) -> None:
        self.list_screen.step_view(+1)

    def action_previous_view(self) -> None:
        self.list_screen.step_view(-1)

    def action_cursor_right(self) -> None:
        self.list_screen.step_view(+1)

    def action_cursor_left(self) -> None:
        self.list_screen.step_view(-1)


class AmountDialog(OcrmModal[str | None]):
    """The amount of new business a conversion brought. A wrong amount is refused here, with
    what was typed kept; Enter or Ctrl+S saves, Escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="amount.save", tooltip="Record the conversion", priority=True),
        Binding("escape", "cancel", "Cancel", id="amount.cancel", tooltip="Close without recording"),
    ]
    DEFAULT_CSS = """
    AmountDialog .dialog { width: 64; max-width: 100%; }
    AmountDialog #amount-error { height: auto; color: $text-error; margin-top: 1; }
    """

    def __init__(self, title: str, prompt: str, *, initial: str = "", error: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._prompt, self._initial, self._error = title, prompt, initial, error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._prompt, classes="dialog-message", markup=False)
            yield Label(_("Amount (CNY)"), classes="field-label")
            yield Input(self._initial, id="amount-input", max_length=AMOUNT_MAX_LENGTH,
                        placeholder=_("e.g. {amount}", amount="50000.00"))
            yield Static(self._error, id="amount-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Record the conversion") + " (Ctrl+S)", variant="primary", id="amount-save")
                yield Button(_("Cancel"), id="amount-cancel")

    def on_mount(self) -> None:
        self.query_one("#amount-input", Input).focus()

    @property
    def value(self) -> str:
        return self.query_one("#amount-input", Input).value

    @property
    def error(self) -> str:
        return str(self.query_one("#amount-error", Static).render())

    def has_unsaved_input(self) -> bool:
        return bool(self.value.strip())

    @on(Input.Submitted, "#amount-input")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        from ocrm_tui.services.errors import ValidationError
        from ocrm_tui.services.validation import check_amount

        text = self.value.strip()
        error = self.query_one("#amount-error", Static)
        if not text:
            error.update(_("Write the amount of new business (0 when there is none)"))
            return
        try:
            check_amount(text)
        except ValidationError as exc:
            error.update(exc.message)
            self.query_one("#amount-input", Input).focus()
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "amount-save":
            self.action_save()
        else:
            self.dismiss(None)


@dataclass(frozen=True)
class Step:
    """One outcome as the user gave it: for the highlighted target, or for a selection."""

    status: str
    ids: tuple[int, ...]
    batch: bool
    label: str = ""  # the customer, for one target
    amount: str | None = None


class TargetListScreen(OcrmScreen):
    """A campaign's targets and their outcomes."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="targets.back", tooltip="Back to the campaign"),
        Binding("1", "show_view_number(0)", "Show a tab by its number", key_display="1–7", show=False,
                id="targets.view_1", tooltip="Show the tab with this number"),
        Binding("2", "show_view_number(1)", "", show=False, id="targets.view_2",
                tooltip="Show the tab with this number"),
        Binding("3", "show_view_number(2)", "", show=False, id="targets.view_3",
                tooltip="Show the tab with this number"),
        Binding("4", "show_view_number(3)", "", show=False, id="targets.view_4",
                tooltip="Show the tab with this number"),
        Binding("5", "show_view_number(4)", "", show=False, id="targets.view_5",
                tooltip="Show the tab with this number"),
        Binding("6", "show_view_number(5)", "", show=False, id="targets.view_6",
                tooltip="Show the tab with this number"),
        Binding("7", "show_view_number(6)", "", show=False, id="targets.view_7",
                tooltip="Show the tab with this number"),
    ]

    DEFAULT_CSS = """
    TargetListScreen { background: $background; }
    TargetListScreen #targets-title { height: 1; padding: 0 1; background: $panel; }
    TargetListScreen #targets-title Label { height: 1; }
    TargetListScreen #targets-campaign { text-style: bold; color: $text; }
    TargetListScreen #targets-status { margin-left: 2; }
    TargetListScreen #targets-note { width: 1fr; margin-left: 2; color: $text-warning; }
    TargetListScreen #targets-body { height: 1fr; padding: 0 1; }
    TargetListScreen #status-tabs { height: 1; scrollbar-size-horizontal: 0; margin: 1 0; }
    TargetListScreen #status-tabs.-tight StatusTab { padding: 0; border-left: solid $foreground 30%; }
    TargetListScreen #status-tabs.-tight StatusTab#status-tab-0 { border-left: none; }
    TargetListScreen #targets-line-row { height: 1; }
    TargetListScreen #targets-line { width: 1fr; height: 1; color: $text-muted; }
    TargetListScreen #targets-line.-selected { color: $text; text-style: bold; }
    TargetListScreen #targets-hint { width: auto; height: 1; color: $text-muted; }
    TargetListScreen TargetTable { height: 1fr; }
    TargetListScreen TargetTable.-empty { height: 1; }
    TargetListScreen #targets-empty { display: none; width: 1fr; height: 1fr; content-align: center middle;
                                      text-align: center; color: $text-muted; }
    TargetListScreen #targets-empty.-shown { display: block; }
    TargetListScreen #targets-error { display: none; color: $text-error; text-style: bold; padding: 1 2; }
    TargetListScreen #targets-error.-shown { display: block; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        view: str
        campaign: Any  # services.campaigns.CampaignView
        counts: dict[str, int]
        rows: list  # TargetRow
        role: str

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class MoreLoaded(Message):
        generation: int
        view: str
        rows: list

    @dataclass
    class AllIds(Message):
        generation: int
        view: str
        ids: list[int]
        maximum: int

    @dataclass
    class Recorded(Message):
        step: Step
        changed: int
        skipped: int

    @dataclass
    class Refused(Message):
        step: Step
        message: str
        field: str | None

    def __init__(self, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.campaign = None  # the CampaignView
        self.drawn = False  # True once the list read last is on screen
        self.busy = False  # an outcome is being recorded
        self.changed = False
        self._generation = 0
        self._view = "pending"
        self._counts: dict[str, int] = {}
        self._rows: list = []
        self._row_ids: set[int] = set()
        self._selected: set[int] = set()
        self._loading_more = False
        self._role = ""
        self._columns: list[str] = []
        self._keys_state: tuple | None = None
        self._first = True

    @property
    def current_view(self) -> str:
        return self._view

    @property
    def selected_ids(self) -> frozenset[int]:
        return frozenset(self._selected)

    @property
    def rows(self) -> list:
        """The TargetRows shown, in table order."""
        return list(self._rows)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        actor = getattr(self.app, "actor", None)
        if actor is not None:
            yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role,
                            org_name=actor.org_name)
        with Horizontal(id="targets-title"):
            yield Label("", id="targets-campaign", markup=False)
            yield Label("", id="targets-status")
            yield Label("", id="targets-note", markup=False)
        with Vertical(id="targets-body"):
            with HorizontalScroll(id="status-tabs"):
                for index in range(len(VIEWS)):
                    yield StatusTab(index)
            with Horizontal(id="targets-line-row"):
                yield Static(_("Loading the targets…"), id="targets-line", markup=False)
                yield Static("", id="targets-hint", markup=False)
            yield TargetTable(id="targets-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="targets-empty", markup=False)
            yield Static("", id="targets-error", markup=False)
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Target list")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self.set_focus(self.query_one(TargetTable))
        self.reload()

    def on_resize(self) -> None:
        table = self.query_one(TargetTable)
        if table.layout_key is not None:
            self._fit_tabs()
            if table.stale_for(self._column_widths(self._rows)):
                self._fill(list(self._rows), keep_row=self.query_one(TargetTable).cursor_row)

    # -- reading -------------------------------------------------------------------------------
    def reload(self, *, rows: int | None = None) -> None:
        """Read the campaign, the counts and the rows of the tab again (as many rows as are
        shown, or a page); the cursor stays where it was."""
        from ocrm_tui.services.campaigns import PAGE_SIZE

        self.drawn = False
        self._generation += 1
        limit = min(MAX_RELOAD_ROWS, max(PAGE_SIZE, rows if rows is not None else 0))
        self._load(self._generation, self._view, limit, self._first)

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets", description="target list")
    def _load(self, generation: int, view: str, limit: int, first: bool) -> None:
        from ocrm_tui.services import campaigns
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor, cid = app.actor, self.campaign_id  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                campaign = campaigns.get_campaign(s, actor, cid)
                counts = campaigns.target_counts(s, actor, cid)
                if first and not counts.get(view):  # the first time: what is left to do, else everything
                    view = ""
                rows = campaigns.target_page(s, actor, cid, status=view or None, limit=limit)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, view, campaign, counts, rows, str(actor.role)))

    def on_target_list_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # a newer reading is on its way
        self._first = False
        if message.view != self._view:
            self._selected.clear()
        self._view, self.campaign, self._counts, self._role = message.view, message.campaign, message.counts, \
            message.role
        self._loading_more = False
        self.query_one("#targets-error", Static).remove_class("-shown")
        self._show_title()
        self._show_tabs()
        self._fill(list(message.rows), keep_row=self.query_one(TargetTable).cursor_row)
        self._refresh_keys()
        self.call_after_refresh(self._mark_drawn, message.generation)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    def on_target_list_screen_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        error = self.query_one("#targets-error", Static)
        error.update(message.message)
        error.add_class("-shown")
        self.query_one("#targets-line", Static).update("")
        self.drawn = True

    def _has_more(self) -> bool:
        return self._counts.get(self._view, 0) > len(self._rows)

    @on(DataTable.RowHighlighted, "#targets-table")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if not self._rows or self._loading_more or not self._has_more():
            return
        if event.cursor_row >= len(self._rows) - 5:
            self._loading_more = True
            self._more(self._view, self._rows[-1].id, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets-more", description="target list next page")
    def _more(self, view: str, after: int, generation: int) -> None:
        from ocrm_tui.services import campaigns

        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                rows = campaigns.target_page(s, actor, self.campaign_id, status=view or None, after=after)
        except OcrmError as exc:  # the campaign went out of reach meanwhile: read it all again
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.MoreLoaded(generation, view, rows))

    def on_target_list_screen_more_loaded(self, message: MoreLoaded) -> None:
        if message.generation != self._generation or message.view != self._view:
            return
        self._loading_more = False
        self._add_rows([row for row in message.rows if row.id not in self._row_ids])
        self._update_line()

    # -- tabs ----------------------------------------------------------------------------------
    def show_view(self, view: str) -> None:
        if view == self._view or view not in VIEWS:
            return
        self._view = view
        self._selected.clear()
        self.query_one(TargetTable).move_cursor(row=0)
        self._show_tabs()
        self.reload()

    def step_view(self, step: int) -> None:
        index = (VIEWS.index(self._view) + step) % len(VIEWS)
        self.show_view(VIEWS[index])

    def action_show_view_number(self, index: int) -> None:
        if 0 <= index < len(VIEWS):
            self.show_view(VIEWS[index])

    def _show_tabs(self) -> None:
        for tab in self.query(StatusTab):
            tab.set_class(tab.view == self._view, "-active")
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        """Numbers and padding while there is room; the active tab always in view."""
        bar = self.query_one("#status-tabs", HorizontalScroll)
        tabs = list(self.query(StatusTab))
        labels = {tab.view: (view_name(tab.view), f"{self._counts.get(tab.view, 0):,}") for tab in tabs}
        room = bar.size.width or 10_000
        names = sum(cell_len(name) + 1 + cell_len(count) for name, count in labels.values())
        with_numbers = names + 4 * len(tabs) <= room
        bar.set_class(not with_numbers and names + 2 * len(tabs) > room, "-tight")
        for tab in tabs:
            name, count = labels[tab.view]
            number = (f"{tab.index + 1} ", "dim") if with_numbers else ""
            if tab.view == self._view:
                style = "bold"
            elif self._counts.get(tab.view, 0):
                style = f"bold {OUTCOME_STYLES.get(tab.view, '')}".strip()
            else:
                style = "dim"
            tab.update(Text.assemble(number, name, " ", (count, style)))
            if tab.view == self._view:
                self.call_after_refresh(bar.scroll_to_widget, tab, animate=False)

    # -- the table -----------------------------------------------------------------------------
    def _column_widths(self, rows: list) -> dict[str, int]:
        """Each column as wide as its widest value (of ``rows``, or of any value it may hold);
        the name takes what is left."""
        from ocrm_tui.services.campaigns import OUTCOMES, outcome_name

        def widest(header: str, values) -> int:
            return max([cell_len(header), *(cell_len(v) for v in values)])

        widths = {
            "sel": 1,
            "no": widest(_("Customer no."), [row.customer_no for row in rows] or ["9100000000"]),
            "name": 0,
            "mobile": widest(_("Mobile"), ["138****5678"]),
            "tier": widest(_("Tier"), [tier_name(t) for t in ("mass", "vip", "wealth", "private")]),
            "aum": widest(_("AUM"), ["999,999,999"]),
            "rm": min(12, widest(_("RM"), [row.rm or "—" for row in rows])),
            "status": widest(_("Outcome"), [outcome_name(s) for s in OUTCOMES]),
            "amount": widest(_("Amount"), ["9,999,999.99"]),
            "contacted": widest(_("Contacted at"), ["01-05 09:00"]),
        }
        if self._role == "rm":
            del widths["rm"]  # all of them are the RM's own
        table = self.query_one(TargetTable)
        room = (table.size.width or self.app.size.width - 2) - 2  # the vertical scrollbar

        def left() -> int:
            return room - sum(widths.values()) - 2 * table.cell_padding * len(widths)

        if left() < MIN_NAME_WIDTH and "rm" in widths:
            del widths["mobile"]
        widths["name"] = max(MIN_NAME_WIDTH, left())
        return widths

    def _columns_for(self, rows: list) -> None:
        widths = self._column_widths(rows)
        headers = {"sel": " ", "no": _("Customer no."), "name": _("Customer name"), "mobile": _("Mobile"),
                   "tier": _("Tier"), "aum": _("AUM"), "rm": _("RM"), "status": _("Outcome"),
                   "amount": _("Amount"), "contacted": _("Contacted at")}
        right = {"aum", "amount"}
        if self.query_one(TargetTable).lay_out(widths, headers, right):
            self._columns = list(widths)

    def _fill(self, rows: list, *, keep_row: int = 0) -> None:
        table = self.query_one(TargetTable)
        self._columns_for(rows)
        table.clear()
        self._rows = []
        self._row_ids = set()
        self._add_rows(rows)
        if self._rows:
            table.move_cursor(row=min(max(keep_row, 0), len(self._rows) - 1), animate=False)
        empty = not self._rows
        table.set_class(empty, "-empty")
        note = self.query_one("#targets-empty", Static)
        note.set_class(empty, "-shown")
        note.update(self._empty_message() if empty else "")
        self._update_line()

    def _empty_message(self) -> str:
        if not self._counts.get(""):
            if self._role == "rm":
                return _("None of your customers is on this campaign's list.")
            return _("The list is empty. Generate it on the campaign screen (G).")
        if self._view == "pending":
            return _("Nobody is left to contact — well done.")
        return _("No targets with the outcome {outcome}.", outcome=view_name(self._view))

    def _add_rows(self, rows: list) -> None:
        table = self.query_one(TargetTable)
        for row in rows:
            self._rows.append(row)
            self._row_ids.add(row.id)
            cells = self._cells(row)
            table.add_row(*(cells[column] for column in self._columns), key=str(row.id))

    def _cells(self, row) -> dict[str, object]:
        from ocrm_tui.services.campaigns import outcome_name

        return {
            "sel": self._selection_mark(row.id),
            "no": row.customer_no,
            "name": Text(row.name, no_wrap=True, overflow="ellipsis"),
            "mobile": row.mobile or "—",
            "tier": Text(tier_name(row.tier), style=TIER_STYLE.get(row.tier, "")),
            "aum": Text(f"{row.aum:,.0f}", justify="right"),
            "rm": Text(row.rm or "—", no_wrap=True, overflow="ellipsis"),
            "status": Text(outcome_name(row.status), style=OUTCOME_STYLES.get(row.status, "")),
            "amount": Text(amount_text(row.converted_amount), justify="right"),
            "contacted": contacted_text(row.contacted_at),
        }

    def _selection_mark(self, target_id: int) -> str:
        return SELECTED_MARK if target_id in self._selected else " "

    def _show_title(self) -> None:
        c = self.campaign
        if c is None:
            return
        self.query_one("#targets-campaign", Label).update(c.name)
        self.query_one("#targets-status", Label).update(status_badge(c.status))
        note = {
            "draft": _("Not started yet: outcomes are recorded once the campaign is active."),
            "paused": _("Paused: outcomes are recorded again when the campaign resumes."),
            "ended": _("Ended: the outcomes are final."),
        }.get(c.status, "")
        self.query_one("#targets-note", Label).update(note)

    def _update_line(self) -> None:
        line = self.query_one("#targets-line", Static)
        total = self._counts.get(self._view, len(self._rows))
        name = view_name(self._view)
        if self._selected:  # what the selection is, and the keys that act on it
            keys = " · ".join(f"{key} {what}" for key, what in self._outcome_keys())
            text = _("{n} targets selected", n=f"{len(self._selected):,}") + (f" — {keys}" if keys else "")
        elif not self._rows:
            text = _("{view}: no targets", view=name)
        elif total == 1:
            text = _("{view}: 1 target", view=name)
        elif total > len(self._rows):
            text = _("{view}: {n} targets, {m} shown (more below)", view=name, n=f"{total:,}",
                     m=f"{len(self._rows):,}")
        else:
            text = _("{view}: {n} targets", view=name, n=f"{total:,}")
        line.set_class(bool(self._selected), "-selected")
        line.update(text)
        self.query_one("#targets-hint", Static).update(
            "" if self._selected or not self._rows else _("Enter opens the customer"))

    def _outcome_keys(self) -> list[tuple[str, str]]:
        """The outcome keys as they are bound now (a keymap may have moved them)."""
        from ocrm_tui.services.campaigns import outcome_name

        wanted = {f"targets.{status}": status for status in OUTCOME_KEYS}
        found: dict[str, tuple[str, str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.id in wanted and binding.id not in found:
                found[binding.id] = (self.app.get_key_display(binding), outcome_name(wanted[binding.id]))
        return [found[i] for i in wanted if i in found]

    # -- keys ----------------------------------------------------------------------------------
    def allows(self, action: str) -> bool | None:
        """The table's keys: the outcomes while there is a row to act on, Escape only with a
        selection."""
        if action == "clear_selection":
            return bool(self._selected)
        if action in ("outcome", "toggle_row", "select_all"):
            if not self._rows:
                return False
            return None if self.busy and action == "outcome" else True
        return True

    def _refresh_keys(self) -> None:
        state = (bool(self._rows), bool(self._selected), self.busy)
        if state != self._keys_state:
            self._keys_state = state
            self.query_one(TargetTable).refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(self.changed)

    @on(DataTable.RowSelected, "#targets-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self._rows if str(r.id) == event.row_key.value), None)
        if row is None:
            return
        from ocrm_tui.screens.customer_profile import ProfileScreen

        self.app.push_screen(ProfileScreen(row.customer_id))

    # -- selection -----------------------------------------------------------------------------
    def _current(self):
        table = self.query_one(TargetTable)
        if not self._rows or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row]

    def toggle_current_row(self) -> None:
        row = self._current()
        if row is None:
            return
        table = self.query_one(TargetTable)
        self._selected.symmetric_difference_update({row.id})
        table.update_cell(str(row.id), "sel", self._selection_mark(row.id))
        if table.cursor_row < len(self._rows) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._selection_changed()

    def clear_selection(self) -> None:
        self._selected.clear()
        self._mark_selection()

    def _mark_selection(self) -> None:
        table = self.query_one(TargetTable)
        for row in self._rows:
            table.update_cell(str(row.id), "sel", self._selection_mark(row.id))
        self._selection_changed()

    def _selection_changed(self) -> None:
        self._refresh_keys()
        self._update_line()

    def select_whole_view(self) -> None:
        if self._rows:
            self._select_all(self._view, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets-select", description="select whole tab")
    def _select_all(self, view: str, generation: int) -> None:
        from ocrm_tui.services import campaigns

        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                ids = campaigns.target_ids(s, actor, self.campaign_id, status=view or None)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.AllIds(generation, view, ids, campaigns.MAX_SELECTION))

    def on_target_list_screen_all_ids(self, message: AllIds) -> None:
        if message.view != self._view or message.generation != self._generation:
            return
        if len(message.ids) > message.maximum:
            self.notify(_("This tab holds more than {n} targets: record outcomes for fewer at a time",
                          n=f"{message.maximum:,}"), severity="warning")
            return
        self._selected = set(message.ids)
        self._mark_selection()

    # -- recording outcomes --------------------------------------------------------------------
    def record(self, status: str) -> None:
        """An outcome key: for the selection (after a confirmation), or the highlighted target."""
        if self.busy:
            return
        if self._selected:
            step = Step(status, tuple(sorted(self._selected)), batch=True)
        else:
            row = self._current()
            if row is None:
                return
            step = Step(status, (row.id,), batch=False, label=row.name)
        if status == "converted":
            self._ask_amount(step)
        elif step.batch:
            self._confirm(step)
        else:
            self._perform(step)

    def _ask_amount(self, step: Step, *, error: str = "") -> None:
        if step.batch:
            title = _("Converted: {n} targets", n=f"{len(step.ids):,}")
            prompt = _("The amount of new business each of them brought (the same for all):")
        else:
            title = _("Converted: {name}", name=step.label)
            prompt = _("The amount of new business the customer brought (0 when there is none):")

        def given(amount: str | None) -> None:
            if amount is None:
                return
            chosen = Step(step.status, step.ids, step.batch, step.label, amount)
            if chosen.batch:
                self._confirm(chosen)
            else:
                self._perform(chosen)

        self.app.push_screen(AmountDialog(title, prompt, initial=step.amount or "", error=error), callback=given)

    def _confirm(self, step: Step) -> None:
        from ocrm_tui.screens.ticket_batch import BatchConfirmDialog
        from ocrm_tui.services.campaigns import outcome_name

        outcome = outcome_name(step.status)
        n = len(step.ids)
        question = (_("Record “{outcome}” for the {n} selected targets?", outcome=outcome, n=f"{n:,}") if n > 1
                    else _("Record “{outcome}” for the selected target?", outcome=outcome))
        detail = (_("Amount of new business for each: {amount}", amount=step.amount) if step.amount is not None
                  else _("The outcome each of them had so far is replaced."))

        def answered(go: bool | None) -> None:
            if go:
                self._perform(step)
            elif step.amount is not None:
                self._ask_amount(step)  # No goes back to the amount, as it was typed

        self.app.push_screen(BatchConfirmDialog(_("Record an outcome"), question, detail=detail,
                                                yes=_("Yes, record it"), no=_("Back")), callback=answered)

    def _perform(self, step: Step) -> None:
        self.busy = True
        self._refresh_keys()
        self._record(step)

    @work(thread=True, exclusive=True, exit_on_error=False, group="targets-change", description="record outcome")
    def _record(self, step: Step) -> None:
        from ocrm_tui.services import campaigns
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor, clock = app.actor, app.clock  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if step.batch:
                    result = campaigns.batch_outcome(s, actor, self.campaign_id, list(step.ids), step.status,
                                                     amount=step.amount, clock=clock)
                    changed, skipped = result.changed, result.skipped
                else:
                    campaigns.record_outcome(s, actor, step.ids[0], step.status, amount=step.amount, clock=clock)
                    changed, skipped = 1, 0
        except OcrmError as exc:
            self.post_message(self.Refused(step, exc.message, exc.field))
            return
        self.post_message(self.Recorded(step, changed, skipped))

    def on_target_list_screen_recorded(self, message: Recorded) -> None:
        from ocrm_tui.services.campaigns import outcome_name

        self.busy = False
        self.changed = True
        step = message.step
        outcome = outcome_name(step.status)
        if step.batch:
            self._selected.clear()
            if message.skipped:
                self.notify(_("{changed} of {n} targets recorded as {outcome}; {skipped} are not yours or no "
                              "longer on this list", changed=f"{message.changed:,}", n=f"{len(step.ids):,}",
                              outcome=outcome, skipped=f"{message.skipped:,}"), severity="warning")
            else:
                self.notify(_("{n} targets recorded as {outcome}", n=f"{message.changed:,}", outcome=outcome),
                            timeout=3)
        else:
            self.notify(_("{name}: {outcome}", name=step.label, outcome=outcome), timeout=3)
        self.reload(rows=len(self._rows))

    def on_target_list_screen_refused(self, message: Refused) -> None:
        self.busy = False
        self._refresh_keys()
        if message.field == "amount" and message.step.status == "converted":
            self._ask_amount(message.step, error=message.message)  # the amount as typed, and why not
            return
        self.notify(message.message, severity="error", timeout=6)
        self.reload(rows=len(self._rows))  # the campaign may have been paused meanwhile
