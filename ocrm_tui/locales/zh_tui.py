"""Chinese texts of the tui."""

ZH_TUI: dict[str, str] = {
}
