"""The names, titles and descriptions of the management reports: what `ocrm report --help` lists
without loading the database layer (the figures are in ``reports``)."""

from __future__ import annotations

from collections.abc import Callable

from ocrm_tui.i18n import _

# name → (title, description), in menu order
REPORT_NAMES: dict[str, tuple[Callable[[], str], Callable[[], str]]] = {
    "assets": (lambda: _("Assets by tier"), lambda: _("Monthly AUM and customers per tier, and movement between tiers")),
    "losing-assets": (lambda: _("Customers losing assets"), lambda: _("Customers whose daily-average AUM fell several months in a row")),
    "campaigns": (lambda: _("Campaign conversion and ROI"), lambda: _("Conversion and ROI by campaign, tier and tag")),
    "service": (lambda: _("Service and satisfaction"), lambda: _("Tickets by type, SLA, response and close times, satisfaction")),
    "staff": (lambda: _("Staff performance"), lambda: _("Customers, AUM growth, tickets, conversions and logins per staff member")),
    "branches": (lambda: _("Branch performance"), lambda: _("The same figures per branch")),
    "channels": (lambda: _("Channel analysis"), lambda: _("Transactions and amounts by channel and month")),
}
MANAGERS_ONLY = frozenset({"branches"})  # an RM has no branch to compare
