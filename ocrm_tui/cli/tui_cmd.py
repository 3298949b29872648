"""`ocrm` / `ocrm tui`: the terminal application."""

import typer


def register(app: typer.Typer) -> None:
    pass
