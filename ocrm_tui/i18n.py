"""Translation of user-visible text: English message ids, a Simplified Chinese catalogue.

Every string a person reads goes through ``_()``; the English text is the message id,
so the Chinese interface is the catalogue in ``locale_zh.py``, not a rewrite.
Placeholders use ``str.format`` names: ``_("Locked until {time}", time=...)``.
"""

from __future__ import annotations

import locale
import os

SUPPORTED = ("en", "zh")
_language = "en"


def _catalogue() -> dict[str, str]:
    from ocrm_tui.locale_zh import ZH

    return ZH


def set_language(lang: str) -> None:
    global _language
    if lang not in SUPPORTED:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(SUPPORTED)}")
    _language = lang


def get_language() -> str:
    return _language


def _from_locale_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.lower()
    if name.startswith("zh"):
        return "zh"
    if name.startswith("en") or name in ("c", "posix", "c.utf-8"):
        return "en"
    return None


def resolve_language(option: str | None = None, config_value: str | None = None) -> str:
    """--lang, else OCRM_LANG, else the config file, else the system locale, else English."""
    for candidate in (option, os.environ.get("OCRM_LANG"), config_value):
        if candidate:
            lang = _from_locale_name(candidate) or candidate
            if lang not in SUPPORTED:
                raise ValueError(f"unsupported language {candidate!r}; choose en or zh")
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = _from_locale_name(os.environ.get(var))
        if lang:
            return lang
    try:
        lang = _from_locale_name(locale.getlocale()[0])
    except ValueError:  # pragma: no cover - odd locale settings
        lang = None
    return lang or "en"


def _(text: str, /, **values: object) -> str:
    if _language == "zh":
        text = _catalogue().get(text, text)
    return text.format(**values) if values else text


def _c(context: str, text: str, /, **values: object) -> str:
    """A short word whose translation depends on where it is used ("VIP" as a tier in a
    sentence, not as a column title): catalogued as "context|text"."""
    if _language == "zh":
        translated = _catalogue().get(f"{context}|{text}")
        text = translated if translated is not None else text
    return text.format(**values) if values else text


def translate_in(lang: str, text: str, /, **values: object) -> str:
    """The text in a given language, whatever the current one is."""
    if lang == "zh":
        text = _catalogue().get(text, text)
    return text.format(**values) if values else text
