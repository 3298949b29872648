"""Tags (标签): the families and custom tags staff put on customers, and the main key of
campaign targeting.

Managing the vocabulary (add, rename, merge) is for managers and administrators.
Tagging a customer is for relationship managers, managers and administrators, always
inside their data scope; tellers do not tag. Tagging many customers at once (a whole
search result) is one INSERT … SELECT (or DELETE) filtered by the scope in SQL, with
one audit event per customer changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, Select, cast, delete, func, literal, or_, select, update
from sqlmodel import Session

from ocrm_tui.db.models import Customer, CustomerTag, Role, Tag, TagFamily
from ocrm_tui.i18n import _
from ocrm_tui.services import audit
from ocrm_tui.services.actor import Actor
from ocrm_tui.services.clock import Clock, system_clock
from ocrm_tui.services.errors import NotFoundError, PermissionDenied, ValidationError
from ocrm_tui.services.scope import customer_scope, get_customer_in_scope
from ocrm_tui.services.validation import normalise_text

NAME_MAX = 64
FAMILIES = tuple(f.value for f in TagFamily)
# A list of ids is sent in chunks: SQLite and PostgreSQL both cap the bound parameters
# of one statement (32,766 and 65,535).
ID_CHUNK = 10_000
_MANAGE_ROLES = (Role.MANAGER, Role.ADMIN)
_TAGGING_ROLES = (Role.RM, Role.MANAGER, Role.ADMIN)

_ct = CustomerTag.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TagInfo:
    id: int
    name: str
    family: str
    # Customers carrying the tag (all of them, not only the viewer's); None where it was
    # not counted (the tags of one customer).
    customers: int | None = None


def family_label(family: str) -> str:
    return {
        TagFamily.DEMOGRAPHIC: _("Demographic"),
        TagFamily.BEHAVIOUR: _("Behaviour"),
        TagFamily.ATTITUDE: _("Attitude"),
        TagFamily.RELATIONSHIP: _("Relationships"),
        TagFamily.CUSTOM: _("Custom"),
    }.get(family, family)


# -- checks ------------------------------------------------------------------------------

def _require_tag_manager(actor: Actor) -> None:
    if actor.role not in _MANAGE_ROLES:
        raise PermissionDenied(_("Only a manager or an administrator can add, rename or merge tags"))


def _require_tagger(actor: Actor) -> None:
    if actor.role == Role.TELLER:
        raise PermissionDenied(_("Tellers add tags one customer at a time and do not remove them; ask the customer's relationship manager"))
    if actor.role not in _TAGGING_ROLES:
        raise PermissionDenied(_("Your role cannot tag customers"))


def clean_name(name: str) -> str:
    """A tag name as stored: full-width forms folded, runs of spaces made one, 1–64 characters."""
    cleaned = " ".join(normalise_text(name or "").split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise ValidationError(_("A tag name has 1–{max} characters", max=NAME_MAX), field="name")
    return cleaned


def _check_family(family: str) -> str:
    family = (family or "").strip().lower()
    if family not in FAMILIES:
        raise ValidationError(_("Family must be one of: {families}", families=", ".join(FAMILIES)), field="family")
    return family


def _same_name(session: Session, name: str, *, other_than: int | None = None) -> Tag | None:
    """A tag whose name equals ``name``, ignoring case (so "VIP" and "vip" are not two tags)."""
    stmt = select(Tag).where(or_(Tag.name == name, func.lower(Tag.name) == func.lower(name)))
    if other_than is not None:
        stmt = stmt.where(Tag.id != other_than)
    return session.scalars(stmt.order_by(Tag.id)).first()


def _refuse_duplicate(session: Session, name: str, *, other_than: int | None = None) -> None:
    existing = _same_name(session, name, other_than=other_than)
    if existing is not None:
        raise ValidationError(
            _("A tag named {name} already exists (family: {family})", name=existing.name,
              family=family_label(existing.family)),
            field="name",
        )


def find_tag(session: Session, name: str) -> Tag | None:
    cleaned = " ".join(normalise_text(name or "").split())
    if not cleaned:
        return None
    exact = session.scalars(select(Tag).where(Tag.name == cleaned)).first()
    return exact if exact is not None else _same_name(session, cleaned)


def get_tag(session: Session, name: str) -> Tag:
    tag = find_tag(session, name)
    if tag is None:
        raise NotFoundError(_("No tag named {name}", name=name.strip()), field="tag")
    return tag


def _count_of(tag_id):
    """How many customers carry the tag: counted on the primary key index (tag_id, customer_id)."""
    return select(func.count()).select_from(_ct).where(_ct.c.tag_id == tag_id)


def _info(row) -> TagInfo:
    return TagInfo(row.id, row.name, row.family, row.customers)


# -- reading -----------------------------------------------------------------------------

def list_tags(session: Session, *, family: str | None = None) -> list[TagInfo]:
    """Every tag with its number of customers, by family (in the order of TagFamily) then name."""
    stmt = select(Tag.id, Tag.name, Tag.family, _count_of(Tag.id).scalar_subquery().label("customers"))
    if family:
        stmt = stmt.where(Tag.family == _check_family(family))
    order = {f: i for i, f in enumerate(FAMILIES)}
    rows = [_info(r) for r in session.execute(stmt)]
    # Sorted here, by code point: the same order on SQLite and on any PostgreSQL collation.
    return sorted(rows, key=lambda t: (order.get(t.family, len(order)), t.family, t.name))


def tag_info(session: Session, name: str) -> TagInfo:
    tag = get_tag(session, name)
    return TagInfo(tag.id, tag.name, tag.family, session.scalar(_count_of(tag.id)))


def suggest_tags(session: Session, prefix: str, limit: int = 10) -> list[TagInfo]:
    """Tags for autocompletion, across all families: names starting with what was typed
    (ignoring case) first, then names containing it; the most used first within each.
    Nothing typed: the most used tags."""
    text = " ".join(normalise_text(prefix or "").split())
    stmt = select(Tag.id, Tag.name, Tag.family, _count_of(Tag.id).scalar_subquery().label("customers"))
    if text:
        # autoescape: a typed % or _ is a character, not a wildcard.
        stmt = stmt.where(Tag.name.icontains(text, autoescape=True))
    rows = [_info(r) for r in session.execute(stmt)]
    needle = text.casefold()

    def rank(t: TagInfo):
        return (0 if t.name.casefold().startswith(needle) else 1, -(t.customers or 0), t.name)

    return sorted(rows, key=rank)[: max(limit, 0)]


def tags_of_customer(session: Session, actor: Actor, customer_id: int, *, clock: Clock = system_clock) -> list[TagInfo]:
    """The tags of one customer in the actor's scope (else NotFoundError, as for a missing customer)."""
    get_customer_in_scope(session, actor, customer_id, now=clock())
    stmt = (
        select(Tag.id, Tag.name, Tag.family)
        .join(_ct, _ct.c.tag_id == Tag.id)
        .where(_ct.c.customer_id == customer_id)
    )
    order = {f: i for i, f in enumerate(FAMILIES)}
    rows = [TagInfo(r.id, r.name, r.family) for r in session.execute(stmt)]
    return sorted(rows, key=lambda t: (order.get(t.family, len(order)), t.name))


