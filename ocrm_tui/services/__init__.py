"""The domain rules: plain functions taking a Session and the acting user.

Nothing here imports Textual or Typer; screens and CLI commands call these functions.
"""
