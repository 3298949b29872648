"""Chinese texts of the cli."""

ZH_CLI: dict[str, str] = {
}
