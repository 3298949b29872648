"""`ocrm` / `ocrm tui`: the terminal application."""

import typer


def run_tui(db: str | None) -> None:
    """Start the terminal application at the login screen (language already set)."""
    raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    pass
