"""`ocrm user add|list|passwd|lock|unlock|disable`."""

import typer

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
