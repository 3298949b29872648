"""Chinese texts of the demo."""

ZH_DEMO: dict[str, str] = {
}
