"""ocrm_tui: an operational CRM for bank branch staff, in the terminal."""

__version__ = "0.1.0"
