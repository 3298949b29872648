"""F5: the work platform — today's work in one view.

A row of cards, one per section with its count and what it is made of (tickets overdue
and due today, alerts by severity, reminders, campaign targets to contact; a teller's
counter queue; for managers and administrators the access requests to decide), then one
list of the items of the chosen card, the most urgent first. 1–6 or ←/→ choose a card
("All" first). Enter goes to the item: a ticket opens, an alert or reminder opens its
customer, a campaign opens its target list, an access request opens the access requests
(F7) with it highlighted. H records what
was done about an alert or reminder (it then leaves the list). P opens the customer pool
(RMs and managers). The platform is read again each time it is shown (F5 refreshes).
"""

from __future__ import annotations

from datetime import date, datetime

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static

from ocrm_tui.i18n import _
from ocrm_tui.widgets.list_table import ListTable
from ocrm_tui.widgets.pane import Pane

# ASCII marks: "‼" is drawn two cells wide by some terminals' fonts and shifts the row.
MARKS = {"high": "!!", "medium": "!", "low": "·"}
CARDS = 6  # "All" and at most five sections
MIN_DETAIL_WIDTH = 16


def empty_message(section: str) -> str:
    return {
        "all": _("Nothing waits for you today: no tickets due, no alerts, no reminders, no one to contact."),
        "tickets": _("No ticket of yours is overdue or due today."),
        "counter": _("Every ticket you raised at the counter is closed."),
        "alerts": _("No open alerts. Risk signals about your customers appear here."),
        "reminders": _("No reminders. Birthdays, maturities and customers due a call appear here."),
        "campaigns": _("No campaign targets to contact."),
        "access": _("No access request waits for your decision."),
    }.get(section, "")


