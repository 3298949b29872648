"""The organisation tree (机构): head office → tier-1 branch → tier-2 branch → sub-branch → outlet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from ocrm_tui.db.models import ORG_LEVEL_ORDER, Organisation, OrgLevel
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class OrgRow:
    id: int
    code: str
    name: str
    level: str
    parent_code: str | None
    depth: int
    path: str


def get_org_by_code(session: Session, code: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.code == code)).first()
    if org is None:
        raise NotFoundError(_("No organisation with code {code}", code=code), field="org")
    return org


def add_org(session: Session, actor: Actor, *, code: str, name: str, level: str, parent_code: str | None = None) -> OrgRow:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can change the organisation tree"))
    code = code.strip()
    name = name.strip()
    if not CODE_PATTERN.match(code):
        raise ValidationError(_("Organisation code must be 1–32 letters, digits, '-' or '_'"), field="code")
    if not name:
        raise ValidationError(_("Organisation name is required"), field="name")
    if level not in {lv.value for lv in OrgLevel}:
        raise ValidationError(_("Level must be one of: {levels}", levels=", ".join(ORG_LEVEL_ORDER)), field="level")
    if session.exec(select(Organisation.id).where(Organisation.code == code)).first() is not None:
        raise ValidationError(_("Organisation code {code} already exists", code=code), field="code")
    parent = None
    if level == OrgLevel.HEAD:
        if parent_code:
            raise ValidationError(_("The head office has no parent"), field="parent")
    else:
        if not parent_code:
            raise ValidationError(_("A {level} needs --parent", level=level), field="parent")
        parent = get_org_by_code(session, parent_code)
        if ORG_LEVEL_ORDER.index(OrgLevel(level)) <= ORG_LEVEL_ORDER.index(OrgLevel(parent.level)):
            raise ValidationError(
                _("A {level} cannot sit under a {parent_level}", level=level, parent_level=parent.level), field="level"
            )
    audit.acting_as(session, actor)
    org = Organisation(code=code, name=name, level=level, parent_id=parent.id if parent else None,
                       path=f"{parent.path if parent else '/'}{code}/")
    session.add(org)
    session.commit()
    return _row(org, parent.code if parent else None)


def _row(org: Organisation, parent_code: str | None) -> OrgRow:
    return OrgRow(org.id, org.code, org.name, org.level, parent_code, org.path.count("/") - 2, org.path)


def list_orgs(session: Session, *, under: str | None = None) -> list[OrgRow]:
    """The tree in display order (parents before children)."""
    orgs = list(session.exec(select(Organisation)))
    by_id = {o.id: o for o in orgs}
    by_code = {o.code: o for o in orgs}
    if under:
        root = get_org_by_code(session, under)
        orgs = [o for o in orgs if o.path.startswith(root.path)]

    def sort_key(o: Organisation) -> list[tuple[int, str]]:
        codes = [p for p in o.path.strip("/").split("/") if p in by_code]
        return [(ORG_LEVEL_ORDER.index(OrgLevel(by_code[c].level)), c) for c in codes]

    orgs.sort(key=sort_key)
    return [_row(o, by_id[o.parent_id].code if o.parent_id in by_id else None) for o in orgs]
