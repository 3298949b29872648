"""Masking of personal data, applied by services before anything reaches a screen or a file.

mobile 3+4 (138****5678), resident ID 1+1 (1****************X), card or account 6+4,
name to the surname (张*, 欧阳**) for tellers, address to the district.
"""

from __future__ import annotations

import re

from ocrm_tui.i18n import _

STAR = "*"
# Two-character surnames (复姓): the whole surname stays visible.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 澹台 申屠 太史 "
    "南宫 百里 呼延 万俟 闻人 赫连 独孤 西门 东郭 公冶 濮阳 淳于 单于 太叔 仲孙 鲜于 闾丘 亓官 司空 "
    "司寇 子车 颛孙 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 百里 梁丘 左丘 东门 第五".split()
)
# The end of the district-level part of a Chinese address (a county-level city: 市).
_DISTRICT = re.compile(r"^.*?(?:区|县|旗)")
_CITY = re.compile(r"^.*?市(?!场)")


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return STAR * len(value)
    return value[:head] + STAR * (len(value) - head - tail) + value[len(value) - tail:]


def mask_mobile(mobile: str | None) -> str | None:
    return None if mobile is None else _keep(mobile, 3, 4)


def mask_id_number(number: str | None) -> str | None:
    return None if number is None else _keep(number, 1, 1)


def mask_account(number: str | None) -> str | None:
    return None if number is None else _keep(number, 6, 4)


def surname_of(name: str) -> str:
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def mask_name(name: str | None) -> str | None:
    """张伟 → 张*, 欧阳娜娜 → 欧阳**; a Latin name keeps its first word's initial."""
    if name is None:
        return None
    if name.isascii():
        words = name.split()
        return " ".join(w[:1] + STAR * (len(w) - 1) for w in words) if words else name
    surname = surname_of(name)
    return surname + STAR * (len(name) - len(surname))


def mask_address(address: str | None) -> str | None:
    """Up to the district (江苏省南京市鼓楼区****); without one, the first six characters."""
    if address is None:
        return None
    m = _DISTRICT.match(address) or _CITY.match(address)
    keep = m.end() if m else min(6, len(address) // 2)
    rest = len(address) - keep
    return address[:keep] + (STAR * 4 if rest else "")


def customer_name(name: str | None, customer_no: str, *, mask: bool = False) -> str:
    """A customer's name as staff see it: masked when asked (tellers); a file without a name
    (an imported marketing list) as "Customer <number>"."""
    if not name:
        return _("Customer {number}", number=customer_no)
    return mask_name(name) if mask else name
