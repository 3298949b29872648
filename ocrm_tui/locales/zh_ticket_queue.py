"""Chinese texts of F3 My tickets: the queue pane, its batch actions and pickers."""

ZH_TICKET_QUEUE: dict[str, str] = {
}
