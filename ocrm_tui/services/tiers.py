"""Automatic tiering by daily-average AUM (thresholds are bank policy, in settings).

``tier_for`` is the rule for one customer; ``recompute_tiers`` applies the same rule to
every customer without a manual override, in SQL (a CASE per threshold), so that a
million customers take seconds. A manager's override (``tier_manual``) is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, false, func, literal, select, update
from sqlmodel import Session

from ocrm_tui.db.models import MONEY, Customer, Tier
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.settings import get_setting

TIERS = (Tier.MASS, Tier.VIP, Tier.WEALTH, Tier.PRIVATE)  # lowest first
# Customers changed per transaction: bounds the memory of the audit batch and lets other
# terminals write between chunks; a run that stops half-way is finished by the next one.
CHUNK = 10_000

_customer = Customer.__table__  # type: ignore[attr-defined]


def tier_for(aum_daily_avg: Decimal | float, thresholds: dict[str, float]) -> str:
    value = Decimal(str(aum_daily_avg))
    if value >= Decimal(str(thresholds["private"])):
        return Tier.PRIVATE
    if value >= Decimal(str(thresholds["wealth"])):
        return Tier.WEALTH
    if value >= Decimal(str(thresholds["vip"])):
        return Tier.VIP
    return Tier.MASS


def tier_label(tier: str) -> str:
    return {
        Tier.MASS: _("Mass customer"),
        Tier.VIP: _("VIP customer"),
        Tier.WEALTH: _("Wealth customer"),
        Tier.PRIVATE: _("Private banking customer"),
    }.get(tier, tier)


@dataclass(frozen=True)
class RecomputeResult:
    moves: dict[tuple[str, str], int] = field(default_factory=dict)  # (old tier, new tier) → customers
    changed: int = 0
    checked: int = 0  # customers tiered automatically
    overrides: int = 0  # customers with a manual tier, left alone
    overrides_differing: int = 0  # … of which the automatic rule would give another tier
    thresholds: dict = field(default_factory=dict)


def tier_thresholds(session: Session) -> dict[str, Decimal]:
    """The thresholds in force, checked: numbers, rising from vip to wealth to private."""
    raw = get_setting(session, "tier.thresholds")
    try:
        values = {k: Decimal(str(raw[k])) for k in ("vip", "wealth", "private")}
    except (KeyError, TypeError, InvalidOperation):
        values = None
    if values is None or not (Decimal(0) <= values["vip"] <= values["wealth"] <= values["private"]):
        raise ValidationError(
            _("The tier thresholds setting must give rising amounts for vip, wealth and private"), field="tier.thresholds"
        )
    return values


def tier_expression(thresholds: dict[str, Decimal]):
    """``tier_for`` as SQL over the customer row."""
    aum = _customer.c.aum_daily_avg
    return case(
        (aum >= literal(thresholds["private"], MONEY), literal(Tier.PRIVATE.value)),
        (aum >= literal(thresholds["wealth"], MONEY), literal(Tier.WEALTH.value)),
        (aum >= literal(thresholds["vip"], MONEY), literal(Tier.VIP.value)),
        else_=literal(Tier.MASS.value),
    )


def recompute_tiers(session: Session, actor: Actor, *, clock: Clock = system_clock, chunk: int = CHUNK) -> RecomputeResult:
    """Give every customer without a manual override the tier of their daily-average AUM.

    Each customer whose tier changes gets a ``customer.tier_recompute`` audit event
    ({"tier": [old, new]}); the run ends with one ``tiers.recompute`` summary event.
    Commits every ``chunk`` customers changed.
    """
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can recompute tiers"))
    audit.acting_as(session, actor, clock=clock)
    thresholds = tier_thresholds(session)
    new_tier = tier_expression(thresholds)
    automatic = _customer.c.tier_manual == false()
    moves: Counter[tuple[str, str]] = Counter()
    last_id = 0
    while True:
        # Changed customers in id order, a chunk at a time (locked on PostgreSQL until the
        # chunk commits; SQLite's write transaction already excludes other writers).
        rows = session.execute(
            select(_customer.c.id, _customer.c.tier, new_tier.label("new_tier"))
            .where(automatic, _customer.c.tier != new_tier, _customer.c.id > last_id)
            .order_by(_customer.c.id)
            .limit(chunk)
            .with_for_update()
        ).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        session.execute(
            update(_customer)
            .where(_customer.c.id.in_(ids), automatic)
            .values(tier=new_tier, updated_at=clock(), version=_customer.c.version + 1)
        )
        for r in rows:
            moves[(r.tier, r.new_tier)] += 1
            audit.log_event(session, "customer.tier_recompute", "customer", r.id, {"tier": [r.tier, r.new_tier]})
        last_id = ids[-1]
        session.commit()

    counts = {
        manual: (n, differing or 0)
        for manual, n, differing in session.execute(
            select(
                _customer.c.tier_manual,
                func.count(),
                func.sum(case((_customer.c.tier != new_tier, 1), else_=0)),
            ).group_by(_customer.c.tier_manual)
        )
    }
    checked = sum(n for manual, (n, _d) in counts.items() if not manual)
    overrides, differing = next(((n, d) for manual, (n, d) in counts.items() if manual), (0, 0))
    result = RecomputeResult(
        moves=dict(sorted(moves.items(), key=lambda kv: (TIERS.index(kv[0][0]) if kv[0][0] in TIERS else 9,
                                                         TIERS.index(kv[0][1])))),
        changed=sum(moves.values()),
        checked=checked,
        overrides=overrides,
        overrides_differing=differing,
        thresholds={k: str(v) for k, v in thresholds.items()},
    )
    audit.log_event(session, "tiers.recompute", "customer", None, {
        "changed": result.changed,
        "checked": result.checked,
        "overrides": result.overrides,
        "moves": {f"{old}→{new}": n for (old, new), n in result.moves.items()},
        "thresholds": result.thresholds,
    })
    session.commit()
    return result
