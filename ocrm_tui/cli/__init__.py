"""The `ocrm` command line: one module per command group, joined here."""

from __future__ import annotations

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


def _register() -> None:
    from ocrm_tui.cli import audit_cmd, db_cmd, demo_cmd, org_cmd, tui_cmd, user_cmd

    app.add_typer(db_cmd.app, name="db")
    app.add_typer(user_cmd.app, name="user")
    app.add_typer(org_cmd.app, name="org")
    app.add_typer(audit_cmd.app, name="audit")
    demo_cmd.register(app)
    tui_cmd.register(app)


_register()


def main() -> None:
    app()
