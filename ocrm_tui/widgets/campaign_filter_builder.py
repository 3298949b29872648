"""The target filter of a campaign, built field by field: one row per condition of
``services.campaign_filter.CampaignFilter``.

- Tiers and product types are toggled with single keys (1 … 7), the gender chosen the same way.
- Tag fields take names separated by commas; while typing, the tags that fit the last
  name are suggested (↓/↑ to highlight one, Enter to take it).
- ``values()`` is the dict that ``campaign_filter.from_dict`` reads; ``fill()`` shows a saved
  filter; every change is said with ``FilterBuilder.Changed`` so that the form can count again.
- The rules (what a condition means, what is refused) are the service's: a refusal is shown
  next to the row it names with ``show_error``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ocrm_tui.i18n import _

SUGGEST_DELAY = 0.2  # seconds after the last keystroke before asking for tag suggestions
SUGGESTIONS = 6
_SEPARATORS = re.compile(r"[,，、;；]")
TAG_FIELDS = ("tags_any", "tags_all", "tags_none")
# The row that shows a refusal of each filter field.
ROW_OF = {"aum_min": "aum", "aum_max": "aum", "age_min": "age", "age_max": "age",
          "no_purchase_type": "no_purchase", "no_purchase_days": "no_purchase"}
ROWS = ("tiers", "aum", "tags_any", "tags_all", "tags_none", "products_held", "products_not_held", "no_purchase",
        "not_contacted_days", "age", "gender", "occupations", "org_code", "rm_employee_no")


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def split_names(text: str) -> list[str]:
    """Names typed with commas (or Chinese commas) between them."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


