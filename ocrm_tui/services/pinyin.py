"""Pinyin search keys for Chinese names: full pinyin ("zhangwei") and initials ("zw")."""

from __future__ import annotations

import re
from functools import lru_cache

# One Chinese character, or one run of Latin letters/digits (a foreign name's word).
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL)[0].lower()


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name: 张伟 → (zhangwei, zw), John Smith → (johnsmith, js)."""
    syllables = [_char_pinyin(t) if not t.isascii() else t.lower() for t in _TOKEN.findall(name)]
    # A rare character pypinyin has no reading for comes back as itself: it gets no key.
    syllables = [s for s in syllables if s.isascii() and s.isalnum()]
    return "".join(syllables), "".join(s[0] for s in syllables)


def name_chars(name: str) -> str:
    """The name as index tokens: 张伟 → "张 伟" (one per Chinese character); Latin words whole."""
    return " ".join(t.lower() for t in _TOKEN.findall(name))


def name_keys(name: str) -> dict[str, str]:
    """Every search key of a name, as Customer columns."""
    full, initials = pinyin_keys(name)
    return {"name_pinyin": full, "name_initials": initials, "name_chars": name_chars(name)}
