"""The acting user, as plain data: who is doing something, with which role, where."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from ocrm_tui.db.models import Role


@dataclass(frozen=True)
class Actor:
    id: int | None
    employee_no: str
    name: str
    role: str
    org_id: int | None
    org_path: str
    org_code: str = ""
    org_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @classmethod
    def system(cls) -> "Actor":
        """The administrator at the server running `ocrm` commands (no staff login)."""
        try:
            who = getpass.getuser()
        except Exception:  # pragma: no cover - no user name in the environment
            who = "unknown"
        return cls(id=None, employee_no=f"os:{who}"[:32], name=who, role=Role.ADMIN, org_id=None, org_path="/")
