"""`ocrm demo`: a realistic demo branch network in the default database."""

import typer


def register(app: typer.Typer) -> None:
    pass
