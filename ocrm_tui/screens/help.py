"""F1: the keys of the screen the user came from, and the keys that work everywhere."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal
from ocrm_tui.widgets.footer import OcrmFooter

# Conventions that are not bindings of ours (DESIGN.md keys table): key → what it does.
CONVENTIONS = [
    ("Tab / Shift+Tab", "Next / previous field"),
    ("Enter", "Confirm or open"),
    ("Escape", "Back or cancel"),
    ("Ctrl+S", "Save (in forms)"),
    ("Space", "Select or unselect the row (in lists)"),
    ("Ctrl+A", "Select all rows of the result (in lists)"),
]


def key_rows(app, screen: Screen) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(keys of this screen, keys everywhere) as (key as shown, translated description)."""
    here: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        # Our bindings all have an id; Textual's own editing keys inside widgets do not.
        if binding.id is None or binding.system or not binding.description or binding.id in seen:
            continue
        seen.add(binding.id)
        row = (app.get_key_display(binding), _(binding.description))
        (everywhere if active.node is app else here).append(row)
    everywhere.extend((_(key), _(what)) for key, what in CONVENTIONS)
    return here, everywhere


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=True)
    table.add_column(style="bold", no_wrap=True, min_width=16)
    table.add_column(ratio=1)
    for key, what in rows:
        table.add_row(Text(key), Text(what))
    return table


class HelpScreen(OcrmModal[None]):
    """Escape or F1 closes it."""

    BINDINGS = [
        Binding("escape,f1", "close", "Close", id="help.close", tooltip="Close the help"),
    ]

    def __init__(self, for_screen: Screen) -> None:
        super().__init__(id="help", classes="dialog-screen")
        self._for_screen = for_screen
        self.keys_here: list[tuple[str, str]] = []
        self.keys_everywhere: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        here, everywhere = self.keys_here, self.keys_everywhere = key_rows(self.app, self._for_screen)
        with Vertical(id="help-card"):
            yield Static(_("Keys and help"), id="help-title")
            with VerticalScroll(id="help-body"):
                if here:
                    yield Static(_("On this screen"), classes="help-section")
                    yield Static(_table(here), id="help-here")
                yield Static(_("Everywhere"), classes="help-section")
                yield Static(_table(everywhere), id="help-everywhere")
                yield Static(_("Keys can be changed in the [keys] table of the configuration file."),
                             classes="help-note", markup=False)
        yield OcrmFooter()

    def action_close(self) -> None:
        self.dismiss(None)
