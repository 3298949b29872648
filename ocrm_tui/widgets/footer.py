"""The footer of keys, in the language chosen now.

Binding descriptions are fixed when a class is created (in English, the message id);
this footer translates them each time it draws, so one process can show either language.

Textual's footer rebuilds all its keys on every change of bindings, and one key press can
change them several times (a pane switch clears the focus, then the pane focuses its
list): here changes between two refreshes are gathered into one rebuild, and a rebuild
that would show the same keys is skipped.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from ocrm_tui.i18n import _, get_language


class OcrmFooter(Footer):
    """Footer that shows `_(description)` and `_(tooltip)` for every key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rebuild_pending = False
        self._shown_signature: tuple | None = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Footer keys carry `description` (no public class to test against).
            description = getattr(widget, "description", None)
            if isinstance(description, str):
                widget.description = _(description) if description else ""
                if widget.tooltip and isinstance(widget.tooltip, str):
                    widget.tooltip = _(widget.tooltip)
            yield widget

    def _signature(self) -> tuple:
        """What the footer would show: the keys, their actions, texts and states, the language."""
        return (get_language(), tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values() if binding.show
        ))

    def bindings_changed(self, screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return
        signature = self._signature()
        if signature == self._shown_signature:
            return
        self._shown_signature = signature
        await self.recompose()
