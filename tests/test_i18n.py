"""Every text a person reads has its Chinese translation, with the same placeholders."""

import ast
import string
from pathlib import Path

import pytest

from ocrm_tui.i18n import _, resolve_language, set_language
from ocrm_tui.locale_zh import ZH

PKG = Path(__file__).resolve().parent.parent / "ocrm_tui"


def message_ids() -> dict[str, str]:
    """Every literal passed to _() in the package, with where it is."""
    found = {}
    for path in PKG.rglob("*.py"):
        if "locales" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.relative_to(PKG)}:{node.lineno}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_c"
                    and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                found.setdefault(f"{node.args[0].value}|{node.args[1].value}", f"{path.relative_to(PKG)}:{node.lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_a_chinese_translation():
    missing = {msg: where for msg, where in message_ids().items() if msg not in ZH}
    assert missing == {}


def test_translations_keep_the_placeholders():
    wrong = {msg: zh for msg, zh in ZH.items() if placeholders(msg) != placeholders(zh)}
    assert wrong == {}


def test_the_chinese_catalogue_is_used_when_chosen():
    set_language("zh")
    assert _("Wrong employee number or password") == "员工号或密码错误"
    assert _("No staff member with employee number {no}", no="T9") == "没有员工号为 T9 的员工"
    set_language("en")
    assert _("Wrong employee number or password") == "Wrong employee number or password"


@pytest.mark.parametrize(
    "option, env, config, locale_env, expected",
    [
        ("zh", None, None, "en_US.UTF-8", "zh"),
        (None, "zh", "en", "en_US.UTF-8", "zh"),
        (None, None, "zh", "en_US.UTF-8", "zh"),
        (None, None, None, "zh_CN.UTF-8", "zh"),
        (None, None, None, "C", "en"),
    ],
)
def test_language_comes_from_option_env_config_then_locale(monkeypatch, option, env, config, locale_env, expected):
    if env:
        monkeypatch.setenv("OCRM_LANG", env)
    monkeypatch.setenv("LANG", locale_env)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert resolve_language(option, config) == expected


def test_an_unsupported_language_is_refused():
    with pytest.raises(ValueError, match="en or zh"):
        resolve_language("fr")
