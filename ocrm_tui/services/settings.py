"""Bank policy values kept in the database, with their defaults."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from ocrm_tui.db.models import Setting, utcnow
from ocrm_tui.i18n import _
from ocrm_tui.services.errors import ValidationError

DEFAULTS: dict[str, Any] = {
    "password.min_length": 8,
    "lockout.max_failures": 5,
    "lockout.minutes": 10,
    "idle_lock.minutes": 15,
    # Daily-average AUM (CNY) from which a customer is in the tier.
    "tier.thresholds": {"vip": 50000, "wealth": 500000, "private": 6000000},
    # Service tickets: hours to resolve by priority (the SLA), the share of that time left
    # when a ticket is shown as about to be overdue, and whether a customer's own RM takes
    # the customer's tickets before anyone else.
    "sla.hours": {"high": 4, "medium": 24, "low": 72},
    "sla.due_soon_percent": 25,
    "tickets.assign_to_rm": True,
    # Alerts (`ocrm alerts scan`): a single outflow (CNY) from a wealth or private-banking
    # customer at or above this amount, posted in the last outflow_days days; assets (monthly
    # daily-average AUM) down this many months in a row; a product maturing within, a
    # birthday within these days; a wealth or private-banking customer without a service
    # contact for this many days.
    "alert.large_outflow": 500000,
    "alert.outflow_days": 7,
    "alert.aum_decline_months": 3,
    # … and by at least this many percent over those months in all (0: any fall): a few
    # hundred yuan of card spending is no churn risk.
    "alert.aum_decline_percent": 10,
    "alert.maturity_days": 7,
    "alert.birthday_days": 3,
    "alert.no_contact_days": 90,
    # The customer pool (公海): the most customers an RM may hold by claiming from the pool,
    # and the days after a claim without any contact that return the customer to the pool.
    "pool.max_book": 800,
    "pool.sweep_days": 30,
    # Reports: the logins a member of staff is expected to make in a month (system usage).
    "report.login_target": 12,
    # Compliance: the roles whose members may see full customer values (each view audited;
    # a user can be granted or refused it on top of the role), the longest access an access
    # request may ask for, how often a logged-in terminal reports to the database (an ended
    # session drops to the login screen within this time), after how many minutes a
    # terminal not heard from counts as gone, and how many years audit and login records
    # are kept before they may be archived.
    "unmask.roles": ["rm", "manager", "admin"],
    "access.max_hours": 72,
    "session.check_seconds": 30,
    "session.stale_minutes": 5,
    "retention.years": 3,
}


def get_setting(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = session.get(Setting, key)
    return json.loads(row.value) if row is not None else DEFAULTS[key]


def _check(key: str, value: Any) -> None:
    """A value of the right shape: the same type as the default; numbers positive; a table
    (tier thresholds, SLA hours) with exactly the default's keys."""
    default = DEFAULTS[key]
    like = _("Setting {key} needs a value like {example}", key=key, example=json.dumps(default))
    if type(value) is not type(default):
        raise ValidationError(like, field="value")
    if isinstance(default, dict):
        if set(value) != set(default) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value.values()):
            raise ValidationError(like, field="value")
    elif isinstance(default, int) and not isinstance(default, bool) and value < 0:
        raise ValidationError(like, field="value")
    if isinstance(default, list):
        roles = ("teller", "rm", "manager", "admin")
        if not all(isinstance(v, str) and v in roles for v in value) or len(set(value)) != len(value):
            raise ValidationError(_("Setting {key} is a list of roles from: {roles}", key=key, roles=", ".join(roles)),
                                  field="value")
    if key == "session.check_seconds" and not 5 <= value <= 60:
        raise ValidationError(_("A terminal reports every 5–60 seconds"), field="value")
    if key == "retention.years" and value < 3:
        raise ValidationError(_("Audit and login records are kept at least 3 years"), field="value")
    if key in ("sla.due_soon_percent", "alert.aum_decline_percent") and value > 100:
        raise ValidationError(_("A percentage is 0–100"), field="value")


def list_settings(session: Session) -> list[tuple[str, Any, bool]]:
    """Every setting: (key, value, whether it is the default)."""
    stored = {row.key: json.loads(row.value) for row in session.scalars(select(Setting)).all()}
    return [(key, stored.get(key, default), key not in stored) for key, default in DEFAULTS.items()]


def set_setting(session: Session, key: str, value: Any) -> None:
    """Change a policy value (audited through the session like every change)."""
    if key not in DEFAULTS:
        raise ValidationError(_("Unknown setting {key}", key=key), field="key")
    _check(key, value)
    row = session.get(Setting, key)
    encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if row is None:
        session.add(Setting(key=key, value=encoded))
    else:
        row.value = encoded
        row.updated_at = utcnow()
