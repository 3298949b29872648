"""The domain rules: plain functions taking a Session and the acting user.

Nothing here imports Textual or Typer; screens and CLI commands call these functions.
"""

# Every session gets the audit listener as soon as any service is imported.
from ocrm_tui.services import audit as _audit  # noqa: E402,F401
