"""An honest "not here yet" panel for a feature that a later version brings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Static


class EmptyState(Vertical):
    """A centred title and one or two lines saying what is (not) available."""

    DEFAULT_CSS = """
    EmptyState { align: center middle; height: 1fr; }
    EmptyState > Center { width: 1fr; height: auto; }
    EmptyState .empty-title { width: auto; text-style: bold; color: $text; }
    EmptyState .empty-message { width: auto; max-width: 72; color: $text-muted; margin-top: 1; text-align: center; }
    """

    def __init__(self, title: str, message: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self._message = message

    def compose(self) -> ComposeResult:
        with Center():
            yield Static(self._title, classes="empty-title", markup=False)
        with Center():
            yield Static(self._message, classes="empty-message", markup=False)
