"""The tags of one customer: type to find a tag (any family, or a new custom one), Enter
adds it at once; Delete or Backspace on a tag in the list takes it off.

Every change is saved and committed as it is made (the service audits it); Escape
closes the editor and answers whether anything changed, so that the profile reloads.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.tag_colours import family_name, family_text_colour, legend, tag_chip

SUGGEST_DELAY = 0.2  # seconds after the last keystroke before asking the database
SUGGESTIONS = 8


def tag_line(name: str, family: str, customers: int | None = None, *, width: int = 0) -> Text:
    """A chip, its family in the family's colour and, for suggestions, how many customers have it.

    ``width``: the widest name of the list, so that the families line up in a column.
    """
    line = tag_chip(name, family)
    line.append(" " * (max(width - cell_len(name), 0) + 2))
    line.append(family_name(family), style=family_text_colour(family))
    if customers is not None:
        line.append("  ")
        line.append(_("{n} customers", n=f"{customers:,}"), style="#8b95a5")
    return line


class CurrentTags(OptionList):
    """The customer's tags; Delete or Backspace takes the highlighted one off."""

    BINDINGS = [
        Binding("delete,backspace", "remove_tag", "Remove tag", id="tag_editor.remove",
                tooltip="Take the highlighted tag off this customer"),
    ]

    @dataclass
    class RemoveRequested(Message):
        name: str

    def action_remove_tag(self) -> None:
        if self.highlighted is None:
            return
        option = self.get_option_at_index(self.highlighted)
        if option.id:
            self.post_message(self.RemoveRequested(option.id))


