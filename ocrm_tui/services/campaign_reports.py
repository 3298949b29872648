"""A campaign's report and its target list as files (CSV, XLSX), masked and audited.

The figures are those of ``campaigns.metrics`` (the same function the campaign screen
uses); the target list is ``campaigns.target_page`` read page by page, with every name cut
to the surname and mobiles masked, whoever exports it — unless the exporter names their
approved unmasked-export request (``access.py``), which the file's footer then names. Each
file written is one audit event with the campaign, the format, the number of rows, whether
it is masked (and the request) and the file's SHA-256 — never the values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from ocrm_tui.db.models import Customer, Role
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, campaigns, exports, masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import PermissionDenied, ValidationError
from ocrm_tui.services.exports import Percent, Sheet

EXPORTERS = frozenset({Role.MANAGER, Role.ADMIN})
PAGE = 2000


def acting_staff(session: Session, employee_no: str) -> Actor:
    """The staff member a command acts for (``--as``): an active account."""
    from ocrm_tui.services.auth import actor_for
    from ocrm_tui.services.users import get_user

    user = get_user(session, employee_no)
    if not user.active:
        raise PermissionDenied(_("The account {no} is disabled", no=user.employee_no))
    return actor_for(session, user)


def exporter_label(actor: Actor) -> str:
    return f"{actor.name} ({actor.employee_no})"


# -- the report -----------------------------------------------------------------------------------

def _rate(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


def metric_headers() -> list[str]:
    return [_("Group"), _("Targets"), _("Contacted"), _("Contact rate"), _("Participated"), _("Participation rate"),
            _("Conversions"), _("Conversion rate"), _("Converted amount")]


def metric_cells(row: campaigns.MetricRow) -> list:
    return [row.label, row.targets, row.contacted, _rate(row.contact_rate), row.participated,
            _rate(row.participation_rate), row.converted, _rate(row.conversion_rate), row.amount]


def summary_rows(m: campaigns.Metrics) -> list[tuple[str, object]]:
    """The campaign's overall figures, as (label, value) pairs."""
    o = m.overall
    return [
        (_("Campaign no."), m.campaign_id),
        (_("Name"), m.name),
        (_("Status"), campaigns.status_name(m.status)),
        (_("Scope"), m.scope),
        (_("Period"), m.period),
        (_("Targets"), o.targets),
        (_("Contacted"), o.contacted),
        (_("Contact rate"), _rate(o.contact_rate)),
        (_("Participated"), o.participated),
        (_("Participation rate"), _rate(o.participation_rate)),
        (_("Conversions"), o.converted),
        (_("Conversion rate"), _rate(o.conversion_rate)),
        (_("Converted amount"), o.amount),
        (_("Budget"), m.budget),
        (_("Cost"), m.cost),
        (_("ROI"), None if m.roi is None else Percent(m.roi)),
    ]


def report_sheets(m: campaigns.Metrics) -> list[Sheet]:
    return [
        Sheet(_("Summary"), [_("Figure"), _("Value")], summary_rows(m)),
        Sheet(_("By tier"), metric_headers(), [metric_cells(r) for r in [m.overall, *m.by_tier]]),
        Sheet(_("By tag"), metric_headers(), [metric_cells(r) for r in m.by_tag]),
    ]


def finish_export(session: Session, staged: exports.StagedFile) -> exports.ExportResult:
    """Put the file in place and commit its audit event; a failed commit takes the file away again."""
    result = staged.finalise()
    try:
        session.commit()
    except BaseException:
        staged.withdraw()
        raise
    return result


def export_report(session: Session, actor: Actor, campaign_id: int, path: str | os.PathLike, fmt: str, *,
                  overwrite: bool = False, clock: Clock = system_clock) -> exports.ExportResult:
    """The campaign report (summary, by tier, by tag) as a CSV or XLSX file (audited)."""
    fmt = exports.check_format(fmt, path)
    audit.acting_as(session, actor, clock=clock)
    m = campaigns.metrics(session, actor, campaign_id)
    staged = exports.stage(path, fmt, report_sheets(m), exported_by=exporter_label(actor), exported_at=clock(),
                           overwrite=overwrite)
    try:
        audit.log_event(session, "export.report", "campaign", campaign_id, {
            "report": "campaign", "format": fmt, "rows": staged.result.rows, "sha256": staged.result.sha256,
            "file": staged.target.name})
        return finish_export(session, staged)
    except BaseException:
        staged.discard()
        raise


