"""The 360° view of one customer: who they are, what they hold, what they did, who serves them.

Everything on it comes from ``services.customers.get_profile``, already masked for the
user; a worker loads it with its own short session and hands the plain ``Profile`` back
by message. ``u`` shows the full values (an audited unmask, for this view only: any
reload is masked again), ``e`` edits the file, ``t`` edits the tags, ``o`` sets the tier
by hand (managers), ``k`` raises a service ticket for the customer, ``i`` opens their newest
open ticket. Keys a role cannot use are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader
from ocrm_tui.widgets.tag_colours import chips, family_name, family_sort_key, family_text_colour
from ocrm_tui.widgets.vocabulary import (
    channel_name,
    contact_kind_name,
    direction_name,
    gender_name,
    product_type_name,
    risk_name,
    tier_name,
    tier_style,
    trend_styles,
)

NONE = "—"  # an empty or unknown value
LABEL_STYLE = "#8b95a5"  # the muted label colour of the key–value blocks (readable on dark and light)
HEADER_STYLE = "bold #8b95a5"


# -- formatting -----------------------------------------------------------------------------------

def money(value: Decimal | None) -> str:
    """1234567.8 → 1,234,567.80; None → —."""
    return NONE if value is None else f"{value:,.2f}"


def local_time(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored as UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone()


def when(value: datetime) -> str:
    return local_time(value).strftime("%Y-%m-%d %H:%M")


def text_or_none(value: Any) -> Text:
    if value is None or value == "":
        return Text(NONE, style=LABEL_STYLE)
    return Text(str(value))


def change_text(pct: Decimal | None) -> Text:
    """+12.5 → ▲ 12.5% (coloured); None → —."""
    if pct is None:
        return Text(NONE, style=LABEL_STYLE)
    rising, falling = trend_styles()
    if pct > 0:
        return Text(f"▲ {pct}%", style=rising)
    if pct < 0:
        return Text(f"▼ {-pct}%", style=falling)
    return Text("0.0%")


def key_values(rows: list[tuple[str, Text]]) -> Table:
    """Label on the left (muted), value on the right (wrapping when long)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style=LABEL_STYLE, no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def data_table(columns: list[tuple[str, str]], rows: list[list[Text | str]], *, empty: str,
               gap: int = 2) -> Table | Text:
    """A compact table (header, one line per row); ``columns`` are (title, justify)."""
    if not rows:
        return Text(empty, style=LABEL_STYLE)
    table = Table(box=None, padding=(0, gap, 0, 0), pad_edge=False, expand=True, show_edge=False,
                  header_style=HEADER_STYLE)
    for title, justify in columns:
        table.add_column(title, justify=justify, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*row)
    return table


# -- drawing the sections -------------------------------------------------------------------------

def basic_block(p) -> Table:
    born = None
    if p.birth_date is not None:
        born = (_("{date} (age {age})", date=p.birth_date.isoformat(), age=p.age) if p.age is not None
                else p.birth_date.isoformat())
    return key_values([
        (_("Full name"), Text(p.name, style="bold")),
        (_("Gender"), text_or_none(gender_name(p.gender))),
        (_("Birth date"), text_or_none(born)),
        (_("ID type"), text_or_none(p.id_type)),
        (_("ID number"), text_or_none(p.id_number)),
        (_("Mobile"), text_or_none(p.mobile)),
        (_("E-mail"), text_or_none(p.email)),
        (_("Address"), text_or_none(p.address)),
        (_("Occupation"), text_or_none(p.occupation)),
        (_("Marital status"), text_or_none(p.marital_status)),
        (_("Education"), text_or_none(p.education)),
    ])


def extended_block(p) -> Table:
    return key_values([
        (_("Family situation"), text_or_none(p.family)),
        (_("Financial status"), text_or_none(p.financial_status)),
        (_("Risk preference"), text_or_none(risk_name(p.risk_preference))),
        (_("Hobbies"), text_or_none(p.hobbies)),
        (_("Contact time"), text_or_none(p.preferred_contact_time)),
    ])


