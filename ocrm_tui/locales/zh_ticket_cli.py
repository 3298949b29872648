"""Chinese texts of `ocrm tickets`, the demo's tickets and the ticket benchmarks."""

ZH_TICKET_CLI: dict[str, str] = {
}