# -- the target list ------------------------------------------------------------------------------

def target_headers() -> list[str]:
    return [_("Customer no."), _("Customer"), _("Mobile"), _("Tier"), _("Relationship manager"), _("Outcome"),
            _("Converted amount"), _("Contacted at"), _("Note")]


def _masked_name(row: campaigns.TargetRow) -> str:
    # A customer without a name is shown as "Customer <number>": nothing to mask there.
    unnamed = campaigns.customer_label(None, row.customer_no)
    return row.name if row.name == unnamed else (masking.mask_name(row.name) or "")


def _full_mobiles(session: Session, page: list[campaigns.TargetRow]) -> dict[int, str | None]:
    """The page's customers' mobiles as filed (an approved unmasked export)."""
    ids = [r.customer_id for r in page]
    return dict(session.execute(select(Customer.id, Customer.mobile).where(Customer.id.in_(ids))).all()) if ids else {}


def _target_rows(session: Session, actor: Actor, campaign_id: int, *, masked: bool = True) -> Iterator[list]:
    from ocrm_tui.services.tiers import tier_label

    after = None
    while True:
        page = campaigns.target_page(session, actor, campaign_id, after=after, limit=PAGE)
        full = {} if masked else _full_mobiles(session, page)
        for r in page:
            name, mobile = (_masked_name(r), r.mobile) if masked else (r.name, full.get(r.customer_id))
            yield [r.customer_no, name, mobile or None, tier_label(r.tier), r.rm,
                   campaigns.outcome_name(r.status),
                   None if r.converted_amount is None else Decimal(r.converted_amount), r.contacted_at, r.note]
        if len(page) < PAGE:
            return
        after = page[-1].id


@dataclass(frozen=True)
class TargetExport:
    result: exports.ExportResult
    campaign: str


def unmasked_note(session: Session, approval) -> str:
    """The footer's words for a file with full values: whose approval, which request."""
    from ocrm_tui.services.access import decider_label

    return _("unmasked, approved by {decider} under request {id}", decider=decider_label(session, approval),
             id=approval.id)


def export_targets(session: Session, actor: Actor, campaign_id: int, path: str | os.PathLike, fmt: str, *,
                   overwrite: bool = False, unmasked_request: int | None = None,
                   clock: Clock = system_clock) -> TargetExport:
    """The campaign's target list as the actor sees it (a manager: their branch's targets),
    masked for everyone: names to the surname, mobiles 3+4; the customer number is kept.
    With ``unmasked_request`` (the actor's approved export request for ``targets:<campaign>``)
    full names and mobiles, the request used up in the same transaction as the file's event
    (``access.use_export_approval`` also checks the exporter's right to see full values)."""
    from ocrm_tui.services import access

    if actor.role not in EXPORTERS:
        raise PermissionDenied(_("Only a manager or an administrator exports target lists"))
    fmt = exports.check_format(fmt, path)
    audit.acting_as(session, actor, clock=clock)
    view = campaigns.get_campaign(session, actor, campaign_id)
    if view.targets == 0:
        raise ValidationError(_("Campaign {id} has no targets to export", id=campaign_id), field="campaign")
    exports.check_destination(path, overwrite=overwrite)
    approval = note = None
    if unmasked_request is not None:
        approval = access.use_export_approval(session, actor, unmasked_request, f"targets:{campaign_id}", clock=clock)
        note = unmasked_note(session, approval)
    masked = approval is None
    try:
        staged = exports.stage(path, fmt, [Sheet(_("Targets"), target_headers(),
                                                 _target_rows(session, actor, campaign_id, masked=masked))],
                               exported_by=exporter_label(actor), exported_at=clock(), overwrite=overwrite, note=note)
    except BaseException:
        session.rollback()  # the approval stays unused
        raise
    try:
        details = {"format": fmt, "rows": staged.result.rows, "sha256": staged.result.sha256, "masked": masked,
                   "file": staged.target.name}
        if approval is not None:
            details["request"] = approval.id
        audit.log_event(session, "export.targets", "campaign", campaign_id, details)
        return TargetExport(finish_export(session, staged), view.name)
    except BaseException:
        staged.discard()
        session.rollback()
        raise