def relationship_block(p) -> Table:
    return key_values([
        (_("Branch"), text_or_none(p.org_name)),
        (_("Owning RM"), text_or_none(p.rm_name) if p.rm_name else Text(_("none (branch pool)"), style=LABEL_STYLE)),
        (_("Collaborators"), text_or_none(", ".join(p.collaborators))),
    ])


PERIOD_NAMES = {"month": "Month", "quarter": "Quarter", "year": "Year"}


def assets_block(p) -> Group:
    aum = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, expand=True, show_edge=False, header_style=HEADER_STYLE)
    aum.add_column(_("AUM"), no_wrap=True)
    aum.add_column(_("Daily average"), justify="right", no_wrap=True)
    aum.add_column(_("vs previous"), justify="right", no_wrap=True)
    for period in p.aum_periods:
        aum.add_row(_(PERIOD_NAMES.get(period.period, period.period)), money(period.value), change_text(period.change_pct))
    holdings = data_table(
        [(_("Holdings"), "left"), (_("Accts"), "right"), (_("Balance"), "right")],
        [[product_type_name(h.product_type), str(h.accounts), money(h.balance)] for h in p.holdings],
        empty=_("No active accounts"), gap=1,
    )
    return Group(aum, Text(""), holdings)


def tags_block(p) -> Table | Text:
    """One column per family (in the families' order), its tags as chips under the family's name."""
    if not p.tags:
        return Text(_("No tags yet"), style=LABEL_STYLE)
    by_family: dict[str, list[str]] = {}
    for tag in p.tags:
        by_family.setdefault(tag.family, []).append(tag.name)
    table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, expand=True, show_edge=False)
    families = sorted(by_family, key=family_sort_key)
    for family in families:
        table.add_column(Text(family_name(family), style=f"bold {family_text_colour(family)}"), ratio=1)
    table.add_row(*(chips((name, family) for name in by_family[family]) for family in families))
    return table


def transactions_block(p) -> Table | Text:
    rows = []
    for t in p.transactions:
        incoming = t.direction == "in"
        rows.append([
            when(t.posted_at),
            t.account_no,
            t.product,
            Text(direction_name(t.direction), style=trend_styles()[0] if incoming else ""),
            Text(money(t.amount)),
            channel_name(t.channel),
            t.counterparty or NONE,
        ])
    return data_table(
        [(_("Date"), "left"), (_("Account"), "left"), (_("Product"), "left"), (_("In/out"), "left"),
         (_("Amount"), "right"), (_("Channel"), "left"), (_("Counterparty"), "left")],
        rows, empty=_("No transactions"),
    )


def contacts_block(p) -> Table | Text:
    return data_table(
        [(_("Date"), "left"), (_("Contact"), "left"), (_("Staff"), "left"), (_("Note"), "left")],
        [[when(c.at), contact_kind_name(c.kind), c.staff, c.note or NONE] for c in p.contacts],
        empty=_("No contacts recorded"),
    )


def tickets_block(p) -> Table | Text:
    """The customer's recent tickets, open ones first (the service's order)."""
    from ocrm_tui.services.tickets import priority_name, status_name, type_name

    rows = []
    for t in p.tickets:
        if t.status == "closed":
            due = Text(_("closed"), style=LABEL_STYLE)
        elif t.sla == "overdue":
            due = Text(_("overdue since {time}", time=when(t.due_at)), style="bold #e5534b")
        elif t.sla == "due_soon":
            due = Text(_("due {time}", time=when(t.due_at)), style="bold #e3b341")
        else:
            due = Text(_("due {time}", time=when(t.due_at)))
        rows.append([
            Text(t.number, style="bold"),
            Text(status_name(t.status), style=LABEL_STYLE if t.status == "closed" else ""),
            Text(priority_name(t.priority), style="bold #e5534b" if t.priority == "high" else ""),
            type_name(t.type),
            t.subject,
            t.assignee or _("branch pool"),
            due,
        ])
    return data_table(
        [(_("Ticket"), "left"), (_("Status"), "left"), (_("Priority"), "left"), (_("Type"), "left"),
         (_("Subject"), "left"), (_("Assignee"), "left"), (_("Due"), "left")],
        rows, empty=_("No tickets yet"),
    )


