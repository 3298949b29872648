"""`ocrm settings`: an administrator changes the SLA hours and other policy values; bad
values are refused with one line and change nothing; every change is audited."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import AuditRecord
from ocrm_tui.services import settings

runner = CliRunner()


def ocrm(*args):
    return runner.invoke(app, list(args))


def test_list_shows_the_defaults_and_set_changes_sla_hours(db_url, db):
    listed = ocrm("settings", "list", "--db", db_url)
    assert listed.exit_code == 0, listed.output
    assert "sla.hours" in listed.output and "tickets.assign_to_rm" in listed.output
    done = ocrm("settings", "set", "sla.hours", '{"high": 2, "medium": 12, "low": 48}', "--db", db_url)
    assert done.exit_code == 0, done.output
    with db.session() as s:
        assert settings.get_setting(s, "sla.hours") == {"high": 2, "medium": 12, "low": 48}
        changes = s.scalars(select(AuditRecord.changes).where(AuditRecord.entity == "setting")).all()
    assert any("sla.hours" in c or "48" in c for c in changes)


def test_bad_values_are_refused_and_change_nothing(db_url, db):
    for key, value, code in [
        ("sla.hours", '{"high": 2}', 1),                            # a priority missing
        ("sla.hours", '{"high": -1, "medium": 12, "low": 48}', 1),  # not positive
        ("sla.hours", "not json", 2),
        ("sla.due_soon_percent", "150", 1),
        ("no.such.setting", "1", 1),
        ("tickets.assign_to_rm", '"yes"', 1),
    ]:
        result = ocrm("settings", "set", key, value, "--db", db_url)
        assert result.exit_code == code, (key, value, result.output)
        assert "Traceback" not in result.output
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    with db.session() as s:
        assert settings.get_setting(s, "sla.hours") == settings.DEFAULTS["sla.hours"]
        assert json.dumps(settings.get_setting(s, "tickets.assign_to_rm")) == "true"