# -- the vocabulary ------------------------------------------------------------------------

def _new_tag(session: Session, name: str, family: str, clock: Clock) -> Tag:
    _refuse_duplicate(session, name)
    tag = Tag(name=name, family=family, created_at=clock())
    session.add(tag)
    session.flush()
    return tag


def add_tag(session: Session, actor: Actor, name: str, family: str = TagFamily.CUSTOM, *,
            clock: Clock = system_clock) -> Tag:
    _require_tag_manager(actor)
    audit.acting_as(session, actor, clock=clock)
    tag = _new_tag(session, clean_name(name), _check_family(family), clock)
    session.commit()
    return tag


def rename_tag(session: Session, actor: Actor, old: str, new: str, *, clock: Clock = system_clock) -> Tag:
    """Rename a tag; its customers keep it. A change of case only ("vip" → "VIP") is allowed."""
    _require_tag_manager(actor)
    audit.acting_as(session, actor, clock=clock)
    tag = get_tag(session, old)
    name = clean_name(new)
    _refuse_duplicate(session, name, other_than=tag.id)
    if name != tag.name:
        tag.name = name
        audit.label(session, tag, "tag.rename")
    session.commit()
    return tag


def merge_tags(session: Session, actor: Actor, source: str, target: str, *, clock: Clock = system_clock) -> int:
    """Give the customers of ``source`` the tag ``target`` (unless they have it already) and
    delete ``source``. Returns how many customers were moved to ``target``."""
    _require_tag_manager(actor)
    audit.acting_as(session, actor, clock=clock)
    src = get_tag(session, source)
    dst = get_tag(session, target)
    if src.id == dst.id:
        raise ValidationError(_("A tag cannot be merged into itself"), field="target")
    # NOT EXISTS rather than NOT IN (SELECT …): PostgreSQL makes it an anti-join, where a NOT IN
    # over a tag carried by hundreds of thousands of customers is read again for every row.
    target_rows = _ct.alias("already")
    has_target = select(target_rows.c.customer_id).where(target_rows.c.tag_id == dst.id,
                                                         target_rows.c.customer_id == _ct.c.customer_id)
    # Moving the row keeps when and by whom the customer was first tagged.
    moved = session.execute(
        update(_ct).where(_ct.c.tag_id == src.id, ~has_target.exists()).values(tag_id=dst.id)
    ).rowcount
    already = session.execute(delete(_ct).where(_ct.c.tag_id == src.id)).rowcount
    audit.log_event(session, "tag.merge", "tag", dst.id, {
        "source": src.name, "source_id": src.id, "target": dst.name, "moved": moved, "already_tagged": already,
    })
    session.delete(src)  # audited as tag.delete by the listener
    session.commit()
    return moved


# -- tagging customers ----------------------------------------------------------------------