def when_text(value: datetime | date | None, now: datetime) -> str:
    """A due time as 'MM-DD HH:MM' (and how long overdue), a day as 'MM-DD' with 'today' or
    how many days ahead."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        from ocrm_tui.screens.panes.tickets import due_text

        return due_text(value, now, "overdue" if value <= now else "")
    days = (value - now.astimezone().date()).days
    text = value.strftime("%m-%d")
    if days == 0:
        return text + " " + _("today")
    if days > 0:
        return text + " " + _("in {n}d", n=days)
    return text


class SectionCard(Static):
    """One section: its name, how many items it holds and what they are."""

    DEFAULT_CSS = """
    SectionCard { width: 1fr; height: 4; border: round $foreground 30%; padding: 0 1; }
    SectionCard:hover { background: $boost; }
    SectionCard.-active { border: round $primary; background: $primary 15%; }
    SectionCard.-urgent .card-count { color: $text-error; }
    """

    def __init__(self, index: int) -> None:
        super().__init__("", id=f"work-card-{index}", markup=False)
        self.index = index
        self.section: str | None = None
        self.display = False

    def on_click(self) -> None:
        if self.section is not None:
            self.query_ancestor(WorkPlatformPane).show_section(self.section)


class WorkTable(ListTable):
    """The items of the chosen section. Enter opens, H handles an alert, ←/→ change section."""

    BINDINGS = [
        Binding("h", "handle", "Handle alert", id="work.handle",
                tooltip="Record what was done about this alert or reminder"),
        Binding("tab", "next_section", "Next section", show=False, key_display="Tab / →", id="work.next",
                tooltip="Show the next section"),
        Binding("shift+tab", "previous_section", "Previous section", show=False, key_display="Shift+Tab / ←",
                id="work.previous", tooltip="Show the previous section"),
    ]

    @property
    def pane(self) -> "WorkPlatformPane":
        return self.query_ancestor(WorkPlatformPane)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "handle" and self.is_attached:
            item = self.pane.current_item
            return item is not None and item.alert_id is not None
        return True

    def action_handle(self) -> None:
        self.pane.handle_current()

    def action_next_section(self) -> None:
        self.pane.step_section(+1)

    def action_previous_section(self) -> None:
        self.pane.step_section(-1)

    def action_cursor_right(self) -> None:
        self.pane.step_section(+1)

    def action_cursor_left(self) -> None:
        self.pane.step_section(-1)


class WorkPlatformPane(Pane):
    """Work platform (F5)."""

    TITLE = "Work platform"
    BINDINGS = [
        Binding("p", "pool", "Customer pool", id="work.pool",
                tooltip="Customers of your branch without an RM: claim them, or move books between RMs"),
        Binding("1", "show_card(0)", "Show a section by its number", key_display="1–6", show=False,
                id="work.card_1", tooltip="Show the section with this number on its card"),
        Binding("2", "show_card(1)", "", show=False, id="work.card_2", tooltip="Show the section with this number"),
        Binding("3", "show_card(2)", "", show=False, id="work.card_3", tooltip="Show the section with this number"),
        Binding("4", "show_card(3)", "", show=False, id="work.card_4", tooltip="Show the section with this number"),
        Binding("5", "show_card(4)", "", show=False, id="work.card_5", tooltip="Show the section with this number"),
        Binding("6", "show_card(5)", "", show=False, id="work.card_6", tooltip="Show the section with this number"),
    ]
    DEFAULT_CSS = """
    WorkPlatformPane { padding: 0 1; }
    WorkPlatformPane #work-cards { height: 4; margin-bottom: 1; }
    WorkPlatformPane #work-status { height: 1; color: $text-muted; }
    WorkPlatformPane WorkTable { height: 1fr; }
    WorkPlatformPane WorkTable.-empty { height: 1; }
    WorkPlatformPane #work-empty { display: none; width: 1fr; height: 1fr; content-align: center middle;
                                   text-align: center; color: $text-muted; }
    WorkPlatformPane #work-empty.-shown { display: block; }
    """

    class Handled(Message):
        def __init__(self, what: str, error: str | None = None, field: str | None = None, handling=None,
                     item=None) -> None:
            super().__init__()
            self.what, self.error, self.field, self.handling, self.item = what, error, field, handling, item

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drawn = False  # True once a reading is on screen
        self._generation = 0
        self._today = None  # services.work_platform.Today
        self._section = "all"
        self._items: list = []
        self._layout_key: tuple | None = None

    @property
    def current_section(self) -> str:
        return self._section

    @property
    def current_item(self):
        table = self.query_one(WorkTable)
        if not self._items or not 0 <= table.cursor_row < len(self._items):
            return None
        return self._items[table.cursor_row]

    def compose(self) -> ComposeResult:
        with Horizontal(id="work-cards"):
            for index in range(CARDS):
                yield SectionCard(index)
        yield Static("", id="work-status", markup=False)
        yield WorkTable(id="work-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="work-empty", markup=False)

    def on_shown(self) -> None:
        self.screen.set_focus(self.query_one(WorkTable))
        self.reload()

    def on_resize(self) -> None:
        if self._today is not None:
            self._fill(keep_row=self.query_one(WorkTable).cursor_row)

    # -- reading -------------------------------------------------------------------------------
    def reload(self) -> None:
        if getattr(self.app, "actor", None) is None:
            return
        self.drawn = False
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="work-platform", description="work platform")
    def _load(self, generation: int) -> None:
        from ocrm_tui.services import work_platform

        app = self.app
        with app.session() as s:  # type: ignore[attr-defined]
            today = work_platform.today(s, app.actor, now=app.clock())  # type: ignore[attr-defined]
        app.call_from_thread(self._loaded, today, generation)

    def _loaded(self, today, generation: int) -> None:
        if generation != self._generation:
            return
        first = self._today is None
        self._today = today
        if self._section != "all" and self._section not in today.sections:
            self._section = "all"
        self._show_cards()
        self._fill(keep_row=0 if first else self.query_one(WorkTable).cursor_row)
        self.screen.refresh_bindings()
        self.call_after_refresh(self._mark_drawn, generation)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    # -- sections ------------------------------------------------------------------------------
    @property
    def _sections(self) -> tuple[str, ...]:
        return ("all", *self._today.sections) if self._today is not None else ("all",)

    def show_section(self, section: str) -> None:
        if section == self._section or section not in self._sections:
            return
        self._section = section
        self._show_cards()
        self._fill(keep_row=0)
        self.screen.refresh_bindings()

    def step_section(self, step: int) -> None:
        sections = self._sections
        self.show_section(sections[(sections.index(self._section) + step) % len(sections)])

    def action_show_card(self, index: int) -> None:
        if 0 <= index < len(self._sections):
            self.show_section(self._sections[index])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_card":
            return bool(parameters) and isinstance(parameters[0], int) and parameters[0] < len(self._sections)
        if action == "pool":
            from ocrm_tui.services.pool import may_use_pool

            actor = getattr(self.app, "actor", None)
            return actor is not None and may_use_pool(actor)
        return True

    def _card_text(self, section: str) -> Text:
        from ocrm_tui.services.alerts import SEVERITIES, severity_label
        from ocrm_tui.services.work_platform import section_name

        today = self._today
        if section == "all":
            count = today.total("all")
            parts = [_("everything below")]
        else:
            count = today.counts.get(section, 0)
            parts_of = today.breakdown.get(section, {})
            if section == "tickets":
                parts = [_("{n} overdue", n=parts_of.get("overdue", 0)), _("{n} today", n=parts_of.get("due_today", 0))]
            elif section in ("alerts", "reminders"):
                parts = [f"{severity_label(s)} {parts_of.get(s, 0)}" for s in SEVERITIES
                         if parts_of.get(s, 0)] or [_("none open")]
            elif section == "campaigns":
                campaigns = parts_of.get("campaigns", 0)
                parts = [_("in 1 campaign") if campaigns == 1 else _("in {n} campaigns", n=campaigns)]
            elif section == "access":
                customers, exports = parts_of.get("customers", 0), parts_of.get("export", 0)
                parts = [*([_("{n} for customers", n=customers)] if customers else []),
                         *([_("{n} for exports", n=exports)] if exports else [])] or [_("none waiting")]
            else:
                parts = [_("open")]
        number = self._sections.index(section) + 1
        return Text.assemble((f"{number} ", "dim"), (section_name(section), "bold"), " ",
                             (f"{count:,}", "bold"), "\n", (" · ".join(parts), "dim"),
                             no_wrap=True, overflow="ellipsis")

    def _show_cards(self) -> None:
        today = self._today
        sections = self._sections
        for card in self.query(SectionCard):
            section = sections[card.index] if card.index < len(sections) else None
            card.section = section
            card.display = section is not None
            if section is None:
                continue
            card.update(self._card_text(section))
            card.set_class(section == self._section, "-active")
            urgent = (section == "tickets" and today.breakdown.get("tickets", {}).get("overdue", 0) > 0) or \
                     (section == "alerts" and today.breakdown.get("alerts", {}).get("high", 0) > 0)
            card.set_class(urgent, "-urgent")

    # -- the list ------------------------------------------------------------------------------
    def _column_widths(self) -> dict[str, int]:
        items = self._today.items if self._today is not None else []
        table = self.query_one(WorkTable)

        def widest(header: str, values) -> int:
            return min(24, max([cell_len(header), *(cell_len(v) for v in values)]))

        widths = {
            "mark": 2,
            "what": widest(_("What"), [i.what for i in items]),
            "customer": widest(_("Customer"), [i.customer for i in items] or ["欧阳娜娜"]),
            "detail": 0,
            "when": max([cell_len(_("Due")), 11, *(cell_len(when_text(i.when, self._today.now)) for i in items)]),
        }
        room = (table.outer_size.width or self.app.size.width - 4) - 2
        widths["detail"] = max(MIN_DETAIL_WIDTH, room - sum(widths.values()) - 2 * table.cell_padding * len(widths))
        return widths

    def _fill(self, *, keep_row: int = 0) -> None:
        from ocrm_tui.i18n import get_language

        table = self.query_one(WorkTable)
        widths = self._column_widths()
        key = (tuple(widths.items()), get_language())
        if key != self._layout_key:
            self._layout_key = key
            headers = {"mark": " ", "what": _("What"), "customer": _("Customer"), "detail": _("Details"),
                       "when": _("Due")}
            table.clear(columns=True)
            for column, width in widths.items():
                table.add_column(headers[column], key=column, width=width)
        table.clear()
        self._items = self._today.of(self._section) if self._today is not None else []
        colours = self._colours()
        now = self._today.now if self._today is not None else None
        for item in self._items:
            style = colours.get(item.severity, "")
            table.add_row(
                Text(MARKS.get(item.severity, " "), style=style),
                Text(item.what, style="bold" if item.severity == "high" else ""),
                item.customer or "—",
                Text(" ".join(item.detail.split()), no_wrap=True, overflow="ellipsis"),
                Text(when_text(item.when, now), style=style if item.severity == "high" else ""),
                key=item.key,
            )
        if self._items:
            table.move_cursor(row=min(max(keep_row, 0), len(self._items) - 1), animate=False)
        empty = not self._items
        table.set_class(empty, "-empty")
        note = self.query_one("#work-empty", Static)
        note.set_class(empty, "-shown")
        note.update(empty_message(self._section) if empty else "")
        self._update_status()

    def _colours(self) -> dict[str, str]:
        variables = self.app.get_css_variables()
        return {"high": f"bold {variables.get('text-error', 'red')}",
                "medium": f"bold {variables.get('text-warning', 'yellow')}", "low": "dim"}

    def _update_status(self) -> None:
        from ocrm_tui.services.work_platform import section_name

        status = self.query_one("#work-status", Static)
        if self._today is None:
            status.update("")
            return
        shown = len(self._items)
        total = self._today.total(self._section)
        name = section_name(self._section)
        if shown < total:
            text = _("{section}: {n} items, the {m} most urgent shown", section=name, n=f"{total:,}", m=f"{shown:,}")
        else:
            text = _("{section}: {n} items", section=name, n=f"{shown:,}")
        status.update(text + " — " + _("!! urgent  ! soon  · when you can"))

    # -- going to an item ----------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#work-table")
    def _highlighted(self, _event) -> None:
        self.screen.refresh_bindings()  # H shows on alerts and reminders only

    @on(DataTable.RowSelected, "#work-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_current()

    def open_current(self) -> None:
        item = self.current_item
        if item is None:
            return
        if item.opens is None:
            self.notify(_("This customer is back in the branch pool; press P to see the pool."), timeout=4)
            return
        kind, target = item.opens
        if kind == "ticket":
            from ocrm_tui.screens.ticket_view import TicketScreen

            self.app.push_screen(TicketScreen(target), callback=self._back)
        elif kind == "customer":
            from ocrm_tui.screens.customer_profile import ProfileScreen

            self.app.push_screen(ProfileScreen(target), callback=self._back)
        elif kind == "campaign":
            from ocrm_tui.screens.campaign_targets import TargetListScreen

            self.app.push_screen(TargetListScreen(target), callback=self._back)
        elif kind == "access":
            from ocrm_tui.commands import open_access_requests

            open_access_requests(self.app, select=target, callback=self._back)  # type: ignore[arg-type]

    def _back(self, _result=None) -> None:
        self.reload()

    def action_pool(self) -> None:
        from ocrm_tui.screens.customer_pool import PoolScreen

        self.app.push_screen(PoolScreen(self.app.actor), callback=self._back)  # type: ignore[attr-defined]

    # -- handling an alert -----------------------------------------------------------------------
    def handle_current(self, *, handling=None, error: str = "") -> None:
        item = self.current_item
        if item is None or item.alert_id is None:
            return
        self._ask(item, handling=handling, error=error)

    def _ask(self, item, *, handling=None, error: str = "") -> None:
        from ocrm_tui.screens.alert_dialog import HandleAlertDialog

        title = f"{item.what} · {item.customer}" if item.customer else item.what

        def chosen(result) -> None:
            if result is not None:
                self._handle(item, result)

        self.app.push_screen(HandleAlertDialog(title, item.detail, action=getattr(handling, "action", None),
                                               note=getattr(handling, "note", ""), error=error), callback=chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="work-handle", description="handle alert")
    def _handle(self, item, handling) -> None:
        from ocrm_tui.services import alerts
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                alerts.handle_alert(s, app.actor, item.alert_id, handling.action, handling.note or None,  # type: ignore[attr-defined]
                                    clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.Handled(item.what, exc.message, exc.field, handling, item))
            return
        self.post_message(self.Handled(item.what, handling=handling, item=item))

    def on_work_platform_pane_handled(self, message: Handled) -> None:
        from ocrm_tui.services.alerts import action_label

        if message.error is None:
            self.notify(_("{what}: {action}", what=message.what, action=action_label(message.handling.action)),
                        timeout=3)
        elif message.field == "note":
            self._ask(message.item, handling=message.handling, error=message.error)  # as typed, and why not
            return
        else:
            self.notify(message.error, severity="error", timeout=6)
        self.reload()
