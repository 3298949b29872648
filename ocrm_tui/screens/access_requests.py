"""F7: access requests — temporary access to customers outside one's data scope.

Two lists: "Waiting for my decision" (managers and administrators: the requests of their
branch's staff they may decide, the oldest first) and "My requests" (the newest first), each
with its status, the customers asked for, the reason, the hours or the expiry, and who decided.
Tab moves between the lists; the keys act on the highlighted request of the list in front and
show only where they can be used: N asks for access (customer numbers, a reason, the hours up
to the bank's maximum), A approves with an optional note, R rejects and V revokes an approved
one (both with a note), W withdraws one's own request while it waits, Enter shows the whole
request. Who may decide what is the service's rule (``services.access``); its refusals are
shown where the user typed, and nothing typed is lost.

Every reading and every decision runs in a worker with its own short session; after a
change both lists are read again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _, _c
from ocrm_tui.screens.base import OcrmModal, OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.list_table import ListTable

DECIDE, MINE = "decide", "mine"
NUMBERS_SHOWN = 3  # customer numbers named in a row; the rest are counted
NOTE_MAX = 255
REASON_MAX = 255
STATUS_STYLE = {"pending": "bold text-warning", "approved": "bold text-success", "rejected": "text-error",
                "revoked": "text-error", "expired": "dim", "withdrawn": "dim", "used": "dim"}  # theme colours by name


def status_name(status: str) -> str:
    from ocrm_tui.services.access import status_name as name

    return name(status)


def short_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    from ocrm_tui.screens.customer_profile import local_time

    return local_time(value).strftime("%m-%d %H:%M")


def long_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    from ocrm_tui.screens.customer_profile import when

    return when(value)


def what_text(row) -> str:
    """What was asked for: the customers (how many, the first numbers), a saved search, an export."""
    if row.kind == "export":
        return _("Unmasked export: {what}", what=row.export_what or "—")
    if row.customer_nos:
        numbers = ", ".join(row.customer_nos[:NUMBERS_SHOWN])
        more = len(row.customer_nos) - NUMBERS_SHOWN
        if more > 0:
            numbers += " " + _("and {n} more", n=f"{more:,}")
        return f"{len(row.customer_nos):,}: {numbers}"
    return _("Search: {search}", search=row.search or "—")


def term_text(row) -> str:
    """How long the access lasts: the hours asked, or until when it was given."""
    if row.status == "approved" and row.expires_at is not None:
        return _("until {time}", time=short_time(row.expires_at))
    if row.status == "expired" and row.expires_at is not None:
        return _("ended {time}", time=short_time(row.expires_at))
    return _("{n} h", n=row.hours)


def status_text(row, colours: dict[str, str]) -> Text:
    return Text(status_name(row.status), style=colours.get(row.status, ""))


class RequestTable(ListTable):
    """One list of requests; Enter shows the highlighted one in full."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Details", id="access.details",
                tooltip="The whole request, what it granted and who decided"),
    ]


@dataclass(frozen=True)
class Step:
    """A decision as the user gave it."""

    action: str  # approve / reject / withdraw / revoke
    request_id: int
    version: int | None = None
    note: str = ""


def step_done_message(action: str, request_id: int) -> str:
    return {
        "approve": _("Request {id} approved", id=request_id),
        "reject": _("Request {id} rejected", id=request_id),
        "withdraw": _("Request {id} withdrawn", id=request_id),
        "revoke": _("Request {id} revoked: the access ends now", id=request_id),
    }.get(action, "")


def run_step(app, actor, step: Step):
    """The service call of a decision (from a worker); returns the RequestRow."""
    from ocrm_tui.services import access

    with app.session(write=True) as s:
        if step.action == "approve":
            return access.approve(s, actor, step.request_id, note=step.note, version=step.version, clock=app.clock)
        if step.action == "reject":
            return access.reject(s, actor, step.request_id, note=step.note, version=step.version, clock=app.clock)
        if step.action == "revoke":
            return access.revoke(s, actor, step.request_id, note=step.note, clock=app.clock)
        return access.withdraw(s, actor, step.request_id, clock=app.clock)