def _tag_for_tagging(session: Session, name: str, *, create_custom: bool, clock: Clock) -> Tag:
    tag = find_tag(session, name)
    if tag is not None:
        return tag
    if not create_custom:
        raise NotFoundError(_("No tag named {name}", name=name.strip()), field="tag")
    return _new_tag(session, clean_name(name), TagFamily.CUSTOM, clock)


def tag_customer(session: Session, actor: Actor, customer_id: int, tag_name: str, *, create_custom: bool = True,
                 clock: Clock = system_clock) -> bool:
    """Put a tag on a customer in the actor's scope; an unknown name becomes a new custom
    tag (unless ``create_custom`` is False). Returns False if the customer had it already.

    A teller may add one (a need heard at the counter) to a customer they served; taking
    tags off and tagging many customers at once are for RMs, managers and admins."""
    if actor.role != Role.TELLER:
        _require_tagger(actor)
    audit.acting_as(session, actor, clock=clock)
    get_customer_in_scope(session, actor, customer_id, now=clock())
    tag = _tag_for_tagging(session, tag_name, create_custom=create_custom, clock=clock)
    if session.get(CustomerTag, (tag.id, customer_id)) is not None:
        return False
    session.add(CustomerTag(tag_id=tag.id, customer_id=customer_id, created_at=clock(), created_by=actor.id))
    session.commit()
    return True


def untag_customer(session: Session, actor: Actor, customer_id: int, tag_name: str, *,
                   clock: Clock = system_clock) -> bool:
    """Take a tag off a customer in the actor's scope. Returns False if the customer did not have it."""
    _require_tagger(actor)
    audit.acting_as(session, actor, clock=clock)
    get_customer_in_scope(session, actor, customer_id, now=clock())
    tag = get_tag(session, tag_name)
    link = session.get(CustomerTag, (tag.id, customer_id))
    if link is None:
        return False
    session.delete(link)
    session.commit()
    return True


def _id_conditions(customer_ids: Sequence[int] | Iterable[int] | Select):
    """WHERE conditions on Customer.id naming the customers asked for, one per statement."""
    if isinstance(customer_ids, Select):
        if len(customer_ids.selected_columns) != 1:
            raise ValueError("customer_ids must select exactly one column (customer ids)")
        # As a derived table: the caller's query (with its own joins, order, limit) is
        # never correlated with the customer table of the statement around it.
        ids = customer_ids.subquery()
        yield Customer.id.in_(select(ids.c[0]))
        return
    unique = sorted({int(i) for i in customer_ids})
    for start in range(0, len(unique), ID_CHUNK):
        yield Customer.id.in_(unique[start:start + ID_CHUNK])


def _insert_ignoring_duplicates(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_ct)


def batch_tag(session: Session, actor: Actor, tag_name: str, customer_ids: Sequence[int] | Select, *,
              remove: bool = False, create_custom: bool = True, clock: Clock = system_clock) -> int:
    """Add (or with ``remove``, take off) a tag on many customers at once.

    ``customer_ids`` is a list of ids or a one-column ``Select`` of customer ids (a whole
    search result). Only customers in the actor's scope are touched; customers that
    already have the tag (or, removing, do not have it) are skipped. Each customer
    changed gets one audit event. Returns the number of customers changed.
    """
    _require_tagger(actor)
    audit.acting_as(session, actor, clock=clock)
    now = clock()
    existing = find_tag(session, tag_name)
    if remove:
        tag = get_tag(session, tag_name)
    else:
        tag = existing or _tag_for_tagging(session, tag_name, create_custom=create_custom, clock=clock)
    scope = customer_scope(actor, now=now)
    dialect = session.get_bind().dialect.name
    changed: list[int] = []
    for ids in _id_conditions(customer_ids):
        in_scope = select(Customer.id).where(ids, scope)
        if remove:
            stmt = (
                delete(_ct)
                .where(_ct.c.tag_id == tag.id, _ct.c.customer_id.in_(in_scope))
                .returning(_ct.c.customer_id)
            )
        else:
            rows = select(
                cast(literal(tag.id), Integer),
                Customer.id,
                literal(now, _ct.c.created_at.type),  # no CAST: SQLite would read it as a number
                cast(literal(actor.id), Integer),
            ).where(ids, scope, ~select(_ct.c.customer_id).where(_ct.c.tag_id == tag.id,
                                                                  _ct.c.customer_id == Customer.id).exists())
            # DO NOTHING: a customer tagged by another terminal meanwhile is skipped, not an error.
            stmt = (
                _insert_ignoring_duplicates(dialect)
                .from_select(["tag_id", "customer_id", "created_at", "created_by"], rows)
                .on_conflict_do_nothing()
                .returning(_ct.c.customer_id)
            )
        changed.extend(session.execute(stmt).scalars())
    if not changed and existing is None:
        session.rollback()  # no customer got the new tag: it is not created either
        return 0
    event = "customer_tag.delete" if remove else "customer_tag.create"
    details = {"tag": tag.name}
    for customer_id in sorted(changed):
        # Queued here, written by the audit listener in one batch at commit.
        audit.log_event(session, event, "customer_tag", f"{tag.id}/{customer_id}", dict(details))
    session.commit()
    return len(changed)
