"""The customer pool (公海) and the books of relationship managers (私海).

Two views of one list: the pool of the user's branch (customers without an RM, the most
valuable first), and a book — an RM's own ("My book", B), or for a manager the book of
an RM they pick (B again picks another); P goes back to the pool. The list is read 50
rows at a time, the next page when the cursor nears the end; the filter above it (/)
narrows it by name, pinyin or customer number.

Space selects a row, Ctrl+A every customer of the view (not only the rows shown); the keys
then act on the selection, otherwise on the highlighted customer: C claims into the RM's
book (after a confirmation naming how many), R releases to the pool (asks the reason), M
moves to an RM the manager picks. The footer offers only what the user may do in the view
(the service says which: ``pool.actions_for``). A batch ends with how many were changed and,
when some were refused, a list of them and why. Enter opens the customer's profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.screens.customer_profile import local_time
from ocrm_tui.screens.panes.customers import TIER_STYLE, tier_name
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.list_table import ListTable

POOL, BOOK = "pool", "book"
SELECTED_MARK = "✓"
MIN_NAME_WIDTH = 10
PAGE_SIZE = 50
MAX_RELOAD_ROWS = 500  # after a change the rows shown are read again, up to this many
FILTER_DELAY = 0.3  # seconds after the last key before the list is read again
REASON_MAX = 200


def action_name(action: str) -> str:
    return {"claim": _("Claim"), "release": _("Release"), "move": _("Move")}.get(action, action)


class PoolTable(ListTable):
    """The customers of the view. C, R and M act on the selection, or on the highlighted row."""

    BINDINGS = [
        Binding("c", "act('claim')", "Claim", id="pool.claim",
                tooltip="Claim the selected customers (or this one) into your book"),
        Binding("r", "act('release')", "Release", id="pool.release",
                tooltip="Release the selected customers (or this one) to the pool, with a reason"),
        Binding("m", "act('move')", "Move", id="pool.move",
                tooltip="Move the selected customers (or this one) to a relationship manager"),
        Binding("space", "toggle_row", "Select", id="pool.toggle", tooltip="Select or deselect this customer"),
        Binding("ctrl+a", "select_all", "Select all", id="pool.select_all",
                tooltip="Select every customer of this list, not only the ones shown"),
        Binding("escape", "clear_selection", "Clear selection", id="pool.clear_selection", show=False,
                tooltip="Deselect every customer"),
    ]

    @property
    def pool_screen(self) -> "PoolScreen":
        return self.screen  # type: ignore[return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_attached or not isinstance(self.screen, PoolScreen):
            return True
        return self.pool_screen.allows(action, parameters)

    def action_act(self, action: str) -> None:
        self.pool_screen.act(action)

    def action_toggle_row(self) -> None:
        self.pool_screen.toggle_current_row()

    def action_select_all(self) -> None:
        self.pool_screen.select_whole_view()

    def action_clear_selection(self) -> None:
        self.pool_screen.deselect_all()


@dataclass(frozen=True)
class Book:
    """Whose book is shown."""

    rm_id: int
    employee_no: str
    name: str


@dataclass(frozen=True)
class Step:
    """A claim, release or move as the user gave it: for the highlighted customer or a selection."""

    action: str
    ids: tuple[int, ...]
    batch: bool
    label: str = ""  # the customer, for one
    reason: str | None = None  # a release
    to: Any = None  # a move: the services.pool.RmChoice picked


class PoolScreen(OcrmScreen):
    """The customer pool of the user's branch, and the books of its relationship managers."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="pool.back", tooltip="Back to where you came from"),
        Binding("p", "show_pool", "Pool", id="pool.show_pool", tooltip="Show the customer pool of your branch"),
        Binding("b", "my_book", "My book", id="pool.my_book", tooltip="Show your own customers (to release some)"),
        Binding("b", "book_of", "Book of…", id="pool.book_of",
                tooltip="Pick a relationship manager and show their customers"),
        Binding("slash", "filter", "Filter list", id="pool.filter", key_display="/", show=False,
                tooltip="Narrow the list by name, pinyin or customer number"),
    ]

    DEFAULT_CSS = """
    PoolScreen { background: $background; }
    PoolScreen #pool-title { height: 1; padding: 0 1; background: $panel; }
    PoolScreen #pool-title Label { height: 1; }
    PoolScreen #pool-view { text-style: bold; color: $text; }
    PoolScreen #pool-policy { width: 1fr; margin-left: 2; color: $text-muted; }
    PoolScreen #pool-body { height: 1fr; padding: 0 1; }
    PoolScreen #pool-filter { margin: 1 0 0 0; width: 60; max-width: 100%; }
    PoolScreen #pool-line-row { height: 1; }
    PoolScreen #pool-line { width: 1fr; height: 1; color: $text-muted; }
    PoolScreen #pool-line.-selected { color: $text; text-style: bold; }
    PoolScreen #pool-hint { width: auto; height: 1; color: $text-muted; }
    PoolScreen PoolTable { height: 1fr; }
    PoolScreen PoolTable.-empty { height: 1; }
    PoolScreen #pool-empty { display: none; width: 1fr; height: 1fr; content-align: center middle;
                             text-align: center; color: $text-muted; }
    PoolScreen #pool-empty.-shown { display: block; }
    PoolScreen #pool-error { display: none; color: $text-error; text-style: bold; padding: 1 2; }
    PoolScreen #pool-error.-shown { display: block; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        page: Any  # services.pool.PoolPage
        policy: Any  # services.pool.PoolPolicy
        actions: frozenset

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class MoreLoaded(Message):
        generation: int
        page: Any

    @dataclass
    class AllIds(Message):
        generation: int
        ids: list[int]
        maximum: int

    @dataclass
    class Done(Message):
        step: Step
        result: Any  # services.pool.BatchResult

    @dataclass
    class Refused(Message):
        step: Step
        message: str
        field: str | None

    def __init__(self, actor) -> None:
        super().__init__()
        self.actor = actor
        self.view = POOL
        self.book: Book | None = None
        self.text = ""
        self.drawn = False  # True once the list read last is on screen
        self.busy = False  # a change is being made
        self.changed = False
        self.policy = None
        self._actions: frozenset[str] = frozenset()
        self._generation = 0
        self._total = 0
        self._rows: list = []
        self._row_ids: set[int] = set()
        self._selected: set[int] = set()
        self._loading_more = False
        self._columns: list[str] = []
        self._keys_state: tuple | None = None
        self._filter_timer = None

    @property
    def rows(self) -> list:
        """The PoolRows shown, in table order."""
        return list(self._rows)

    @property
    def selected_ids(self) -> frozenset[int]:
        return frozenset(self._selected)

    @property
    def _is_rm(self) -> bool:
        return self.actor.role == "rm"

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        a = self.actor
        yield AppHeader(user_name=a.name, employee_no=a.employee_no, role=a.role, org_name=a.org_name)
        with Horizontal(id="pool-title"):
            yield Label("", id="pool-view", markup=False)
            yield Label("", id="pool-policy", markup=False)
        with Vertical(id="pool-body"):
            yield Input(id="pool-filter", max_length=50,
                        placeholder=_("Filter: name, pinyin or customer number (/)"))
            with Horizontal(id="pool-line-row"):
                yield Static(_("Loading the customers…"), id="pool-line", markup=False)
                yield Static("", id="pool-hint", markup=False)
            yield PoolTable(id="pool-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="pool-empty", markup=False)
            yield Static("", id="pool-error", markup=False)
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Customer pool")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self.set_focus(self.query_one(PoolTable))
        self._show_title()
        self.reload()

    def on_resize(self) -> None:
        if self.query_one(PoolTable).stale_for(self._column_widths(self._rows)):
            self._fill(list(self._rows), keep_row=self.query_one(PoolTable).cursor_row)

    # -- reading -------------------------------------------------------------------------------
    def reload(self, *, rows: int | None = None) -> None:
        """Read the view again (as many rows as are shown, or a page); the cursor stays where it was."""
        self.drawn = False
        self._generation += 1
        limit = min(MAX_RELOAD_ROWS, max(PAGE_SIZE, rows or 0))
        self._load(self._generation, self.view, self.book, self.text, limit)

    def _read(self, s, view: str, book: Book | None, text: str, *, offset: int, limit: int):
        from ocrm_tui.services import pool

        now = self.app.clock()  # type: ignore[attr-defined]
        if view == BOOK and book is not None:
            return pool.book_customers(s, self.actor, book.rm_id, text=text, offset=offset, limit=limit, now=now)
        return pool.pool_customers(s, self.actor, text=text, offset=offset, limit=limit, now=now)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pool", description="customer pool")
    def _load(self, generation: int, view: str, book: Book | None, text: str, limit: int) -> None:
        from ocrm_tui.services import pool
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session() as s:  # type: ignore[attr-defined]
                page = self._read(s, view, book, text, offset=0, limit=limit)
                policy = pool.policy(s, self.actor)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, page, policy, pool.actions_for(self.actor, view)))

    def on_pool_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # a newer reading is on its way
        self.policy, self._actions = message.policy, message.actions
        self._total = message.page.total
        self._loading_more = False
        self.query_one("#pool-error", Static).remove_class("-shown")
        self._show_title()
        self._fill(list(message.page.rows), keep_row=self.query_one(PoolTable).cursor_row)
        self._refresh_keys()
        self.call_after_refresh(self._mark_drawn, message.generation)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    def on_pool_screen_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        self._rows, self._row_ids, self._total = [], set(), 0
        table = self.query_one(PoolTable)
        table.clear()
        table.add_class("-empty")
        self.query_one("#pool-empty", Static).remove_class("-shown")
        error = self.query_one("#pool-error", Static)
        error.update(message.message)
        error.add_class("-shown")
        self.query_one("#pool-line", Static).update("")
        self._refresh_keys()
        self.drawn = True

    @on(DataTable.RowHighlighted, "#pool-table")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        if not self._rows or self._loading_more or self._total <= len(self._rows):
            return
        if event.cursor_row >= len(self._rows) - 5:
            self._loading_more = True
            self._more(self._generation, self.view, self.book, self.text, len(self._rows))

    @work(thread=True, exclusive=True, exit_on_error=False, group="pool-more", description="customer pool next page")
    def _more(self, generation: int, view: str, book: Book | None, text: str, offset: int) -> None:
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session() as s:  # type: ignore[attr-defined]
                page = self._read(s, view, book, text, offset=offset, limit=PAGE_SIZE)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.MoreLoaded(generation, page))

    def on_pool_screen_more_loaded(self, message: MoreLoaded) -> None:
        if message.generation != self._generation:
            return
        self._loading_more = False
        self._total = message.page.total
        self._add_rows([row for row in message.page.rows if row.id not in self._row_ids])
        self._update_line()

    # -- views ---------------------------------------------------------------------------------
    def _switch(self, view: str, book: Book | None) -> None:
        self.view, self.book = view, book
        self._selected.clear()
        self.query_one(PoolTable).forget_layout()  # the last column changes with the view
        self.query_one(PoolTable).move_cursor(row=0)
        self._show_title()
        self.reload()

    def action_show_pool(self) -> None:
        if self.view != POOL:
            self._switch(POOL, None)

    def action_my_book(self) -> None:
        self._switch(BOOK, Book(self.actor.id, self.actor.employee_no, self.actor.name))

    def action_book_of(self) -> None:
        from ocrm_tui.screens.pool_dialogs import RmPickerDialog

        def picked(choice) -> None:
            if choice is not None:
                self._switch(BOOK, Book(choice.id, choice.employee_no, choice.name))

        self.app.push_screen(RmPickerDialog(_("Whose book? Pick a relationship manager")), callback=picked)

    def action_filter(self) -> None:
        self.query_one("#pool-filter", Input).focus()

    @on(Input.Changed, "#pool-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, lambda: self._apply_filter(event.value))

    def _apply_filter(self, text: str) -> None:
        text = text.strip()
        if text != self.text:
            self.text = text
            self._selected.clear()
            self.query_one(PoolTable).move_cursor(row=0)
            self.reload()

    @on(Input.Submitted, "#pool-filter")
    def _filter_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filter(event.value)
        self.query_one(PoolTable).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#pool-filter", Input):
            self.query_one(PoolTable).focus()  # Escape in the filter: back to the list
            return
        self.dismiss(self.changed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_pool":
            return self.view != POOL
        if action == "my_book":
            return self._is_rm and self.view != BOOK
        if action == "book_of":
            return self.actor.role in ("manager", "admin")
        return True

    # -- the table -----------------------------------------------------------------------------
    def _last_column(self) -> tuple[str, str]:
        return ("days", _("Days in pool")) if self.view == POOL else ("claimed", _("Claimed on"))

    def _column_widths(self, rows: list) -> dict[str, int]:
        """Each column as wide as its widest value; the name takes what is left."""
        def widest(header: str, values) -> int:
            return max([cell_len(header), *(cell_len(v) for v in values)])

        last, header = self._last_column()
        widths = {
            "sel": 1,
            "no": widest(_("Customer no."), [row.customer_no for row in rows] or ["9100000000"]),
            "name": 0,
            "tier": widest(_("Tier"), [tier_name(t) for t in ("mass", "vip", "wealth", "private")]),
            "aum": widest(_("Daily-average AUM"), ["999,999,999"]),
            "org": min(16, widest(_("Branch"), [row.org_name for row in rows])),
            last: widest(header, ["9,999", "2026-01-05", "—"]),
        }
        table = self.query_one(PoolTable)
        room = (table.size.width or self.app.size.width - 2) - 2  # the vertical scrollbar
        left = room - sum(widths.values()) - 2 * table.cell_padding * len(widths)
        widths["name"] = max(MIN_NAME_WIDTH, left)
        return widths

    def _columns_for(self, rows: list) -> None:
        widths = self._column_widths(rows)
        last, last_header = self._last_column()
        headers = {"sel": " ", "no": _("Customer no."), "name": _("Customer name"), "tier": _("Tier"),
                   "aum": _("Daily-average AUM"), "org": _("Branch"), last: last_header}
        right = {"aum", "days"}
        if self.query_one(PoolTable).lay_out(widths, headers, right):
            self._columns = list(widths)

    def _fill(self, rows: list, *, keep_row: int = 0) -> None:
        table = self.query_one(PoolTable)
        self._columns_for(rows)
        table.clear()
        self._rows = []
        self._row_ids = set()
        self._add_rows(rows)
        if self._rows:
            table.move_cursor(row=min(max(keep_row, 0), len(self._rows) - 1), animate=False)
        empty = not self._rows
        table.set_class(empty, "-empty")
        note = self.query_one("#pool-empty", Static)
        note.set_class(empty, "-shown")
        note.update(self._empty_message() if empty else "")
        self._update_line()

    def _add_rows(self, rows: list) -> None:
        table = self.query_one(PoolTable)
        for row in rows:
            self._rows.append(row)
            self._row_ids.add(row.id)
            cells = self._cells(row)
            table.add_row(*(cells[column] for column in self._columns), key=str(row.id))

    def _cells(self, row) -> dict[str, object]:
        if row.days_in_pool is not None:
            days = f"{row.days_in_pool:,}"
        else:
            days = "—"
        claimed = local_time(row.claimed_at).strftime("%Y-%m-%d") if row.claimed_at is not None else "—"
        return {
            "sel": SELECTED_MARK if row.id in self._selected else " ",
            "no": row.customer_no,
            "name": Text(row.name, no_wrap=True, overflow="ellipsis"),
            "tier": Text(tier_name(row.tier), style=TIER_STYLE.get(row.tier, "")),
            "aum": Text(f"{row.aum_daily_avg:,.0f}", justify="right"),
            "org": Text(row.org_name, no_wrap=True, overflow="ellipsis"),
            "days": Text(days, justify="right"),
            "claimed": claimed,
        }

    def _empty_message(self) -> str:
        if self.text:
            return _("No customer of this list matches “{text}”.", text=self.text)
        if self.view == POOL:
            if self.actor.role == "admin":
                return _("The pool is empty: every customer has a relationship manager.")
            return _("The pool is empty: every customer of {branch} has a relationship manager.",
                     branch=self.actor.org_name)
        if self.book is not None and self.book.rm_id == self.actor.id:
            return _("Your book is empty. Press P for the pool, then C to claim customers.")
        return _("{name} has no customers.", name=self.book.name if self.book else "")

    def _show_title(self) -> None:
        if self.view == POOL:
            title = (_("Customer pool of the whole bank") if self.actor.role == "admin"
                     else _("Customer pool of {branch}", branch=self.actor.org_name))
        elif self.book is not None and self.book.rm_id == self.actor.id:
            title = _("My book")
        else:
            book = self.book
            title = _("Book of {name} ({no})", name=book.name if book else "", no=book.employee_no if book else "")
        self.query_one("#pool-view", Label).update(title)
        p = self.policy
        if p is None:
            policy = ""
        elif p.book_size is not None:
            policy = _("Your book: {n} of at most {max} customers · claims without a contact go back after {days} days",
                       n=f"{p.book_size:,}", max=f"{p.max_book:,}", days=p.sweep_days)
        else:
            policy = _("Claims without a contact go back to the pool after {days} days", days=p.sweep_days)
        self.query_one("#pool-policy", Label).update(policy)

    def _update_line(self) -> None:
        line = self.query_one("#pool-line", Static)
        total = self._total
        if self._selected:  # what the selection is, and the keys that act on it
            keys = " · ".join(f"{key} {what}" for key, what in self._action_keys())
            n = len(self._selected)
            text = (_("{n} customers selected", n=f"{n:,}") if n != 1 else _("1 customer selected")) + \
                (f" — {keys}" if keys else "")
        elif not self._rows:
            text = ""
        elif total == 1:
            text = _("1 customer")
        elif total > len(self._rows):
            text = _("{n} customers, {m} shown (more below)", n=f"{total:,}", m=f"{len(self._rows):,}")
        else:
            text = _("{n} customers", n=f"{total:,}")
        line.set_class(bool(self._selected), "-selected")
        line.update(text)
        self.query_one("#pool-hint", Static).update(
            "" if self._selected or not self._rows else _("Enter opens the customer"))

    def _action_keys(self) -> list[tuple[str, str]]:
        """The action keys as they are bound now (a keymap may have moved them)."""
        wanted = {f"pool.{action}": action for action in ("claim", "release", "move")}
        found: dict[str, tuple[str, str]] = {}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.id in wanted and binding.id not in found and active.enabled:
                found[binding.id] = (self.app.get_key_display(binding), action_name(wanted[binding.id]))
        return [found[i] for i in wanted if i in found]

    # -- keys ----------------------------------------------------------------------------------
    def allows(self, action: str, parameters: tuple[object, ...] = ()) -> bool | None:
        """The table's keys: an action the user may take in this view while there is a row to
        act on (greyed while a change is being made), Escape only with a selection."""
        if action == "clear_selection":
            return bool(self._selected)
        if action == "act":
            if not parameters or parameters[0] not in self._actions or not self._rows:
                return False
            return None if self.busy else True
        if action in ("toggle_row", "select_all"):
            return bool(self._rows)
        return True

    def _refresh_keys(self) -> None:
        state = (bool(self._rows), bool(self._selected), self.busy, self._actions, self.view)
        if state != self._keys_state:
            self._keys_state = state
            self.query_one(PoolTable).refresh_bindings()

    @on(DataTable.RowSelected, "#pool-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        row = next((r for r in self._rows if str(r.id) == event.row_key.value), None)
        if row is None:
            return
        if not row.opens_profile:
            self.notify(_("{name} is not one of your customers yet: claim them to open their profile", name=row.name),
                        timeout=4)
            return
        from ocrm_tui.screens.customer_profile import ProfileScreen

        self.app.push_screen(ProfileScreen(row.id))

    # -- selection -----------------------------------------------------------------------------
    def _current(self):
        table = self.query_one(PoolTable)
        if not self._rows or not (0 <= table.cursor_row < len(self._rows)):
            return None
        return self._rows[table.cursor_row]

    def toggle_current_row(self) -> None:
        row = self._current()
        if row is None:
            return
        table = self.query_one(PoolTable)
        self._selected.symmetric_difference_update({row.id})
        table.update_cell(str(row.id), "sel", SELECTED_MARK if row.id in self._selected else " ")
        if table.cursor_row < len(self._rows) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._selection_changed()

    def deselect_all(self) -> None:
        self._selected.clear()
        self._mark_selection()

    def _mark_selection(self) -> None:
        table = self.query_one(PoolTable)
        for row in self._rows:
            table.update_cell(str(row.id), "sel", SELECTED_MARK if row.id in self._selected else " ")
        self._selection_changed()

    def _selection_changed(self) -> None:
        self._refresh_keys()
        self._update_line()

    def select_whole_view(self) -> None:
        if self._rows:
            self._select_all(self._generation, self.view, self.book, self.text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pool-select", description="select whole list")
    def _select_all(self, generation: int, view: str, book: Book | None, text: str) -> None:
        from ocrm_tui.services import pool
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session() as s:  # type: ignore[attr-defined]
                if view == BOOK and book is not None:
                    ids = pool.book_customer_ids(s, self.actor, book.rm_id, text=text)
                else:
                    ids = pool.pool_customer_ids(s, self.actor, text=text)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.AllIds(generation, ids, pool.MAX_SELECTION))

    def on_pool_screen_all_ids(self, message: AllIds) -> None:
        if message.generation != self._generation:
            return
        if len(message.ids) > message.maximum:
            self.notify(_("This list holds more than {n} customers: narrow it, or act on fewer at a time",
                          n=f"{message.maximum:,}"), severity="warning")
            return
        self._selected = set(message.ids)
        self._mark_selection()

    # -- claiming, releasing, moving -------------------------------------------------------------
    def act(self, action: str) -> None:
        """An action key: for the selection, or the highlighted customer."""
        if self.busy or action not in self._actions:
            return
        if self._selected:
            step = Step(action, tuple(sorted(self._selected)), batch=True)
        else:
            row = self._current()
            if row is None:
                return
            step = Step(action, (row.id,), batch=False, label=f"{row.name} ({row.customer_no})")
        if action == "claim":
            self._confirm(step)
        elif action == "release":
            self._ask_reason(step)
        else:
            self._pick_rm(step)

    def _what(self, step: Step) -> str:
        return step.label if not step.batch else _("the {n} selected customers", n=f"{len(step.ids):,}")

    def _confirm(self, step: Step) -> None:
        from ocrm_tui.screens.ticket_batch import BatchConfirmDialog

        n = len(step.ids)
        if step.action == "claim":
            title = _("Claim customers")
            question = (_("Claim {n} customers into your book?", n=f"{n:,}") if n > 1
                        else _("Claim {who} into your book?", who=step.label or _("the selected customer")))
            p = self.policy
            detail = (_("Your book holds {n} of at most {max} customers. Without a contact in {days} days after the "
                        "claim, a customer goes back to the pool.", n=f"{p.book_size or 0:,}", max=f"{p.max_book:,}",
                        days=p.sweep_days) if p is not None else "")
            yes = _("Yes, claim")
        else:
            to = step.to
            title = _("Move customers")
            question = (_("Move {n} customers to {name} ({no})?", n=f"{n:,}", name=to.name, no=to.employee_no) if n > 1
                        else _("Move {who} to {name} ({no})?", who=step.label or _("the selected customer"),
                               name=to.name, no=to.employee_no))
            detail = _("Customers in {name}'s book now: {n}. Moved customers are given, not claimed: the pool's "
                       "sweep leaves them alone.", name=to.name, n=f"{to.book_size:,}")
            yes = _("Yes, move")

        def answered(go: bool | None) -> None:
            if go:
                self._perform(step)

        self.app.push_screen(BatchConfirmDialog(title, question, detail=detail, yes=yes, no=_("Back")),
                             callback=answered)

    def _ask_reason(self, step: Step) -> None:
        from ocrm_tui.screens.ticket_dialogs import TextDialog

        n = len(step.ids)
        title = (_("Release {n} customers to the pool", n=f"{n:,}") if n > 1
                 else _("Release {who} to the pool", who=step.label))
        prompt = _("Why do they go back to the pool? The reason is kept in the audit trail.")

        def given(reason: str | None) -> None:
            if reason:
                self._perform(Step(step.action, step.ids, step.batch, step.label, reason=reason))

        self.app.push_screen(TextDialog(title, prompt, max_length=REASON_MAX, save_label=_("Release")),
                             callback=given)

    def _pick_rm(self, step: Step) -> None:
        from ocrm_tui.screens.pool_dialogs import RmPickerDialog

        n = len(step.ids)
        title = (_("Move {n} customers to which relationship manager?", n=f"{n:,}") if n > 1
                 else _("Move {who} to which relationship manager?", who=step.label))

        def picked(choice) -> None:
            if choice is not None:
                self._confirm(Step(step.action, step.ids, step.batch, step.label, to=choice))

        exclude = self.book.rm_id if self.view == BOOK and self.book is not None else None
        self.app.push_screen(RmPickerDialog(title, exclude=exclude), callback=picked)

    def _perform(self, step: Step) -> None:
        self.busy = True
        self._refresh_keys()
        self._change(step)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pool-change", description="pool change")
    def _change(self, step: Step) -> None:
        from ocrm_tui.services import pool
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        clock = app.clock  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if step.action == "claim":
                    result = pool.claim(s, self.actor, list(step.ids), clock=clock)
                elif step.action == "release":
                    result = pool.release(s, self.actor, list(step.ids), step.reason or "", clock=clock)
                else:
                    result = pool.move(s, self.actor, list(step.ids), step.to.employee_no, clock=clock)
        except OcrmError as exc:
            self.post_message(self.Refused(step, exc.message, exc.field))
            return
        self.post_message(self.Done(step, result))

    def _done_text(self, step: Step, n: int) -> str:
        if step.action == "claim":
            return (_("{n} customers claimed into your book", n=f"{n:,}") if n != 1
                    else _("1 customer claimed into your book"))
        if step.action == "release":
            return (_("{n} customers released to the pool", n=f"{n:,}") if n != 1
                    else _("1 customer released to the pool"))
        name = step.to.name if step.to is not None else ""
        return (_("{n} customers moved to {name}", n=f"{n:,}", name=name) if n != 1
                else _("1 customer moved to {name}", name=name))

    def on_pool_screen_done(self, message: Done) -> None:
        from ocrm_tui.screens.pool_dialogs import PoolResultDialog

        self.busy = False
        step, result = message.step, message.result
        if result.done:
            self.changed = True
        self._selected.clear()
        summary = self._done_text(step, result.count)
        if result.refused:
            known = {row.id: row for row in self._rows}

            def shown(r) -> tuple[str, str, str]:
                row = known.get(r.customer_id)
                return (r.customer_no or (row.customer_no if row else ""), r.name or (row.name if row else ""),
                        r.reason)

            summary += "; " + _("{n} could not be:", n=f"{len(result.refused):,}")
            self.app.push_screen(PoolResultDialog(action_name(step.action), summary,
                                                  [shown(r) for r in result.refused]))
        else:
            self.notify(summary, timeout=3)
        self.reload(rows=len(self._rows))

    @on(Worker.StateChanged)
    def _change_ended(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is shown by the app's error dialog (OcrmScreen); here the screen
        # only stops saying it is busy.
        if event.worker.group == "pool-change" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = False
            self._refresh_keys()

    def on_pool_screen_refused(self, message: Refused) -> None:
        self.busy = False
        self._refresh_keys()
        self.notify(message.message, severity="error", timeout=6)
        self.reload(rows=len(self._rows))
