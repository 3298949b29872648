"""One colour per tag family, the same wherever a tag is shown (profile, tag editor).

Tags are drawn as chips: the name on its family's colour, with a text colour chosen for
contrast, so that they read on a dark or a light theme. The family codes are those of
``ocrm_tui.db.enums.TagFamily`` (spelled out: the UI does not import the database layer).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text

from ocrm_tui.i18n import _

FAMILY_ORDER = ("demographic", "behaviour", "attitude", "relationship", "custom")

FAMILY_NAMES = {
    "demographic": "Demographic",
    "behaviour": "Behaviour",
    "attitude": "Attitude",
    "relationship": "Relationships",
    "custom": "Custom",
}

# (chip text, chip background)
FAMILY_COLOURS = {
    "demographic": ("#ffffff", "#2f6db5"),  # blue
    "behaviour": ("#ffffff", "#2e7d46"),  # green
    "attitude": ("#ffffff", "#8a4baf"),  # purple
    "relationship": ("#1b1b1b", "#e0a030"),  # amber
    "custom": ("#1b1b1b", "#9fb3c8"),  # slate
}


def family_name(family: str) -> str:
    return _(FAMILY_NAMES.get(family, family))


def family_style(family: str) -> Style:
    fg, bg = FAMILY_COLOURS.get(family, FAMILY_COLOURS["custom"])
    return Style(color=fg, bgcolor=bg)


def family_text_colour(family: str) -> str:
    """The family's colour as a text colour (for a legend or a label without a chip)."""
    return FAMILY_COLOURS.get(family, FAMILY_COLOURS["custom"])[1]


def family_sort_key(family: str) -> int:
    return FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER)


def tag_chip(name: str, family: str) -> Text:
    """A tag as a coloured chip: ` 房贷客户 ` (the colour is a span: text appended after it stays plain)."""
    chip = Text(end="")
    chip.append(f" {name} ", style=family_style(family))
    return chip


def chips(tags: Iterable[tuple[str, str]], *, separator: str = " ") -> Text:
    """(name, family) pairs as a line of chips (wrapping between chips)."""
    out = Text(end="")
    for i, (name, family) in enumerate(tags):
        if i:
            out.append(separator)
        out.append_text(tag_chip(name, family))
    return out


def legend() -> Text:
    """■ Demographic  ■ Behaviour  … : what each colour means."""
    out = Text(end="")
    for i, family in enumerate(FAMILY_ORDER):
        if i:
            out.append("  ")
        out.append("■ ", style=Style(color=family_text_colour(family)))
        out.append(family_name(family))
    return out
