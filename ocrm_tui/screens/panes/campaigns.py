"""F4: marketing campaigns — the ones the user sees, live ones first.

A manager sees the campaigns that reach their branch, an administrator all of them, a
relationship manager those with customers of theirs on the list (with how many they still
have to contact); the service decides which (``campaigns.list_campaigns``). Enter opens the
campaign (its definition, metrics and keys); N creates one, for those who organise
campaigns. Tellers do not work campaigns: the pane says so.

Showing the pane reads the list in one worker and fills the table once (``drawn`` becomes
True after that paint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from ocrm_tui.i18n import _
from ocrm_tui.widgets.list_table import ListTable
from ocrm_tui.widgets.pane import Pane

MIN_NAME_WIDTH = 14
# Live campaigns stand out; drafts and ended ones step back (colours readable on any theme).
STATUS_STYLES = {"active": "bold #3fb950", "paused": "bold #e3b341", "draft": "#8b95a5", "ended": "dim"}
LIVE = ("active", "paused")


def period_text(starts_on: date | None, ends_on: date | None) -> str:
    """2026-01-01 – 03-31 (the year once when both days are in it); an open end shows as …"""
    if starts_on is None and ends_on is None:
        return "—"
    if starts_on is None:
        return f"… – {ends_on.isoformat()}"
    if ends_on is None:
        return f"{starts_on.isoformat()} – …"
    end = ends_on.strftime("%m-%d") if ends_on.year == starts_on.year else ends_on.isoformat()
    return f"{starts_on.isoformat()} – {end}"


def status_cell(status: str) -> Text:
    from ocrm_tui.services.campaigns import status_name

    return Text(status_name(status), style=STATUS_STYLES.get(status, ""))


def empty_message(role: str, can_create: bool) -> str:
    if role == "teller":
        return _("Campaigns are worked by relationship managers and managers. Customers you serve at the counter "
                 "may be on a campaign's list; their RM contacts them.")
    if role == "rm":
        return _("No campaign has customers of yours on its list yet. When a manager generates a campaign's list, "
                 "the customers given to you appear here.")
    if can_create:
        return _("No campaigns yet. Press N to create one: choose its customers with filters, see how many match, "
                 "then generate the list.")
    return _("No campaigns reach your branch yet.")


class CampaignTable(ListTable):
    """The campaigns; Enter opens one."""


@dataclass
class _Loaded:
    generation: int
    rows: list  # services.campaigns.CampaignRow
    can_create: bool
    role: str
    limit: int


class CampaignsPane(Pane):
    """Campaigns (F4)."""

    TITLE = "Campaigns"
    BINDINGS = [
        Binding("n,ctrl+n", "new_campaign", "New campaign", id="campaigns.new",
                tooltip="Create a campaign: its type, period, budget and the filter of its customers"),
    ]
    DEFAULT_CSS = """
    CampaignsPane { padding: 0 1; }
    CampaignsPane #campaigns-status-row { height: 1; margin-bottom: 1; }
    CampaignsPane #campaigns-status { width: 1fr; height: 1; color: $text-muted; }
    CampaignsPane #campaigns-hint { width: auto; height: 1; color: $text-muted; }
    CampaignsPane CampaignTable { height: 1fr; }
    CampaignsPane CampaignTable.-empty { height: 1; }  /* the header only: the note below says why */
    CampaignsPane #campaigns-empty { display: none; width: 1fr; height: 1fr; content-align: center middle;
                                     text-align: center; color: $text-muted; padding: 0 4; }
    CampaignsPane #campaigns-empty.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drawn = False  # True once the list read last is on screen
        self._generation = 0
        self._rows: list = []  # CampaignRow, in table order
        self._can_create = False
        self._role = ""
        self._limit = 0
        self._columns: list[str] = []

    @property
    def campaign_ids(self) -> list[int]:
        """The campaigns shown, in table order."""
        return [row.id for row in self._rows]

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="campaigns-status-row"):
            yield Static("", id="campaigns-status", markup=False)
            yield Static("", id="campaigns-hint", markup=False)
        yield CampaignTable(id="campaigns-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="campaigns-empty", markup=False)

    def on_shown(self) -> None:
        self.screen.set_focus(self.query_one(CampaignTable))
        self.reload()

    def on_resize(self) -> None:
        if self.query_one(CampaignTable).stale_for(self._column_widths()):
            self._fill(keep_row=self.query_one(CampaignTable).cursor_row)

    # -- reading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the list again (the cursor stays where it was). ``drawn`` is True again once shown."""
        if getattr(self.app, "actor", None) is None:
            return
        self.drawn = False
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaigns-list", description="campaign list")
    def _load(self, generation: int) -> None:
        from ocrm_tui.services import campaigns

        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        limit = 200
        with app.session() as s:  # type: ignore[attr-defined]
            rows = campaigns.list_campaigns(s, actor, limit=limit)
        loaded = _Loaded(generation, rows, actor.role in campaigns.ORGANISERS, str(actor.role), limit)
        app.call_from_thread(self._loaded, loaded)

    def _loaded(self, loaded: _Loaded) -> None:
        if loaded.generation != self._generation:
            return  # a newer reading is on its way
        keys_changed = loaded.can_create != self._can_create
        self._rows, self._can_create, self._role, self._limit = loaded.rows, loaded.can_create, loaded.role, \
            loaded.limit
        self._fill(keep_row=self.query_one(CampaignTable).cursor_row)
        if keys_changed:
            self.refresh_bindings()
        self.call_after_refresh(self._mark_drawn, loaded.generation)

    def _mark_drawn(self, generation: int) -> None:
        if generation == self._generation:
            self.drawn = True

    # -- showing -------------------------------------------------------------------------------
    def _shows_mine(self) -> bool:
        return self._role == "rm"

    def _column_widths(self) -> dict[str, int]:
        """Each column as wide as its widest value in this language; the name takes what is left."""
        from ocrm_tui.services.campaigns import STATUSES, TYPES, status_name, type_name

        def widest(header: str, values) -> int:
            return max([cell_len(header), *(cell_len(v) for v in values)])

        widths = {
            "name": 0,
            "type": widest(_("Type"), [type_name(t) for t in TYPES]),
            "status": widest(_("Status"), [status_name(s) for s in STATUSES]),
            "scope": min(20, widest(_("Scope"), [row.scope for row in self._rows])),
            "period": widest(_("Period"), [period_text(row.starts_on, row.ends_on) for row in self._rows]),
            "targets": widest(_("Targets"), [f"{row.targets:,}" for row in self._rows]),
            "converted": widest(_("Conversions"), [f"{row.converted:,}" for row in self._rows]),
        }
        if self._shows_mine():
            widths["mine"] = widest(_("To contact"), [f"{row.mine_pending:,}" for row in self._rows])
        table = self.query_one(CampaignTable)
        room = (table.size.width or self.app.size.width - 2) - 2  # the vertical scrollbar
        left = room - sum(widths.values()) - 2 * table.cell_padding * len(widths)
        widths["name"] = max(MIN_NAME_WIDTH, left)
        return widths

    def _columns_for(self) -> None:
        widths = self._column_widths()
        headers = {"name": _("Name"), "type": _("Type"), "status": _("Status"), "scope": _("Scope"),
                   "period": _("Period"), "targets": _("Targets"), "converted": _("Conversions"),
                   "mine": _("To contact")}
        right = {"targets", "converted", "mine"}
        if self.query_one(CampaignTable).lay_out(widths, headers, right):
            self._columns = list(widths)

    def _fill(self, *, keep_row: int = 0) -> None:
        table = self.query_one(CampaignTable)
        self._columns_for()
        table.clear()
        for row in self._rows:
            cells = self._cells(row)
            table.add_row(*(cells[column] for column in self._columns), key=str(row.id))
        if self._rows:
            table.move_cursor(row=min(max(keep_row, 0), len(self._rows) - 1), animate=False)
        empty = not self._rows
        table.set_class(empty, "-empty")
        note = self.query_one("#campaigns-empty", Static)
        note.set_class(empty, "-shown")
        note.update(empty_message(self._role, self._can_create) if empty else "")
        self._update_status()

    def _cells(self, row) -> dict[str, object]:
        from ocrm_tui.services.campaigns import type_name

        live = row.status in LIVE
        mine = Text(f"{row.mine_pending:,}" if live else "—", justify="right",
                    style="bold" if live and row.mine_pending else "dim")
        return {
            "name": Text(row.name, style="bold" if live else "", no_wrap=True, overflow="ellipsis"),
            "type": type_name(row.type),
            "status": status_cell(row.status),
            "scope": Text(row.scope, no_wrap=True, overflow="ellipsis"),
            "period": period_text(row.starts_on, row.ends_on),
            "targets": Text(f"{row.targets:,}", justify="right"),
            "converted": Text(f"{row.converted:,}", justify="right"),
            "mine": mine,
        }

    def _update_status(self) -> None:
        n = len(self._rows)
        if n == 0:
            text = _("No campaigns")
        elif n == 1:
            text = _("1 campaign")
        elif n >= self._limit:
            text = _("The newest {n} campaigns", n=f"{n:,}")
        else:
            text = _("{n} campaigns", n=f"{n:,}")
        live = sum(1 for row in self._rows if row.status == "active")
        if live:
            text += " · " + _("{n} active", n=f"{live:,}")
        if self._shows_mine():
            pending = sum(row.mine_pending for row in self._rows if row.status in LIVE)
            if pending:
                text += " · " + _("{n} of your customers to contact", n=f"{pending:,}")
        self.query_one("#campaigns-status", Static).update(text)
        self.query_one("#campaigns-hint", Static).update(_("Enter opens a campaign") if n else "")

    # -- keys ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_campaign":
            return self._can_create
        return True

    # -- opening -------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#campaigns-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_campaign(int(event.row_key.value))

    def open_campaign(self, campaign_id: int) -> None:
        from ocrm_tui.screens.campaign_view import CampaignScreen

        self.app.push_screen(CampaignScreen(campaign_id), callback=self._back)

    def _back(self, _result=None) -> None:
        self.reload()  # the campaign may have moved on, or gained targets

    def action_new_campaign(self) -> None:
        if not self._can_create:
            return
        from ocrm_tui.screens.campaign_form import CampaignFormScreen

        self.app.push_screen(CampaignFormScreen(campaign_id=None), callback=self._created)

    def _created(self, campaign_id: int | None) -> None:
        self.reload()
        if campaign_id:
            self.open_campaign(int(campaign_id))  # next: its list
