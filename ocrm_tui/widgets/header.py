"""The shell's top line: product, the pane in front, and who is working where."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from ocrm_tui.i18n import _

ROLE_NAMES = {
    "teller": "Teller",
    "rm": "Relationship manager",
    "manager": "Branch manager",
    "admin": "Administrator",
}


def role_name(role: str) -> str:
    return _(ROLE_NAMES.get(str(role), str(role)))


class AppHeader(Horizontal):
    """Product name on the left, the pane title in the middle, the user on the right."""

    pane_title: reactive[str] = reactive("")

    def __init__(self, *, user_name: str, employee_no: str, role: str, org_name: str) -> None:
        super().__init__(id="app-header")
        self._user = _("{name} ({employee_no})", name=user_name, employee_no=employee_no)
        self._role = role_name(role)
        self._org = org_name

    def compose(self) -> ComposeResult:
        yield Label(_("OCRM"), id="header-product")
        yield Label("", id="header-pane")
        yield Label(self._user, id="header-user", markup=False)
        yield Label(self._role, id="header-role", markup=False)
        yield Label(self._org, id="header-org", markup=False)

    def watch_pane_title(self, title: str) -> None:
        self.query_one("#header-pane", Label).update(title)
