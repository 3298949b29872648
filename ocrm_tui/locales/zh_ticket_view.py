"""Chinese texts of the ticket screen, the new-ticket form and the profile's ticket section."""

ZH_TICKET_VIEW: dict[str, str] = {
}
