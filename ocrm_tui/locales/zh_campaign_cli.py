"""Chinese texts: campaign_cli."""

ZH_CAMPAIGN_CLI: dict[str, str] = {
}
