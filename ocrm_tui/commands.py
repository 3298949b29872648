"""The command palette (Ctrl+P): what can be done from the screen in front, translated.

These replace Textual's own (English) system commands: the app's
``get_system_commands`` yields the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ocrm_tui.i18n import _

if TYPE_CHECKING:
    from textual.screen import Screen

    from ocrm_tui.app import OcrmApp


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]


# pane id → (title, help): English message ids.
PANE_COMMANDS = {
    "customers": ("Go to customer search", "Find a customer by name, ID number, mobile or customer number (F2)"),
    "tickets": ("Go to my tickets", "Your queue of service tickets (F3)"),
    "campaigns": ("Go to campaigns", "Campaigns and their target customers (F4)"),
    "work": ("Go to the work platform", "Today's tasks, alerts and reminders (F5)"),
}


def palette_commands(app: OcrmApp, screen: Screen) -> Iterator[PaletteCommand]:
    """The commands that make sense from `screen` for the person logged in (if any)."""
    if app.is_locked:
        return
    if app.actor is not None:
        for pane_id, (title, help_text) in PANE_COMMANDS.items():
            yield PaletteCommand(_(title), _(help_text), partial(app.show_pane, pane_id))
        from ocrm_tui.services.pool import may_use_pool

        if may_use_pool(app.actor):
            yield PaletteCommand(_("Customer pool"), _("Customers of your branch without a relationship manager, and "
                                                       "the books of its relationship managers"),
                                 partial(open_pool, app))
        from ocrm_tui.services.reports import can_read

        if can_read(app.actor):
            yield PaletteCommand(_("Reports"), _("Management reports: assets, campaigns, service, staff, branches and "
                                                 "channels (F6)"), partial(open_reports, app))
        yield PaletteCommand(_("Access requests"), _("Ask for temporary access to customers outside your scope; decide "
                                                     "your staff's requests (F7)"), partial(open_access_requests, app))
        yield PaletteCommand(_("Lock the terminal"), _("Lock now; your password unlocks it (Ctrl+L)"), app.action_lock)
    yield PaletteCommand(_("Keys and help"), _("The keys of this screen and of the whole application (F1)"),
                         app.action_help)
    yield PaletteCommand(_("Quit"), _("Leave the application (Ctrl+Q)"), app.action_quit)


def open_pool(app: OcrmApp) -> None:
    """The customer pool in front (unless it already is)."""
    from ocrm_tui.screens.customer_pool import PoolScreen

    if app.actor is None or app.is_locked or isinstance(app.screen, PoolScreen):
        return
    app.push_screen(PoolScreen(app.actor))


def open_reports(app: OcrmApp) -> None:
    """The management reports in front (unless they already are)."""
    from ocrm_tui.screens.reports import ReportsScreen

    if app.actor is None or app.is_locked or isinstance(app.screen, ReportsScreen):
        return
    app.push_screen(ReportsScreen(app.actor))


def open_access_requests(app: OcrmApp, select: int | None = None, callback=None) -> None:
    """The access requests in front (unless they already are), with a request highlighted."""
    from ocrm_tui.screens.access_requests import AccessRequestsScreen

    if app.actor is None or app.is_locked or isinstance(app.screen, AccessRequestsScreen):
        return
    app.push_screen(AccessRequestsScreen(app.actor, select=select), callback=callback)


class OcrmCommands(Provider):
    """Navigation, help, lock and quit, in the current language."""

    def _commands(self) -> list[PaletteCommand]:
        return list(palette_commands(self.app, self.screen))  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.callback, help=command.help)
