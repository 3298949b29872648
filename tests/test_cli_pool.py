"""`ocrm pool sweep`, as cron runs it, in English and Chinese: claims left without a contact for
more than the sweep's days go back to the pool once, their RMs are told, and running it again
returns nothing more — on SQLite and PostgreSQL, through Typer's CliRunner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import Alert, ServiceContact
from ocrm_tui.services import pool
from ocrm_tui.services.clock import FakeClock, system_clock
from tests.test_pool import actors_of, build_pool, owner

runner = CliRunner()


@pytest.fixture
def neglected(db, branch) -> dict[str, int]:
    """Forty days ago R001 claimed 王二 and 张一 (called since) and R002 claimed 陈四."""
    then = FakeClock(system_clock() - timedelta(days=40))
    ids = build_pool(db, then)
    a = actors_of(db)
    with db.session(write=True) as s:
        pool.claim(s, a["R001"], [ids["王二"], ids["张一"]], clock=then)
    with db.session(write=True) as s:
        pool.claim(s, a["R002"], [ids["陈四"]], clock=then)
    with db.session(write=True) as s:
        s.add(ServiceContact(customer_id=ids["张一"], user_id=a["R001"].id, kind="phone",
                             at=then() + timedelta(days=3)))
        s.commit()
    return ids


def alerts(db) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "pool.returned")))


@pytest.mark.parametrize("lang, table, summary, nothing", [
    ("en", ["R001", "李客户经理", "R002", "赵客户经理"],
     "2 customers went back to the pool: no contact in the 30 days after their claim.",
     "No claimed customer went 30 days without a contact; nobody went back to the pool."),
    ("zh", ["回收到公海的客户（按客户经理）", "回收客户数", "李客户经理", "赵客户经理"],
     "2 位客户已回收到公海：挑入后 30 天内未联系。已在工作台通知相应的客户经理。",
     "没有挑入后 30 天未联系的客户，无客户回收到公海。"),
])
def test_the_sweep_returns_neglected_claims_once_and_says_how_many_per_rm(db_url, db, neglected, lang, table, summary,
                                                                         nothing):
    first = runner.invoke(app, ["--lang", lang, "pool", "sweep", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert all(text in first.stdout for text in table), first.stdout
    assert summary in " ".join(first.stdout.split()).replace("。 ", "。"), first.stdout
    assert [owner(db, neglected[n]) for n in ("王二", "张一", "陈四")] == [None, "R001", None]
    assert alerts(db) == 2

    second = runner.invoke(app, ["--lang", lang, "pool", "sweep", "--db", db_url])
    assert second.exit_code == 0, second.output
    assert nothing in second.stdout
    assert alerts(db) == 2


def test_a_sweep_of_an_unreachable_database_is_one_line_and_exit_1(tmp_path):
    result = runner.invoke(app, ["pool", "sweep", "--db", f"sqlite:///{tmp_path / 'missing' / 'none.db'}"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
