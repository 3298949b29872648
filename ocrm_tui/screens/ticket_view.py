"""One service ticket: what it is about, whose it is, when it is due, what happened to it,
and what the person looking at it may do next.

Everything shown comes from ``services.tickets``: opening reads a ``TicketView`` through
``open_ticket`` (the assignee's unread marker goes), plain data with the customer masked
for tellers and the moves the actor may make. Keys the actor cannot use are not offered.

Each key runs one service call in a worker, with a write session and the version the
screen shows: a change made from a stale screen is refused with the service's message
(who changed or closed the ticket), the screen reloads, and the text written for the
change is kept — shown in the refusal, offered as a note, and given back when the key is
pressed again. A refused text (empty, too long) reopens its dialog with the text in it.

Escape goes back, dismissing with True when something was changed (the caller reloads).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static, TextArea
from textual.widgets.option_list import Option

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal, RecordScreen
from ocrm_tui.screens.customer_profile import HEADER_STYLE, LABEL_STYLE, NONE, Section, key_values, text_or_none, when
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.vocabulary import channel_name, tier_name, tier_style

STATUS_STYLES = {
    "new": "bold #ffffff on #1f6f8b",
    "in_progress": "bold #1b1b1b on #e3b341",
    "responded": "bold #ffffff on #7a3e9d",
    "closed": "bold #f0f0f0 on #3d7d46",
}
SLA_STYLES = {"overdue": "bold #ffffff on #c93c37", "due_soon": "bold #1b1b1b on #e3b341"}
HELP_ROLES = ("teller", "rm", "manager")


# -- the service's names and limits ---------------------------------------------------------------

def _service():
    """services.tickets, imported when first needed: nothing of the database layer loads before
    the first paint (this module may be imported by the shell's panes)."""
    from ocrm_tui.services import tickets

    return tickets


def badge(label: str, style: str) -> Text:
    """A label on a coloured ground, as wide as the label (not the cell it sits in)."""
    text = Text()
    text.append(f" {label} ", style=style)
    return text


def status_text(status: str) -> Text:
    return badge(_service().status_name(status), STATUS_STYLES.get(status, "bold"))


def rating_text(rating: int | None, comment: str | None = None) -> Text:
    if rating is None:
        return Text(NONE, style=LABEL_STYLE)
    text = Text("★" * rating + "☆" * (5 - rating) + " ", style="#e3b341")
    text.append(_("{n} · {name}", n=rating, name=_service().rating_name(rating)), style="bold")
    if comment:
        text.append(f"  “{comment}”")
    return text


def sla_text(v) -> Text:
    """Due time and SLA state: overdue in red, due soon in yellow; a closed ticket says when."""
    if v.status == "closed":
        return Text(_("closed {time}", time=when(v.closed_at)) if v.closed_at else _("closed"), style=LABEL_STYLE)
    text = Text(when(v.due_at))
    if v.sla == "overdue":
        text.append("  " + _("Overdue"), style="bold #e5534b")
    elif v.sla == "due_soon":
        text.append("  " + _("Due soon"), style="bold #e3b341")
    return text


def event_what(e) -> str:
    """What one timeline entry says happened."""
    t = _service()
    if e.kind == "created":
        return _("Created")
    if e.kind == "assigned":
        if e.to_value is None:
            return _("Returned to the pool")
        if e.from_value:
            return _("Reassigned from {a} to {b}", a=e.from_value, b=e.to_value)
        return _("Assigned to {name}", name=e.to_value)
    if e.kind == "status":
        return _("Status {a} → {b}", a=t.status_name(e.from_value or ""), b=t.status_name(e.to_value or ""))
    if e.kind == "reopened":
        return _("Reopened")
    if e.kind == "note":
        return _("Note")
    if e.kind == "help_requested":
        return _("Help requested of {who}", who=e.to_value or "")
    if e.kind == "help_answered":
        return _("Help answered")
    if e.kind == "rated":
        level = int(e.to_value) if (e.to_value or "").isdigit() else None
        return _("Rated {n} · {name}", n=e.to_value, name=t.rating_name(level))
    return e.kind


# -- drawing the sections -------------------------------------------------------------------------

def ticket_block(v) -> Table:
    t = _service()
    priority = Text(t.priority_name(v.priority), style="bold #e5534b" if v.priority == "high" else "")
    return key_values([
        (_("Type"), Text(t.type_name(v.type))),
        (_("Priority"), priority),
        (_("Channel"), Text(channel_name(v.channel))),
        (_("Status"), status_text(v.status)),
        (_("Due"), sla_text(v)),
        (_("Created at"), Text(when(v.created_at))),
    ])


def handling_block(v) -> Table:
    return key_values([
        (_("Assignee"), Text(v.assignee) if v.assignee else Text(_("nobody yet (branch pool)"), style="#e3b341")),
        (_("Required skill"), text_or_none(v.required_skill)),
        (_("Raised by"), text_or_none(v.created_by)),
        (_("Rating"), rating_text(v.rating, v.rating_comment)),
    ])


def customer_block(v) -> Table:
    return key_values([
        (_("Customer name"), Text(v.customer_name, style="bold")),
        (_("Customer no."), Text(v.customer_no)),
        (_("Mobile"), text_or_none(v.customer_mobile)),
        (_("Tier"), badge(tier_name(v.customer_tier), tier_style(v.customer_tier))),
    ])


def long_text(value: str | None, empty: str) -> Text:
    return Text(value) if value else Text(empty, style=LABEL_STYLE)


def solution_block(v) -> Text:
    if v.solution:
        return Text(v.solution)
    return Text(_("Not closed yet") if v.status != "closed" else NONE, style=LABEL_STYLE)


def help_block(v) -> Table | Text:
    if not v.help:
        return Text(_("Nobody has been asked for help"), style=LABEL_STYLE)
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, expand=True, show_edge=False,
                  header_style=HEADER_STYLE)
    table.add_column(_("Asked"), no_wrap=True)
    table.add_column(_("By"), no_wrap=True)
    table.add_column(_("Asked of"), no_wrap=True)
    table.add_column(_("Task"), ratio=1, overflow="fold")
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Answer"), ratio=1, overflow="fold")
    for h in v.help:
        if h.status == "open":
            state = (Text(_("yours to answer (W)"), style="bold #e3b341") if h.mine_to_answer
                     else Text(_("waiting"), style="#e3b341"))
        elif h.status == "withdrawn":
            state = Text(_("withdrawn: the ticket was closed"), style=LABEL_STYLE)
        else:
            state = Text(_("answered by {name}", name=h.answered_by or NONE), style="#3fb950")
        table.add_row(when(h.at), h.requested_by, h.to, h.task, state, h.answer or NONE)
    return table


