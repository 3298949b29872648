"""Chinese texts of `ocrm tickets`, the demo's tickets and the ticket benchmarks."""

ZH_TICKET_CLI: dict[str, str] = {
    # ocrm tickets sla-scan
    "Alerts raised for overdue tickets: {n}.": "已为超时工单发出预警：{n} 条。",
    "No ticket has newly become overdue; no alerts raised.": "没有新超时的工单，未发出预警。",
}