class TagEditor(OcrmModal[bool]):
    """Dismisses with True when a tag was added or removed, else False."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="tag_editor.close", tooltip="Close the tag editor"),
        Binding("down", "suggestion(1)", "Next suggestion", id="tag_editor.next", show=False,
                tooltip="Highlight the next suggested tag"),
        Binding("up", "suggestion(-1)", "Previous suggestion", id="tag_editor.previous", show=False,
                tooltip="Highlight the previous suggested tag"),
    ]

    DEFAULT_CSS = """
    TagEditor #tag-card {
        width: 80; height: auto; padding: 1 2; background: $surface; border: round $primary;
    }
    TagEditor .dialog-title { margin-bottom: 0; }
    TagEditor #tag-legend { height: auto; margin-top: 1; }
    TagEditor #tag-input { margin-top: 1; }
    TagEditor #tag-suggestions { height: auto; max-height: 6; border: none; padding: 0 1; background: $surface; }
    TagEditor .tag-heading { margin-top: 1; color: $text-muted; text-style: bold; }
    TagEditor #tag-current { height: auto; max-height: 10; border: round $primary 50%; padding: 0 1; }
    TagEditor #tag-current:focus { border: round $primary; }
    TagEditor #tag-bottom { height: auto; margin-top: 1; }
    TagEditor #tag-status { width: 1fr; height: auto; padding-top: 1; color: $text-muted; }
    TagEditor #tag-status.-error { color: $text-error; text-style: bold; }
    TagEditor #tag-status.-busy { color: $text-warning; }
    """

    @dataclass
    class Suggested(Message):
        text: str
        tags: list  # services.tags.TagInfo: frozen plain data

    @dataclass
    class Current(Message):
        tags: list  # TagInfo
        status: str = ""
        changed: bool = False

    @dataclass
    class Failed(Message):
        message: str

    def __init__(self, customer_id: int, *, customer_name: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.customer_id = customer_id
        self.customer_name = customer_name
        self.changed = False
        self.tags: list = []  # the customer's tags as last read
        self.suggestions: list = []
        self._busy = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        title = _("Tags of {name}", name=self.customer_name) if self.customer_name else _("Tags")
        with Vertical(id="tag-card"):
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(legend(), id="tag-legend")
            yield Input(id="tag-input", max_length=64,
                        placeholder=_("Tag name (Enter adds; a new name becomes a custom tag)"))
            yield OptionList(id="tag-suggestions")
            yield Label(_("This customer's tags (Del removes the highlighted one)"), classes="tag-heading")
            yield CurrentTags(id="tag-current")
            with Horizontal(id="tag-bottom"):
                yield Static("", id="tag-status", markup=False)
                yield Button(_("Close"), id="tag-close", variant="primary")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#tag-suggestions", OptionList).can_focus = False  # driven from the input
        self.query_one("#tag-input", Input).focus()
        self._set_status(_("Loading…"), "busy")
        self._load_current()
        self._suggest("")

    # -- status -------------------------------------------------------------------------------

    def _set_status(self, text: str, kind: str = "info") -> None:
        status = self.query_one("#tag-status", Static)
        status.update(text)
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "busy", "-busy")

    # -- suggestions --------------------------------------------------------------------------

    @on(Input.Changed, "#tag-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        # What was typed is what Enter adds, until a suggestion is chosen again with ↓.
        self.query_one("#tag-suggestions", OptionList).highlighted = None
        text = event.value
        self._timer = self.set_timer(SUGGEST_DELAY, lambda: self._suggest(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-suggest", description="suggest tags")
    def _suggest(self, text: str) -> None:
        from ocrm_tui.services import tags

        with self.app.session() as s:  # type: ignore[attr-defined]
            found = tags.suggest_tags(s, text, limit=SUGGESTIONS + len(self.tags))
        self.post_message(self.Suggested(text, found))

    def on_tag_editor_suggested(self, message: Suggested) -> None:
        if message.text != self.query_one("#tag-input", Input).value:
            return  # the user has typed on since
        self.suggestions = message.tags
        self._show_suggestions()

    def _show_suggestions(self) -> None:
        have = {t.name for t in self.tags}
        shown = [t for t in self.suggestions if t.name not in have][:SUGGESTIONS]
        width = max((cell_len(t.name) for t in shown), default=0)
        options = [Option(tag_line(t.name, t.family, t.customers, width=width), id=t.name) for t in shown]
        listing = self.query_one("#tag-suggestions", OptionList)
        chosen = listing.get_option_at_index(listing.highlighted).id if listing.highlighted is not None else None
        listing.clear_options()
        listing.add_options(options)
        # Enter adds what was typed until a suggestion is chosen (typing clears the choice); a
        # late refresh of the same list keeps a suggestion already chosen with ↓.
        ids = [t.name for t in shown]
        listing.highlighted = ids.index(chosen) if chosen in ids else None
        listing.display = bool(options)

    def action_suggestion(self, step: int) -> None:
        listing = self.query_one("#tag-suggestions", OptionList)
        if not listing.option_count:
            return
        if listing.highlighted is None:
            listing.highlighted = 0 if step > 0 else listing.option_count - 1
        else:
            listing.highlighted = max(0, min(listing.option_count - 1, listing.highlighted + step))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "suggestion":
            # Arrows move through the suggestions only while typing; elsewhere they move as usual.
            return self.focused is self.query_one("#tag-input", Input)
        return True

    # -- adding and removing ------------------------------------------------------------------

    @on(Input.Submitted, "#tag-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one("#tag-suggestions", OptionList)
        if listing.highlighted is not None and listing.display:
            name = listing.get_option_at_index(listing.highlighted).id or ""
        else:
            name = event.value
        if not name.strip():
            self._set_status(_("Type the name of a tag"), "error")
            return
        self._change(name, remove=False)

    @on(OptionList.OptionSelected, "#tag-suggestions")
    def _suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._change(event.option.id, remove=False)

    @on(CurrentTags.RemoveRequested)
    def _remove_requested(self, event: CurrentTags.RemoveRequested) -> None:
        event.stop()
        self._change(event.name, remove=True)

    def _change(self, name: str, *, remove: bool) -> None:
        if self._busy:
            return
        self._busy = True
        self._set_status(_("Saving…"), "busy")
        self._save(name.strip(), remove)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-save", description="save tag")
    def _save(self, name: str, remove: bool) -> None:
        from ocrm_tui.services import tags
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if remove:
                    done = tags.untag_customer(s, app.actor, self.customer_id, name,  # type: ignore[attr-defined]
                                               clock=app.clock)  # type: ignore[attr-defined]
                else:
                    done = tags.tag_customer(s, app.actor, self.customer_id, name,  # type: ignore[attr-defined]
                                             clock=app.clock)  # type: ignore[attr-defined]
                s.commit()
            with app.session() as s:  # type: ignore[attr-defined]
                current = tags.tags_of_customer(s, app.actor, self.customer_id,  # type: ignore[attr-defined]
                                                clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.Failed(exc.message))
            return
        if remove:
            status = _("Removed {tag}", tag=name) if done else _("The customer did not have {tag}", tag=name)
        else:
            status = _("Added {tag}", tag=name) if done else _("The customer already has {tag}", tag=name)
        self.post_message(self.Current(current, status, changed=done))

    @work(thread=True, exclusive=True, exit_on_error=False, group="tag-current", description="tags of customer")
    def _load_current(self) -> None:
        from ocrm_tui.services import tags
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                current = tags.tags_of_customer(s, app.actor, self.customer_id,  # type: ignore[attr-defined]
                                                clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.Failed(exc.message))
            return
        self.post_message(self.Current(current))

    def on_tag_editor_current(self, message: Current) -> None:
        self._busy = False
        self.changed = self.changed or message.changed
        self.tags = message.tags
        listing = self.query_one("#tag-current", CurrentTags)
        keep = listing.highlighted
        listing.clear_options()
        width = max((cell_len(t.name) for t in self.tags), default=0)
        listing.add_options([Option(tag_line(t.name, t.family, width=width), id=t.name) for t in self.tags])
        if self.tags and keep is not None and listing.has_focus:
            listing.highlighted = min(keep, len(self.tags) - 1)
        if not self.tags:
            listing.add_option(Option(Text(_("No tags yet"), style="#8b95a5"), disabled=True))
        self._set_status(message.status or _("{n} tags", n=len(self.tags)))
        field = self.query_one("#tag-input", Input)
        if message.changed and not listing.has_focus:
            field.value = ""  # ready for the next tag (the suggestions follow the change)
        else:
            self._show_suggestions()

    def on_tag_editor_failed(self, message: Failed) -> None:
        self._busy = False
        self._set_status(message.message, "error")

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "tag-save" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            self._set_status("")

    # -- closing ------------------------------------------------------------------------------

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#tag-input", Input).value.strip())

    @on(Button.Pressed, "#tag-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        self.dismiss(self.changed)
