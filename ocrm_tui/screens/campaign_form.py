"""A campaign, new or edited: what it is (name, type, goal, scope, period, money, the product
it promotes, its SMS text) and whom it targets (the filter), with a live count beside it.

- Type and filter choices take single keys; Ctrl+S saves; Escape asks before dropping input.
- Every change of the filter, the scope or the product counts again, in a worker, about
  0.3 s after the last keystroke (a newer count replaces an older one; the form never waits):
  how many customers match, the filter read back as a sentence, how many the product's risk
  leaves out, and — when nobody matches — the count after each condition, so that the
  condition that emptied the list shows. A filter the service refuses (a contradiction, a
  range upside down, a tag that no longer exists) is shown at the row it names.
- The rules are the service's (``services.campaigns``): a wrong field says why next to it and
  what was typed stays; a campaign another terminal saved meanwhile is not overwritten.

Dismisses with the saved campaign's id, or None when left without saving.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmScreen
from ocrm_tui.widgets.campaign_filter_builder import FilterBuilder, KeyToggles
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader

DEBOUNCE_SECONDS = 0.3
# The campaign's own fields, top to bottom (the filter's follow, as "filter.<condition>").
FIELDS = ("name", "type", "goal", "org_code", "starts_on", "ends_on", "budget", "actual_cost", "product_code",
          "sms_template")
# The row that shows a refusal of each field.
_ROW_OF = {"starts_on": "period", "ends_on": "period"}
# A value the service accepts for each field: stands in for a wrong one while looking for the next.
_ACCEPTED = {"name": "-", "type": "phone", "goal": "", "org_code": "", "starts_on": "", "ends_on": "",
             "budget": "0", "actual_cost": "0", "product_code": "", "sms_template": ""}
FILTER = "filter."


def _campaigns():
    """services.campaigns, imported when first needed."""
    from ocrm_tui.services import campaigns

    return campaigns


def error_key(exc, values: dict) -> str:
    """Which field of the form a refusal names: a campaign field, or ``filter.<condition>``.

    Both the scope and the filter's branch are organisation codes (``org_code``): the message
    names the code, which tells them apart."""
    from ocrm_tui.services import campaign_filter as cf

    field = exc.field or "form"
    if field == "org_code":
        scope = (values.get("org_code") or "").strip()
        if not scope or exc.message != _("No organisation with code {code}", code=scope):
            filter_code = str((values.get("filter") or {}).get("org_code") or "").strip()
            if filter_code and exc.message == _("No organisation with code {code}", code=filter_code):
                return FILTER + "org_code"
        return "org_code"
    if field in FIELDS:
        return field
    if field in {f for f in cf.CampaignFilter.__dataclass_fields__}:
        return FILTER + field
    return "form"


def field_errors(session, values: dict) -> dict[str, str]:
    """Every wrong field of the form with the service's message (the service names the first
    wrong one; each is set aside in turn to find the next)."""
    from ocrm_tui.services.errors import ValidationError

    errors: dict[str, str] = {}
    probe = {**values, "filter": dict(values.get("filter") or {})}
    for _attempt in range(len(_ACCEPTED) + 20):
        try:
            _campaigns().check_values(session, probe)
            break
        except ValidationError as exc:
            key = error_key(exc, probe)
            if key in errors:
                break
            errors[key] = exc.message
            if key.startswith(FILTER):
                probe["filter"].pop(key.removeprefix(FILTER), None)
            elif key in _ACCEPTED:
                probe[key] = _ACCEPTED[key]
            else:
                break
    return errors


@dataclass(frozen=True)
class Loaded:
    """What the form starts from (plain data)."""

    values: dict  # services.campaigns.form_values, or the defaults of a new campaign
    products: list  # (code, name, type, risk level)
    version: int | None = None
    status: str | None = None
    name: str = ""


class CampaignFormScreen(OcrmScreen):
    """Create or edit a campaign. Dismisses with the campaign id when saved, else None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="campaign_form.save", tooltip="Check the campaign and save it",
                priority=True),
        Binding("escape", "leave", "Back", id="campaign_form.back",
                tooltip="Leave the form (asks when something was typed)"),
    ]
    DEFAULT_CSS = """
    CampaignFormScreen #cf-main { height: 1fr; }
    CampaignFormScreen #form-body { width: 1fr; padding: 0 1 0 2; }
    CampaignFormScreen #form-title { text-style: bold; padding: 1 0 0 0; }
    CampaignFormScreen #form-status { height: auto; min-height: 1; color: $text-muted; }
    CampaignFormScreen #form-status.-error { color: $text-error; }
    CampaignFormScreen .section { width: auto; text-style: bold; color: $primary; margin: 1 0 0 0; }
    CampaignFormScreen .section-line { height: auto; }
    CampaignFormScreen .section-hint { width: 1fr; color: $text-muted; margin: 1 0 0 2; }
    CampaignFormScreen .field { height: auto; }
    CampaignFormScreen .field > Label { width: 16; color: $text-muted; }
    CampaignFormScreen .field.-required > Label { color: $text; }
    CampaignFormScreen .field-input { width: 1fr; height: auto; }
    CampaignFormScreen .field-error { display: none; color: $text-error; height: auto; }
    CampaignFormScreen .field.-invalid .field-error { display: block; }
    CampaignFormScreen .field.-invalid > Label { color: $text-error; }
    CampaignFormScreen .field-note { height: auto; color: $text-muted; }
    CampaignFormScreen .pair { height: auto; width: 1fr; }
    CampaignFormScreen .pair .between { width: auto; padding: 0 1; color: $text-muted; }
    CampaignFormScreen #in-product_code { width: 1fr; }
    CampaignFormScreen #in-sms_template { height: 3; }
    CampaignFormScreen .dialog-buttons { margin: 1 0; }
    CampaignFormScreen #cf-preview {
        width: 40; height: 1fr; padding: 1 2; background: $surface; border-left: tall $primary 40%;
    }
    CampaignFormScreen #preview-head { height: 1; }
    CampaignFormScreen #preview-title { width: auto; text-style: bold; color: $primary; }
    CampaignFormScreen #preview-state { width: 1fr; text-align: right; color: $text-muted; }
    CampaignFormScreen #preview-count { height: auto; margin-top: 1; text-style: bold; color: $text-success; }
    CampaignFormScreen #preview-count.-none { color: $text-warning; }
    CampaignFormScreen #preview-count.-error { color: $text-error; text-style: bold; }
    CampaignFormScreen #preview-sentence { height: auto; margin-top: 1; }
    CampaignFormScreen #preview-unsuitable { height: auto; margin-top: 1; color: $text-warning; }
    CampaignFormScreen #preview-steps { height: auto; margin-top: 1; }
    """

    @dataclass
    class Ready(Message):
        loaded: Loaded

    @dataclass
    class Counted(Message):
        serial: int
        preview: object  # services.campaigns.Preview

    @dataclass
    class NotCounted(Message):
        serial: int
        message: str
        field: str  # the form's key of the field the refusal names

    @dataclass
    class Saved(Message):
        campaign_id: int

    @dataclass
    class Refused(Message):
        errors: dict  # form key -> message
        stale: bool = False

    def __init__(self, campaign_id: int | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.saved_id: int | None = None
        self.version: int | None = None
        self.status: str | None = None
        self.products: list = []
        self.preview = None  # the last services.campaigns.Preview shown
        self.preview_error: str | None = None
        self._preview_field: str | None = None  # the field marked by the last refused count
        self._serial = 0  # counts asked for
        self._shown = 0  # the count shown answers this one
        self._timer: Timer | None = None
        self._initial: dict | None = None
        self._saving = False

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        c = _campaigns()
        actor = self.app.actor  # type: ignore[attr-defined]
        yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role, org_name=actor.org_name)
        with Horizontal(id="cf-main"):
            with VerticalScroll(id="form-body"):
                yield Static(self._title(), id="form-title", markup=False)
                yield Static(_("Fields marked * are required. Ctrl+S saves."), id="form-status", markup=False)
                yield Static(_("Campaign"), classes="section", markup=False)
                yield self._row("name", _("Name"), Input(id="in-name", compact=True, max_length=c.NAME_MAX + 20,
                                                         placeholder=_("e.g. Mortgage customers: wealth review")),
                                required=True)
                yield self._row("type", _("Type"),
                                KeyToggles([(c.type_name(t), t) for t in c.TYPES], values=("phone",), id="in-type"),
                                required=True)
                yield self._row("goal", _("Goal"), Input(id="in-goal", compact=True, max_length=c.GOAL_MAX + 20,
                                                         placeholder=_("e.g. raise credit-card activation")))
                yield self._row("org_code", _("Scope"),
                                Input(id="in-org_code", compact=True, max_length=32, classes="small",
                                      placeholder=_("branch code")),
                                note=self._scope_note(actor))
                yield self._row("period", _("Period"), self._pair(
                    Input(id="in-starts_on", compact=True, max_length=20, classes="small", placeholder="YYYY-MM-DD"),
                    _("to"),
                    Input(id="in-ends_on", compact=True, max_length=20, classes="small", placeholder="YYYY-MM-DD")))
                yield self._row("budget", _("Budget"), self._pair(
                    Input(id="in-budget", compact=True, max_length=24, classes="small", placeholder="0"), _("CNY")))
                yield self._row("actual_cost", _("Actual cost"), self._pair(
                    Input(id="in-actual_cost", compact=True, max_length=24, classes="small", placeholder="0"),
                    _("CNY")))
                yield self._row("product_code", _("Product"),
                                Select([], id="in-product_code", compact=True, prompt=_("(no product promoted)")),
                                note="")
                yield self._row("sms_template", _("SMS text"),
                                TextArea(id="in-sms_template", soft_wrap=True, show_line_numbers=False, compact=True),
                                note=_("Placeholders: {names}", names=" ".join("{" + p + "}" for p in
                                                                                c.PLACEHOLDERS)))
                with Horizontal(classes="section-line"):
                    yield Static(_("Target customers"), classes="section", markup=False)
                    yield Static(_("Digits toggle; an empty condition does not filter"),
                                 classes="section-hint", markup=False)
                yield FilterBuilder(id="filter")
                with Horizontal(classes="dialog-buttons"):
                    yield Button(_("Save (Ctrl+S)"), variant="primary", id="form-save")
                    yield Button(_("Back (Esc)"), id="form-back")
            with Vertical(id="cf-preview"):
                with Horizontal(id="preview-head"):
                    yield Static(_("Who matches"), id="preview-title", markup=False)
                    yield Static("", id="preview-state", markup=False)
                yield Static("", id="preview-count", markup=False)
                yield Static("", id="preview-sentence", markup=False)
                yield Static("", id="preview-unsuitable", markup=False)
                yield Static("", id="preview-steps")
        yield OcrmFooter()

    def _title(self) -> str:
        return _("Edit campaign") if self.campaign_id is not None else _("New campaign")

    @staticmethod
    def _scope_note(actor) -> str:
        if actor.role == "admin":
            return _("Branch code (that branch and below); empty: bank-wide")
        return _("Branch code of your branch or below; empty: {code}", code=actor.org_code or "")

    @staticmethod
    def _row(name: str, label: str, *children: Widget, required: bool = False, note: str | None = None) -> Horizontal:
        parts: list[Widget] = list(children)
        if note is not None:
            parts.append(Static(note, classes="field-note", id=f"note-{name}", markup=False))
        parts.append(Static("", classes="field-error", id=f"err-{name}", markup=False))
        return Horizontal(Label(label + (" *" if required else ""), id=f"label-{name}"),
                          Vertical(*parts, classes="field-input"),
                          classes="field -required" if required else "field", id=f"field-{name}")

    @staticmethod
    def _pair(first: Widget, between: str, second: Widget | None = None) -> Horizontal:
        parts = [first, Static(between, classes="between", markup=False)]
        if second is not None:
            parts.append(second)
        return Horizontal(*parts, classes="pair")

    def on_mount(self) -> None:
        self.sub_title = self._title()
        for header in self.query(AppHeader).results(AppHeader):
            header.pane_title = self.sub_title
        self.query_one("#note-product_code", Static).display = False
        self._status(_("Loading…"))
        self.query_one("#in-name", Input).focus()
        self._load(self.campaign_id)

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-form-load", description="campaign form")
    def _load(self, campaign_id: int | None) -> None:
        from ocrm_tui.services.errors import OcrmError

        c = _campaigns()
        app = self.app
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                products = c.products(s)
                if campaign_id is None:
                    actor = app.actor  # type: ignore[attr-defined]
                    values = {"type": "phone", "org_code": actor.org_code if actor.role == "manager" else ""}
                    loaded = Loaded(values, products)
                else:
                    view = c.get_campaign(s, app.actor, campaign_id)  # type: ignore[attr-defined]
                    loaded = Loaded(c.form_values(view), products, view.version, view.status, view.name)
        except OcrmError as exc:
            self.post_message(self.Refused({"form": exc.message}))
            return
        self.post_message(self.Ready(loaded))

    def on_campaign_form_screen_ready(self, message: Ready) -> None:
        loaded = message.loaded
        self.products = loaded.products
        self.version, self.status = loaded.version, loaded.status
        self.query_one("#in-product_code", Select).set_options(
            [(self._product_label(p), p[0]) for p in loaded.products])
        self._fill(loaded.values)
        if loaded.status is not None:
            title = _("Edit campaign: {name} ({status})", name=loaded.name,
                      status=_campaigns().status_name(loaded.status))
            self.query_one("#form-title", Static).update(title)
            self._lock_for(loaded.status)
        self._initial = self.values()
        self._status(_("Fields marked * are required. Ctrl+S saves."))
        self._count_soon(now=True)

    @staticmethod
    def _product_label(product) -> str:
        from ocrm_tui.services import campaign_filter as cf

        code, name, ptype, risk = product
        return " · ".join(part for part in (f"{code}  {name}", cf.product_type_name(ptype), risk) if part)

    def _fill(self, values: dict) -> None:
        for name in ("name", "goal", "org_code", "starts_on", "ends_on", "budget", "actual_cost"):
            if name in values:
                self.query_one(f"#in-{name}", Input).value = values.get(name) or ""
        if values.get("type"):
            self.query_one("#in-type", KeyToggles).set_values((values["type"],), announce=False)
        if "sms_template" in values:
            self.query_one("#in-sms_template", TextArea).text = values.get("sms_template") or ""
        product = values.get("product_code") or ""
        self.query_one("#in-product_code", Select).value = product if product else Select.NULL
        self._product_note()
        if values.get("filter") is not None:
            self.query_one(FilterBuilder).fill(values["filter"])
        self._sms_required()

    def _lock_for(self, status: str) -> None:
        """An ended campaign keeps its definition (only the goal and the cost change); a started
        one keeps its scope."""
        if status == "ended":
            for widget in self.query("#form-body Input, #form-body Select, #form-body TextArea, "
                                     "#form-body KeyToggles"):
                if widget.id not in ("in-goal", "in-actual_cost"):
                    widget.disabled = True
            self._note("org_code", _("The campaign has ended: only its goal and actual cost can still change"))
        elif status != "draft":
            self.query_one("#in-org_code", Input).disabled = True
            self._note("org_code", _("The scope of a campaign is fixed once it has started"))

    # -- values ------------------------------------------------------------------------------
    def values(self) -> dict:
        product = self.query_one("#in-product_code", Select).value
        out = {name: self.query_one(f"#in-{name}", Input).value
               for name in ("name", "goal", "org_code", "starts_on", "ends_on", "budget", "actual_cost")}
        out.update({
            "type": self.query_one("#in-type", KeyToggles).value or "",
            "product_code": "" if product is Select.NULL else str(product),
            "sms_template": self.query_one("#in-sms_template", TextArea).text,
            "filter": self.query_one(FilterBuilder).values(),
        })
        return out

    def has_unsaved_input(self) -> bool:
        if self.saved_id is not None:
            return False
        if self._initial is None:  # still loading: nothing typed can be lost but the name
            return bool(self.query_one("#in-name", Input).value.strip())
        return self.values() != self._initial

    # -- the live count ----------------------------------------------------------------------
    @on(FilterBuilder.Changed)
    @on(Input.Changed, "#in-org_code")
    @on(Select.Changed, "#in-product_code")
    def _conditions_changed(self, event) -> None:
        if isinstance(event, Select.Changed):
            self._product_note()
        if self._initial is not None:  # before that, the loaded values are counted at once
            self._count_soon()

    @property
    def preview_settled(self) -> bool:
        """The count shown answers the latest change (nothing waits to be counted)."""
        return self._shown == self._serial and self._timer is None

    def _count_soon(self, *, now: bool = False) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._serial += 1
        serial = self._serial
        self.query_one("#preview-state", Static).update(_("Counting…"))

        def count() -> None:
            self._timer = None
            self._count(serial, self._preview_input())

        if now:
            count()
        else:
            self._timer = self.set_timer(DEBOUNCE_SECONDS, count)

    def _preview_input(self) -> dict:
        values = self.values()
        return {"filter": self.query_one(FilterBuilder).values(counting=True), "org_code": values["org_code"].strip(),
                "product_code": values["product_code"]}

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-form-count", description="campaign count")
    def _count(self, serial: int, asked: dict) -> None:
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                result = _campaigns().preview(s, app.actor, asked["filter"],  # type: ignore[attr-defined]
                                              org_code=asked["org_code"] or None,
                                              product_code=asked["product_code"] or None,
                                              clock=app.clock)  # type: ignore[attr-defined]
        except OcrmError as exc:
            self.post_message(self.NotCounted(serial, exc.message, error_key(exc, asked)))
            return
        self.post_message(self.Counted(serial, result))

    def on_campaign_form_screen_counted(self, message: Counted) -> None:
        if message.serial != self._serial:
            return  # the conditions changed since: a newer count is on its way
        self._shown = message.serial
        self._clear_preview_mark()
        self.preview, self.preview_error = message.preview, None
        p = message.preview
        count = self.query_one("#preview-count", Static)
        count.update(_("1 customer matches") if p.count == 1 else _("{n} customers match", n=f"{p.count:,}"))
        count.set_class(p.count == 0, "-none")
        count.remove_class("-error")
        self.query_one("#preview-state", Static).update("")
        self.query_one("#preview-sentence", Static).update(p.sentence)
        unsuitable = self.query_one("#preview-unsuitable", Static)
        unsuitable.update(_("{n} left out: the product's risk is above their risk preference",
                            n=f"{p.unsuitable:,}") if p.unsuitable else "")
        unsuitable.display = bool(p.unsuitable)
        self.query_one("#preview-steps", Static).update(self._steps(p.steps) if p.count == 0 and p.steps else "")

    @staticmethod
    def _steps(steps: list[tuple[str, int]]) -> Group:
        """The count after each condition; the one that leaves nobody stands out."""
        table = Table.grid(padding=(0, 1))
        table.add_column(justify="right", no_wrap=True)
        table.add_column(ratio=1)
        emptied = False
        for label, n in steps:
            style = "bold red" if n == 0 and not emptied else ("dim" if emptied else "")
            if n == 0:
                emptied = True
            table.add_row(Text(f"{n:,}", style=style), Text(label, style=style))
        return Group(Text(_("Customers left after each condition:"), style="bold"), table)

    def on_campaign_form_screen_not_counted(self, message: NotCounted) -> None:
        if message.serial != self._serial:
            return
        self._shown = message.serial
        self._clear_preview_mark()
        self.preview, self.preview_error = None, message.message
        count = self.query_one("#preview-count", Static)
        count.update(message.message)
        count.add_class("-error")
        count.remove_class("-none")
        self.query_one("#preview-state", Static).update("")
        self.query_one("#preview-sentence", Static).update(_("No count until the marked field is put right"))
        for selector in ("#preview-unsuitable", "#preview-steps"):
            self.query_one(selector, Static).update("")
        self.query_one("#preview-unsuitable", Static).display = False
        self._field_error(message.field, message.message)
        self._preview_field = message.field

    def _clear_preview_mark(self) -> None:
        if self._preview_field is not None:
            self._field_error(self._preview_field, None)
            self._preview_field = None

    # -- notes and marks ---------------------------------------------------------------------
    def _product_note(self) -> None:
        code = self.query_one("#in-product_code", Select).value
        product = next((p for p in self.products if p[0] == code), None)
        risk = product[3] if product else None
        self._note("product_code", _("Leaves out customers below risk preference {level} or unrated",
                                     level=risk) if risk else "")

    @on(KeyToggles.Changed, "#in-type")
    def _type_chosen(self, event: KeyToggles.Changed) -> None:
        self._field_error("type", None)
        self._sms_required()
        if event.by_key:
            self.query_one("#in-goal", Input).focus()

    def _sms_required(self) -> None:
        required = self.query_one("#in-type", KeyToggles).value == "sms"
        self.query_one("#label-sms_template", Label).update(_("SMS text") + (" *" if required else ""))
        self.query_one("#field-sms_template").set_class(required, "-required")

    @on(TextArea.Changed, "#in-sms_template")
    def _template_changed(self, event: TextArea.Changed) -> None:
        from ocrm_tui.services.errors import ValidationError

        try:
            _campaigns().check_template(event.text_area.text)
        except ValidationError as exc:
            self._field_error("sms_template", exc.message)
            return
        self._field_error("sms_template", None)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _note(self, name: str, text: str) -> None:
        note = self.query_one(f"#note-{name}", Static)
        note.update(text)
        note.display = bool(text)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    def _field_error(self, key: str, message: str | None) -> None:
        if key.startswith(FILTER):
            self.query_one(FilterBuilder).show_error(key.removeprefix(FILTER), message)
            return
        row = _ROW_OF.get(key, key)
        if key not in FIELDS:
            return
        self.query_one(f"#err-{row}", Static).update(message or "")
        self.query_one(f"#field-{row}").set_class(bool(message), "-invalid")

    def _focus_field(self, key: str) -> None:
        if key.startswith(FILTER):
            self.query_one(FilterBuilder).focus_field(key.removeprefix(FILTER))
            return
        if key not in FIELDS:
            return
        widget = self.query_one(f"#in-{key}")
        if widget.focusable:
            widget.focus()
        widget.scroll_visible()

    # -- saving ------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-back":
            self.action_leave()

    def action_save(self) -> None:
        if self._saving or self._initial is None:
            return
        self._saving = True
        self._status(_("Saving…"))
        self._save(self.values(), self.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="campaign-form-save", description="save campaign")
    def _save(self, values: dict, version: int | None) -> None:
        from ocrm_tui.services.errors import OcrmError, StaleRecordError, ValidationError

        c = _campaigns()
        app = self.app
        actor, clock = app.actor, app.clock  # type: ignore[attr-defined]
        try:
            with app.session() as s:  # type: ignore[attr-defined]
                errors = field_errors(s, values)
            if errors:
                self.post_message(self.Refused(errors))
                return
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if self.campaign_id is None:
                    saved = c.create_campaign(s, actor, values, clock=clock)
                else:
                    c.update_campaign(s, actor, self.campaign_id, values, version=version, clock=clock)
                    saved = self.campaign_id
        except StaleRecordError as exc:
            self.post_message(self.Refused({"form": exc.message}, stale=True))
            return
        except ValidationError as exc:
            self.post_message(self.Refused({error_key(exc, values): exc.message}))
            return
        except OcrmError as exc:
            self.post_message(self.Refused({"form": exc.message}))
            return
        self.post_message(self.Saved(saved))

    def on_campaign_form_screen_refused(self, message: Refused) -> None:
        self._saving = False
        errors = message.errors
        self._show_errors(errors)
        if message.stale:
            self._status(errors["form"] + "\n" + _("What you typed is kept: leave with Esc and open the campaign "
                                                   "again to see the current version."), True)
            return
        keys = [*FIELDS, *(FILTER + f for f in _filter_fields())]
        fields = [k for k in keys if k in errors]
        if not fields:
            self._status(errors.get("form", ""), True)
            return
        first = fields[0]
        self._focus_field(first)
        self._status(errors[first] if len(errors) == 1 else
                     _("{n} fields need attention: {first}", n=len(errors), first=errors[first]), True)

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Mark every field refused and clear the others (the mark of a refused count stays)."""
        if self._preview_field and self.preview_error and self._preview_field not in errors:
            errors = {**errors, self._preview_field: self.preview_error}
        rows: dict[str, str | None] = {}
        for key in FIELDS:
            row = _ROW_OF.get(key, key)
            if rows.get(row) is None:
                rows[row] = errors.get(key)
        for row, text in rows.items():
            self.query_one(f"#err-{row}", Static).update(text or "")
            self.query_one(f"#field-{row}").set_class(bool(text), "-invalid")
        self.query_one(FilterBuilder).show_errors(
            {key.removeprefix(FILTER): text for key, text in errors.items() if key.startswith(FILTER)})

    def on_campaign_form_screen_saved(self, message: Saved) -> None:
        self._saving = False
        self.saved_id = message.campaign_id
        self.app.notify(_("Campaign saved"))
        self.dismiss(message.campaign_id)

    def action_leave(self) -> None:
        self.leave_asking_first()


def _filter_fields() -> list[str]:
    from ocrm_tui.services import campaign_filter as cf

    return list(cf.CampaignFilter.__dataclass_fields__)