class KeyToggles(Widget, can_focus=True):
    """A few values, each chosen with one key: " 1  Mass   2  VIP   3  Wealth …".

    Single choice: a digit chooses (and the form moves on), ←/→ change the choice in place.
    Several (``multiple=True``): a digit toggles its value; ←/→ move, Space toggles.
    The choices wrap onto more lines when the row is narrow.
    """

    DEFAULT_CSS = """
    KeyToggles { height: auto; width: 1fr; padding: 0 1; background: $boost; }
    KeyToggles:focus { background: $primary 25%; }
    KeyToggles:disabled { color: $text-disabled; }
    """
    GAP = 2

    @dataclass
    class Changed(Message):
        toggles: KeyToggles
        values: tuple[str, ...]
        by_key: bool  # a digit: a single choice moves on to the next field

        @property
        def control(self) -> KeyToggles:
            return self.toggles

    def __init__(self, options: list[tuple[str, str]], *, multiple: bool = False, values: tuple[str, ...] = (),
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options  # (label, value)
        self.multiple = multiple
        self.selected: tuple[str, ...] = tuple(values)
        self.cursor = 0
        self._spans: list[tuple[int, int, int, str]] = []  # line, start, end, value

    # -- the values -----------------------------------------------------------------------------
    @property
    def value(self) -> str | None:
        """The choice of a single-choice row."""
        return self.selected[0] if self.selected else None

    def set_values(self, values, *, announce: bool = True) -> None:
        known = [v for _label, v in self.options]
        chosen = tuple(v for v in known if v in set(values or ()))
        if chosen != self.selected:
            self.selected = chosen
            self.refresh(layout=True)
            if announce:
                self.post_message(self.Changed(self, chosen, False))

    def _toggle(self, value: str, *, by_key: bool) -> None:
        if self.multiple:
            chosen = set(self.selected) ^ {value}
        else:
            chosen = {value}
        known = [v for _label, v in self.options]
        self.selected = tuple(v for v in known if v in chosen)
        self.refresh(layout=True)
        self.post_message(self.Changed(self, self.selected, by_key))

    # -- drawing --------------------------------------------------------------------------------
    def _chip(self, i: int, label: str, value: str) -> Text:
        on_ = value in self.selected
        chip = Text(no_wrap=True)
        chip.append(f" {i} ", style="bold reverse" if on_ else "bold")
        style = "reverse" if on_ else ""
        if self.multiple and self.has_focus and i - 1 == self.cursor:
            style += " underline"
        chip.append(f" {label} ", style=style.strip())
        return chip

    def _lines(self, width: int) -> list[list[tuple[Text, str]]]:
        lines: list[list[tuple[Text, str]]] = [[]]
        used = 0
        for i, (label, value) in enumerate(self.options, 1):
            chip = self._chip(i, label, value)
            need = chip.cell_len + (self.GAP if lines[-1] else 0)
            if lines[-1] and used + need > width:
                lines.append([])
                used, need = 0, chip.cell_len
            lines[-1].append((chip, value))
            used += need
        return lines

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(len(self._lines(max(width, 1))), 1)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for n, line in enumerate(self._lines(max(self.content_size.width, 1))):
            if n:
                text.append("\n")
            x = 0
            for k, (chip, value) in enumerate(line):
                if k:
                    text.append(" " * self.GAP)
                    x += self.GAP
                text.append_text(chip)
                self._spans.append((n, x, x + chip.cell_len, value))
                x += chip.cell_len
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- keys and clicks ------------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        values = [v for _label, v in self.options]
        if event.character and event.character.isdigit() and 1 <= int(event.character) <= len(values):
            event.stop()
            event.prevent_default()
            self.cursor = int(event.character) - 1
            self._toggle(values[self.cursor], by_key=True)
        elif event.key in ("left", "right"):
            event.stop()
            event.prevent_default()
            step = 1 if event.key == "right" else -1
            if self.multiple:
                self.cursor = (self.cursor + step) % len(values)
                self.refresh()
            else:
                at = values.index(self.value) if self.value in values else -1
                self._toggle(values[(at + step) % len(values)], by_key=False)
        elif event.key == "space" and self.multiple:
            event.stop()
            event.prevent_default()
            self._toggle(values[self.cursor], by_key=False)

    def on_click(self, event: events.Click) -> None:
        x = event.x - 1  # the left padding
        for line, start, end, value in self._spans:
            if line == event.y and start <= x < end:
                self.cursor = [v for _label, v in self.options].index(value)
                self._toggle(value, by_key=False)
                return


def _row(name: str, label: str, *children: Widget, note: str | None = None) -> Horizontal:
    """Label on the left; the input(s), an optional note and the row's error on the right."""
    parts: list[Widget] = list(children)
    if note:
        parts.append(Static(note, classes="field-note", markup=False))
    parts.append(Static("", classes="field-error", id=f"ferr-{name}", markup=False))
    return Horizontal(Label(label), Vertical(*parts, classes="field-input"), classes="field", id=f"frow-{name}")


def _pair(first: Widget | None, between: str, second: Widget, after: str = "") -> Horizontal:
    parts: list[Widget] = [first] if first is not None else []
    parts += [Static(between, classes="between" if first is not None else "between -first", markup=False), second]
    if after:
        parts.append(Static(after, classes="between", markup=False))
    return Horizontal(*parts, classes="pair")


def _small(name: str, placeholder: str = "", width: str = "-w12") -> Input:
    return Input(id=f"fin-{name}", compact=True, max_length=20, placeholder=placeholder, classes=f"small {width}")


class FilterBuilder(Vertical):
    """Every condition of a campaign's target filter. ``Changed`` after each change."""

    BINDINGS = [
        Binding("down", "suggestion(1)", "Next suggestion", id="campaign_filter.next_tag", show=False,
                tooltip="Highlight the next suggested tag"),
        Binding("up", "suggestion(-1)", "Previous suggestion", id="campaign_filter.previous_tag", show=False,
                tooltip="Highlight the previous suggested tag"),
    ]
    DEFAULT_CSS = """
    FilterBuilder { height: auto; }
    FilterBuilder .pair { height: auto; width: 1fr; }
    FilterBuilder .pair .between { width: auto; padding: 0 1; color: $text-muted; }
    FilterBuilder .pair .between.-first { padding: 0 1 0 0; }
    FilterBuilder Select.-type { width: 26; }
    FilterBuilder .tag-suggestions {
        height: auto; max-height: 6; border: none; padding: 0 1; background: $surface; display: none;
    }
    FilterBuilder .tag-suggestions.-shown { display: block; }
    """

    @dataclass
    class Changed(Message):
        builder: FilterBuilder

        @property
        def control(self) -> FilterBuilder:
            return self.builder

    @dataclass
    class Suggested(Message):
        field: str
        text: str
        tags: list  # services.tags.TagInfo

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self._hide_timer: Timer | None = None
        self._filling = False

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from ocrm_tui.services import campaign_filter as cf

        tiers = [(capitalised(cf.tier_word(t)), t) for t in cf.TIERS]
        types = [(capitalised(cf.product_type_name(p)), p) for p in cf.PRODUCT_TYPES]
        yield _row("tiers", _("Tiers"), KeyToggles(tiers, multiple=True, id="fin-tiers"))
        yield _row("aum", _("Daily-avg. AUM"),
                   _pair(_small("aum_min", _("minimum")), "–", _small("aum_max", _("maximum")), _("CNY")))
        for name, label in (("tags_any", _("Tagged any of")), ("tags_all", _("Tagged all of")),
                            ("tags_none", _("Tagged none of"))):
            suggestions = OptionList(id=f"fsug-{name}", classes="tag-suggestions")
            suggestions.can_focus = False  # driven from the input
            yield _row(name, label,
                       Input(id=f"fin-{name}", compact=True, max_length=500, classes="tag-input",
                             placeholder=_("tag names, separated by commas")),
                       suggestions)
        yield _row("products_held", _("Holding"), KeyToggles(types, multiple=True, id="fin-products_held"))
        yield _row("products_not_held", _("Not holding"), KeyToggles(types, multiple=True, id="fin-products_not_held"))
        yield _row("no_purchase", _("No purchase of"),
                   _pair(Select([(label, value) for label, value in types], id="fin-no_purchase_type", compact=True,
                                prompt=_("(product type)"), classes="-type"),
                         _("in the last"), _small("no_purchase_days", "90", "-w6"), _("days")))
        yield _row("not_contacted_days", _("Not contacted"),
                   _pair(None, _("in the last"), _small("not_contacted_days", "30", "-w6"),
                         _("days")))
        yield _row("age", _("Age"), _pair(_small("age_min", _("from")), "–", _small("age_max", _("to")), _("years")))
        yield _row("gender", _("Gender"),
                   KeyToggles([(_("Any"), ""), (_("Men"), "M"), (_("Women"), "F")], values=("",), id="fin-gender"))
        yield _row("occupations", _("Occupations"),
                   Input(id="fin-occupations", compact=True, max_length=500,
                         placeholder=_("e.g. teacher, doctor (any of them)")))
        yield _row("org_code", _("Branch"),
                   Input(id="fin-org_code", compact=True, max_length=32, classes="small",
                         placeholder=_("branch code")),
                   note=_("Customers of this branch and everything under it"))
        yield _row("rm_employee_no", _("Owning RM"),
                   Input(id="fin-rm_employee_no", compact=True, max_length=32, classes="small",
                         placeholder=_("employee no.")))

    # -- values ---------------------------------------------------------------------------------
    def _text(self, name: str) -> str:
        return self.query_one(f"#fin-{name}", Input).value.strip()

    def _tag_names(self, name: str, counting: bool) -> list[str]:
        field_input = self.query_one(f"#fin-{name}", Input)
        names = split_names(field_input.value)
        if counting and field_input.has_focus and self._last_name(field_input.value):
            # A name still being typed ("房" on the way to "房贷客户") is counted once it is
            # finished: a comma, a suggestion taken, or the field left.
            names = names[:-1]
        return names

    def values(self, *, counting: bool = False) -> dict:
        """The conditions as ``campaign_filter.from_dict`` reads them (empty ones are left out).
        ``counting``: for the live count, without a tag name still being typed."""
        purchase = self.query_one("#fin-no_purchase_type", Select).value
        data = {
            "tiers": list(self.query_one("#fin-tiers", KeyToggles).selected),
            "aum_min": self._text("aum_min"), "aum_max": self._text("aum_max"),
            **{name: self._tag_names(name, counting) for name in TAG_FIELDS},
            "products_held": list(self.query_one("#fin-products_held", KeyToggles).selected),
            "products_not_held": list(self.query_one("#fin-products_not_held", KeyToggles).selected),
            "no_purchase_type": "" if purchase is Select.NULL else str(purchase),
            "no_purchase_days": self._text("no_purchase_days"),
            "not_contacted_days": self._text("not_contacted_days"),
            "age_min": self._text("age_min"), "age_max": self._text("age_max"),
            "gender": self.query_one("#fin-gender", KeyToggles).value or "",
            "occupations": split_names(self._text("occupations")),
            "org_code": self._text("org_code"), "rm_employee_no": self._text("rm_employee_no"),
        }
        return {key: value for key, value in data.items() if value not in ("", [])}

    def fill(self, filt) -> None:
        """Show a saved filter (a ``CampaignFilter``)."""
        self._filling = True
        try:
            for name in ("aum_min", "aum_max", "no_purchase_days", "not_contacted_days", "age_min", "age_max",
                         "org_code", "rm_employee_no"):
                value = getattr(filt, name)
                self.query_one(f"#fin-{name}", Input).value = "" if value is None else str(value)
            for name in (*TAG_FIELDS, "occupations"):
                self.query_one(f"#fin-{name}", Input).value = ", ".join(getattr(filt, name))
            for name in ("tiers", "products_held", "products_not_held"):
                self.query_one(f"#fin-{name}", KeyToggles).set_values(getattr(filt, name))
            self.query_one("#fin-gender", KeyToggles).set_values((filt.gender or "",))
            purchase = self.query_one("#fin-no_purchase_type", Select)
            purchase.value = filt.no_purchase_type if filt.no_purchase_type else Select.NULL
        finally:
            self._filling = False
        self.post_message(self.Changed(self))

    # -- refusals -------------------------------------------------------------------------------
    def show_error(self, field: str, message: str | None) -> None:
        row = ROW_OF.get(field, field)
        if row not in ROWS:
            return
        self.query_one(f"#ferr-{row}", Static).update(message or "")
        self.query_one(f"#frow-{row}").set_class(bool(message), "-invalid")

    def show_errors(self, errors: dict[str, str]) -> None:
        """Mark the rows of these refusals (condition → message) and clear every other row."""
        rows: dict[str, str] = {}
        for field, message in errors.items():
            rows.setdefault(ROW_OF.get(field, field), message)
        for row in ROWS:
            self.show_error(row, rows.get(row))

    def focus_field(self, field: str) -> None:
        row = ROW_OF.get(field, field)
        if row not in ROWS:
            return
        widget = self.query_one(f"#fin-{field}" if field in ROW_OF else f"#fin-{row}")
        if widget.focusable:
            widget.focus()
        widget.scroll_visible()

    # -- changes --------------------------------------------------------------------------------
    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("fin-")
        if name in TAG_FIELDS and event.input.has_focus and not self._filling:
            if self._timer is not None:
                self._timer.stop()
            suggestions = self.query_one(f"#fsug-{name}", OptionList)
            suggestions.highlighted = None  # what was typed stays what Enter keeps
            text = self._last_name(event.value)
            self._timer = self.set_timer(SUGGEST_DELAY, lambda: self._suggest(name, text))
        if not self._filling:
            self.post_message(self.Changed(self))

    @on(KeyToggles.Changed)
    @on(Select.Changed)
    def _chosen(self, event) -> None:
        if not self._filling:
            self.post_message(self.Changed(self))

    # -- tag suggestions ------------------------------------------------------------------------
    @staticmethod
    def _last_name(text: str) -> str:
        return _SEPARATORS.split(text)[-1].strip()

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-tag-suggest", description="suggest tags")
    def _suggest(self, field: str, text: str) -> None:
        from ocrm_tui.services import tags

        with self.app.session() as s:  # type: ignore[attr-defined]
            found = tags.suggest_tags(s, text, limit=SUGGESTIONS + 10)
        self.post_message(self.Suggested(field, text, found))

    def on_filter_builder_suggested(self, message: Suggested) -> None:
        field_input = self.query_one(f"#fin-{message.field}", Input)
        if not field_input.has_focus or self._last_name(field_input.value) != message.text:
            return  # typed on, or moved away, meanwhile
        have = set(split_names(field_input.value)) - {message.text}
        shown = [t for t in message.tags if t.name not in have and t.name != message.text][:SUGGESTIONS]
        width = max((cell_len(t.name) for t in shown), default=0)
        listing = self.query_one(f"#fsug-{message.field}", OptionList)
        listing.clear_options()
        for tag in shown:
            line = Text(tag.name, style="bold")
            line.append(" " * (width - cell_len(tag.name) + 2))
            line.append(_("{n} customers", n=f"{tag.customers or 0:,}"), style="#8b95a5")
            listing.add_option(Option(line, id=tag.name))
        listing.highlighted = None
        listing.set_class(bool(shown), "-shown")

    def _shown_suggestions(self) -> OptionList | None:
        focused = self.screen.focused
        if isinstance(focused, Input) and (focused.id or "").removeprefix("fin-") in TAG_FIELDS:
            listing = self.query_one(f"#fsug-{focused.id.removeprefix('fin-')}", OptionList)
            if listing.has_class("-shown") and listing.option_count:
                return listing
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "suggestion":
            # The arrows go through the suggestions only while a tag name is typed.
            return self._shown_suggestions() is not None
        return True

    def action_suggestion(self, step: int) -> None:
        listing = self._shown_suggestions()
        if listing is None:
            return
        if listing.highlighted is None:
            listing.highlighted = 0 if step > 0 else listing.option_count - 1
        else:
            listing.highlighted = max(0, min(listing.option_count - 1, listing.highlighted + step))

    @on(Input.Submitted, ".tag-input")
    def _tag_entered(self, event: Input.Submitted) -> None:
        listing = self._shown_suggestions()
        if listing is not None and listing.highlighted is not None:
            event.stop()
            self._take(event.input, listing.get_option_at_index(listing.highlighted).id or "")

    @on(OptionList.OptionSelected, ".tag-suggestions")
    def _suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = (event.option_list.id or "").removeprefix("fsug-")
        self._take(self.query_one(f"#fin-{name}", Input), event.option.id or "")

    def _take(self, field_input: Input, tag_name: str) -> None:
        """The suggestion replaces the name being typed; a comma invites the next one."""
        names = split_names(field_input.value)
        if names and _SEPARATORS.split(field_input.value)[-1].strip():
            names = names[:-1]
        field_input.value = ", ".join([*names, tag_name]) + ", "
        field_input.cursor_position = len(field_input.value)
        field_input.focus()
        self._hide_suggestions()

    def _hide_suggestions(self, keep: str | None = None) -> None:
        for listing in self.query(".tag-suggestions").results(OptionList):
            if listing.id != keep:
                listing.remove_class("-shown")

    @on(Input.Blurred, ".tag-input")
    def _left_tag_field(self, event: Input.Blurred) -> None:
        if self._last_name(event.value):
            self.post_message(self.Changed(self))  # the name typed last now counts
        # Later, not now: a click on a suggestion takes the focus away before it arrives.
        if self._hide_timer is not None:
            self._hide_timer.stop()
        self._hide_timer = self.set_timer(0.3, self._hide_unless_typing)

    def _hide_unless_typing(self) -> None:
        focused = self.screen.focused
        keep = None
        if isinstance(focused, Input) and (focused.id or "").removeprefix("fin-") in TAG_FIELDS:
            keep = f"fsug-{focused.id.removeprefix('fin-')}"
        self._hide_suggestions(keep)