class Section(Vertical):
    """A bordered block with its title in the border."""

    def __init__(self, title: str, body_id: str, *, id: str) -> None:
        super().__init__(id=id, classes="profile-section")
        self.border_title = title
        self._body_id = body_id

    def compose(self) -> ComposeResult:
        yield Static("", id=self._body_id, classes="section-body")


# -- the screen -----------------------------------------------------------------------------------

class ProfileScreen(OcrmScreen):
    """One customer's 360° profile. Escape goes back to where it was opened from."""

    BINDINGS = [
        Binding("u", "unmask", "Unmask", id="profile.unmask",
                tooltip="Show the full name, ID, mobile and account numbers (recorded in the audit trail)"),
        Binding("e", "edit", "Edit", id="profile.edit", tooltip="Change this customer's file"),
        Binding("t", "tags", "Tags", id="profile.tags", tooltip="Add or remove this customer's tags"),
        Binding("o", "override_tier", "Set tier", id="profile.override_tier",
                tooltip="Set the customer's tier by hand, with a reason"),
        Binding("k", "new_ticket", "New ticket", id="profile.new_ticket",
                tooltip="Raise a service ticket (consultation, complaint, suggestion) for this customer"),
        Binding("i", "open_ticket", "Open ticket", id="profile.open_ticket",
                tooltip="Open this customer's newest open ticket"),
        Binding("escape", "back", "Back", id="profile.back", tooltip="Back to where you came from"),
    ]

    DEFAULT_CSS = """
    ProfileScreen { background: $background; }
    ProfileScreen #profile-title { height: 1; padding: 0 1; background: $panel; }
    ProfileScreen #profile-title Label { height: 1; }
    ProfileScreen #profile-name { text-style: bold; color: $text; }
    ProfileScreen #profile-number { color: $text-muted; margin-left: 2; }
    ProfileScreen #profile-tier { margin-left: 2; }
    ProfileScreen #profile-tier-note { width: 1fr; margin-left: 1; color: $text-warning; }
    ProfileScreen #profile-mask { padding: 0 1; text-style: bold; }
    ProfileScreen #profile-mask.-masked { background: $success-muted; color: $text-success; }
    ProfileScreen #profile-mask.-unmasked { background: $warning; color: $background; }
    ProfileScreen #profile-status { height: auto; padding: 0 1; color: $text-muted; }
    ProfileScreen #profile-status.-error { color: $text-error; text-style: bold; padding: 1 2; }
    ProfileScreen #profile-status.-unmasked { color: $text-warning; }
    ProfileScreen #profile-status.-hidden { display: none; }
    ProfileScreen #profile-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ProfileScreen #profile-body.-hidden { display: none; }
    ProfileScreen #profile-top {
        layout: grid; grid-size: 3; grid-columns: 11fr 9fr 38; grid-rows: auto; grid-gutter: 0 1; height: auto;
    }
    ProfileScreen #profile-top > .profile-section { height: 100%; }
    ProfileScreen #profile-middle { height: 100%; }
    ProfileScreen #profile-middle > .profile-section { height: auto; }
    ProfileScreen #profile-middle > #section-relationship { height: 1fr; }
    ProfileScreen .profile-section {
        height: auto; padding: 0 1; border: round $primary 60%; border-title-color: $primary;
        border-title-style: bold;
    }
    ProfileScreen .section-body { height: auto; }
    """

    @dataclass
    class Loaded(Message):
        generation: int
        profile: Any  # services.customers.Profile: frozen plain data

    @dataclass
    class LoadFailed(Message):
        generation: int
        message: str

    def __init__(self, customer_id: int, *, counter_lookup: str | None = None, profile=None) -> None:
        """``profile``: the customer's Profile when the caller has already read it (drawn at
        once, without a second trip to the database)."""
        super().__init__()
        self.customer_id = customer_id
        self.counter_lookup = counter_lookup
        self._preloaded = profile
        self.profile = None  # the Profile on screen
        self.drawn = False  # True once a profile is on screen (benchmarks wait for it)
        self.loading = False
        self.error: str | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        actor = getattr(self.app, "actor", None)
        if actor is not None:
            yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role,
                            org_name=actor.org_name)
        with Horizontal(id="profile-title"):
            yield Label("", id="profile-name", markup=False)
            yield Label("", id="profile-number", markup=False)
            yield Label("", id="profile-tier")
            yield Label("", id="profile-tier-note", markup=False)
            yield Label("", id="profile-mask", markup=False)
        yield Static(_("Loading the customer…"), id="profile-status", markup=False)
        with VerticalScroll(id="profile-body", classes="-hidden"):
            with Vertical(id="profile-top"):
                yield Section(_("Basic information"), "basic", id="section-basic")
                with Vertical(id="profile-middle"):
                    yield Section(_("Extended information"), "extended", id="section-extended")
                    yield Section(_("Relationship"), "relationship", id="section-relationship")
                yield Section(_("Assets"), "assets", id="section-assets")
            yield Section(_("Tags"), "tags", id="section-tags")
            yield Section(_("Tickets"), "tickets", id="section-tickets")
            yield Section(_("Recent transactions"), "transactions", id="section-transactions")
            yield Section(_("Contact history"), "contacts", id="section-contacts")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Customer profile")
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        if self._preloaded is not None:
            self._generation += 1
            self.on_profile_screen_loaded(self.Loaded(self._generation, self._preloaded))
            self._preloaded = None
        else:
            self.reload(counter_lookup=self.counter_lookup)

    # -- loading ------------------------------------------------------------------------------

    def reload(self, *, unmask: bool = False, counter_lookup: str | None = None) -> None:
        """Read the profile again (masked unless ``unmask``)."""
        self._generation += 1
        self.loading = True
        self.refresh_bindings()
        self._load(self._generation, unmask, counter_lookup)

    # A fixed description: the lookup text (an ID number, a mobile) must not be logged.
    @work(thread=True, exclusive=True, exit_on_error=False, group="profile", description="load profile")
    def _load(self, generation: int, unmask: bool, counter_lookup: str | None) -> None:
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=bool(counter_lookup or unmask)) as s:  # type: ignore[attr-defined]
                profile = customers.open_customer(s, app.actor, self.customer_id,  # type: ignore[attr-defined]
                                                  counter_lookup=counter_lookup, unmask=unmask,
                                                  clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.LoadFailed(generation, exc.message))
            return
        self.post_message(self.Loaded(generation, profile))

    def on_profile_screen_loaded(self, message: Loaded) -> None:
        if message.generation != self._generation:
            return  # an older load answered after a newer one was asked for
        self.loading = False
        self.error = None
        self.profile = message.profile
        self._draw(message.profile)
        self.refresh_bindings()
        if not self.drawn:
            self.call_after_refresh(self._mark_drawn)

    def _mark_drawn(self) -> None:
        self.drawn = True

    def on_profile_screen_load_failed(self, message: LoadFailed) -> None:
        if message.generation != self._generation:
            return
        self.loading = False
        self.error = message.message
        if self.profile is None:
            self.query_one("#profile-body").add_class("-hidden")
        self._set_status(message.message, "error")
        self.refresh_bindings()

    @on(Worker.StateChanged)
    def _load_ended(self, event: Worker.StateChanged) -> None:
        # An unexpected failure is shown by the app's error dialog (OcrmScreen); here the
        # screen only stops saying it is loading.
        if event.worker.group == "profile" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.loading = False
            if self.profile is None:
                self._set_status(_("The customer could not be loaded."), "error")
            self.refresh_bindings()

    # -- drawing ------------------------------------------------------------------------------

    def _set_status(self, text: str, kind: str = "info") -> None:
        status = self.query_one("#profile-status", Static)
        status.update(text)
        for name in ("error", "unmasked", "hidden"):
            status.set_class(kind == name, f"-{name}")

    def _draw(self, p) -> None:
        self.query_one("#profile-name", Label).update(p.name)
        self.query_one("#profile-number", Label).update(_("Customer no. {number}", number=p.customer_no))
        self.query_one("#profile-tier", Label).update(Text(f" {tier_name(p.tier)} ", style=tier_style(p.tier)))
        note = ""
        if p.tier_manual:
            note = _("manual: {reason}", reason=p.tier_reason) if p.tier_reason else _("manual")
        self.query_one("#profile-tier-note", Label).update(note)
        mask = self.query_one("#profile-mask", Label)
        mask.update(_("Masked") if p.masked else _("Full values shown"))
        mask.set_class(p.masked, "-masked")
        mask.set_class(not p.masked, "-unmasked")
        if p.masked:
            self._set_status("", "hidden")
        else:
            self._set_status(_("Full values are shown for this view only; viewing them was recorded in the audit trail."),
                             "unmasked")

        self.query_one("#basic", Static).update(basic_block(p))
        self.query_one("#extended", Static).update(extended_block(p))
        self.query_one("#relationship", Static).update(relationship_block(p))
        self.query_one("#assets", Static).update(assets_block(p))
        self.query_one("#tags", Static).update(tags_block(p))
        self.query_one("#tickets", Static).update(tickets_block(p))
        self.query_one("#transactions", Static).update(transactions_block(p))
        self.query_one("#contacts", Static).update(contacts_block(p))
        body = self.query_one("#profile-body", VerticalScroll)
        body.remove_class("-hidden")
        if self.focused is None:
            body.focus()  # ↑/↓/PgUp/PgDn scroll the profile

    # -- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        p = self.profile
        if action == "unmask":
            return p is not None and p.can_unmask and not self.loading
        if action == "edit":
            return p is not None and p.can_edit
        if action == "tags":
            return p is not None and p.can_tag
        if action == "override_tier":
            return p is not None and p.can_override_tier
        if action == "new_ticket":
            return p is not None
        if action == "open_ticket":
            return self._newest_open_ticket() is not None
        return True

    def _newest_open_ticket(self):
        p = self.profile
        # Open ones come first, newest first (services.tickets.customer_tickets).
        return next((t for t in p.tickets if t.status != "closed"), None) if p is not None else None

    def action_unmask(self) -> None:
        if self.profile is None or not self.profile.can_unmask or self.loading:
            return
        self.reload(unmask=True)

    def action_edit(self) -> None:
        if self.profile is None or not self.profile.can_edit:
            return
        from ocrm_tui.screens.customer_form import CustomerFormScreen

        self.app.push_screen(CustomerFormScreen(customer_id=self.customer_id), callback=self._changed)

    def action_tags(self) -> None:
        if self.profile is None or not self.profile.can_tag:
            return
        from ocrm_tui.screens.customer_tags import TagEditor

        self.app.push_screen(TagEditor(self.customer_id, customer_name=self.profile.name), callback=self._changed)

    def action_override_tier(self) -> None:
        p = self.profile
        if p is None or not p.can_override_tier:
            return
        from ocrm_tui.screens.tier_override import TierOverrideDialog

        self.app.push_screen(
            TierOverrideDialog(self.customer_id, tier=p.tier, manual=p.tier_manual, reason=p.tier_reason,
                               customer_name=p.name),
            callback=self._changed,
        )

    def action_new_ticket(self) -> None:
        p = self.profile
        if p is None:
            return
        from ocrm_tui.screens.ticket_form import TicketFormScreen

        label = f"{p.name}  " + _("Customer no. {number}", number=p.customer_no)
        self.app.push_screen(TicketFormScreen(self.customer_id, customer_label=label), callback=self._changed)

    def action_open_ticket(self) -> None:
        ticket = self._newest_open_ticket()
        if ticket is None:
            return
        from ocrm_tui.screens.ticket_view import TicketScreen

        self.app.push_screen(TicketScreen(ticket.id), callback=self._changed)

    def _changed(self, changed: bool | int | None) -> None:
        if changed:
            self.reload()  # masked again: full values were for the view that showed them

    def action_back(self) -> None:
        self.dismiss(None)
