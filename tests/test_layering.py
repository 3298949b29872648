"""services/ and db/ know nothing of the UI; db/ knows nothing of services/."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ocrm_tui"


def imported_modules(folder: Path):
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield path, node.module


@pytest.mark.parametrize("layer", ["services", "db"])
def test_lower_layers_do_not_import_the_ui(layer):
    bad = [(p.name, m) for p, m in imported_modules(PKG / layer)
           if m.split(".")[0] in ("textual", "typer") or m.startswith(("ocrm_tui.screens", "ocrm_tui.widgets", "ocrm_tui.app", "ocrm_tui.cli"))]
    assert bad == []


def test_db_does_not_import_services():
    bad = [(p.name, m) for p, m in imported_modules(PKG / "db") if m.startswith("ocrm_tui.services")]
    assert bad == []


def test_screens_and_widgets_write_no_sql():
    bad = [(p.name, m) for folder in ("screens", "widgets") for p, m in imported_modules(PKG / folder)
           if m.split(".")[0] in ("sqlalchemy", "sqlmodel") or m.startswith("ocrm_tui.db")]
    assert bad == []
