"""F3: my tickets, the worker's queue of service tickets.

A row of views (new/unread, in progress, waiting for others, help requested, overdue,
closed today, and for those who take or supervise tickets the branch pool and the team),
each with its count; 1–8, ←/→ or Tab switch. The table shows one view 50 rows at a
time, overdue first, then by priority and due time; moving down near the end reads the
next page. Overdue and nearly due tickets stand out (‼ and ! in the error and warning
colours of the theme), unread ones carry ●.

Enter opens a ticket, N raises one, G takes the most urgent one from the pool. Space
selects a row, Ctrl+A the whole view (every page); R marks the selection read, A
reassigns it (managers), C closes it with one solution — each after a confirmation that
names the count, and with a per-ticket result when some could not be moved. With nothing
selected these keys act on the highlighted ticket.

Showing the pane reads the counts and the first page in one worker and fills the table
once (``drawn`` becomes True after that paint: the F3 benchmark waits for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll
from textual.widgets import DataTable, Static

from ocrm_tui.i18n import _
from ocrm_tui.widgets.list_table import ListTable
from ocrm_tui.widgets.pane import Pane

MAX_TABS = 8
# Views where the tickets are not all the user's own: who works each one is worth a column.
ASSIGNEE_VIEWS = frozenset({"waiting", "help", "team"})
# The view shown first: the first of these with a ticket in it (else New/unread).
FIRST_VIEWS = ("unread", "in_progress", "help", "team", "pool")
MIN_SUBJECT_WIDTH = 12
COMFORTABLE_SUBJECT_WIDTH = 20
UNREAD_MARK, OVERDUE_MARK, DUE_SOON_MARK, HELP_MARK, SELECTED_MARK = "●", "‼", "!", "⚑", "✓"


def ago(seconds: float) -> str:
    """How long ago, shortly: 45m, 5h, 3d."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return _("{n}m", n=minutes)
    if minutes < 48 * 60:
        return _("{n}h", n=minutes // 60)
    return _("{n}d", n=minutes // (24 * 60))


def due_text(due_at: datetime, now: datetime, sla: str) -> str:
    """Local time 'MM-DD HH:MM', and for an overdue ticket how long ago it was due ('−2h')."""
    text = due_at.astimezone().strftime("%m-%d %H:%M")
    if sla == "overdue":
        text += " −" + ago((now - due_at).total_seconds())
    return text


def empty_message(view: str) -> str:
    return {
        "unread": _("No new or unread tickets. Tickets given to you appear here until you open them."),
        "in_progress": _("Nothing in progress. Tickets you have started appear here."),
        "waiting": _("You are not waiting for anyone. Tickets where you asked a colleague for help wait here "
                     "until they answer."),
        "help": _("Nobody has asked for your help. Colleagues' requests appear here."),
        "overdue": _("No overdue tickets — well done."),
        "closed_today": _("Nothing closed today yet. Tickets you close appear here until midnight."),
        "pool": _("The pool is empty: every open ticket of your branch has someone working on it."),
        "team": _("Your branch has no open tickets."),
    }.get(view, _("No tickets"))


class ViewTab(Static):
    """One view of the tab row: its number, its name and how many tickets it holds."""

    DEFAULT_CSS = """
    ViewTab { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    ViewTab:hover { background: $boost; }
    ViewTab.-active { background: $primary; color: $text; text-style: bold; }
    ViewTab.-alert { color: $text-error; text-style: bold; }
    ViewTab.-active.-alert { color: $text; }
    """

    def __init__(self, index: int) -> None:
        super().__init__("", id=f"view-tab-{index}", markup=False)
        self.index = index
        self.view: str | None = None
        self.display = False

    def on_click(self) -> None:
        if self.view is not None:
            self.query_ancestor(MyTicketsPane).show_view(self.view)


class QueueTable(ListTable):
    """The tickets of one view. Space selects, Ctrl+A selects the whole view; R, A and C act
    on the selection (or the highlighted ticket); ←/→ and Tab change the view."""

    BINDINGS = [
        Binding("space", "toggle_row", "Select", id="tickets.toggle", tooltip="Select or deselect this ticket"),
        Binding("ctrl+a", "select_all", "Select all", id="tickets.select_all",
                tooltip="Select every ticket of this view, not only the ones shown"),
        Binding("r", "mark_read", "Mark read", id="tickets.mark_read",
                tooltip="Clear the unread marker of the selected tickets"),
        Binding("a", "reassign", "Reassign", id="tickets.reassign",
                tooltip="Give the selected tickets to another member of staff"),
        Binding("c", "close_tickets", "Close tickets", id="tickets.close",
                tooltip="Close the selected tickets with one solution"),
        Binding("escape", "clear_selection", "Clear selection", id="tickets.clear_selection", show=False,
                tooltip="Deselect every ticket"),
        # ← and → do the same (the table's own cursor keys, below): its columns always fit the width.
        Binding("tab", "next_view", "Next view", show=False, key_display="Tab / →",
                id="tickets.next_view", tooltip="Show the next view"),
        Binding("shift+tab", "previous_view", "Previous view", show=False, key_display="Shift+Tab / ←",
                id="tickets.previous_view", tooltip="Show the previous view"),
    ]

    @property
    def pane(self) -> "MyTicketsPane":
        return self.query_ancestor(MyTicketsPane)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_attached:
            return True
        return self.pane.allows(action)

    def action_toggle_row(self) -> None:
        self.pane.toggle_current_row()

    def action_select_all(self) -> None:
        self.pane.select_whole_view()

    def action_clear_selection(self) -> None:
        self.pane.clear_selection()

    def action_mark_read(self) -> None:
        self.pane.mark_read()

    def action_reassign(self) -> None:
        self.pane.reassign()

    def action_close_tickets(self) -> None:
        self.pane.close_tickets()

    def action_next_view(self) -> None:
        self.pane.step_view(+1)

    def action_previous_view(self) -> None:
        self.pane.step_view(-1)

    def action_cursor_right(self) -> None:
        self.pane.step_view(+1)

    def action_cursor_left(self) -> None:
        self.pane.step_view(-1)


@dataclass
class _Loaded:
    generation: int
    views: tuple[str, ...]
    counts: dict[str, int]
    page: object  # services.tickets.QueuePage
    can_assign: bool
    can_claim: bool


class MyTicketsPane(Pane):
    """My tickets (F3)."""

    TITLE = "My tickets"
    BINDINGS = [
        Binding("n,ctrl+n", "new_ticket", "New ticket", id="tickets.new", tooltip="Raise a ticket for a customer"),
        Binding("g", "take_next", "Take next", id="tickets.take_next",
                tooltip="Take the most urgent ticket from your branch's pool and open it"),
        # One line in the help for all eight: the others have no description of their own.
        Binding("1", "show_view_number(0)", "Show a view by its number", key_display="1–8", show=False,
                id="tickets.view_1", tooltip="Show the view with this number on its tab"),
        Binding("2", "show_view_number(1)", "", show=False, id="tickets.view_2",
                tooltip="Show the view with this number on its tab"),
        Binding("3", "show_view_number(2)", "", show=False, id="tickets.view_3",
                tooltip="Show the view with this number on its tab"),
        Binding("4", "show_view_number(3)", "", show=False, id="tickets.view_4",
                tooltip="Show the view with this number on its tab"),
        Binding("5", "show_view_number(4)", "", show=False, id="tickets.view_5",
                tooltip="Show the view with this number on its tab"),
        Binding("6", "show_view_number(5)", "", show=False, id="tickets.view_6",
                tooltip="Show the view with this number on its tab"),
        Binding("7", "show_view_number(6)", "", show=False, id="tickets.view_7",
                tooltip="Show the view with this number on its tab"),
        Binding("8", "show_view_number(7)", "", show=False, id="tickets.view_8",
                tooltip="Show the view with this number on its tab"),
    ]
    DEFAULT_CSS = """
    MyTicketsPane { padding: 0 1; }
    MyTicketsPane #view-tabs { height: 1; scrollbar-size-horizontal: 0; margin-bottom: 1; }
    MyTicketsPane #view-tabs.-tight ViewTab { padding: 0; border-left: solid $foreground 30%; }
    MyTicketsPane #view-tabs.-tight ViewTab#view-tab-0 { border-left: none; }
    MyTicketsPane #queue-status-row { height: 1; }
    MyTicketsPane #queue-status { width: 1fr; height: 1; color: $text-muted; }
    MyTicketsPane #queue-status.-selected { color: $text; text-style: bold; }
    MyTicketsPane #queue-legend { width: auto; height: 1; color: $text-muted; }
    MyTicketsPane QueueTable { height: 1fr; }
    MyTicketsPane QueueTable.-empty { height: 1; }  /* the header only: the note below says why */
    MyTicketsPane #queue-empty { display: none; width: 1fr; content-align: center middle; text-align: center;
                                 height: 1fr; color: $text-muted; }
    MyTicketsPane #queue-empty.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drawn = False  # True once the first page of the current view is on screen
        self._generation = 0
        self._views: tuple[str, ...] = ()
        self._counts: dict[str, int] = {}
        self._view: str | None = None
        self._page = None  # the last QueuePage read
        self._rows: list = []  # QueueRow, in table order
        self._row_ids: set[int] = set()
        self._selected: set[int] = set()
        self._loading_more = False
        self._can_assign = False
        self._can_claim = False
        self._columns: list[str] = []
        self._when_loaded = None  # what to do once the next reading is shown (a batch's result)
        self._keys_state: tuple | None = None

    @property
    def current_view(self) -> str | None:
        """The view shown (None until the first reading)."""
        return self._view

    @property
    def selected_ids(self) -> frozenset[int]:
        return frozenset(self._selected)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with HorizontalScroll(id="view-tabs"):
            for index in range(MAX_TABS):
                yield ViewTab(index)
        with Horizontal(id="queue-status-row"):
            yield Static("", id="queue-status", markup=False)
            yield Static("", id="queue-legend", markup=False)
        yield QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-empty", markup=False)

    def on_mount(self) -> None:
        self.query_one("#queue-legend", Static).update(self._legend())
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme) -> None:
        # The marks are drawn in the theme's colours: draw them again in the new ones.
        self.query_one("#queue-legend", Static).update(self._legend())
        if self._rows:
            self._fill(list(self._rows), keep_row=self.query_one(QueueTable).cursor_row)

    def on_shown(self) -> None:
        # Focus now, not after the next refresh (Widget.focus): the footer is rebuilt once,
        # for this pane's keys, instead of once without a focus and again with it.
        self.screen.set_focus(self.query_one(QueueTable))
        self.reload()

    def on_resize(self) -> None:
        if self._view is not None:
            self._fit_tabs()
            if self.query_one(QueueTable).stale_for(self._column_widths(self._view)):
                self._fill(self._rows, keep_row=self.query_one(QueueTable).cursor_row)

    # -- reading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the counts and the first page of the current view again (the view's first
        page, the cursor kept where it was). ``drawn`` is True again once it is shown."""
        if getattr(self.app, "actor", None) is None:
            return
        self.drawn = False
        self._generation += 1
        self._load(self._view, self._generation)

    def show_view(self, view: str) -> None:
        if view == self._view or view not in self._views:
            return
        self._view = view
        self._selected.clear()
        self._page = None
        self.query_one(QueueTable).move_cursor(row=0)
        self._show_tabs()
        self.reload()

    def step_view(self, step: int) -> None:
        if self._view in self._views and len(self._views) > 1:
            index = (self._views.index(self._view) + step) % len(self._views)
            self.show_view(self._views[index])

    def action_show_view_number(self, index: int) -> None:
        if 0 <= index < len(self._views):
            self.show_view(self._views[index])

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets-queue", description="ticket queue")
    def _load(self, view: str | None, generation: int) -> None:
        from ocrm_tui.services import tickets

        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        now = app.clock()  # type: ignore[attr-defined]
        with app.session() as s:  # type: ignore[attr-defined]
            views = tickets.views_for(actor)
            counts = tickets.queue_counts(s, actor, now=now)
            if view not in views:  # the first time: what is new, else what is in hand, else what waits
                view = next((v for v in FIRST_VIEWS if counts.get(v)), "unread")
            page = tickets.queue_page(s, actor, view, now=now)
        loaded = _Loaded(generation, views, counts, page, can_assign=actor.role in tickets.SUPERVISORS,
                         can_claim=actor.role in tickets.HANDLERS)
        app.call_from_thread(self._loaded, loaded)

    def _loaded(self, loaded: _Loaded) -> None:
        if loaded.generation != self._generation:
            return  # a newer reading is on its way
        page = loaded.page
        if page.view != self._view:
            self._selected.clear()
        self._views, self._counts, self._view = loaded.views, loaded.counts, page.view
        self._can_assign, self._can_claim = loaded.can_assign, loaded.can_claim
        self._page = page
        self._loading_more = False
        self._show_tabs()
        self._fill(list(page.rows), keep_row=self.query_one(QueueTable).cursor_row)
        self._refresh_keys()
        generation = loaded.generation
        self.call_after_refresh(self._mark_drawn, generation)
        if self._when_loaded is not None:
            then, self._when_loaded = self._when_loaded, None
            self.call_after_refresh(then)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets-more",
          description="ticket queue next page")
    def _more(self, view: str, after: tuple, generation: int) -> None:
        from ocrm_tui.services import tickets

        app = self.app
        with app.session() as s:  # type: ignore[attr-defined]
            page = tickets.queue_page(s, app.actor, view, after=after, now=app.clock())  # type: ignore[attr-defined]
        app.call_from_thread(self._more_loaded, page, generation)

    def _more_loaded(self, page, generation: int) -> None:
        if generation != self._generation or page.view != self._view:
            return
        self._page = page
        self._loading_more = False
        rows = [row for row in page.rows if row.id not in self._row_ids]
        self._add_rows(rows)
        self._update_status()

    @on(DataTable.RowHighlighted, "#queue-table")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        page = self._page
        if page is None or page.next is None or self._loading_more:
            return
        if event.cursor_row >= len(self._rows) - 5:
            self._loading_more = True
            self._more(page.view, page.next, self._generation)

    # -- showing -------------------------------------------------------------------------------
    def _show_tabs(self) -> None:
        for tab in self.query(ViewTab):
            view = self._views[tab.index] if tab.index < len(self._views) else None
            tab.view = view
            tab.display = view is not None
            tab.set_class(view is not None and view == self._view, "-active")
            tab.set_class(view == "overdue" and self._counts.get(view, 0) > 0, "-alert")
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        """As much of each tab as the row has room for: the numbers go first, then the padding;
        the active tab always stays in view."""
        from ocrm_tui.services.tickets import view_name

        bar = self.query_one("#view-tabs", HorizontalScroll)
        shown = [tab for tab in self.query(ViewTab) if tab.view is not None]
        labels = {tab.view: f"{view_name(tab.view)} {self._counts.get(tab.view, 0):,}" for tab in shown}
        room = bar.size.width or 10_000
        names = sum(cell_len(text) for text in labels.values())
        with_numbers = names + 4 * len(shown) <= room  # "1 " and the padding
        tight = not with_numbers and names + 2 * len(shown) > room
        bar.set_class(tight, "-tight")
        for tab in shown:
            name, count = labels[tab.view].rsplit(" ", 1)
            number = (f"{tab.index + 1} ", "dim") if with_numbers else ""
            tab.update(Text.assemble(number, name, " ", (count, "bold")))
            if tab.view == self._view:
                self.call_after_refresh(bar.scroll_to_widget, tab, animate=False)

    def _column_widths(self, view: str) -> dict[str, int]:
        """Each column's width, in table order: the fixed ones as wide as their widest value in
        this language, the subject whatever is left. When that leaves the subject too little
        room (a narrow terminal, the team's assignee column), the type column gives way."""
        from ocrm_tui.services.tickets import PRIORITIES, TYPES, priority_name, status_name, type_name

        def widest(header: str, values) -> int:
            return max([cell_len(header), *(cell_len(v) for v in values)])

        widths = {
            "sel": 1,
            "marks": 3,
            "no": 8,
            "priority": widest(_("Priority"), [priority_name(p) for p in PRIORITIES]),
            "type": widest(_("Type"), [type_name(t) for t in TYPES]),
            "subject": 0,
            "customer": widest(_("Customer"), ["欧阳娜娜"]),
            "status": widest(_("Status"), [status_name(s) for s in ("new", "in_progress", "responded", "closed")]),
            "due": widest(_("Due"), ["01-05 09:00 −" + ago(47 * 3600)]),
        }
        if view in ASSIGNEE_VIEWS:
            widths["assignee"] = widest(_("Assignee"), ["欧阳客户经理"[:5]])
        table = self.query_one(QueueTable)
        # The table's whole width, scrollbar or not (its content width shrinks by 2 when one appears),
        # less the room of a scrollbar: the columns are the same before and after one shows.
        room = (table.outer_size.width or self.app.size.width - 6) - 2

        def left() -> int:
            return room - sum(widths.values()) - 2 * table.cell_padding * len(widths)

        if left() < COMFORTABLE_SUBJECT_WIDTH:
            del widths["type"]
        widths["subject"] = max(MIN_SUBJECT_WIDTH, left())
        return widths

    def _columns_for(self, view: str) -> None:
        """(Re)build the columns when the view, the width or the language asks for others."""
        widths = self._column_widths(view)
        headers = {"sel": " ", "marks": " ", "no": _("Ticket"), "priority": _("Priority"), "type": _("Type"),
                   "subject": _("Subject"), "customer": _("Customer"), "status": _("Status"), "due": _("Due"),
                   "assignee": _("Assignee")}
        if self.query_one(QueueTable).lay_out(widths, headers):
            self._columns = list(widths)

    def _fill(self, rows: list, *, keep_row: int = 0) -> None:
        """The table shows ``rows`` (one clear, one batch of rows) with the cursor near where it was."""
        table = self.query_one(QueueTable)
        self._columns_for(self._view or "unread")
        table.clear()
        self._rows = []
        self._row_ids = set()
        self._add_rows(rows)
        if self._rows:
            table.move_cursor(row=min(max(keep_row, 0), len(self._rows) - 1), animate=False)
        empty = not self._rows
        table.set_class(empty, "-empty")
        note = self.query_one("#queue-empty", Static)
        note.set_class(empty, "-shown")
        note.update(empty_message(self._view or "") if empty else "")
        self._update_status()

    def _add_rows(self, rows: list) -> None:
        table = self.query_one(QueueTable)
        colours = self._colours()
        for row in rows:
            self._rows.append(row)
            self._row_ids.add(row.id)
            cells = self._cells(row, colours)
            table.add_row(*(cells[column] for column in self._columns), key=str(row.id))

    def _colours(self) -> dict[str, str]:
        # The theme's text colours for errors and warnings read well on its own background.
        variables = self.app.get_css_variables()
        return {"overdue": f"bold {variables.get('text-error', 'red')}",
                "due_soon": f"bold {variables.get('text-warning', 'yellow')}",
                "unread": f"bold {variables.get('text-primary', 'blue')}",
                "help": ""}

    def _cells(self, row, colours: dict[str, str]) -> dict[str, object]:
        from ocrm_tui.services.tickets import CLOSED, priority_name, status_name, type_name

        now = self._page.now if self._page is not None else row.due_at
        sla_style = colours.get(row.sla, "")
        marks = Text.assemble(
            (UNREAD_MARK, colours["unread"]) if row.unread else " ",
            {"overdue": (OVERDUE_MARK, sla_style), "due_soon": (DUE_SOON_MARK, sla_style)}.get(row.sla, " "),
            (HELP_MARK, colours["help"]) if row.help_open else " ",
        )
        return {
            "sel": self._selection_mark(row.id),
            "marks": marks,
            "no": row.number,
            "priority": Text(priority_name(row.priority), style="bold" if row.priority == "high" else ""),
            "type": type_name(row.type),
            "subject": Text(" ".join(row.subject.split()), style="bold" if row.unread else "", no_wrap=True,
                            overflow="ellipsis"),
            "customer": row.customer_name,
            "status": Text(status_name(row.status), style="dim" if row.status == CLOSED else ""),
            "due": Text(due_text(row.due_at, now, row.sla), style=sla_style),
            "assignee": row.assignee or "—",
        }

    def _selection_mark(self, ticket_id: int) -> str:
        return SELECTED_MARK if ticket_id in self._selected else " "

    def _legend(self) -> Text:
        colours = self._colours()
        return Text.assemble(
            (UNREAD_MARK, colours["unread"]), " ", _("unread"), "  ",
            (OVERDUE_MARK, colours["overdue"]), " ", _("overdue"), "  ",
            (DUE_SOON_MARK, colours["due_soon"]), " ", _("due soon"), "  ",
            (HELP_MARK, colours["help"]), " ", _("help asked"),
        )

    def _update_status(self) -> None:
        from ocrm_tui.services.tickets import view_name

        status = self.query_one("#queue-status", Static)
        view = self._view
        if view is None:
            status.update("")
            return
        total = self._counts.get(view, len(self._rows))
        if not self._rows:
            text = _("{view}: no tickets", view=view_name(view))
        elif total == 1:
            text = _("{view}: 1 ticket", view=view_name(view))
        elif self._page is not None and self._page.next is not None:
            text = _("{view}: {n} tickets, {m} shown (more below)", view=view_name(view), n=f"{total:,}",
                     m=f"{len(self._rows):,}")
        else:
            text = _("{view}: {n} tickets", view=view_name(view), n=f"{total:,}")
        if self._selected:  # what the selection is, and the keys that act on it (the tabs say the rest)
            keys = " · ".join(f"{key} {what}" for key, what in self._batch_keys())
            text = _("{n} selected", n=f"{len(self._selected):,}") + (f" — {keys}" if keys else "")
        status.set_class(bool(self._selected), "-selected")
        self.query_one("#queue-legend", Static).display = not self._selected
        status.update(text)

    def _batch_keys(self) -> list[tuple[str, str]]:
        """The keys that act on the selection, as they are bound now (a keymap may have moved them)."""
        wanted = ["tickets.mark_read", "tickets.reassign", "tickets.close", "tickets.clear_selection"]
        found: dict[str, tuple[str, str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id in wanted and binding.id not in found and active.enabled:
                found[binding.id] = (self.app.get_key_display(binding), _(binding.description))
        return [found[i] for i in wanted if i in found]

    # -- keys ----------------------------------------------------------------------------------
    def allows(self, action: str) -> bool | None:
        """Which keys show: the role's (the service decides what it may do), and Escape only
        when something is selected."""
        if action == "reassign":
            return self._can_assign
        if action == "clear_selection":
            return bool(self._selected)
        if action in ("next_view", "previous_view"):
            return len(self._views) > 1
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_next":
            return self._can_claim
        if action == "show_view_number":
            return bool(parameters) and isinstance(parameters[0], int) and parameters[0] < len(self._views)
        return True

    # -- opening -------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#queue-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_ticket(int(event.row_key.value))

    def open_ticket(self, ticket_id: int) -> None:
        from ocrm_tui.screens.ticket_view import TicketScreen

        self.app.push_screen(TicketScreen(ticket_id), callback=self._back_from_ticket)

    def _back_from_ticket(self, _result=None) -> None:
        self.reload()  # the ticket may have moved on, or out of this view

    def action_new_ticket(self) -> None:
        from ocrm_tui.screens.ticket_form import TicketFormScreen

        self.app.push_screen(TicketFormScreen(), callback=self._created)

    def _created(self, _ticket_id) -> None:
        self.reload()  # the form has said which ticket it raised and to whom it went

    def action_take_next(self) -> None:
        self._take_next()

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets-claim", description="take next ticket")
    def _take_next(self) -> None:
        from ocrm_tui.services import tickets
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                ticket_id = tickets.claim_next(s, app.actor, clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            app.call_from_thread(app.notify, exc.message, severity="error")
            return
        app.call_from_thread(self._taken, ticket_id, tickets.ticket_number(ticket_id) if ticket_id else "")

    def _taken(self, ticket_id: int | None, number: str) -> None:
        if ticket_id is None:
            self.app.notify(_("The pool is empty: no ticket to take"))
            self.reload()
            return
        self.app.notify(_("You took ticket {no}", no=number))
        self.reload()
        self.open_ticket(ticket_id)

    # -- selection -----------------------------------------------------------------------------
    def _current_id(self) -> int | None:
        table = self.query_one(QueueTable)
        if not self._rows or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row].id

    def toggle_current_row(self) -> None:
        ticket_id = self._current_id()
        if ticket_id is None:
            return
        table = self.query_one(QueueTable)
        self._selected.symmetric_difference_update({ticket_id})
        table.update_cell(str(ticket_id), "sel", self._selection_mark(ticket_id))
        if table.cursor_row < len(self._rows) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._selection_changed()

    def clear_selection(self) -> None:
        self._selected.clear()
        self._mark_selection()

    def _mark_selection(self) -> None:
        table = self.query_one(QueueTable)
        for row in self._rows:
            table.update_cell(str(row.id), "sel", self._selection_mark(row.id))
        self._selection_changed()

    def _selection_changed(self) -> None:
        self._refresh_keys()
        self._update_status()

    def _refresh_keys(self) -> None:
        """Let the footer and the help ask check_action again, only when its answers change
        (the footer is built anew each time: not on every reading)."""
        state = (self._can_assign, self._can_claim, len(self._views), bool(self._selected))
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    def select_whole_view(self) -> None:
        if self._view is None or not self._rows:
            return
        self._select_all(self._view, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets-select", description="select whole view")
    def _select_all(self, view: str, generation: int) -> None:
        from ocrm_tui.services import tickets

        app = self.app
        with app.session() as s:  # type: ignore[attr-defined]
            ids = tickets.queue_ids(s, app.actor, view, now=app.clock())  # type: ignore[attr-defined]
        app.call_from_thread(self._selected_all, view, generation, ids, tickets.MAX_SELECTION)

    def _selected_all(self, view: str, generation: int, ids: list[int], maximum: int) -> None:
        if view != self._view or generation != self._generation:
            return
        if len(ids) > maximum:
            self.app.notify(_("This view holds more than {n} tickets: act on fewer at a time", n=f"{maximum:,}"),
                            severity="warning")
            return
        self._selected = set(ids)
        self._mark_selection()

    def _targets(self) -> list[int]:
        """The selection, or the highlighted ticket when nothing is selected."""
        if self._selected:
            return sorted(self._selected)
        current = self._current_id()
        return [current] if current is not None else []

    def _target_phrase(self, ids: list[int]) -> str:
        from ocrm_tui.screens.ticket_batch import tickets_phrase
        from ocrm_tui.services.tickets import ticket_number

        return tickets_phrase([ticket_number(i) for i in ids])

    # -- batch actions -------------------------------------------------------------------------
    def mark_read(self) -> None:
        ids = self._targets()
        if not ids:
            return
        self._batch("read", ids, None, "")

    def reassign(self) -> None:
        from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog

        ids = self._targets()
        if not ids:
            return
        what = self._target_phrase(ids)

        def picked(choice) -> None:
            if choice is None:
                return
            self._confirm(
                ids, "assign", choice.id, choice.name,
                title=_("Reassign {what}", what=what),
                question=_("Assign {what} to {name}?", what=what, name=choice.name),
                detail=f"{choice.name} ({choice.employee_no}) · {choice.org_name}",
                yes=_("Yes, assign them") if len(ids) > 1 else _("Yes, assign it"),
            )

        self.app.push_screen(StaffPickerDialog(_("Reassign {what} to…", what=what), for_assignment=True),
                             callback=picked)

    def close_tickets(self, solution: str = "") -> None:
        from ocrm_tui.screens.ticket_dialogs import TextDialog
        from ocrm_tui.services.tickets import TEXT_MAX

        ids = self._targets()
        if not ids:
            return
        what = self._target_phrase(ids)

        def written(text: str | None) -> None:
            if not text:
                return
            self._confirm(
                ids, "close", text, "",
                title=_("Close {what}", what=what),
                question=_("Close {what} with this solution?", what=what),
                detail=text,
                yes=_("Yes, close them") if len(ids) > 1 else _("Yes, close it"),
                back=lambda: self.close_tickets(text),
            )

        self.app.push_screen(
            TextDialog(_("Close {what}", what=what),
                       _("One solution for all of them: it is recorded on each ticket.") if len(ids) > 1
                       else _("The solution: it is recorded on the ticket."),
                       max_length=TEXT_MAX, initial=solution, save_label=_("Next")),
            callback=written)

    def _confirm(self, ids: list[int], kind: str, argument, name: str, *, title: str, question: str, detail: str,
                 yes: str, back=None) -> None:
        from ocrm_tui.screens.ticket_batch import BatchConfirmDialog

        def answered(go: bool | None) -> None:
            if go:
                self._batch(kind, ids, argument, name)
            elif back is not None:
                back()  # No goes back to what was written, not away from it

        self.app.push_screen(BatchConfirmDialog(title, question, detail=detail, yes=yes, no=_("Back")),
                             callback=answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tickets-batch", description="ticket batch action")
    def _batch(self, kind: str, ids: list[int], argument, name: str) -> None:
        from ocrm_tui.services import tickets
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor, clock = app.actor, app.clock  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if kind == "read":
                    outcome = tickets.mark_read(s, actor, ids, clock=clock)
                elif kind == "close":
                    outcome = tickets.batch_close(s, actor, ids, argument, clock=clock)
                else:
                    outcome = tickets.batch_assign(s, actor, ids, argument, clock=clock)
        except OcrmError as exc:
            app.call_from_thread(self._batch_refused, exc.message)
            return
        app.call_from_thread(self._batch_done, kind, outcome, name)

    def _batch_refused(self, message: str) -> None:
        self.app.notify(message, severity="error")
        self.reload()

    def _batch_done(self, kind: str, outcome, name: str) -> None:
        from ocrm_tui.screens.ticket_batch import BatchResultDialog

        self._selected.clear()
        self._selection_changed()
        if kind == "read":
            if outcome:
                self.app.notify(_("{n} tickets marked as read", n=f"{outcome:,}") if outcome > 1
                                else _("1 ticket marked as read"))
            else:
                self.app.notify(_("Nothing to mark: none of them was unread and yours"))
            self.reload()
            return
        done = [r for r in outcome if r.ok]
        failed = [r for r in outcome if not r.ok]
        what = self._target_phrase([r.ticket_id for r in done]) if done else ""
        if len(outcome) == 1 and failed:  # one ticket: the notice says why, no list needed
            one = failed[0]
            message = (_("{no} could not be closed: {reason}", no=one.number, reason=one.reason) if kind == "close"
                       else _("{no} could not be assigned: {reason}", no=one.number, reason=one.reason))
            self.app.notify(message, severity="warning")
            self.reload()
            return
        if kind == "close":
            summary = (_("Closed {what}", what=what) if not failed else
                       _("Closed {ok} of {n} tickets; {failed} could not be closed", ok=f"{len(done):,}",
                         n=f"{len(outcome):,}", failed=f"{len(failed):,}"))
            title = _("Some tickets could not be closed")
        else:
            summary = (_("Assigned {what} to {name}", what=what, name=name) if not failed else
                       _("Assigned {ok} of {n} tickets to {name}; {failed} could not be assigned",
                         ok=f"{len(done):,}", n=f"{len(outcome):,}", name=name, failed=f"{len(failed):,}"))
            title = _("Some tickets could not be assigned")
        self.app.notify(summary, severity="warning" if failed else "information")
        if failed:  # over the queue as it is now, read again first
            dialog = BatchResultDialog(title, summary, [(r.number, r.reason) for r in failed])
            self._when_loaded = lambda: self.app.push_screen(dialog)
        self.reload()
