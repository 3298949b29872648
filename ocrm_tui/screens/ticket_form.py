"""A new service ticket, in a few keystrokes: the customer (given by the profile, or found by
the same search as F2), the type and the priority by single keys, a subject, a description,
Ctrl+S.

- Type: 1 consultation, 2 complaint, 3 suggestion; priority: 1 high, 2 medium (the default),
  3 low — a complaint suggests high until a priority is chosen by hand. Choosing moves on to
  the next field.
- The rules are the service's (``tickets.check_new_ticket``, ``tickets.create_ticket``): a
  wrong field says what is wrong next to it, and what was typed stays.
- The service assigns the ticket at once; the form says to whom (or that it waits in the
  branch pool) and dismisses with the new ticket's id (None when left without saving).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.vocabulary import channel_name

DEBOUNCE_SECONDS = 0.25
# The fields of the form, top to bottom: where the first error takes the focus.
FIELDS = ("customer", "type", "priority", "subject", "description", "channel", "required_skill")
# A value the service accepts for each field: stands in for a wrong one while looking for the next.
_ACCEPTED = {"type": "consultation", "priority": "medium", "channel": "counter", "subject": "-", "description": "",
             "required_skill": ""}


def _service():
    """services.tickets, imported when first needed (no database code before the first paint)."""
    from ocrm_tui.services import tickets

    return tickets


def field_errors(values: dict[str, str]) -> dict[str, str]:
    """Every wrong field of a new ticket with the service's message (the service names the first
    wrong one; each is set aside in turn to find the next)."""
    from ocrm_tui.services.errors import ValidationError

    errors: dict[str, str] = {}
    probe = dict(values)
    for _attempt in range(len(_ACCEPTED) + 1):
        try:
            _service().check_new_ticket(probe)
            break
        except ValidationError as exc:
            if exc.field not in _ACCEPTED or exc.field in errors:
                errors[exc.field or "form"] = exc.message
                break
            errors[exc.field] = exc.message
            probe[exc.field] = _ACCEPTED[exc.field]
    return errors


class KeyChoice(Widget, can_focus=True):
    """One of a few values, chosen with one key: "1 Consultation  2 Complaint  3 Suggestion".

    A digit chooses and says so (``Chosen``, the form moves on); ←/→ change the choice in place.
    """

    DEFAULT_CSS = """
    KeyChoice { height: 1; width: 1fr; padding: 0 1; background: $boost; }
    KeyChoice:focus { background: $primary 25%; }
    """

    value: reactive[str | None] = reactive(None)

    @dataclass
    class Chosen(Message):
        choice: KeyChoice
        value: str
        by_key: bool  # a digit: the form moves on

        @property
        def control(self) -> KeyChoice:
            return self.choice

    def __init__(self, options: list[tuple[str, str]], *, value: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options  # (label, value)
        self.set_reactive(KeyChoice.value, value)
        self._spans: list[tuple[int, int]] = []

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for i, (label, value) in enumerate(self.options, 1):
            if i > 1:
                text.append("    ")
            start = text.cell_len
            chosen = value == self.value
            text.append(f" {i} ", style="bold reverse" if chosen else "bold")
            text.append(f" {label} ", style="bold reverse" if chosen else "")
            self._spans.append((start, text.cell_len))
        return text

    def choose(self, value: str, *, by_key: bool) -> None:
        self.value = value
        self.post_message(self.Chosen(self, value, by_key))

    def on_key(self, event: events.Key) -> None:
        values = [v for _label, v in self.options]
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(values):
            event.stop()
            self.choose(values[int(event.character) - 1], by_key=True)
        elif event.key in ("left", "right"):
            event.stop()
            at = values.index(self.value) if self.value in values else -1
            at = (at + (1 if event.key == "right" else -1)) % len(values)
            self.choose(values[at], by_key=False)

    def on_click(self, event: events.Click) -> None:
        x = event.x - 1  # the left padding
        for (start, end), (_label, value) in zip(self._spans, self.options):
            if start <= x < end:
                self.choose(value, by_key=False)
                return


class TicketFormScreen(OcrmScreen):
    """Raise a ticket for a customer. Dismisses with the new ticket's id, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="ticket_form.save", tooltip="Check the ticket and raise it",
                priority=True),
        Binding("escape", "leave", "Back", id="ticket_form.back", tooltip="Leave the form (asks when something was typed)"),
    ]
    DEFAULT_CSS = """
    TicketFormScreen #form-body { padding: 0 2; }
    TicketFormScreen #form-title { text-style: bold; padding: 1 0 0 0; }
    TicketFormScreen #form-status { height: auto; min-height: 1; color: $text-muted; margin-bottom: 1; }
    TicketFormScreen #form-status.-error { color: $text-error; }
    TicketFormScreen .field { height: auto; margin-bottom: 1; }
    TicketFormScreen .field > Label { width: 18; color: $text-muted; padding-top: 0; }
    TicketFormScreen .field.-required > Label { color: $text; }
    TicketFormScreen .field-input { width: 1fr; height: auto; }
    TicketFormScreen .field-error { display: none; color: $text-error; height: auto; }
    TicketFormScreen .field.-invalid .field-error { display: block; }
    TicketFormScreen .field.-invalid > Label { color: $text-error; }
    TicketFormScreen .field-note { height: auto; color: $text-muted; }
    TicketFormScreen #customer-fixed { text-style: bold; }
    TicketFormScreen #customer-picked { height: auto; color: $text-success; }
    TicketFormScreen #customer-results {
        height: auto; max-height: 8; display: none; border: none; padding: 0; background: $surface;
    }
    TicketFormScreen #customer-results:focus { background-tint: $foreground 5%; }
    TicketFormScreen #customer-results.-shown { display: block; }
    TicketFormScreen #in-description { height: 7; }
    TicketFormScreen #field-extra { height: auto; }
    TicketFormScreen #field-extra .field { width: 1fr; }
    TicketFormScreen #in-channel { width: 30; }
    TicketFormScreen .dialog-buttons { margin-bottom: 1; }
    """

    @dataclass
    class Found(Message):
        text: str
        page: object  # services.customer_search.SearchPage

    @dataclass
    class Saved(Message):
        ticket_id: int
        number: str
        assignee: str | None

    @dataclass
    class Refused(Message):
        message: str
        field: str | None

    def __init__(self, customer_id: int | None = None, *, customer_label: str | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.customer_label = customer_label
        self.fixed_customer = customer_id is not None
        self.saved_id: int | None = None
        self._saving = False
        self._priority_by_hand = False
        self._timer = None
        self._search_text = ""
        self._results: list = []  # the customers found (SearchRow)
        self._exact_lookup: str | None = None  # the lookup that found the customer picked, when exact

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        t = _service()
        actor = self.app.actor  # type: ignore[attr-defined]
        yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role, org_name=actor.org_name)
        with VerticalScroll(id="form-body"):
            yield Static(_("New service ticket"), id="form-title", markup=False)
            yield Static(_("Fields marked * are required. Ctrl+S saves."), id="form-status", markup=False)
            with Horizontal(classes="field -required", id="field-customer"):
                yield Label(_("Customer") + " *")
                with Vertical(classes="field-input"):
                    if self.fixed_customer:
                        yield Static(self.customer_label or "", id="customer-fixed", markup=False)
                    else:
                        yield Input(placeholder=_("ID number, mobile, customer number, name or pinyin"),
                                    id="in-customer", max_length=200, compact=True)
                        yield Static("", classes="field-note", id="customer-note", markup=False)
                        yield OptionList(id="customer-results")
                        yield Static("", id="customer-picked", markup=False)
                    yield Static("", classes="field-error", id="err-customer", markup=False)
            with Horizontal(classes="field -required", id="field-type"):
                yield Label(_("Type") + " *")
                with Vertical(classes="field-input"):
                    yield KeyChoice([(t.type_name(v), v) for v in t.TYPES], id="in-type")
                    yield Static("", classes="field-error", id="err-type", markup=False)
            with Horizontal(classes="field -required", id="field-priority"):
                yield Label(_("Priority") + " *")
                with Vertical(classes="field-input"):
                    yield KeyChoice([(t.priority_name(v), v) for v in t.PRIORITIES], value="medium", id="in-priority")
                    yield Static("", classes="field-note", id="priority-note", markup=False)
                    yield Static("", classes="field-error", id="err-priority", markup=False)
            with Horizontal(classes="field -required", id="field-subject"):
                yield Label(_("Subject") + " *")
                with Vertical(classes="field-input"):
                    yield Input(id="in-subject", max_length=t.SUBJECT_MAX + 50, compact=True,
                                placeholder=_("In a few words: what the customer asks or reports"))
                    yield Static("", classes="field-error", id="err-subject", markup=False)
            with Horizontal(classes="field", id="field-description"):
                yield Label(_("Description"))
                with Vertical(classes="field-input"):
                    yield TextArea(id="in-description", soft_wrap=True, show_line_numbers=False, compact=True)
                    yield Static("", classes="field-note", id="description-count", markup=False)
                    yield Static("", classes="field-error", id="err-description", markup=False)
            with Horizontal(id="field-extra"):
                with Horizontal(classes="field", id="field-channel"):
                    yield Label(_("Channel"))
                    with Vertical(classes="field-input"):
                        yield Select([(channel_name(c), c) for c in t.CHANNELS], value="counter", allow_blank=False,
                                     id="in-channel", compact=True)
                        yield Static("", classes="field-error", id="err-channel", markup=False)
                with Horizontal(classes="field", id="field-required_skill"):
                    yield Label(_("Required skill"))
                    with Vertical(classes="field-input"):
                        yield Input(id="in-required_skill", max_length=64, compact=True,
                                    placeholder=_("optional, e.g. wealth, loan, insurance"))
                        yield Static("", classes="field-error", id="err-required_skill", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", id="form-save")
                yield Button(_("Back (Esc)"), id="form-back")
        yield OcrmFooter()

    def on_mount(self) -> None:
        for note_id in ("#customer-note", "#customer-picked", "#priority-note"):
            for note in self.query(note_id).results(Static):
                note.display = False
        self.sub_title = _("New service ticket")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self._count()
        self.query_one("#in-type" if self.fixed_customer else "#in-customer").focus()

    # -- values ------------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        channel = self.query_one("#in-channel", Select).value
        return {
            "type": self.query_one("#in-type", KeyChoice).value or "",
            "priority": self.query_one("#in-priority", KeyChoice).value or "",
            "channel": "" if channel is Select.NULL else str(channel),
            "subject": self.query_one("#in-subject", Input).value,
            "description": self.query_one("#in-description", TextArea).text,
            "required_skill": self.query_one("#in-required_skill", Input).value,
        }

    def has_unsaved_input(self) -> bool:
        if self.saved_id is not None:
            return False
        values = self.values()
        typed = [values["subject"], values["description"], values["required_skill"]]
        if not self.fixed_customer:
            typed.append(self.query_one("#in-customer", Input).value)
        return any(v.strip() for v in typed)

    # -- the customer ------------------------------------------------------------------------
    @on(Input.Changed, "#in-customer")
    def _customer_typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.customer_id is not None:  # typing again: a new search, the customer picked goes
            self.customer_id = None
            self.customer_label = None
            self._exact_lookup = None
            self._note("#customer-picked", "")
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self._search(event.value))

    def _search(self, text: str) -> None:
        self._search_text = text
        self._find(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-form-search", description="customer search")
    def _find(self, text: str) -> None:
        from ocrm_tui.services import customer_search

        with self.app.session() as s:  # type: ignore[attr-defined]
            page = customer_search.search(s, self.app.actor, text)  # type: ignore[attr-defined]
        self.post_message(self.Found(text, page))

    def on_ticket_form_screen_found(self, message: Found) -> None:
        if message.text != self._search_text or self.customer_id is not None:
            return  # typed on meanwhile, or already picked
        page = message.page
        self._results = list(page.rows)
        results = self.query_one("#customer-results", OptionList)
        results.clear_options()
        for row in self._results:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(row.name, style="bold")
            line.append(f"  {row.customer_no}  {row.mobile}  {row.org_name}")
            results.add_option(Option(line, id=str(row.id)))
        results.set_class(bool(self._results), "-shown")
        more = _("{n} found: ↓ to choose, Enter to pick", n=len(self._results)) if self._results else ""
        self._note("#customer-note", more)
        kind = page.query.kind
        if kind == "empty":
            self._field_error("customer", None)
        elif not self._results:
            self._field_error("customer", page.message if kind in ("too_long", "unrecognised")
                              else _("{what}: no customer found", what=page.message))
        else:
            self._field_error("customer", None)
        if self._results:
            results.highlighted = 0

    @on(Input.Submitted, "#in-customer")
    def _customer_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self._results) == 1 and event.value == self._search_text:
            self._pick(self._results[0])
        elif self._results:
            self.query_one("#customer-results", OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        # ↓ from the search box goes to the customers found.
        if event.key == "down" and self._results and not self.fixed_customer \
                and self.focused is self.query_one("#in-customer", Input):
            event.stop()
            self.query_one("#customer-results", OptionList).focus()

    @on(OptionList.OptionSelected, "#customer-results")
    def _customer_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        row = next((r for r in self._results if str(r.id) == event.option.id), None)
        if row is not None:
            self._pick(row)

    def _pick(self, row) -> None:
        from ocrm_tui.services.customer_search import parse

        self.customer_id = row.id
        self.customer_label = f"{row.name}  " + _("Customer no. {number}", number=row.customer_no)
        # A teller's counter lookup (an exact ID number, mobile or customer number) may find a
        # customer they have not served yet: saving records the counter visit first, as F2 does.
        self._exact_lookup = self._search_text if parse(self._search_text).exact else None
        self._note("#customer-picked", "✓ " + self.customer_label)
        self._note("#customer-note", "")
        results = self.query_one("#customer-results", OptionList)
        results.remove_class("-shown")
        self._results = []
        self._field_error("customer", None)
        self.query_one("#in-type", KeyChoice).focus()

    # -- type and priority -------------------------------------------------------------------
    @on(KeyChoice.Chosen, "#in-type")
    def _type_chosen(self, event: KeyChoice.Chosen) -> None:
        self._field_error("type", None)
        priority = self.query_one("#in-priority", KeyChoice)
        if not self._priority_by_hand:
            priority.value = "high" if event.value == "complaint" else "medium"
            self._note("#priority-note", _("High is suggested for a complaint") if event.value == "complaint" else "")
        if event.by_key:
            priority.focus()

    @on(KeyChoice.Chosen, "#in-priority")
    def _priority_chosen(self, event: KeyChoice.Chosen) -> None:
        self._priority_by_hand = True
        self._note("#priority-note", "")
        self._field_error("priority", None)
        if event.by_key:
            self.query_one("#in-subject", Input).focus()

    # -- checks ------------------------------------------------------------------------------
    @on(TextArea.Changed, "#in-description")
    def _count(self) -> None:
        n = len(self.query_one("#in-description", TextArea).text.strip())
        most = _service().DESCRIPTION_MAX
        self.query_one("#description-count", Static).update(
            _("{n} of at most {max} characters", n=f"{n:,}", max=f"{most:,}"))

    @on(Input.Blurred, "#in-subject, #in-required_skill")
    def _left_field(self, event: Input.Blurred) -> None:
        name = (event.input.id or "").removeprefix("in-")
        errors = field_errors(self.values())
        if name == "subject" and not self.values()["subject"].strip():
            return  # an empty subject is said on saving, not while moving through the form
        self._field_error(name, errors.get(name))

    def _note(self, selector: str, text: str) -> None:
        note = self.query_one(selector, Static)
        note.update(text)
        note.display = bool(text)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    def _field_error(self, name: str, message: str | None) -> None:
        if name not in FIELDS:
            return
        self.query_one(f"#err-{name}", Static).update(message or "")
        self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")

    def _focus_field(self, name: str) -> None:
        target = {"customer": "#customer-fixed" if self.fixed_customer else "#in-customer"}.get(name, f"#in-{name}")
        widget = self.query_one(target)
        if widget.focusable:
            widget.focus()
        widget.scroll_visible()

    # -- saving ------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-back":
            self.action_leave()

    def action_save(self) -> None:
        if self._saving:
            return
        values = self.values()
        errors = field_errors(values)
        if self.customer_id is None:
            errors["customer"] = _("Choose the customer: search, then Enter or ↓ to pick")
        for name in FIELDS:
            self._field_error(name, errors.get(name))
        if errors:
            first = next(name for name in FIELDS if name in errors)
            self._focus_field(first)
            self._status(errors[first] if len(errors) == 1 else
                         _("{n} fields need attention: {first}", n=len(errors), first=errors[first]), True)
            return
        self._saving = True
        self._status(_("Saving…"))
        self._save(self.customer_id, values, self._exact_lookup)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-form-save", description="raise ticket")
    def _save(self, customer_id: int, values: dict[str, str], counter_lookup: str | None) -> None:
        from ocrm_tui.services import customers, tickets
        from ocrm_tui.services.errors import NotFoundError, OcrmError

        app = self.app
        actor, clock = app.actor, app.clock  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if counter_lookup:
                    customers.open_at_counter(s, actor, counter_lookup, customer_id, clock=clock)
                ticket_id = tickets.create_ticket(s, actor, customer_id, values, clock=clock)
            with app.session() as s:  # type: ignore[attr-defined]
                view = tickets.get_ticket(s, actor, ticket_id, now=clock())
        except NotFoundError as exc:
            self.post_message(self.Refused(exc.message, "customer"))
            return
        except OcrmError as exc:
            self.post_message(self.Refused(exc.message, exc.field))
            return
        self.post_message(self.Saved(ticket_id, view.number, view.assignee))

    def on_ticket_form_screen_refused(self, message: Refused) -> None:
        self._saving = False
        self._status(message.message, True)
        if message.field in FIELDS:
            self._field_error(message.field, message.message)
            self._focus_field(message.field)

    def on_ticket_form_screen_saved(self, message: Saved) -> None:
        self._saving = False
        self.saved_id = message.ticket_id
        if message.assignee:
            text = _("Ticket {no} created and assigned to {name}", no=message.number, name=message.assignee)
        else:
            text = _("Ticket {no} created, waiting in the branch pool", no=message.number)
        self.app.notify(text)
        self.dismiss(message.ticket_id)

    def action_leave(self) -> None:
        self.leave_asking_first()
