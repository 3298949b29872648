"""Chinese texts: campaign_tui."""

ZH_CAMPAIGN_TUI: dict[str, str] = {
}
