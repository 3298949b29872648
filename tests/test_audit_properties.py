"""Properties of the audit hash: any change to any recorded field changes the hash."""

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from ocrm_tui.services.audit import GENESIS, record_hash
from ocrm_tui.services.pinyin import pinyin_keys

texts = st.text(max_size=40)
records = st.fixed_dictionaries(
    {
        "seq": st.integers(1, 10**9),
        "at": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
        "actor_id": st.none() | st.integers(1, 10**6),
        "actor_no": st.none() | texts,
        "action": st.sampled_from(["create", "update", "delete", "event"]),
        "event_name": texts,
        "entity": texts,
        "entity_id": st.none() | texts,
        "changes": texts,
    }
)


def h(prev, r):
    return record_hash(prev, r["seq"], r["at"], r["actor_id"], r["actor_no"], r["action"], r["event_name"],
                       r["entity"], r["entity_id"], r["changes"])


@given(records, st.sampled_from(["seq", "at", "actor_id", "actor_no", "action", "event_name", "entity", "entity_id", "changes"]))
def test_changing_any_field_changes_the_hash(r, field):
    changed = dict(r)
    value = r[field]
    if field == "seq":
        changed[field] = value + 1
    elif field == "at":
        changed[field] = value + timedelta(microseconds=1)
    elif field == "actor_id":
        changed[field] = (value or 0) + 1
    elif field == "action":
        changed[field] = "update" if value != "update" else "delete"
    else:
        changed[field] = (value or "") + "x"
    assert h(GENESIS, r) != h(GENESIS, changed)


@given(records)
def test_the_hash_depends_on_the_previous_record(r):
    assert h(GENESIS, r) != h("f" * 64, r)


@given(records)
def test_the_same_instant_in_another_zone_hashes_the_same(r):
    """Databases hand back UTC; a record read back must verify whatever zone it was written in."""
    shifted = dict(r, at=r["at"].astimezone(timezone(timedelta(hours=8))))
    assert h(GENESIS, r) == h(GENESIS, shifted)


@settings(deadline=None)  # the first call loads pypinyin's dictionaries
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=4))
def test_pinyin_keys_have_one_initial_per_chinese_character_with_a_reading(name):
    from pypinyin import Style, lazy_pinyin

    read = [c for c in name if lazy_pinyin(c, style=Style.NORMAL)[0].isascii()]
    full, initials = pinyin_keys(name)
    assert len(initials) == len(read)
    assert full == "" or (full.isascii() and full.isalpha() and full.startswith(initials[0]))
