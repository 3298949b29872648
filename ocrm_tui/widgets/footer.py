"""The footer of keys, in the language chosen now.

Binding descriptions are fixed when a class is created (in English, the message id);
this footer translates them each time it draws, so one process can show either language.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from ocrm_tui.i18n import _


class OcrmFooter(Footer):
    """Footer that shows `_(description)` and `_(tooltip)` for every key."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Footer keys carry `description` (no public class to test against).
            description = getattr(widget, "description", None)
            if isinstance(description, str):
                widget.description = _(description) if description else ""
                if widget.tooltip and isinstance(widget.tooltip, str):
                    widget.tooltip = _(widget.tooltip)
            yield widget
