"""`ocrm org add|list`."""

import typer

app = typer.Typer(help="Organisation tree.", no_args_is_help=True)
