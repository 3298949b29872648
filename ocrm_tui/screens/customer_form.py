"""A new customer file, or an edit of one: every field checked as you leave it, Ctrl+S saves.

- Required fields are marked with *; a wrong field says what is wrong under it and keeps
  what was typed. A valid resident ID number fills in an empty birth date and gender.
- Before saving, the service looks for the same ID number (never a second file), the
  same mobile, or the same name and birth date: the dialog shows them and offers to open
  the existing customer (or, for a mere likeness, to save anyway).
- An edit that someone else overtook (the customer's version moved on) is refused: the
  dialog lists each changed field — what you started from, what it is now — and your
  input stays in the form to re-apply on the current values.

Dismisses with the customer id when saved, None when left.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal, OcrmScreen
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.header import AppHeader

ID_TYPES = ("居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证")


def _id_type_label(value: str) -> str:
    return {
        "居民身份证": _("Resident ID card"), "护照": _("Passport"),
        "港澳居民来往内地通行证": _("Mainland travel permit (HK/Macao)"),
        "台湾居民来往大陆通行证": _("Mainland travel permit (Taiwan)"),
        "外国人永久居留身份证": _("Foreigner's permanent residence card"),
    }.get(value, value)


def _choices(name: str) -> list[tuple[str, str]] | None:
    if name == "gender":
        return [(_("Male"), "M"), (_("Female"), "F")]
    if name == "id_type":
        return [(_id_type_label(v), v) for v in ID_TYPES]
    if name == "risk_preference":
        return [(_("1 conservative"), "1"), (_("2 moderately conservative"), "2"), (_("3 balanced"), "3"),
                (_("4 growth"), "4"), (_("5 aggressive"), "5")]
    return None


class CustomerFormScreen(OcrmScreen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Check every field and save the customer"),
        Binding("escape", "leave", "Back", id="form.back", tooltip="Leave the form (asks when something was typed)"),
    ]
    DEFAULT_CSS = """
    CustomerFormScreen #form-body { padding: 0 2; }
    CustomerFormScreen #form-title { text-style: bold; padding: 1 0 0 0; }
    CustomerFormScreen #form-status { height: auto; min-height: 1; color: $text-muted; }
    CustomerFormScreen #form-status.-error { color: $error; }
    CustomerFormScreen Grid { grid-size: 2; grid-gutter: 0 4; grid-rows: 4; height: auto; }
    CustomerFormScreen .field { height: 4; }
    CustomerFormScreen .field Label { color: $text-muted; }
    CustomerFormScreen .field.-required Label { color: $text; }
    CustomerFormScreen .field-error { color: $error; height: 2; }
    CustomerFormScreen .field.-invalid Input { border-left: outer $error; }
    """

    def __init__(self, customer_id: int | None = None, *, prefill: dict[str, str] | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self._prefill = prefill or {}
        self._base: dict[str, str] | None = None  # the values the form started from (edit)
        self._initial: dict[str, str] = {}
        self._saving = False
        self.saved_id: int | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from ocrm_tui.services.customers import FORM_FIELDS, field_label

        actor = self.app.actor  # type: ignore[attr-defined]
        yield AppHeader(user_name=actor.name, employee_no=actor.employee_no, role=actor.role, org_name=actor.org_name)
        with VerticalScroll(id="form-body"):
            title = _("Edit customer") if self.customer_id else _("New customer")
            yield Static(title, id="form-title", markup=False)
            yield Static(_("Fields marked * are required. Ctrl+S saves."), id="form-status", markup=False)
            with Grid():
                for spec in FORM_FIELDS:
                    classes = "field -required" if spec.required else "field"
                    with Vertical(classes=classes, id=f"field-{spec.name}"):
                        yield Label(field_label(spec.name) + (" *" if spec.required else ""))
                        choices = _choices(spec.name)
                        if choices is not None:
                            yield Select(choices, id=f"in-{spec.name}", compact=True,
                                         allow_blank=spec.name != "id_type",
                                         value="居民身份证" if spec.name == "id_type" else Select.NULL,
                                         prompt=_("(not given)"))
                        else:
                            yield Input(id=f"in-{spec.name}", max_length=spec.max_length + 20, compact=True,
                                        placeholder=_placeholder(spec.name))
                        yield Static("", classes="field-error", id=f"err-{spec.name}", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", id="form-save")
                yield Button(_("Back (Esc)"), id="form-back")
        yield OcrmFooter()

    def on_mount(self) -> None:
        self.query_one("#in-name").focus()
        if self.customer_id is not None:
            self._load(self.customer_id)
        else:
            self._fill(self._prefill)
            self._initial = self.values()

    @work(thread=True, exclusive=True, exit_on_error=False, description="customer edit values")
    def _load(self, customer_id: int) -> None:
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session(write=True) as s:  # type: ignore[attr-defined]
                values = customers.edit_values(s, self.app.actor, customer_id)  # type: ignore[attr-defined]
                s.commit()  # the unmask of the full values is audited
        except OcrmError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._loaded, values)

    def _loaded(self, values: dict[str, str]) -> None:
        self._base = values
        self._fill(values)
        self._initial = self.values()

    def _fill(self, values: dict[str, str]) -> None:
        from ocrm_tui.services.customers import FORM_FIELDS

        for spec in FORM_FIELDS:
            if spec.name not in values:
                continue
            widget = self.query_one(f"#in-{spec.name}")
            value = values.get(spec.name) or ""
            if isinstance(widget, Select):
                if value:
                    widget.value = value
                elif spec.name != "id_type":  # the one choice that is never blank
                    widget.value = Select.NULL
            else:
                widget.value = value

    # -- values and checks --------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        from ocrm_tui.services.customers import FORM_FIELDS

        out = {}
        for spec in FORM_FIELDS:
            widget = self.query_one(f"#in-{spec.name}")
            if isinstance(widget, Select):
                out[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                out[spec.name] = widget.value
        return out

    def has_unsaved_input(self) -> bool:
        return self.saved_id is None and self.values() != self._initial

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    def _show_field_error(self, name: str, message: str | None) -> None:
        self.query_one(f"#err-{name}", Static).update(message or "")
        self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")

    @on(Input.Blurred)
    def _left_field(self, event: Input.Blurred) -> None:
        name = (event.input.id or "").removeprefix("in-")
        if name:
            self._check(name)

    @on(Select.Changed)
    def _chose(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("in-")
        if name in ("gender", "id_type") and self.values().get("id_number"):
            self._check("id_number")

    def _check(self, name: str) -> None:
        from ocrm_tui.services.customers import check_field, implied_by_id
        from ocrm_tui.services.errors import ValidationError

        values = self.values()
        try:
            check_field(name, values)
        except ValidationError as exc:
            self._show_field_error(name, exc.message)
            if exc.field and exc.field != name:
                self._show_field_error(exc.field, exc.message)
            return
        self._show_field_error(name, None)
        if name == "id_number":
            # A valid resident ID number names the birth date and the gender.
            implied = implied_by_id(values)
            if "birth_date" in implied:
                self.query_one("#in-birth_date", Input).value = implied["birth_date"]
                self._show_field_error("birth_date", None)
            if "gender" in implied:
                self.query_one("#in-gender", Select).value = implied["gender"]
                self._show_field_error("gender", None)

    # -- saving -------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-back":
            self.action_leave()

    def action_save(self, accept_similar: bool = False) -> None:
        from ocrm_tui.services.customers import FORM_FIELDS, clean

        if self._saving:
            return
        values = self.values()
        _cleaned, errors = clean(values)
        for spec in FORM_FIELDS:
            self._show_field_error(spec.name, errors.get(spec.name))
        if errors:
            first = next(spec.name for spec in FORM_FIELDS if spec.name in errors)
            self.query_one(f"#in-{first}").focus()
            self._status(_("{n} fields need attention: {first}", n=len(errors), first=errors[first]), True)
            return
        self._saving = True
        self._status(_("Saving…"))
        self._save(values, accept_similar)

    @work(thread=True, exclusive=True, exit_on_error=False, description="save customer")
    def _save(self, values: dict[str, str], accept_similar: bool) -> None:
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import DuplicateCustomer, OcrmError, StaleRecordError, ValidationError

        actor = self.app.actor  # type: ignore[attr-defined]
        try:
            with self.app.session(write=True) as s:  # type: ignore[attr-defined]
                if self.customer_id is None:
                    saved = customers.create_customer(s, actor, values, accept_similar=accept_similar)
                else:
                    customers.update_customer(s, actor, self.customer_id, values, self._base or {})
                    saved = self.customer_id
                s.commit()
        except DuplicateCustomer as exc:
            self.app.call_from_thread(self._duplicates, exc)
            return
        except StaleRecordError as exc:
            self.app.call_from_thread(self._stale, exc)
            return
        except ValidationError as exc:
            self.app.call_from_thread(self._invalid, exc)
            return
        except OcrmError as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._saved, saved)

    def _failed(self, message: str) -> None:
        self._saving = False
        self._status(message, True)

    def _invalid(self, exc) -> None:
        self._saving = False
        if exc.field:
            self._show_field_error(exc.field, exc.message)
            try:
                self.query_one(f"#in-{exc.field}").focus()
            except Exception:  # a field not on the form (should not happen)
                pass
        self._status(exc.message, True)

    def _saved(self, customer_id: int) -> None:
        self._saving = False
        self.saved_id = customer_id
        self.app.notify(_("Customer saved"))
        self.dismiss(customer_id)

    def _duplicates(self, exc) -> None:
        self._saving = False
        self._status(exc.message, True)

        def chosen(answer: str | int | None) -> None:
            if answer == "save":
                self.action_save(accept_similar=True)
            elif isinstance(answer, int):
                from ocrm_tui.screens.customer_profile import ProfileScreen

                self.saved_id = -1  # nothing to keep: the user chose the existing file
                self.dismiss(None)
                self.app.push_screen(ProfileScreen(answer))

        self.app.push_screen(DuplicatesDialog(exc.message, exc.duplicates, exc.blocking), callback=chosen)

    def _stale(self, exc) -> None:
        self._saving = False
        self._status(exc.message, True)
        self.app.push_screen(StaleDialog(exc.changed), callback=self._stale_answer)

    def _stale_answer(self, reload: bool | None) -> None:
        if reload and self.customer_id is not None:
            self._reload_base(self.customer_id)

    @work(thread=True, exclusive=True, exit_on_error=False, description="customer current values")
    def _reload_base(self, customer_id: int) -> None:
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import OcrmError

        try:
            with self.app.session(write=True) as s:  # type: ignore[attr-defined]
                values = customers.edit_values(s, self.app.actor, customer_id)  # type: ignore[attr-defined]
                s.commit()
        except OcrmError as exc:
            self.app.call_from_thread(self._status, exc.message, True)
            return
        self.app.call_from_thread(self._rebased, values)

    def _rebased(self, current: dict[str, str]) -> None:
        """Your changes stay in the form; the fields you did not touch take the current values."""
        from ocrm_tui.services.customers import FORM_FIELDS

        old = self._base or {}
        mine = self.values()
        taken = {}
        for spec in FORM_FIELDS:
            name = spec.name
            if mine.get(name, "") == (old.get(name) or "") and (current.get(name) or "") != mine.get(name, ""):
                taken[name] = current.get(name) or ""
        self._base = current
        self._fill(taken)
        self._status(_("Your changes are kept; {n} fields you had not changed now show the current values. "
                       "Check and save again.", n=len(taken)))

    def action_leave(self) -> None:
        self.leave_asking_first()


def _placeholder(name: str) -> str:
    return {"birth_date": "YYYY-MM-DD", "mobile": "138…", "email": "name@example.com"}.get(name, "")


class DuplicatesDialog(OcrmModal[str | int | None]):
    """The customers on file that look like the new one; open one, save anyway or go back."""

    BINDINGS = [Binding("escape", "back", "Back", id="duplicates.back", tooltip="Back to the form")]
    DEFAULT_CSS = """
    DuplicatesDialog .dialog { width: 76; }
    DuplicatesDialog .duplicate { height: auto; }
    DuplicatesDialog .duplicate Button { min-width: 10; margin-left: 1; }
    DuplicatesDialog .duplicate Static { width: 1fr; padding-top: 1; }
    """

    def __init__(self, message: str, duplicates: list, blocking: bool) -> None:
        super().__init__(classes="dialog-screen")
        self._message = message
        self._duplicates = duplicates
        self._blocking = blocking

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Already on file?"), classes="dialog-title", markup=False)
            yield Static(self._message, classes="dialog-message", markup=False)
            for i, dup in enumerate(self._duplicates):
                with Horizontal(classes="duplicate"):
                    yield Static(f"{dup.label} — {dup.reason_text}", markup=False)
                    if dup.customer_id is not None:
                        yield Button(_("Open"), id=f"open-{i}", variant="primary")
            with Horizontal(classes="dialog-buttons"):
                if not self._blocking:
                    yield Button(_("Save anyway"), variant="warning", id="dup-save")
                yield Button(_("Back to the form"), id="dup-back")

    def on_mount(self) -> None:
        self.query_one("#dup-back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button.id or ""
        if button.startswith("open-"):
            self.dismiss(self._duplicates[int(button[5:])].customer_id)
        elif button == "dup-save":
            self.dismiss("save")
        else:
            self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)


class StaleDialog(OcrmModal[bool]):
    """Someone else saved the customer meanwhile: which fields changed, from what to what."""

    BINDINGS = [Binding("escape", "back", "Back", id="stale.back", tooltip="Back to the form")]
    DEFAULT_CSS = """
    StaleDialog .dialog { width: 90; }
    StaleDialog #stale-changes { height: auto; max-height: 14; }
    """

    def __init__(self, changed: dict) -> None:
        super().__init__(classes="dialog-screen")
        self._changed = changed

    def compose(self) -> ComposeResult:
        from ocrm_tui.services.customers import FIELD_BY_NAME, field_label

        lines = [_("{field}: {before} → {now}", field=field_label(name) if name in FIELD_BY_NAME else name,
                   before=before or "—", now=now or "—")
                 for name, (before, now) in self._changed.items()]
        with Vertical(classes="dialog"):
            yield Static(_("Changed by someone else"), classes="dialog-title", markup=False)
            yield Static(_("Your input is kept. Take the current values as the base, check the fields below, "
                           "and save again."), classes="dialog-message", markup=False)
            yield Static("\n".join(lines) or _("(the changes could not be listed)"), id="stale-changes", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Use the current values"), variant="primary", id="stale-reload")
                yield Button(_("Back to the form"), id="stale-back")

    def on_mount(self) -> None:
        self.query_one("#stale-reload", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "stale-reload")

    def action_back(self) -> None:
        self.dismiss(False)
