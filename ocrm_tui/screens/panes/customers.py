"""F2: find a customer by ID number, mobile, customer number, name or pinyin.

Results come as you type (debounced, in a worker: the input never waits for the
database), 50 at a time; moving down to the end of the list reads the next page.
Enter opens the profile — at once for an exact lookup with one result. Space selects a
row, Ctrl+A the whole result (every page), T adds or removes a tag on the selection.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from ocrm_tui.i18n import _
from ocrm_tui.widgets.pane import Pane

DEBOUNCE_SECONDS = 0.25
MAX_SELECTION = 200_000  # Ctrl+A beyond this asks for a narrower search
TIER_STYLE = {"private": "bold magenta", "wealth": "bold yellow", "vip": "bold cyan", "mass": ""}


def tier_name(tier: str) -> str:
    return {"mass": _("Mass"), "vip": _("VIP"), "wealth": _("Wealth"), "private": _("Private banking")}.get(tier, tier)


class ResultsTable(DataTable):
    """The search results: Space selects a row, Ctrl+A the whole result, T tags the selection."""

    BINDINGS = [
        Binding("space", "toggle_row", "Select", id="customers.toggle", tooltip="Select or deselect this customer"),
        Binding("ctrl+a", "select_all", "Select all", id="customers.select_all",
                tooltip="Select every customer of the result, not only the ones shown"),
        Binding("t", "batch_tag", "Tag selected", id="customers.batch_tag",
                tooltip="Add or remove a tag on the selected customers"),
    ]

    def action_toggle_row(self) -> None:
        self.pane.toggle_current_row()

    def action_select_all(self) -> None:
        self.pane.select_whole_result()

    def action_batch_tag(self) -> None:
        self.pane.open_batch_tag()

    @property
    def pane(self) -> "CustomerSearchPane":
        return self.query_ancestor(CustomerSearchPane)


@dataclass
class _Result:
    text: str
    page: object  # services.customer_search.SearchPage


class CustomerSearchPane(Pane):
    """Customer search (F2)."""

    TITLE = "Customer search"
    BINDINGS = [
        Binding("ctrl+n", "new_customer", "New customer", id="customers.new",
                tooltip="Open a new customer file"),
    ]
    DEFAULT_CSS = """
    CustomerSearchPane { padding: 0 1; }
    CustomerSearchPane #search-row { height: 3; }
    CustomerSearchPane #search-input { width: 1fr; }
    CustomerSearchPane #search-status { height: 1; color: $text-muted; padding: 0 1; }
    CustomerSearchPane #search-status.-empty { color: $warning; }
    CustomerSearchPane ResultsTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._timer = None
        self._text = ""
        self._page = None  # the last SearchPage read
        self._ids: list[int] = []  # customer ids in table order
        self._selected: set[int] = set()
        self._loading_more = False
        self._open_when_found: str | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Input(placeholder=_("ID number, mobile, customer number, name or pinyin (e.g. 张伟 1987, zw)"),
                        id="search-input", max_length=200)
        yield Static(_("Type an ID number, a mobile, a customer number or a name"), id="search-status", markup=False)
        table = ResultsTable(id="search-results", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        table = self.query_one(ResultsTable)
        table.add_column(" ", key="sel", width=1)
        table.add_column(_("Customer no."), key="no", width=12)
        table.add_column(_("Customer name"), key="name", width=14)
        table.add_column(_("Mobile"), key="mobile", width=12)
        table.add_column(_("Tier"), key="tier", width=10)
        table.add_column(_("Branch"), key="org", width=20)
        table.add_column(_("RM"), key="rm", width=10)

    def on_shown(self) -> None:
        self.screen.set_focus(self.query_one("#search-input", Input))  # at once: one footer rebuild

    # -- searching -----------------------------------------------------------------------------
    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._open_when_found = None
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.run_search(event.value))

    def run_search(self, text: str) -> None:
        self._text = text
        self._run(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-search", description="customer search")
    def _run(self, text: str) -> None:
        from ocrm_tui.services import customer_search

        with self.app.session() as s:  # type: ignore[attr-defined]
            page = customer_search.search(s, self.app.actor, text, now=self.app.clock())  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, _Result(text, page), False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-more", description="customer search next page")
    def _more(self, text: str, cursor) -> None:
        from ocrm_tui.services import customer_search

        with self.app.session() as s:  # type: ignore[attr-defined]
            page = customer_search.search(s, self.app.actor, text, after=cursor, now=self.app.clock())  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, _Result(text, page), True)

    def _show(self, result: _Result, append: bool) -> None:
        if result.text != self._text:
            return  # typed on meanwhile: a newer search is coming
        table = self.query_one(ResultsTable)
        page = result.page
        if not append:
            table.clear()
            self._ids = []
            self._selected.clear()
        self._loading_more = False
        self._page = page
        for row in page.rows:
            if row.id in self._ids:
                continue
            self._ids.append(row.id)
            table.add_row(
                "✓" if row.id in self._selected else " ", row.customer_no, row.name, row.mobile,
                _styled(tier_name(row.tier), TIER_STYLE.get(row.tier, "")), row.org_name, row.rm_name,
                key=str(row.id),
            )
        self._update_status()
        if not append and self._open_when_found == result.text:
            self._open_when_found = None
            self._open_single_or_focus()

    def _update_status(self) -> None:
        status = self.query_one("#search-status", Static)
        page = self._page
        status.remove_class("-empty")
        if page is None:
            return
        kind = page.query.kind
        if kind in ("empty", "too_long", "unrecognised"):
            status.update(page.message)
            if kind != "empty":
                status.add_class("-empty")
            return
        if not self._ids:
            status.add_class("-empty")
            status.update(_("{what}: no customer found. Ctrl+N opens a new customer file.", what=page.message))
            return
        more = page.next is not None
        text = (_("{what}: {n} shown, more below", what=page.message, n=len(self._ids)) if more
                else _("{what}: {n} found", what=page.message, n=len(self._ids)))
        if self._selected:
            text += " · " + _("{n} selected (T: tag them)", n=f"{len(self._selected):,}")
        status.update(text)

    @on(DataTable.RowHighlighted, "#search-results")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        page = self._page
        if page is None or page.next is None or self._loading_more:
            return
        if event.cursor_row >= len(self._ids) - 5:
            self._loading_more = True
            self._more(self._text, page.next)

    # -- opening -------------------------------------------------------------------------------
    @on(Input.Submitted, "#search-input")
    def _enter(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if event.value != self._text or self._page is None:
            # Enter before the results came: search now and act on them when they come.
            self._open_when_found = event.value
            self.run_search(event.value)
            return
        self._open_single_or_focus()

    def _open_single_or_focus(self) -> None:
        page = self._page
        if page is None:
            return
        if page.query.exact and len(self._ids) == 1:
            self.open_customer(self._ids[0])
        elif self._ids:
            self.query_one(ResultsTable).focus()

    @on(DataTable.RowSelected, "#search-results")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_customer(int(event.row_key.value))

    def open_customer(self, customer_id: int) -> None:
        page = self._page
        counter = self._text if page is not None and page.query.exact else None
        self._open(customer_id, counter)

    # A fixed description: the lookup text (an ID number, a mobile) must not be logged.
    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-open", description="open customer")
    def _open(self, customer_id: int, counter: str | None) -> None:
        """Read the profile here, then show it: the screen draws at once, in one layout."""
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=bool(counter)) as s:  # type: ignore[attr-defined]
                profile = customers.open_customer(s, app.actor, customer_id, counter_lookup=counter,  # type: ignore[attr-defined]
                                                  clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            app.call_from_thread(app.notify, exc.message, severity="error")
            return
        app.call_from_thread(self._show_profile, customer_id, profile)

    def _show_profile(self, customer_id: int, profile) -> None:
        from ocrm_tui.screens.customer_profile import ProfileScreen

        self.app.push_screen(ProfileScreen(customer_id, profile=profile))

    def on_key(self, event) -> None:
        # Down from the search box goes to the results.
        if event.key == "down" and self.screen.focused is self.query_one("#search-input") and self._ids:
            self.query_one(ResultsTable).focus()
            event.stop()

    # -- selection and batch tagging -----------------------------------------------------------
    def toggle_current_row(self) -> None:
        table = self.query_one(ResultsTable)
        if not self._ids:
            return
        customer_id = self._ids[table.cursor_row]
        if customer_id in self._selected:
            self._selected.discard(customer_id)
        else:
            self._selected.add(customer_id)
        table.update_cell(str(customer_id), "sel", "✓" if customer_id in self._selected else " ")
        if table.cursor_row < len(self._ids) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._update_status()

    def select_whole_result(self) -> None:
        if self._page is None or not self._ids:
            return
        self._select_all(self._text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-select", description="select whole result")
    def _select_all(self, text: str) -> None:
        from ocrm_tui.services import customer_search

        with self.app.session() as s:  # type: ignore[attr-defined]
            ids = customer_search.all_ids(s, self.app.actor, text, limit=MAX_SELECTION + 1)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._selected_all, text, ids)

    def _selected_all(self, text: str, ids: list[int]) -> None:
        if text != self._text:
            return
        if len(ids) > MAX_SELECTION:
            self.app.notify(_("The result has more than {n} customers: narrow the search first", n=f"{MAX_SELECTION:,}"),
                            severity="warning")
            return
        self._selected = set(ids)
        table = self.query_one(ResultsTable)
        for customer_id in self._ids:
            table.update_cell(str(customer_id), "sel", "✓" if customer_id in self._selected else " ")
        self._update_status()

    def open_batch_tag(self) -> None:
        from ocrm_tui.screens.batch_tag import BatchTagDialog

        if not self._selected:
            self.app.notify(_("Select customers first: Space selects one, Ctrl+A the whole result"), severity="warning")
            return
        from ocrm_tui.services.customers import can_edit

        if not can_edit(self.app.actor):  # type: ignore[attr-defined]
            self.app.notify(_("Your role does not tag customers"), severity="warning")
            return
        self.app.push_screen(BatchTagDialog(len(self._selected)), callback=self._batch_tag_chosen)

    def _batch_tag_chosen(self, choice) -> None:
        if not choice:
            return
        remove, tag = choice
        self._batch_tag(sorted(self._selected), tag, remove)

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer-batch-tag", description="batch tag")
    def _batch_tag(self, ids: list[int], tag: str, remove: bool) -> None:
        from ocrm_tui.services import tags
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session(write=True) as s:  # type: ignore[attr-defined]
                changed = tags.batch_tag(s, self.app.actor, tag, ids, remove=remove)  # type: ignore[attr-defined]
                s.commit()
        except OcrmError as exc:
            self.app.call_from_thread(self.app.notify, exc.message, severity="error")
            return
        message = (_("Tag {tag} removed from {n} customers", tag=tag, n=f"{changed:,}") if remove
                   else _("Tag {tag} added to {n} customers", tag=tag, n=f"{changed:,}"))
        self.app.call_from_thread(self._batch_done, message)

    def _batch_done(self, message: str) -> None:
        self.app.notify(message)
        self._selected.clear()
        table = self.query_one(ResultsTable)
        for customer_id in self._ids:
            table.update_cell(str(customer_id), "sel", " ")
        self._update_status()

    # -- a new customer ------------------------------------------------------------------------
    def action_new_customer(self) -> None:
        from ocrm_tui.screens.customer_form import CustomerFormScreen

        prefill: dict[str, str] = {}
        page = self._page
        if page is not None:
            if page.query.kind == "id":
                prefill["id_number"] = page.query.term
            elif page.query.kind == "mobile":
                prefill["mobile"] = page.query.term
            elif page.query.kind == "name":
                prefill["name"] = page.query.term
        self.app.push_screen(CustomerFormScreen(prefill=prefill), callback=self._created)

    def _created(self, customer_id) -> None:
        if isinstance(customer_id, int) and customer_id:
            from ocrm_tui.screens.customer_profile import ProfileScreen

            self.app.push_screen(ProfileScreen(customer_id))

    def has_unsaved_input(self) -> bool:
        return False


def _styled(text: str, style: str):
    from rich.text import Text

    return Text(text, style=style) if style else text
