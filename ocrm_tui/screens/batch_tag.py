"""Add or remove one tag on the customers selected in the search results.

Two steps: choose add/remove and the tag (existing tags complete as you type), then a
confirmation that names the tag and the number of customers. Dismisses with
``(remove, tag name)`` or None.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal


class BatchTagDialog(OcrmModal[tuple[bool, str] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="batch_tag.cancel", tooltip="Close without tagging"),
    ]
    DEFAULT_CSS = """
    BatchTagDialog .dialog { width: 64; }
    BatchTagDialog RadioSet { width: 100%; margin-bottom: 1; }
    BatchTagDialog #batch-error { color: $error; height: auto; }
    BatchTagDialog #batch-confirm { display: none; }
    BatchTagDialog.-confirming #batch-confirm { display: block; }
    BatchTagDialog.-confirming #batch-choose { display: none; }
    """

    def __init__(self, count: int) -> None:
        super().__init__(classes="dialog-screen")
        self.count = count
        self._choice: tuple[bool, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Tag {n} selected customers", n=f"{self.count:,}"), classes="dialog-title", markup=False)
            with Vertical(id="batch-choose"):
                with RadioSet(id="batch-mode"):
                    yield RadioButton(_("Add the tag"), value=True, id="mode-add")
                    yield RadioButton(_("Remove the tag"), id="mode-remove")
                yield Input(placeholder=_("Tag name"), id="batch-tag", max_length=64)
                yield Static("", id="batch-error", markup=False)
                with Horizontal(classes="dialog-buttons"):
                    yield Button(_("Next"), variant="primary", id="batch-next")
                    yield Button(_("Cancel"), id="batch-cancel")
            with Vertical(id="batch-confirm"):
                yield Static("", id="batch-question", classes="dialog-message", markup=False)
                with Horizontal(classes="dialog-buttons"):
                    yield Button(_("Yes, do it"), variant="warning", id="batch-yes")
                    yield Button(_("Back"), id="batch-back")

    def on_mount(self) -> None:
        self.query_one("#batch-tag", Input).focus()
        self._load_tag_names()

    @work(thread=True, exclusive=True, exit_on_error=False, description="tag names")
    def _load_tag_names(self) -> None:
        from ocrm_tui.services import tags

        with self.app.session() as s:  # type: ignore[attr-defined]
            names = [t.name for t in tags.list_tags(s)]
        self.app.call_from_thread(self._set_names, names)

    def _set_names(self, names: list[str]) -> None:
        self.query_one("#batch-tag", Input).suggester = SuggestFromList(names, case_sensitive=False)

    @on(Input.Submitted, "#batch-tag")
    def _submitted(self) -> None:
        self._next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id
        if button == "batch-next":
            self._next()
        elif button == "batch-cancel":
            self.dismiss(None)
        elif button == "batch-yes":
            self.dismiss(self._choice)
        elif button == "batch-back":
            self.remove_class("-confirming")
            self.query_one("#batch-tag", Input).focus()

    def _next(self) -> None:
        from ocrm_tui.services.validation import normalise_text

        tag = normalise_text(self.query_one("#batch-tag", Input).value)
        if not tag:
            self.query_one("#batch-error", Static).update(_("Type the name of a tag"))
            return
        remove = self.query_one("#mode-remove", RadioButton).value
        self._choice = (remove, tag)
        question = (_("Remove the tag {tag} from {n} customers?", tag=tag, n=f"{self.count:,}") if remove
                    else _("Add the tag {tag} to {n} customers?", tag=tag, n=f"{self.count:,}"))
        self.query_one("#batch-question", Static).update(question)
        self.add_class("-confirming")
        self.query_one("#batch-back", Button).focus()

    def action_cancel(self) -> None:
        if self.has_class("-confirming"):
            self.remove_class("-confirming")
            self.query_one("#batch-tag", Input).focus()
        else:
            self.dismiss(None)
