"""The SMS outbox: messages queued by ``campaigns.send_sms``, written out for the SMS gateway.

No gateway is connected: ``export_outbox`` writes the queued messages to a CSV file (the
columns a gateway adapter reads: message_id, campaign_id, customer_no, mobile, text,
queued_at). A file for the gateway itself carries the full mobiles: it needs the
exporter's approved export request (``access.py``: ``sms:<campaign>`` or ``sms:all``),
is audited as an unmasked export, and marks the messages exported in the same transaction
that puts the file in place and uses up the approval, so a message leaves at most once.
The gateway reads every line, so that file has no footer; a sidecar
``<file>.manifest.txt`` names the exporter, the time, the approval, the rows and the
SHA-256. Without it the file is a masked preview for checking the texts, with the usual
footer: the messages stay queued for the gateway.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlmodel import Session

from ocrm_tui.db.models import Campaign, Customer, SmsMessage
from ocrm_tui.i18n import _
from ocrm_tui.services import audit, exports, masking
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied

QUEUED, EXPORTED = "queued", "exported"
# The file's columns are read by a program (the gateway adapter): fixed names in any language.
COLUMNS = ("message_id", "campaign_id", "customer_no", "mobile", "text", "queued_at")
CHUNK = 1000
_sms = SmsMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxExport:
    messages: int  # 0: nothing was queued, no file written
    result: exports.ExportResult | None
    masked: bool
    manifest: Path | None = None  # the gateway file's sidecar


def manifest_path(path: str | os.PathLike) -> Path:
    target = Path(path).expanduser()
    return target.with_name(target.name + ".manifest.txt")


def _stage_manifest(target: Path, lines: list[str]) -> Path:
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return Path(temp_name)


def queued_count(session: Session, *, campaign_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(SmsMessage).where(SmsMessage.status == QUEUED)
    if campaign_id is not None:
        stmt = stmt.where(SmsMessage.campaign_id == campaign_id)
    return int(session.scalar(stmt) or 0)


def export_outbox(session: Session, actor: Actor, path: str | os.PathLike, *, campaign_id: int | None = None,
                  for_gateway: bool = False, request_id: int | None = None, overwrite: bool = False,
                  clock: Clock = system_clock) -> OutboxExport:
    """Write the queued messages (of one campaign, or all) to ``path``; for the gateway (under
    the approved export request ``request_id``, which ``access.use_export_approval`` checks
    together with the exporter's right to see full values), mark them exported."""
    from ocrm_tui.services import access
    from ocrm_tui.services.campaign_reports import unmasked_note

    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator exports the SMS outbox"))
    audit.acting_as(session, actor, clock=clock)
    if campaign_id is not None and session.scalar(select(Campaign.id).where(Campaign.id == campaign_id)) is None:
        raise NotFoundError(_("No such campaign, or not one of yours"), field="campaign")
    what = f"sms:{campaign_id}" if campaign_id is not None else "sms:all"
    if for_gateway and request_id is None:
        raise PermissionDenied(_("A file with full mobiles needs an approved export request for {what}; ask for one "
                                 "and name it", what=what))
    exports.check_destination(path, overwrite=overwrite)
    if for_gateway:
        exports.check_destination(manifest_path(path), overwrite=overwrite)
        # Checked before anything is read; used up only if a file is written (the same transaction).
        approval = access.use_export_approval(session, actor, request_id, what, clock=clock)
    stmt = (select(SmsMessage.id, SmsMessage.campaign_id, Customer.customer_no, SmsMessage.mobile, SmsMessage.body,
                   SmsMessage.queued_at)
            .join(Customer, Customer.id == SmsMessage.customer_id)
            .where(SmsMessage.status == QUEUED).order_by(SmsMessage.id))
    if campaign_id is not None:
        stmt = stmt.where(SmsMessage.campaign_id == campaign_id)
    if for_gateway and session.get_bind().dialect.name == "postgresql":
        # Another export running at the same moment waits, then finds these exported.
        stmt = stmt.with_for_update(of=SmsMessage)
    messages = session.execute(stmt).all()
    if not messages:
        session.rollback()
        return OutboxExport(0, None, not for_gateway)
    rows = [(m.id, m.campaign_id, m.customer_no, m.mobile if for_gateway else masking.mask_mobile(m.mobile), m.body,
             m.queued_at.astimezone().isoformat(timespec="seconds")) for m in messages]
    now = clock()
    exported_by = f"{actor.name} ({actor.employee_no})"
    try:
        staged = exports.stage(path, "csv", [exports.Sheet("sms", COLUMNS, rows)], exported_by=exported_by,
                               exported_at=now, overwrite=overwrite, footer=not for_gateway,
                               guard_formulas=not for_gateway)
    except BaseException:
        session.rollback()
        raise
    manifest = manifest_temp = None
    try:
        if for_gateway:
            note = unmasked_note(session, approval)
            manifest = manifest_path(staged.target)
            manifest_temp = _stage_manifest(staged.target, [
                _("File: {name}", name=staged.target.name),
                exports.footer_text(exported_by, now, note),
                _("Messages: {n}", n=staged.result.rows),
                _("SHA-256: {sha}", sha=staged.result.sha256),
            ])
        ids = [m.id for m in messages] if for_gateway else []
        for start in range(0, len(ids), CHUNK):
            session.execute(update(_sms).where(_sms.c.id.in_(ids[start:start + CHUNK]), _sms.c.status == QUEUED)
                            .values(status=EXPORTED, exported_at=now))
        details = {"format": "csv", "rows": staged.result.rows, "sha256": staged.result.sha256,
                   "masked": not for_gateway, "campaign": campaign_id, "file": staged.target.name}
        if for_gateway:
            details["request"] = approval.id
        audit.log_event(session, "export.sms_unmasked" if for_gateway else "export.sms", "sms_message", campaign_id,
                        details)
        session.flush()
        staged.finalise()
        try:
            if manifest_temp is not None:
                os.replace(manifest_temp, manifest)
                manifest_temp = None
            session.commit()
        except BaseException:
            staged.withdraw()
            if manifest is not None and manifest_temp is None:
                manifest.unlink(missing_ok=True)
            raise
    except BaseException:
        staged.discard()
        if manifest_temp is not None:
            manifest_temp.unlink(missing_ok=True)
        session.rollback()
        raise
    return OutboxExport(len(messages), staged.result, not for_gateway, manifest)
