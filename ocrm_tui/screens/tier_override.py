"""A manager sets a customer's tier by hand, with the reason (audited), or hands it back
to the automatic rule (tier by daily-average AUM).

The rules (who may, how long a reason must be) are the service's; its refusals are shown
in the dialog, and what was typed stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker, WorkerState

from ocrm_tui.i18n import _
from ocrm_tui.screens.base import OcrmModal
from ocrm_tui.widgets.footer import OcrmFooter
from ocrm_tui.widgets.vocabulary import TIER_ORDER, tier_name, tier_style


class TierOverrideDialog(OcrmModal[bool]):
    """Dismisses with True when the tier was changed (or cleared), False when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="tier_override.save", tooltip="Set this tier with the reason given"),
        Binding("escape", "cancel", "Cancel", id="tier_override.cancel", tooltip="Close without changing the tier"),
    ]

    DEFAULT_CSS = """
    TierOverrideDialog #tier-card {
        width: 68; height: auto; padding: 1 2; background: $surface; border: round $primary;
    }
    TierOverrideDialog #tier-now { height: auto; margin-bottom: 1; }
    TierOverrideDialog RadioSet { width: 100%; }
    TierOverrideDialog #tier-status { height: auto; min-height: 1; margin-top: 1; color: $text-muted; }
    TierOverrideDialog #tier-status.-error { color: $text-error; text-style: bold; }
    TierOverrideDialog #tier-status.-busy { color: $text-warning; }
    TierOverrideDialog .dialog-buttons Button { min-width: 10; }
    """

    @dataclass
    class Saved(Message):
        pass

    @dataclass
    class Refused(Message):
        message: str
        field: str | None

    def __init__(self, customer_id: int, *, tier: str, manual: bool, reason: str | None = None,
                 customer_name: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.customer_id = customer_id
        self.tier = tier
        self.manual = manual
        self.reason = reason
        self.customer_name = customer_name
        self._busy = False

    def compose(self) -> ComposeResult:
        title = (_("Set the tier of {name}", name=self.customer_name) if self.customer_name
                 else _("Set the tier"))
        now = Text(_("Now: "))
        now.append(f" {tier_name(self.tier)} ", style=tier_style(self.tier))
        if self.manual:
            now.append("  ")
            now.append(_("set by hand: {reason}", reason=self.reason or "—"))
        else:
            now.append("  ")
            now.append(_("automatic, by daily-average AUM"))
        with Vertical(id="tier-card"):
            yield Static(title, classes="dialog-title", markup=False)
            yield Static(now, id="tier-now")
            yield Label(_("Tier"), classes="field-label")
            with RadioSet(id="tier-choice"):
                for tier in TIER_ORDER:
                    yield RadioButton(tier_name(tier), value=tier == self.tier, id=f"tier-{tier}")
            yield Label(_("Reason (required)"), classes="field-label")
            yield Input(id="tier-reason", max_length=255,
                        placeholder=_("Why this customer's tier is set by hand"))
            yield Static("", id="tier-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.manual:
                    yield Button(_("Back to automatic"), id="tier-clear", variant="warning")
                yield Button(_("Save"), id="tier-save", variant="primary")
                yield Button(_("Cancel"), id="tier-cancel")
        yield OcrmFooter()

    def on_mount(self) -> None:
        choice = self.query_one("#tier-choice", RadioSet)
        choice.focus()
        self.call_after_refresh(self._highlight_current)

    def _highlight_current(self) -> None:
        # The arrow keys start from the tier the customer has now (RadioSet starts at the first).
        choice = self.query_one("#tier-choice", RadioSet)
        if self.tier in TIER_ORDER:
            for _step in range(TIER_ORDER.index(self.tier)):
                choice.action_next_button()

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#tier-reason", Input).value.strip())

    def _set_status(self, text: str, kind: str = "info") -> None:
        status = self.query_one("#tier-status", Static)
        status.update(text)
        status.set_class(kind == "error", "-error")
        status.set_class(kind == "busy", "-busy")

    @property
    def chosen_tier(self) -> str:
        pressed = self.query_one("#tier-choice", RadioSet).pressed_button
        return pressed.id.removeprefix("tier-") if pressed is not None and pressed.id else self.tier

    # -- saving ---------------------------------------------------------------------------

    @on(Input.Submitted, "#tier-reason")
    def _reason_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "tier-save":
            self.action_save()
        elif event.button.id == "tier-clear":
            self._start(clear=True)
        elif event.button.id == "tier-cancel":
            self.action_cancel()

    def action_save(self) -> None:
        self._start(clear=False)

    def _start(self, *, clear: bool) -> None:
        if self._busy:
            return
        self._busy = True
        self._set_status(_("Saving…"), "busy")
        self._save(clear, self.chosen_tier, self.query_one("#tier-reason", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tier", description="set tier")
    def _save(self, clear: bool, tier: str, reason: str) -> None:
        from ocrm_tui.services import customers
        from ocrm_tui.services.errors import OcrmError

        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        try:
            with app.session(write=True) as s:  # type: ignore[attr-defined]
                if clear:
                    customers.clear_tier_override(s, actor, self.customer_id, clock=app.clock)  # type: ignore[attr-defined]
                else:
                    customers.override_tier(s, actor, self.customer_id, tier, reason,
                                            clock=app.clock)  # type: ignore[attr-defined]
                s.commit()
        except OcrmError as exc:
            self.post_message(self.Refused(exc.message, exc.field))
            return
        self.post_message(self.Saved())

    def on_tier_override_dialog_saved(self, _message: Saved) -> None:
        self._busy = False
        self.dismiss(True)

    def on_tier_override_dialog_refused(self, message: Refused) -> None:
        self._busy = False
        self._set_status(message.message, "error")
        if message.field == "reason":
            self.query_one("#tier-reason", Input).focus()
        elif message.field == "tier":
            self.query_one("#tier-choice", RadioSet).focus()

    @on(Worker.StateChanged)
    def _worker_ended(self, event: Worker.StateChanged) -> None:
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._busy = False
            self._set_status("")

    def action_cancel(self) -> None:
        self.dismiss(False)
