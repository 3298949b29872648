"""Automatic tiering by daily-average AUM (thresholds are bank policy, in settings)."""

from __future__ import annotations

from decimal import Decimal

from ocrm_tui.db.models import Tier


def tier_for(aum_daily_avg: Decimal | float, thresholds: dict[str, float]) -> str:
    value = Decimal(str(aum_daily_avg))
    if value >= Decimal(str(thresholds["private"])):
        return Tier.PRIVATE
    if value >= Decimal(str(thresholds["wealth"])):
        return Tier.WEALTH
    if value >= Decimal(str(thresholds["vip"])):
        return Tier.VIP
    return Tier.MASS