def timeline_block(v) -> Table | Text:
    if not v.timeline:
        return Text(NONE, style=LABEL_STYLE)
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, expand=True, show_edge=False,
                  header_style=HEADER_STYLE)
    table.add_column(_("Time"), no_wrap=True)
    table.add_column(_("Staff"), no_wrap=True)
    table.add_column(_("What"), no_wrap=True)
    table.add_column(_("Text"), ratio=1, overflow="fold")
    for e in v.timeline:
        table.add_row(when(e.at), e.actor or NONE, Text(event_what(e), style="bold"), e.text or "")
    return table


# -- what the user asked for ----------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One change as the user gave it: enough to run it again, or to give back what was typed."""

    kind: str  # start, claim, respond, close, reopen, note, help, answer, rate, assign
    text: str = ""
    rating: int | None = None
    comment: str = ""
    to_user: str | None = None  # employee number
    to_role: str | None = None
    to_label: str = ""
    help_id: int | None = None

    @property
    def draft_key(self) -> str:
        return f"answer:{self.help_id}" if self.kind == "answer" else self.kind


# -- the screen -----------------------------------------------------------------------------------

class TicketScreen(RecordScreen):
    """One ticket, its timeline and what may be done with it."""

    RECORD = "ticket"

    # s is "Start" or, on an unassigned ticket, "Take": check_action offers one of the two.
    BINDINGS = [
        Binding("s", "start", "Start", id="ticket.start", tooltip="Start work on the ticket (in progress)"),
        Binding("s", "claim", "Take", id="ticket.claim", tooltip="Take this unassigned ticket and start work on it"),
        Binding("r", "respond", "Respond", id="ticket.respond", tooltip="Record the response given to the customer"),
        Binding("c", "close_ticket", "Close", id="ticket.close",
                tooltip="Close the ticket with the solution, and the customer's rating if given"),
        Binding("o", "reopen", "Reopen", id="ticket.reopen", tooltip="Reopen the closed ticket, with the reason"),
        Binding("n", "note", "Note", id="ticket.note", tooltip="Add a note to the timeline"),
        Binding("h", "ask_help", "Ask for help", id="ticket.ask_help",
                tooltip="Ask a colleague, or any teller, RM or manager of the branch, for help"),
        Binding("w", "answer_help", "Answer help", id="ticket.answer_help",
                tooltip="Answer a request for help addressed to you"),
        Binding("v", "rate", "Rating", id="ticket.rate", tooltip="Record the customer's satisfaction rating"),
        Binding("g", "assign", "Assign", id="ticket.assign", tooltip="Give the ticket to a member of staff"),
        Binding("p", "profile", "Customer", id="ticket.profile", tooltip="Open the customer's profile"),
        Binding("escape", "back", "Back", id="ticket.back", tooltip="Back to where you came from"),
    ]

    DEFAULT_CSS = """
    TicketScreen { background: $background; }
    TicketScreen #ticket-title { height: 1; padding: 0 1; background: $panel; }
    TicketScreen #ticket-title Label { height: 1; }
    TicketScreen #ticket-number { text-style: bold; color: $text; }
    TicketScreen #ticket-subject { width: 1fr; margin-left: 2; text-style: bold; }
    TicketScreen #ticket-status { margin-left: 1; }
    TicketScreen #ticket-sla { margin-left: 1; }
    TicketScreen #ticket-state { height: auto; padding: 0 1; color: $text-muted; }
    TicketScreen #ticket-state.-error { color: $text-error; text-style: bold; padding: 1 2; }
    TicketScreen #ticket-state.-hidden { display: none; }
    TicketScreen #ticket-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    TicketScreen #ticket-body.-hidden { display: none; }
    TicketScreen .ticket-row {
        layout: grid; grid-size: 3; grid-columns: 1fr 1fr 1fr; grid-rows: auto; grid-gutter: 0 1; height: auto;
    }
    TicketScreen #ticket-texts { grid-size: 2; grid-columns: 1fr 1fr; }
    TicketScreen .ticket-row > .profile-section { height: 100%; }
    TicketScreen .profile-section {
        height: auto; padding: 0 1; border: round $primary 60%; border-title-color: $primary;
        border-title-style: bold;
    }
    TicketScreen .section-body { height: auto; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        view: Any  # services.tickets.TicketView: frozen plain data

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    @dataclass
    class Done(Message):
        step: Step
        view: Any  # the ticket as it is now (None when it could not be read again)

    @dataclass
    class Refused(Message):
        step: Step
        message: str
        field: str | None
        stale: bool
        view: Any  # read again after a stale refusal; None otherwise

    def __init__(self, ticket_id: int, *, view=None) -> None:
        """``view``: the TicketView when the caller has already opened it (``tickets.open_ticket``):
        drawn at once, without a second trip to the database."""
        super().__init__()
        self.ticket_id = ticket_id
        self._preloaded = view
        self.view = None  # the TicketView on screen
        self.drawn = False  # True once the ticket is on screen (the queue and a benchmark wait for it)
        self.loading = False
        self.busy = False  # a change is being saved
        self.changed = False  # something was changed here: the caller reloads
        self.error: str | None = None
        self._generation = 0
        self._drafts: dict[str, str] = {}  # texts written for changes not made yet, by Step.draft_key

    def compose(self) -> ComposeResult:
        actor = getattr(self.app, "actor", None)
        if actor is not None:
            yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role,
                            org_name=actor.org_name)
        with Horizontal(id="ticket-title"):
            yield Label("", id="ticket-number", markup=False)
            yield Label("", id="ticket-subject", markup=False)
            yield Label("", id="ticket-status")
            yield Label("", id="ticket-sla")
        yield Static(_("Loading the ticket…"), id="ticket-state", markup=False)
        with VerticalScroll(id="ticket-body", classes="-hidden"):
            with Vertical(id="ticket-top", classes="ticket-row"):
                yield Section(_("Ticket"), "ticket-details", id="section-ticket")
                yield Section(_("Handling"), "ticket-handling", id="section-handling")
                yield Section(_("Customer"), "ticket-customer", id="section-customer")
            with Vertical(id="ticket-texts", classes="ticket-row"):
                yield Section(_("Description"), "ticket-description", id="section-description")
                yield Section(_("Solution"), "ticket-solution", id="section-solution")
            yield Section(_("Collaboration"), "ticket-help", id="section-help")
            yield Section(_("Timeline"), "ticket-timeline", id="section-timeline")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Service ticket")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        if self._preloaded is not None:
            self._generation += 1
            self.on_ticket_screen_loaded(self.Loaded(self._generation, self._preloaded))
            self._preloaded = None
        else:
            self.reload(opening=True)

    # -- loading ------------------------------------------------------------------------------

    def reload(self, *, opening: bool = False) -> None:
        self._generation += 1
        self.loading = True
        self.refresh_bindings()
        self._load(self._generation, opening)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket", description="load ticket")
    def _load(self, generation: int, opening: bool) -> None:
        from ocrm_tui.services import tickets
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=opening) as s:  # type: ignore[attr-defined]
                if opening:  # the assignee has now seen it: the unread marker goes
                    view = tickets.open_ticket(s, app.actor, self.ticket_id, clock=app.clock)  # type: ignore[attr-defined]
                else:
                    view = tickets.get_ticket(s, app.actor, self.ticket_id, now=app.clock())  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, view))

    def on_ticket_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # an older load answered after a newer one was asked for
        self.loading = False
        self.error = None
        self._show(message.view)

    def _show(self, view) -> None:
        self.view = view
        self._draw(view)
        self.refresh_bindings()
        if not self.drawn:
            self.call_after_refresh(self._mark_drawn)

    def _mark_drawn(self) -> None:
        self.drawn = True

    def on_ticket_screen_load_failed(self, message: LoadFailed) -> None:
        self._load_failed(message.generation, message.message)

    def could_not_load(self) -> str:
        return _("The ticket could not be loaded.")

    # -- drawing ------------------------------------------------------------------------------

    def _draw(self, v) -> None:
        self.query_one("#ticket-number", Label).update(v.number)
        self.query_one("#ticket-subject", Label).update(v.subject)
        self.query_one("#ticket-status", Label).update(status_text(v.status))
        sla = self.query_one("#ticket-sla", Label)
        if v.status != "closed" and v.sla in SLA_STYLES:
            label = _("Overdue") if v.sla == "overdue" else _("Due soon")
            sla.update(badge(f"{label} · {when(v.due_at)}", SLA_STYLES[v.sla]))
        else:
            sla.update("")
        self._set_state("")
        self.query_one("#ticket-details", Static).update(ticket_block(v))
        self.query_one("#ticket-handling", Static).update(handling_block(v))
        self.query_one("#ticket-customer", Static).update(customer_block(v))
        self.query_one("#ticket-description", Static).update(long_text(v.description, _("No description")))
        self.query_one("#ticket-solution", Static).update(solution_block(v))
        self.query_one("#ticket-help", Static).update(help_block(v))
        self.query_one("#ticket-timeline", Static).update(timeline_block(v))
        body = self.query_one("#ticket-body", VerticalScroll)
        body.remove_class("-hidden")
        if self.focused is None:
            body.focus()  # ↑/↓/PgUp/PgDn scroll the ticket

    # -- which keys are offered ---------------------------------------------------------------

    def _mine_to_answer(self) -> list:
        return [h for h in self.view.help if h.mine_to_answer] if self.view is not None else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        v = self.view
        if action == "back":
            return True
        if v is None:
            return False
        if action == "profile":
            return True
        allowed = {
            "start": "in_progress" in v.moves and v.status != "closed" and not (v.assignee_id is None and v.can_claim),
            "claim": v.assignee_id is None and v.can_claim,
            "respond": "responded" in v.moves,
            "close_ticket": "closed" in v.moves,
            "reopen": v.status == "closed" and "in_progress" in v.moves,
            "note": True,
            "ask_help": v.status != "closed",
            "answer_help": bool(self._mine_to_answer()),
            "rate": v.can_rate,
            "assign": v.can_assign,
        }.get(action)
        if allowed is None:
            return True
        if not allowed:
            return False
        return None if (self.busy or self.loading) else True  # shown, but greyed while saving

    def _ready(self, action: str) -> bool:
        return self.view is not None and self.check_action(action, ()) is True

    # -- the keys -----------------------------------------------------------------------------

    def action_start(self) -> None:
        if self._ready("start"):
            self._perform(Step("start"))

    def action_claim(self) -> None:
        if self._ready("claim"):
            self._perform(Step("claim"))

    def action_respond(self) -> None:
        if self._ready("respond"):
            self._ask_text(Step("respond"))

    def action_close_ticket(self) -> None:
        if self._ready("close_ticket"):
            self._ask_text(Step("close"))

    def action_reopen(self) -> None:
        if self._ready("reopen"):
            self._ask_text(Step("reopen"))

    def action_note(self) -> None:
        if self._ready("note"):
            self._ask_text(Step("note"))

    def action_ask_help(self) -> None:
        if self._ready("ask_help"):
            self._ask_help_target(Step("help"))

    def action_answer_help(self) -> None:
        if not self._ready("answer_help"):
            return
        mine = self._mine_to_answer()
        if len(mine) == 1:
            self._ask_text(Step("answer", help_id=mine[0].id, to_label=mine[0].requested_by))
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                h = mine[index]
                self._ask_text(Step("answer", help_id=h.id, to_label=h.requested_by))

        self.app.push_screen(ChoiceDialog(_("Answer a request for help"), _("Which request do you answer?"),
                                          [f"{h.requested_by}: {h.task}" for h in mine]), callback=chosen)

    def action_rate(self) -> None:
        if self._ready("rate"):
            v = self.view
            self._ask_rating(Step("rate", rating=v.rating, comment=v.rating_comment or ""))

    def action_assign(self) -> None:
        if not self._ready("assign"):
            return
        from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog

        def picked(choice) -> None:
            if choice is not None:
                self._perform(Step("assign", to_user=choice.employee_no, to_label=choice.name))

        self.app.push_screen(StaffPickerDialog(_("Assign ticket {no} to", no=self.view.number), for_assignment=True),
                             callback=picked)

    def action_profile(self) -> None:
        if self.view is None:
            return
        from ocrm_tui.screens.customer_profile import ProfileScreen

        self.app.push_screen(ProfileScreen(self.view.customer_id))

    def action_back(self) -> None:
        if not self._drafts:
            self.dismiss(self.changed)
            return
        from ocrm_tui.screens.dialogs import ConfirmDialog

        def answer(leave: bool | None) -> None:
            if leave:
                self._drafts.clear()
                self.dismiss(self.changed)

        self.app.push_screen(ConfirmDialog(_("Leave the ticket?"), _("A text you wrote for it has not been saved."),
                                           yes=_("Leave"), no=_("Stay")), callback=answer)

    def has_unsaved_input(self) -> bool:
        return bool(self._drafts)

    # -- asking for what a change needs --------------------------------------------------------

    def _text_dialog(self, step: Step):
        from ocrm_tui.screens.ticket_dialogs import TextDialog

        no = self.view.number if self.view is not None else ""
        initial = step.text or self._drafts.get(step.draft_key, "")
        if step.kind == "respond":
            return TextDialog(_("Respond on ticket {no}", no=no), _("The response given to the customer:"),
                              max_length=_service().TEXT_MAX, initial=initial, save_label=_("Record the response"))
        if step.kind == "close":
            return TextDialog(_("Close ticket {no}", no=no),
                              _("The solution: what was done for the customer. Next: their rating (optional)."),
                              max_length=_service().TEXT_MAX, initial=initial, save_label=_("Next"))
        if step.kind == "reopen":
            return TextDialog(_("Reopen ticket {no}", no=no), _("Why is the ticket reopened?"),
                              max_length=_service().TEXT_MAX, initial=initial, save_label=_("Reopen"))
        if step.kind == "note":
            return TextDialog(_("Note on ticket {no}", no=no), _("The note, for the timeline:"),
                              max_length=_service().TEXT_MAX, initial=initial, save_label=_("Add the note"))
        if step.kind == "help":
            return TextDialog(_("Ask {who} for help", who=step.to_label),
                              _("The task: what do you need from them on ticket {no}?", no=no),
                              max_length=_service().TASK_MAX, initial=initial, save_label=_("Ask"))
        task = next((h.task for h in (self.view.help if self.view else []) if h.id == step.help_id), "")
        return TextDialog(_("Answer {who}", who=step.to_label), _("They asked: {task}", task=task),
                          max_length=_service().TEXT_MAX, initial=initial, save_label=_("Send the answer"))

    def _ask_text(self, step: Step) -> None:
        def written(text: str | None) -> None:
            if text is None:
                return
            given = replace(step, text=text)
            self._drafts[step.draft_key] = text
            if step.kind == "close":
                self._ask_rating(given)
            else:
                self._perform(given)

        self.app.push_screen(self._text_dialog(step), callback=written)

    def _ask_rating(self, step: Step) -> None:
        closing = step.kind == "close"

        def rated(choice: RatingChoice | None) -> None:
            if choice is None:
                if closing:  # back to the solution, as it was written
                    self._ask_text(step)
                return
            self._perform(replace(step, rating=choice.level, comment=choice.comment))

        self.app.push_screen(RatingDialog(closing=closing, level=step.rating, comment=step.comment), callback=rated)

    def _ask_help_target(self, step: Step) -> None:
        from ocrm_tui.services.tickets import role_name

        options = [_("A colleague by name…"), _("Any teller of the branch"), _("Any relationship manager of the branch"),
                   _("Any manager of the branch")]  # in the order of HELP_ROLES

        def chosen(index: int | None) -> None:
            if index is None:
                return
            if index == 0:
                self._ask_help_colleague(step)
            else:
                role = HELP_ROLES[index - 1]
                self._ask_text(replace(step, to_user=None, to_role=role, to_label=role_name(role)))

        self.app.push_screen(ChoiceDialog(_("Ask for help"), _("Whom do you ask?"), options), callback=chosen)

    def _ask_help_colleague(self, step: Step) -> None:
        from ocrm_tui.screens.ticket_dialogs import StaffPickerDialog

        def picked(choice) -> None:
            if choice is not None:
                self._ask_text(replace(step, to_user=choice.employee_no, to_role=None, to_label=choice.name))

        self.app.push_screen(StaffPickerDialog(_("Ask a colleague for help"), for_assignment=False), callback=picked)

    # -- making the change --------------------------------------------------------------------

    def _perform(self, step: Step) -> None:
        if self.view is None or self.busy:
            return
        self.busy = True
        self.refresh_bindings()
        self._change(step, self.view.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-change", description="change ticket")
    def _change(self, step: Step, version: int) -> None:
        from ocrm_tui.services import tickets
        from ocrm_tui.services.errors import OcrmError, StaleRecordError, ValidationError

        app = self.app
        actor, clock, tid = app.actor, app.clock, self.ticket_id  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                kind = step.kind
                if kind == "start":
                    tickets.start(s, actor, tid, version=version, clock=clock)
                elif kind == "claim":
                    tickets.claim(s, actor, tid, version=version, clock=clock)
                elif kind == "respond":
                    tickets.respond(s, actor, tid, step.text, version=version, clock=clock)
                elif kind == "close":
                    tickets.close(s, actor, tid, step.text, rating=step.rating, comment=step.comment or None,
                                  version=version, clock=clock)
                elif kind == "reopen":
                    tickets.reopen(s, actor, tid, step.text, version=version, clock=clock)
                elif kind == "note":
                    tickets.add_note(s, actor, tid, step.text, clock=clock)
                elif kind == "help":
                    tickets.request_help(s, actor, tid, step.text, to_user=step.to_user, to_role=step.to_role,
                                         clock=clock)
                elif kind == "answer":
                    tickets.answer_help(s, actor, step.help_id, step.text, clock=clock)
                elif kind == "rate":
                    tickets.rate(s, actor, tid, step.rating, step.comment or None, version=version, clock=clock)
                elif kind == "assign":
                    tickets.assign(s, actor, tid, step.to_user, version=version, clock=clock)
                else:  # pragma: no cover - every key names one of the above
                    raise ValueError(kind)
        except OcrmError as exc:
            # A refused text keeps the version the user saw: only a stale (or vanished) ticket is
            # read again, so a later save from this screen is still checked against what they saw.
            stale = isinstance(exc, StaleRecordError)
            fresh = None if isinstance(exc, ValidationError) else self._read_quietly()
            self.post_message(self.Refused(step, exc.message, exc.field, stale, fresh))
            return
        self.post_message(self.Done(step, self._read_quietly()))

    def _read_quietly(self):
        """The ticket as it is now, or None when it cannot be read (from the worker thread)."""
        from ocrm_tui.services import tickets
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                return tickets.get_ticket(s, app.actor, self.ticket_id, now=app.clock())  # type: ignore[attr-defined]
        except OcrmError:
            return None

    def on_ticket_screen_done(self, message: Done) -> None:
        self.busy = False
        self.changed = True
        step = message.step
        self._drafts.pop(step.draft_key, None)
        if message.view is not None:
            self._generation += 1  # an older load still on its way is not drawn over this
            self._show(message.view)
        else:
            self.reload()
        self.notify(self._done_message(step, message.view), timeout=3)
        self.refresh_bindings()

    def _done_message(self, step: Step, view) -> str:
        from ocrm_tui.services.tickets import rating_name

        no = view.number if view is not None else (self.view.number if self.view else "")
        if step.kind == "start":
            return _("Ticket {no} is in progress", no=no)
        if step.kind == "claim":
            return _("You took ticket {no}; it is in progress", no=no)
        if step.kind == "respond":
            return _("Response recorded on ticket {no}", no=no)
        if step.kind == "close":
            if step.rating:
                return _("Ticket {no} closed, rated {n} · {name}", no=no, n=step.rating, name=rating_name(step.rating))
            return _("Ticket {no} closed", no=no)
        if step.kind == "reopen":
            return _("Ticket {no} reopened", no=no)
        if step.kind == "note":
            return _("Note added to ticket {no}", no=no)
        if step.kind == "help":
            return _("{who} has been asked for help", who=step.to_label)
        if step.kind == "answer":
            return _("Your answer was sent")
        if step.kind == "rate":
            return _("Rating recorded: {n} · {name}", n=step.rating, name=rating_name(step.rating))
        if step.kind == "assign":
            return _("Ticket {no} assigned to {name}", no=no, name=step.to_label)
        return ""

    def on_ticket_screen_refused(self, message: Refused) -> None:
        self.busy = False
        step = message.step
        if message.stale:
            if message.view is not None:
                self._generation += 1
                self._show(message.view)
            else:
                self.reload()
            self._show_stale(step, message.message)
            return
        self.notify(message.message, severity="error", timeout=6)
        if message.view is not None:
            self._generation += 1
            self._show(message.view)
        self.refresh_bindings()
        # The text was refused (empty, too long): ask again with what was typed.
        if step.kind == "close" and message.field in ("rating", "comment"):
            self._ask_rating(step)
        elif step.kind == "rate":
            self._ask_rating(step)
        elif step.kind == "help" and message.field in ("to", "assignee"):
            self._ask_help_target(step)
        elif step.kind == "assign" and message.field == "assignee":
            self.action_assign()
        elif step.kind in ("respond", "close", "reopen", "note", "help", "answer") and \
                message.field in ("text", "solution", "task", "answer"):
            self._ask_text(step)

    def _show_stale(self, step: Step, message: str) -> None:
        text = step.text.strip()

        def answered(keep_as_note: bool | None) -> None:
            if keep_as_note and text:
                self._drafts.pop(step.draft_key, None)
                self._drafts["note"] = text
                self._perform(Step("note", text=text))

        self.app.push_screen(StaleTicketDialog(message, text), callback=answered)


# -- dialogs of the ticket screen -----------------------------------------------------------------

@dataclass(frozen=True)
class RatingChoice:
    level: int | None  # None: closed without a rating
    comment: str


class RatingDialog(OcrmModal[RatingChoice | None]):
    """The customer's satisfaction: five levels by the keys 1–5 (shown with their names), an
    optional comment, Ctrl+S saves. When closing a ticket the rating may be left out (0)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="rating.save", tooltip="Save the rating", priority=True),
        Binding("escape", "cancel", "Back", id="rating.cancel", tooltip="Back without saving the rating"),
    ]
    DEFAULT_CSS = """
    RatingDialog RadioSet { width: 100%; margin-bottom: 1; }
    RatingDialog #rating-error { height: auto; color: $text-error; }
    """

    def __init__(self, *, closing: bool, level: int | None = None, comment: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.closing = closing
        self._level = level
        self._comment = comment

    def compose(self) -> ComposeResult:
        from ocrm_tui.services.tickets import RATINGS, rating_name

        title = _("Close: the customer's rating") if self.closing else _("The customer's rating")
        prompt = (_("How satisfied is the customer? Press 1–5, or 0 to close without a rating.") if self.closing
                  else _("How satisfied is the customer? Press 1–5."))
        chosen = self._level if self._level in RATINGS else (0 if self.closing else None)
        self._keys = {str(level) for level in RATINGS} | ({"0"} if self.closing else set())
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(prompt, classes="dialog-message", markup=False)
            with RadioSet(id="rating-level"):
                for level in RATINGS:
                    yield RadioButton(f"{level}  {rating_name(level)}", value=level == chosen, id=f"rating-{level}")
                if self.closing:
                    yield RadioButton(_("0  No rating now"), value=chosen == 0, id="rating-0")
            yield Label(_("Comment (optional)"), classes="field-label")
            yield Input(self._comment, id="rating-comment", max_length=_service().COMMENT_MAX + 100,
                        placeholder=_("What the customer said"))
            yield Static("", id="rating-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button((_("Close the ticket") if self.closing else _("Save")) + " (Ctrl+S)",
                             variant="primary", id="rating-save")
                yield Button(_("Back"), id="rating-back")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#rating-level", RadioSet).focus()

    def on_key(self, event) -> None:
        # 1–5 (and 0 when closing) choose a level, then the comment; in the comment they are typed.
        if isinstance(self.focused, Input) or event.character is None:
            return
        if event.character in self._keys:
            event.stop()
            self.query_one(f"#rating-{event.character}", RadioButton).value = True
            self.query_one("#rating-comment", Input).focus()

    @property
    def level(self) -> int | None:
        pressed = self.query_one("#rating-level", RadioSet).pressed_button
        if pressed is None or not pressed.id:
            return None
        value = int(pressed.id.removeprefix("rating-"))
        return value or None

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#rating-comment", Input).value.strip())

    @on(Input.Submitted, "#rating-comment")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        error = self.query_one("#rating-error", Static)
        comment = self.query_one("#rating-comment", Input).value.strip()
        level = self.level
        if level is None and not self.closing:
            error.update(_("Choose the rating: press 1 to 5"))
            self.query_one("#rating-level", RadioSet).focus()
            return
        most = _service().COMMENT_MAX
        if len(comment) > most:
            error.update(_("At most {max} characters: shorten it by {n}", max=f"{most:,}", n=f"{len(comment) - most:,}"))
            return
        if level is None and comment:
            error.update(_("A comment goes with a rating: press 1 to 5, or clear the comment"))
            return
        self.dismiss(RatingChoice(level, comment if level is not None else ""))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "rating-save":
            self.action_save()
        else:
            self.dismiss(None)


class ChoiceDialog(OcrmModal[int | None]):
    """A short list to pick from: a digit picks at once, ↑/↓ and Enter too. Dismisses with the
    index picked, or None (Escape)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="Close without choosing"),
    ]
    DEFAULT_CSS = """
    ChoiceDialog OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, title: str, prompt: str, options: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self._title, self._prompt, self._options = title, prompt, options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Static(self._prompt, classes="dialog-message", markup=False)
            yield OptionList(*[Option(Text(f"{i}  {label}" if i <= 9 else label, overflow="ellipsis", no_wrap=True),
                                      id=str(i - 1)) for i, label in enumerate(self._options, 1)],
                             id="choice-list")
        yield OcrmFooter()

    def on_mount(self) -> None:
        choices = self.query_one("#choice-list", OptionList)
        choices.focus()
        choices.highlighted = 0

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= min(9, len(self._options)):
            event.stop()
            self.dismiss(int(event.character) - 1)

    @on(OptionList.OptionSelected, "#choice-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class StaleTicketDialog(OcrmModal[bool]):
    """The ticket changed while it was on screen: the service's message (who changed or closed
    it) and the text that was not saved, which can be kept as a note on the timeline."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="stale_ticket.close", tooltip="Close this message"),
    ]
    DEFAULT_CSS = """
    StaleTicketDialog TextArea { height: 6; }
    """

    def __init__(self, message: str, text: str) -> None:
        super().__init__(classes="dialog-screen")
        self._message, self._text = message, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-error"):
            yield Static(_("Changed by someone else"), classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", id="stale-message", markup=False)
            if self._text:
                yield Label(_("What you wrote was not saved; it is kept here:"), classes="field-label")
                yield TextArea(self._text, id="stale-text", read_only=True, soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="dialog-buttons"):
                if self._text:
                    yield Button(_("Add it as a note"), variant="primary", id="stale-note")
                yield Button(_("OK"), id="stale-ok")

    def on_mount(self) -> None:
        self.query_one("#stale-note" if self._text else "#stale-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "stale-note")

    def action_close(self) -> None:
        self.dismiss(False)