class AccessRequestsScreen(OcrmScreen):
    """Access requests to decide, and one's own."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="access.back", tooltip="Back to where you came from"),
        Binding("f5", "work_platform", "Work platform", id="access.work", show=False,
                tooltip="Back to the work platform"),
        Binding("n", "new", "New request", id="access.new",
                tooltip="Ask for temporary access to customers outside your scope"),
        Binding("a", "approve", "Approve", id="access.approve", tooltip="Approve the highlighted request"),
        Binding("r", "reject", "Reject", id="access.reject", tooltip="Reject the highlighted request, saying why"),
        Binding("w", "withdraw", "Withdraw", id="access.withdraw",
                tooltip="Withdraw your highlighted request while it waits for a decision"),
        Binding("v", "revoke", "Revoke", id="access.revoke",
                tooltip="End now the access an approved request gave, saying why"),
    ]

    DEFAULT_CSS = """
    AccessRequestsScreen { background: $background; }
    AccessRequestsScreen #access-body { height: 1fr; padding: 0 1; }
    AccessRequestsScreen .access-title { height: 1; margin-top: 1; text-style: bold; }
    AccessRequestsScreen .access-title.-hidden { display: none; }
    AccessRequestsScreen RequestTable { height: auto; max-height: 1fr; }
    AccessRequestsScreen RequestTable.-hidden { display: none; }
    AccessRequestsScreen RequestTable.-empty { height: 1; }
    AccessRequestsScreen .access-empty { height: auto; color: $text-muted; display: none; }
    AccessRequestsScreen .access-empty.-shown { display: block; }
    AccessRequestsScreen #access-error { height: auto; color: $text-error; text-style: bold; display: none;
                                         padding: 1 0; }
    AccessRequestsScreen #access-error.-shown { display: block; }
    AccessRequestsScreen #access-hint { height: 1; margin-top: 1; color: $text-muted; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        decides: bool
        decide: list  # services.access.RequestRow, oldest first
        mine: list  # newest first

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class Done(Message):
        step: Step
        row: Any

    @dataclass
    class Refused(Message):
        step: Step
        message: str

    def __init__(self, actor, *, select: int | None = None) -> None:
        super().__init__()
        self.actor = actor
        self.select = select  # a request to highlight once read (from the work platform)
        self.decides = False  # the user decides requests (the service says, once read)
        self.decide_rows: list = []
        self.mine_rows: list = []
        self.drawn = False  # True once the lists read last are on screen
        self.busy = False
        self.error = ""
        self.front = MINE  # the list whose highlighted request the keys act on
        self.decided_here: list[int] = []  # requests decided on this screen, shown below those waiting
        self._generation = 0
        self._layout: dict[str, tuple] = {}

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        a = self.actor
        yield AppHeader(user_name=a.name, employee_no=a.employee_no, role=a.role, org_name=a.org_name)
        with Vertical(id="access-body"):
            yield Static("", id="decide-title", classes="access-title -hidden", markup=False)
            yield RequestTable(id="decide-table", classes="-hidden", cursor_type="row", zebra_stripes=True)
            yield Static("", id="decide-empty", classes="access-empty", markup=False)
            yield Static("", id="mine-title", classes="access-title", markup=False)
            yield RequestTable(id="mine-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="mine-empty", classes="access-empty", markup=False)
            yield Static("", id="access-error", markup=False)
            yield Static(_("Tab: the other list · Enter: the whole request"), id="access-hint", markup=False)
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Access requests")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self.query_one("#mine-title", Static).update(_("My requests"))
        self.set_focus(self.query_one("#mine-table", RequestTable))
        self.reload()

    def _column_widths(self, which: str) -> dict[str, int]:
        """Columns that fit the screen's width: the fixed ones as wide as their contents, the
        rest shared between the customers asked for and the reason."""
        rows = self._rows(which)

        def widest(header: str, values, at_most: int = 24) -> int:
            return min(at_most, max([cell_len(header), *(cell_len(v) for v in values)]))

        widths = {"id": widest(_("No."), [str(r.id) for r in rows], 7)}
        if which == DECIDE:
            widths["requester"] = widest(_("Requested by"), [f"{r.requester_name} ({r.requester_no})" for r in rows])
        widths |= {
            "status": widest(_("Status"), [status_name(s) for s in STATUS_STYLE]),
            "what": 0,
            "reason": 0,
            "term": widest(_("Hours / until"), [term_text(r) for r in rows]),
            "requested": widest(_("Requested"), ["01-05 09:00"]),
            "decided": widest(_("Decided by"), [r.decided_by_no or "—" for r in rows], 12),
        }
        table = self._table(which)
        room = (table.outer_size.width or self.app.size.width - 2) - 2 - 2 * table.cell_padding * len(widths)
        free = max(24, room - sum(widths.values()))
        asked = widest(_c("access", "Customers"), [what_text(r) for r in rows], 60)
        widths["what"] = max(12, min(asked, free * 11 // 20))
        widths["reason"] = max(12, free - widths["what"])
        return widths

    def _columns(self, which: str) -> None:
        from ocrm_tui.i18n import get_language

        widths = self._column_widths(which)
        key = (tuple(widths.items()), get_language())
        if key == self._layout.get(which):
            return
        self._layout[which] = key
        headers = {"id": _("No."), "requester": _("Requested by"), "status": _("Status"),
                   "what": _c("access", "Customers"), "reason": _("Reason"), "term": _("Hours / until"),
                   "requested": _("Requested"), "decided": _("Decided by")}
        table = self._table(which)
        table.clear(columns=True)
        for column, width in widths.items():
            table.add_column(headers[column], key=column, width=width)

    def on_resize(self) -> None:
        if self.drawn:
            for which in (DECIDE, MINE):
                self._fill(which, self._current_id(which))

    # -- reading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.drawn = False
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="access", description="access requests")
    def _load(self, generation: int) -> None:
        from ocrm_tui.services import access, work_platform
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        clock = app.clock  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                decides = "access" in work_platform.sections_for(self.actor)
                decide = access.pending_for(s, self.actor, clock=clock) if decides else []
                # Approvals still running can be revoked (V); what was decided here stays in the list too.
                decide += access.running_for(s, self.actor, clock=clock) if decides else []
                shown = {r.id for r in decide}
                decide += [access.get_request(s, self.actor, rid, clock=clock) for rid in reversed(self.decided_here)
                           if rid not in shown]
                mine = access.my_requests(s, self.actor, clock=clock)
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, decides, list(decide), list(mine)))

    def on_access_requests_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return
        first = not self.drawn and not self.decide_rows and not self.mine_rows
        self.decides = message.decides
        self.error = ""
        self.query_one("#access-error", Static).remove_class("-shown")
        decide_table = self.query_one("#decide-table", RequestTable)
        mine_table = self.query_one("#mine-table", RequestTable)
        keep = {DECIDE: self._current_id(DECIDE), MINE: self._current_id(MINE)}
        self.decide_rows, self.mine_rows = message.decide, message.mine
        self.query_one("#decide-title").set_class(not self.decides, "-hidden")
        decide_table.set_class(not self.decides, "-hidden")
        self.query_one("#decide-title", Static).update(
            _("Waiting for my decision ({n})", n=f"{len(self.decide_rows):,}"))
        self.query_one("#mine-title", Static).update(_("My requests ({n})", n=f"{len(self.mine_rows):,}"))
        self._fill(DECIDE, keep[DECIDE])
        self._fill(MINE, keep[MINE])
        if self.select is not None:
            wanted, self.select = self.select, None
            for which, rows in ((DECIDE, self.decide_rows), (MINE, self.mine_rows)):
                ids = [r.id for r in rows]
                if wanted in ids:
                    table = self._table(which)
                    table.move_cursor(row=ids.index(wanted), animate=False)
                    self.set_focus(table)
                    self.front = which
                    break
        elif first and self.decide_rows:
            self.set_focus(decide_table)  # a decider comes here to decide
            self.front = DECIDE
        if not self.decides and self.focused is decide_table:
            self.set_focus(mine_table)
        self.refresh_bindings()
        self.call_after_refresh(self._mark_drawn, message.generation)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    def on_access_requests_screen_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        self.error = message.message
        error = self.query_one("#access-error", Static)
        error.update(message.message)
        error.add_class("-shown")
        self.drawn = True
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is shown by the app's error dialog (OcrmScreen); here the screen
        # stops waiting for it.
        if event.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.worker.group == "access":
            self.drawn = True
        elif event.worker.group == "access-change":
            self.busy = False
        self.refresh_bindings()

    # -- the lists -----------------------------------------------------------------------------
    def _table(self, which: str) -> RequestTable:
        return self.query_one(f"#{which}-table", RequestTable)

    def _rows(self, which: str) -> list:
        return self.decide_rows if which == DECIDE else self.mine_rows

    def _current_id(self, which: str) -> int | None:
        rows = self._rows(which)
        row = self._table(which).cursor_row
        return rows[row].id if rows and 0 <= row < len(rows) else None

    def _fill(self, which: str, keep_id: int | None) -> None:
        self._columns(which)
        table = self._table(which)
        rows = self._rows(which)
        table.clear()
        variables = self.app.get_css_variables()
        colours = {status: " ".join(variables.get(word, word) for word in style.split())
                   for status, style in STATUS_STYLE.items()}
        for r in rows:
            cells = [str(r.id)]
            if which == DECIDE:
                cells.append(f"{r.requester_name} ({r.requester_no})")
            cells += [status_text(r, colours), Text(what_text(r), no_wrap=True, overflow="ellipsis"),
                      Text(" ".join(r.reason.split()), no_wrap=True, overflow="ellipsis"),
                      term_text(r), short_time(r.requested_at), r.decided_by_no or "—"]
            table.add_row(*cells, key=str(r.id))
        ids = [r.id for r in rows]
        if keep_id in ids:
            table.move_cursor(row=ids.index(keep_id), animate=False)
        empty = not rows
        table.set_class(empty, "-empty")
        note = self.query_one(f"#{which}-empty", Static)
        note.set_class(empty and (which == MINE or self.decides), "-shown")
        note.update(_("No request waits for your decision.") if which == DECIDE
                    else _("You have asked for no access. N asks for access to customers outside your scope."))

    @property
    def current(self):
        """The highlighted request of the list in front, or None."""
        rows = self._rows(self.front)
        row = self._table(self.front).cursor_row
        return rows[row] if rows and 0 <= row < len(rows) else None

    def on_descendant_focus(self, event) -> None:
        widget = event.widget if hasattr(event, "widget") else None
        if isinstance(widget, RequestTable):
            self.front = DECIDE if widget.id == "decide-table" else MINE
            self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _event) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if isinstance(event.data_table, RequestTable):
            self.front = DECIDE if event.data_table.id == "decide-table" else MINE
            self.action_details()

    # -- keys ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        row = self.current
        if action in ("approve", "reject"):
            # Only the requests this user may decide are in the first list: never their own.
            return self.front == DECIDE and row is not None and row.status == "pending" and not self.busy
        if action == "withdraw":
            return self.front == MINE and row is not None and row.status == "pending" and not self.busy
        if action == "revoke":
            return self.front == DECIDE and row is not None and row.status == "approved" and not self.busy
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_work_platform(self) -> None:
        app = self.app
        self.dismiss(None)
        app.show_pane("work")  # type: ignore[attr-defined]

    def action_details(self) -> None:
        row = self.current
        if row is not None:
            self.app.push_screen(RequestDetailsDialog(row, actor=self.actor if self.front == DECIDE else None))

    def action_new(self) -> None:
        def sent(row) -> None:
            if row is None:
                return
            self.notify(_("Request {id} sent: your manager decides it", id=row.id), timeout=5)
            self.select = row.id
            self.reload()

        self.app.push_screen(NewRequestDialog(self.actor), callback=sent)

    def action_approve(self) -> None:
        self._decide("approve")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_revoke(self) -> None:
        self._decide("revoke")

    def _decide(self, action: str) -> None:
        row = self.current
        if row is None or self.busy:
            return

        def decided(result) -> None:
            if result is not None:
                self.notify(step_done_message(action, row.id), timeout=5)
                if row.id not in self.decided_here:
                    self.decided_here.append(row.id)
            self.reload()

        self.app.push_screen(DecisionDialog(self.actor, row, action), callback=decided)

    def action_withdraw(self) -> None:
        from ocrm_tui.screens.dialogs import ConfirmDialog

        row = self.current
        if row is None or self.busy:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.refresh_bindings()
                self._change(Step("withdraw", row.id, row.version))

        self.app.push_screen(ConfirmDialog(_("Withdraw request {id}?", id=row.id),
                                           _("Your manager will no longer be asked to decide it."),
                                           yes=_("Withdraw it"), no=_("Keep the request")), callback=answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-change", description="access change")
    def _change(self, step: Step) -> None:
        from ocrm_tui.services.errors import OcrmError

        try:
            row = run_step(self.app, self.actor, step)
        except OcrmError as exc:
            self.post_message(self.Refused(step, exc.message))
            return
        self.post_message(self.Done(step, row))

    def on_access_requests_screen_done(self, message: Done) -> None:
        self.busy = False
        self.notify(step_done_message(message.step.action, message.step.request_id), timeout=5)
        self.reload()

    def on_access_requests_screen_refused(self, message: Refused) -> None:
        self.busy = False
        self.notify(message.message, severity="error", timeout=8)
        self.reload()


# -- dialogs ---------------------------------------------------------------------------------------


class NewRequestDialog(OcrmModal[Any]):
    """Ask for access: the customer numbers, the reason, the hours (up to the bank's maximum).
    Ctrl+S sends it (in a worker); a refusal is shown at the field it is about and what was
    typed stays. Dismisses with the RequestRow sent, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Send", id="access_new.save", tooltip="Send the request to your manager",
                priority=True),
        Binding("escape", "cancel", "Cancel", id="access_new.cancel", tooltip="Close without asking"),
    ]
    DEFAULT_CSS = """
    NewRequestDialog .dialog { width: 76; max-width: 100%; }
    NewRequestDialog #hours-row { height: auto; }
    NewRequestDialog #hours-max { width: 1fr; height: 1; margin: 1 0 0 2; color: $text-muted; }
    NewRequestDialog .field-error { height: auto; color: $text-error; display: none; }
    NewRequestDialog .field-error.-shown { display: block; }
    NewRequestDialog #new-status { height: auto; margin-top: 1; color: $text-muted; }
    NewRequestDialog #new-status.-error { color: $text-error; text-style: bold; }
    """

    FIELDS = ("customers", "reason", "hours")

    @dataclass
    class Sent(Message):
        row: Any

    @dataclass
    class Refused(Message):
        message: str
        field: str | None

    @dataclass
    class MaxRead(Message):
        hours: int

    def __init__(self, actor) -> None:
        super().__init__(classes="dialog-screen")
        self.actor = actor
        self.max_hours: int | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Ask for access to customers"), classes="dialog-title", markup=False)
            yield Static(_("Your manager decides. Approved access ends by itself after the hours asked for."),
                         classes="dialog-message", markup=False)
            yield Label(_("Customer numbers (separated by commas or spaces)"), classes="field-label")
            yield Input(id="new-customers", max_length=20000, placeholder="9100000101, 9100000102")
            yield Static("", id="err-customers", classes="field-error", markup=False)
            yield Label(_("Reason (required)"), classes="field-label")
            yield Input(id="new-reason", max_length=REASON_MAX,
                        placeholder=_("Why you need these customers, e.g. the complaint you handle"))
            yield Static("", id="err-reason", classes="field-error", markup=False)
            yield Label(_("Hours"), classes="field-label")
            with Horizontal(id="hours-row"):
                yield Input("24", id="new-hours", max_length=6)
                yield Static("", id="hours-max", markup=False)
            yield Static("", id="err-hours", classes="field-error", markup=False)
            yield Static("", id="new-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Send") + " (Ctrl+S)", variant="primary", id="new-send")
                yield Button(_("Cancel"), id="new-cancel")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#new-hours", Input).styles.width = 12  # the app's stylesheet makes every Input 1fr
        self.query_one("#new-customers", Input).focus()
        self._read_max()

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-max", description="access max hours")
    def _read_max(self) -> None:
        from ocrm_tui.services import access

        with self.app.session() as s:  # type: ignore[attr-defined]
            hours = access.max_hours(s)
        self.post_message(self.MaxRead(hours))

    def on_new_request_dialog_max_read(self, message: MaxRead) -> None:
        self.max_hours = message.hours
        self.query_one("#hours-max", Static).update(_("at most {n} hours", n=message.hours))

    def field_error(self, field: str) -> str:
        return str(self.query_one(f"#err-{field}", Static).render())

    @property
    def status(self) -> str:
        return str(self.query_one("#new-status", Static).render())

    def has_unsaved_input(self) -> bool:
        return any(self.query_one(f"#new-{f}", Input).value.strip() for f in ("customers", "reason"))

    def _clear_errors(self) -> None:
        for field in self.FIELDS:
            error = self.query_one(f"#err-{field}", Static)
            error.update("")
            error.remove_class("-shown")
        self._set_status("")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#new-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        """Enter goes to the next field; on the last it sends."""
        event.stop()
        order = [f"new-{f}" for f in self.FIELDS]
        if event.input.id in order[:-1]:
            self.query_one(f"#{order[order.index(event.input.id) + 1]}", Input).focus()
        else:
            self.action_save()

    def action_save(self) -> None:
        if self.busy:
            return
        self._clear_errors()
        self.busy = True
        self._set_status(_("Sending…"))
        # As typed: the service reads the numbers (commas or spaces) and the hours, and says what is wrong.
        self._send(self.query_one("#new-customers", Input).value, self.query_one("#new-reason", Input).value,
                   self.query_one("#new-hours", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-new", description="access request")
    def _send(self, numbers: str, reason: str, hours: str) -> None:
        from ocrm_tui.services import access
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                row = access.request_customers(s, self.actor, reason=reason, hours=hours,  # type: ignore[arg-type]
                                               customer_nos=(numbers,), clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.Refused(exc.message, exc.field))
            return
        self.post_message(self.Sent(row))

    def on_new_request_dialog_sent(self, message: Sent) -> None:
        self.busy = False
        self.dismiss(message.row)

    def on_new_request_dialog_refused(self, message: Refused) -> None:
        self.busy = False
        self._set_status("")
        self._show_error(message.message, field_of(message.field, self.FIELDS))

    def _show_error(self, text: str, field: str | None) -> None:
        if field is None:
            self._set_status(text, error=True)
            return
        error = self.query_one(f"#err-{field}", Static)
        error.update(text)
        error.add_class("-shown")
        self.query_one(f"#new-{field}", Input).focus()

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "access-new" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = False
            self._set_status(_("The request could not be sent."), error=True)

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "new-send":
            self.action_save()
        else:
            self.action_cancel()


def field_of(field: str | None, fields: tuple[str, ...]) -> str | None:
    """The dialog's field a service refusal names (``customer_nos`` → ``customers``), or None."""
    if field is None:
        return None
    if field.startswith("customer"):
        field = "customers"
    return field if field in fields else None


class DecisionDialog(OcrmModal[Any]):
    """Approve (an optional note), reject or revoke (a note required) one request, after seeing
    it. Ctrl+S decides (in a worker); a refusal is shown here and the note stays. Dismisses with
    the RequestRow decided, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Decide", id="access_decide.save", tooltip="Record this decision",
                priority=True),
        Binding("escape", "cancel", "Cancel", id="access_decide.cancel", tooltip="Close without deciding"),
    ]
    DEFAULT_CSS = """
    DecisionDialog .dialog { width: 80; max-width: 100%; }
    DecisionDialog #decision-request { height: auto; }
    DecisionDialog #err-note { height: auto; color: $text-error; }
    DecisionDialog #decision-status { height: auto; margin-top: 1; color: $text-muted; }
    DecisionDialog #decision-status.-error { color: $text-error; text-style: bold; }
    """

    @dataclass
    class Decided(Message):
        row: Any

    @dataclass
    class PreviewRead(Message):
        text: str

    @dataclass
    class Refused(Message):
        message: str
        field: str | None

    def __init__(self, actor, row, action: str) -> None:
        super().__init__(classes="dialog-screen")
        self.actor = actor
        self.row = row
        self.action = action
        self.busy = False

    @property
    def note_required(self) -> bool:
        return self.action != "approve"

    def compose(self) -> ComposeResult:
        r = self.row
        title = {"approve": _("Approve request {id}?", id=r.id), "reject": _("Reject request {id}?", id=r.id),
                 "revoke": _("Revoke request {id}?", id=r.id)}[self.action]
        button = {"approve": _("Approve"), "reject": _("Reject"), "revoke": _("Revoke")}[self.action]
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(request_summary(r), id="decision-request", markup=False)
            if self.action == "approve":
                yield Static(_("Access to the customers of your scope among these starts now and ends after "
                               "{n} hours.", n=r.hours), classes="help-note", markup=False)
                yield Static(_("Looking the customers up in your scope…"), id="decision-preview", markup=False)
            elif self.action == "revoke":
                yield Static(_("The access ends now."), classes="help-note", markup=False)
            yield Label(_("Note (required)") if self.note_required else _("Note (optional)"), classes="field-label")
            yield Input(id="decision-note", max_length=NOTE_MAX,
                        placeholder=_("Why") if self.note_required else "")
            yield Static("", id="err-note", markup=False)
            yield Static("", id="decision-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(button + " (Ctrl+S)", variant="error" if self.action != "approve" else "primary",
                             id="decision-save")
                yield Button(_("Cancel"), id="decision-cancel")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#decision-note", Input).focus()
        if self.action == "approve" and self.row.kind == "customers":
            self._preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-preview", description="approval preview")
    def _preview(self) -> None:
        self.post_message(self.PreviewRead(read_preview(self.app, self.actor, self.row)))

    def on_decision_dialog_preview_read(self, message: PreviewRead) -> None:
        self.query_one("#decision-preview", Static).update(message.text)

    @property
    def error(self) -> str:
        return " ".join(t for t in (str(self.query_one("#err-note", Static).render()),
                                    str(self.query_one("#decision-status", Static).render())) if t)

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#decision-note", Input).value.strip())

    @on(Input.Submitted, "#decision-note")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#decision-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def action_save(self) -> None:
        if self.busy:
            return
        note = self.query_one("#decision-note", Input).value
        self.query_one("#err-note", Static).update("")
        self.busy = True
        self._set_status(_("Saving…"))
        self._decide(Step(self.action, self.row.id, self.row.version, note))

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-decide", description="access decision")
    def _decide(self, step: Step) -> None:
        from ocrm_tui.services.errors import OcrmError

        try:
            row = run_step(self.app, self.actor, step)
        except OcrmError as exc:
            self.post_message(self.Refused(exc.message, exc.field))
            return
        self.post_message(self.Decided(row))

    def on_decision_dialog_decided(self, message: Decided) -> None:
        self.busy = False
        self.dismiss(message.row)

    def on_decision_dialog_refused(self, message: Refused) -> None:
        self.busy = False
        self._set_status("")
        if message.field == "note":
            self.query_one("#err-note", Static).update(message.message)
            self.query_one("#decision-note", Input).focus()
        else:
            self._set_status(message.message, error=True)

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "access-decide" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.busy = False
            self._set_status(_("The decision could not be saved."), error=True)

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "decision-save":
            self.action_save()
        else:
            self.action_cancel()


def read_preview(app, actor, row) -> str:
    """(From a worker) what approving a customers request would grant, in words."""
    from ocrm_tui.services import access
    from ocrm_tui.services.errors import OcrmError

    try:
        with app.session() as s:
            preview = access.approval_preview(s, actor, row.id, clock=app.clock)
    except OcrmError as exc:
        return exc.message
    if row.search:
        return _("The search matches {n} customers in your scope", n=f"{preview.matched:,}")
    text = _("Found in your scope: {n} of {m}", n=f"{len(preview.found):,}", m=f"{len(row.customer_nos):,}")
    if preview.not_found:
        shown = ", ".join(preview.not_found[:10]) + ("…" if len(preview.not_found) > 10 else "")
        text += "\n" + _("Not found in your scope: {numbers}", numbers=shown)
    return text


def label_table(rows: list[tuple[str, str]]):
    """Labels on the left, values on the right (a rich grid: values line up, long ones wrap)."""
    from rich.table import Table

    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1)
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def request_summary(row):
    """Who asked for what, why and for how long (the head of the decision dialog)."""
    who = f"{row.requester_name} ({row.requester_no})   {long_time(row.requested_at)}"
    return label_table([(_("Requested by"), who),
                        (_c("access", "Customers"), what_text(row)), (_("Reason"), row.reason),
                        (_("Hours"), str(row.hours))])


class RequestDetailsDialog(OcrmModal[None]):
    """The whole request: every customer number asked for, how many were granted, the decision."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="access_details.close", tooltip="Close the request"),
    ]
    DEFAULT_CSS = """
    RequestDetailsDialog .dialog { width: 84; max-width: 100%; max-height: 90%; }
    RequestDetailsDialog #details-body { height: auto; max-height: 24; }
    """

    @dataclass
    class PreviewRead(Message):
        text: str

    def __init__(self, row, *, actor=None) -> None:
        super().__init__(classes="dialog-screen")
        self.row = row
        self.actor = actor  # given when the reader may decide it: what approving would grant is shown

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Request {id}", id=self.row.id), classes="dialog-title", markup=False)
            with VerticalScroll(id="details-body"):
                yield Static(label_table(self.rows), id="details-text")
                yield Static("", id="details-preview", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="details-ok")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#details-ok", Button).focus()
        if self.actor is not None and self.row.status == "pending" and self.row.kind == "customers":
            self.query_one("#details-preview", Static).update(_("Looking the customers up in your scope…"))
            self._preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="access-preview", description="approval preview")
    def _preview(self) -> None:
        self.post_message(self.PreviewRead(read_preview(self.app, self.actor, self.row)))

    def on_request_details_dialog_preview_read(self, message: PreviewRead) -> None:
        self.query_one("#details-preview", Static).update(message.text)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The request as (label, value) lines."""
        r = self.row
        lines: list[tuple[str, str]] = []

        def line(label: str, value: str) -> None:
            lines.append((label, value))

        line(_("Status"), status_name(r.status))
        line(_("Requested by"), f"{r.requester_name} ({r.requester_no})")
        line(_("Requested"), long_time(r.requested_at))
        line(_("Reason"), r.reason)
        if r.kind == "export":
            line(_("Export"), r.export_what or "—")
        elif r.customer_nos:
            line(_("Customers asked for"), f"{len(r.customer_nos):,}: " + ", ".join(r.customer_nos))
        else:
            line(_("Search"), r.search or "—")
        line(_("Hours"), str(r.hours))
        if r.decided_at is not None:
            line(_("Decided by"), f"{r.decided_by_no or '—'}   {long_time(r.decided_at)}")
            if r.decision_note:
                line(_("Note"), r.decision_note)
        if r.kind == "customers" and r.status in ("approved", "expired", "revoked"):
            line(_("Customers granted"), f"{r.granted:,}")
        if r.expires_at is not None:
            line(_("Ends"), long_time(r.expires_at))
        return lines

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
