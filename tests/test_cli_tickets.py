"""`ocrm tickets sla-scan`, as cron runs it: an overdue ticket is alerted once, however often
the job runs — on SQLite and PostgreSQL, through Typer's CliRunner."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from ocrm_tui.cli import app
from ocrm_tui.db.models import Alert, Customer
from ocrm_tui.services import auth, tickets
from ocrm_tui.services.clock import FakeClock, system_clock
from ocrm_tui.services.orgs import get_org_by_code
from ocrm_tui.services.pinyin import name_keys
from ocrm_tui.services.users import get_user

runner = CliRunner()


def raise_ticket(db, hours_ago: float, priority: str = "high") -> int:
    """A ticket of 张伟 (O1, RM R001) raised by the branch manager ``hours_ago`` hours before now."""
    with db.session(write=True) as s:
        customer = s.scalars(select(Customer).where(Customer.customer_no == "9100000301")).first()
        if customer is None:
            customer = Customer(customer_no="9100000301", name="张伟", **name_keys("张伟"), mobile="13900000301",
                                birth_date=date(1980, 1, 1), org_id=get_org_by_code(s, "O1").id,
                                rm_id=get_user(s, "R001").id)
            s.add(customer)
            s.commit()
        manager = auth.actor_for(s, get_user(s, "M001"))
        clock = FakeClock(system_clock() - timedelta(hours=hours_ago))
        values = {"type": "complaint", "priority": priority, "channel": "counter", "subject": "年费争议"}
        return tickets.create_ticket(s, manager, customer.id, values, clock=clock)


def overdue_alerts(db) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == "ticket.overdue")))


def test_an_overdue_ticket_is_alerted_exactly_once_across_two_runs(db_url, db, branch):
    late = raise_ticket(db, hours_ago=6)  # high priority: due 4 hours after it was raised
    raise_ticket(db, hours_ago=1)  # due in 3 hours: not overdue

    first = runner.invoke(app, ["tickets", "sla-scan", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert "Alerts raised for overdue tickets: 1." in first.stdout
    second = runner.invoke(app, ["tickets", "sla-scan", "--db", db_url])
    assert second.exit_code == 0, second.output
    assert "No ticket has newly become overdue; no alerts raised." in second.stdout

    alerts = overdue_alerts(db)
    assert [a.entity_id for a in alerts] == [str(late)]
    with db.session() as s:
        assert alerts[0].user_id == get_user(s, "R001").id  # the customer's RM has the ticket
    assert tickets.ticket_number(late) in alerts[0].message


def test_nothing_overdue_says_so(db_url, db, branch):
    raise_ticket(db, hours_ago=0, priority="low")
    result = runner.invoke(app, ["tickets", "sla-scan", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "No ticket has newly become overdue; no alerts raised." in result.stdout
    assert overdue_alerts(db) == []


def test_sla_scan_in_chinese(db_url, db, branch):
    raise_ticket(db, hours_ago=10)
    result = runner.invoke(app, ["--lang", "zh", "tickets", "sla-scan", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "已为超时工单发出预警：1 条。" in result.stdout


def test_an_unreachable_database_is_one_line_and_exit_1():
    result = runner.invoke(app, ["tickets", "sla-scan", "--db", "postgresql://postgres@127.0.0.1:1/x"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cannot reach the database" in lines[0], result.stderr


def test_a_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "nowhere.db"
    result = runner.invoke(app, ["tickets", "sla-scan", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 1
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr
    assert not path.exists()
