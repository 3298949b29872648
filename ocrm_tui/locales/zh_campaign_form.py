"""Chinese texts: campaign_form."""

ZH_CAMPAIGN_FORM: dict[str, str] = {
}
