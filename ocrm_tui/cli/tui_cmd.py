"""`ocrm` / `ocrm tui`: the terminal application.

Only Textual and the screens are imported before the login screen is drawn; the
database layer is loaded by a worker after that (cold start well under a second).
"""

from __future__ import annotations

from typing import Annotated

import typer


def run_tui(db: str | None) -> None:
    """Start the terminal application at the login screen (language already set)."""
    from ocrm_tui.app import create_app

    create_app(db).run()


def register(app: typer.Typer) -> None:
    @app.command("tui")
    def tui(
        ctx: typer.Context,
        db: Annotated[str | None, typer.Option("--db", metavar="URL", help="Database URL (default: OCRM_DATABASE_URL, the config file, or the local SQLite file).")] = None,
        lang: Annotated[str | None, typer.Option("--lang", metavar="en|zh", help="Language of the interface.")] = None,
    ) -> None:
        """Start the terminal application at the login screen."""
        if lang:
            from ocrm_tui.cli.common import fail
            from ocrm_tui.i18n import resolve_language, set_language

            try:
                set_language(resolve_language(lang))
            except ValueError as exc:
                fail(str(exc), 2)
        # `ocrm --db URL tui` works as well as `ocrm tui --db URL`.
        parent_db = ctx.parent.params.get("db") if ctx.parent is not None else None
        run_tui(db or parent_db)
