"""The bank's vocabulary as staff read it: tiers, product types, channels, contact kinds.

The database stores the codes of ``ocrm_tui.db.enums`` (``vip``, ``credit_card``,
``mobile`` …); screens show these names, translated when drawn. The codes are spelled
out here because the UI layer does not import the database layer.
"""

from __future__ import annotations

from rich.style import Style

from ocrm_tui.i18n import _, get_language

TIER_NAMES = {
    "mass": "Mass customer",
    "vip": "VIP customer",
    "wealth": "Wealth customer",
    "private": "Private banking customer",
}
TIER_ORDER = ("mass", "vip", "wealth", "private")  # lowest first

# Badge colours, dark text on light backgrounds and the reverse, readable on any theme.
TIER_STYLES = {
    "mass": Style(color="#f0f0f0", bgcolor="#5a6270", bold=True),
    "vip": Style(color="#1b1b1b", bgcolor="#e3b341", bold=True),
    "wealth": Style(color="#ffffff", bgcolor="#1f6f8b", bold=True),
    "private": Style(color="#ffffff", bgcolor="#7a3e9d", bold=True),
}

PRODUCT_TYPE_NAMES = {
    "deposit": "Deposits",
    "wealth": "Wealth products",
    "fund": "Funds",
    "insurance": "Insurance",
    "loan": "Loans",
    "credit_card": "Credit cards",
    "metal": "Precious metals",
}

CHANNEL_NAMES = {
    "counter": "Counter",
    "atm": "ATM",
    "pos": "POS",
    "phone": "Phone banking",
    "online": "Online banking",
    "mobile": "Mobile banking",
}

CONTACT_KIND_NAMES = {
    "counter": "Counter",
    "phone": "Phone call",
    "visit": "Visit",
    "sms": "SMS",
}

RISK_NAMES = {
    1: "Conservative",
    2: "Cautious",
    3: "Balanced",
    4: "Growth",
    5: "Aggressive",
}


def tier_name(tier: str) -> str:
    return _(TIER_NAMES.get(str(tier), str(tier)))


def tier_style(tier: str) -> Style:
    return TIER_STYLES.get(str(tier), TIER_STYLES["mass"])


def product_type_name(product_type: str) -> str:
    return _(PRODUCT_TYPE_NAMES.get(str(product_type), str(product_type)))


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES.get(str(channel), str(channel)))


def contact_kind_name(kind: str) -> str:
    return _(CONTACT_KIND_NAMES.get(str(kind), str(kind)))


def risk_name(level: int | None) -> str:
    if level is None:
        return ""
    name = RISK_NAMES.get(int(level))
    return _("{level} · {name}", level=level, name=_(name)) if name else str(level)


def direction_name(direction: str) -> str:
    return {"in": _("In"), "out": _("Out")}.get(direction, direction)


def gender_name(gender: str | None) -> str:
    return {"M": _("Male"), "F": _("Female")}.get(gender or "", gender or "")


def trend_styles() -> tuple[str, str]:
    """(rising, falling) colours as the reader expects them: in Chinese finance a rise is
    red and a fall green; in English the reverse. The ▲/▼ arrow carries the meaning either way."""
    if get_language() == "zh":
        return "bold #e5534b", "bold #3fb950"
    return "bold #3fb950", "bold #e5534b"
