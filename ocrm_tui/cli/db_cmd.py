"""`ocrm db upgrade|status|set-password`."""

import typer

app = typer.Typer(help="Database schema and connection.", no_args_is_help=True)
