"""Chinese texts: campaign_demo."""

ZH_CAMPAIGN_DEMO: dict[str, str] = {
}
