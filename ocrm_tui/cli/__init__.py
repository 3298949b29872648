"""The `ocrm` command line: one module per command group, joined here."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="ocrm",
    help="ocrm — operational CRM for bank branch staff. Without a command, starts the terminal application.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help="Database URL for the terminal application.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", metavar="en|zh", help="Language of the interface (default: OCRM_LANG, the config file, the system locale).")] = None,
) -> None:
    """Set the language for every command; without a command, start the terminal application."""
    from ocrm_tui.cli.common import fail, set_root_db
    from ocrm_tui.config import ConfigError, load_config
    from ocrm_tui.i18n import resolve_language, set_language

    try:
        set_language(resolve_language(lang, load_config().get("lang")))
    except (ValueError, ConfigError) as exc:
        fail(str(exc), 2)
    set_root_db(db)
    if ctx.invoked_subcommand is None:
        from ocrm_tui.cli import tui_cmd

        tui_cmd.run_tui(db)


def _register() -> None:
    from ocrm_tui.cli import (
        access_cmd,
        alerts_cmd,
        audit_cmd,
        db_cmd,
        demo_cmd,
        export_cmd,
        import_cmd,
        org_cmd,
        pool_cmd,
        report_cmd,
        settings_cmd,
        sms_cmd,
        tag_cmd,
        tickets_cmd,
        tiers_cmd,
        tui_cmd,
        user_cmd,
    )

    app.add_typer(db_cmd.app, name="db")
    app.add_typer(user_cmd.app, name="user")
    app.add_typer(org_cmd.app, name="org")
    app.add_typer(audit_cmd.app, name="audit")
    app.add_typer(tag_cmd.app, name="tag")
    app.add_typer(tiers_cmd.app, name="tiers")
    app.add_typer(tickets_cmd.app, name="tickets")
    app.add_typer(alerts_cmd.app, name="alerts")
    app.add_typer(settings_cmd.app, name="settings")
    app.add_typer(import_cmd.app, name="import")
    app.add_typer(report_cmd.app, name="report")
    app.add_typer(export_cmd.app, name="export")
    app.add_typer(sms_cmd.app, name="sms")
    app.add_typer(pool_cmd.app, name="pool")
    app.add_typer(access_cmd.app, name="access")
    demo_cmd.register(app)
    tui_cmd.register(app)


_register()


def main() -> None:
    app()
