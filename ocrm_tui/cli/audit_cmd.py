"""`ocrm audit verify|list`."""

import typer

app = typer.Typer(help="Audit trail.", no_args_is_help=True)
