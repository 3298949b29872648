"""The Simplified Chinese catalogue: English message id → Chinese text.

Split by area so that each part of the product keeps its own strings.
"""

from ocrm_tui.locales.zh_access import ZH_ACCESS
from ocrm_tui.locales.zh_access_screen import ZH_ACCESS_SCREEN
from ocrm_tui.locales.zh_alerts import ZH_ALERTS
from ocrm_tui.locales.zh_audit import ZH_AUDIT
from ocrm_tui.locales.zh_campaign_cli import ZH_CAMPAIGN_CLI
from ocrm_tui.locales.zh_campaign_demo import ZH_CAMPAIGN_DEMO
from ocrm_tui.locales.zh_campaign_form import ZH_CAMPAIGN_FORM
from ocrm_tui.locales.zh_campaign_tui import ZH_CAMPAIGN_TUI
from ocrm_tui.locales.zh_campaigns import ZH_CAMPAIGNS
from ocrm_tui.locales.zh_cli import ZH_CLI
from ocrm_tui.locales.zh_core import ZH_CORE
from ocrm_tui.locales.zh_core_import import ZH_CORE_IMPORT
from ocrm_tui.locales.zh_customers import ZH_CUSTOMERS
from ocrm_tui.locales.zh_demo import ZH_DEMO
from ocrm_tui.locales.zh_pool import ZH_POOL
from ocrm_tui.locales.zh_profile import ZH_PROFILE
from ocrm_tui.locales.zh_reports import ZH_REPORTS
from ocrm_tui.locales.zh_reports_screen import ZH_REPORTS_SCREEN
from ocrm_tui.locales.zh_sessions import ZH_SESSIONS
from ocrm_tui.locales.zh_tags import ZH_TAGS
from ocrm_tui.locales.zh_ticket_cli import ZH_TICKET_CLI
from ocrm_tui.locales.zh_ticket_queue import ZH_TICKET_QUEUE
from ocrm_tui.locales.zh_ticket_view import ZH_TICKET_VIEW
from ocrm_tui.locales.zh_tickets import ZH_TICKETS
from ocrm_tui.locales.zh_tui import ZH_TUI
from ocrm_tui.locales.zh_work_platform import ZH_WORK_PLATFORM

ZH: dict[str, str] = {**ZH_CORE, **ZH_AUDIT,
                      **ZH_ACCESS, **ZH_CLI, **ZH_DEMO, **ZH_TUI, **ZH_CUSTOMERS, **ZH_PROFILE, **ZH_TAGS,
                      **ZH_TICKETS, **ZH_ALERTS, **ZH_TICKET_QUEUE, **ZH_TICKET_VIEW, **ZH_TICKET_CLI,
                      **ZH_CAMPAIGNS, **ZH_CAMPAIGN_TUI, **ZH_CAMPAIGN_FORM, **ZH_CAMPAIGN_CLI, **ZH_CAMPAIGN_DEMO,
                      **ZH_WORK_PLATFORM, **ZH_POOL, **ZH_CORE_IMPORT, **ZH_REPORTS,
                      **ZH_REPORTS_SCREEN, **ZH_SESSIONS, **ZH_ACCESS_SCREEN}
