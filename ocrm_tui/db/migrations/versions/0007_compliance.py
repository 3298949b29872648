"""compliance

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 13:00:00

Access requests and their grants, the per-user right to see full customer values,
sessions of logged-in terminals (so that an admin can end them), and the record of
each archive cut of the audit trail.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


APPEND_ONLY = "audit records are append-only"
ARCHIVE_APPEND_ONLY = "audit archive records are append-only"
ATTEMPTS_APPEND_ONLY = "login attempts are append-only"
# On PostgreSQL: the archive cuts inserted by the current transaction (a row's xmin is the
# id of the transaction that inserted it; PostgreSQL 13 and later).
_THIS_TRANSACTIONS_CUT = "FROM audit_archive WHERE xmin = pg_current_xact_id()::xid"
_DECLARED_ARCHIVE = "current_setting('ocrm.archive', true) = 'on'"
_NO_TRUNCATE = ("audit_record", "login_attempt", "audit_archive")


def _allow_archive_deletes() -> None:
    """Audit records and login attempts stay append-only, except that an archive cut may
    delete what it has moved to a verified file.

    PostgreSQL: a transaction may delete audit records only when it declares itself an
    archive (``ocrm.archive``) AND itself inserted the archive row whose range holds them;
    login attempts likewise, those written before that archive's day. Setting the variable
    alone is not enough. TRUNCATE of these tables is refused.
    SQLite: audit records up to the newest archive's last_seq, login attempts written before
    its day. SQLite triggers can be dropped by anyone who can write the file: there
    ``ocrm audit verify`` is the protection.
    The archive records themselves cannot be changed or deleted.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' AND {_DECLARED_ARCHIVE} AND EXISTS (SELECT 1 {_THIS_TRANSACTIONS_CUT} "
            "AND OLD.seq BETWEEN first_seq AND last_seq) THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE FUNCTION audit_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{ARCHIVE_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_archive_append_only BEFORE UPDATE OR DELETE ON audit_archive "
            "FOR EACH ROW EXECUTE FUNCTION audit_archive_append_only()"
        )
        op.execute(
            "CREATE FUNCTION login_attempt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' AND {_DECLARED_ARCHIVE} AND EXISTS (SELECT 1 {_THIS_TRANSACTIONS_CUT} "
            "AND OLD.at < before_at) THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{ATTEMPTS_APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER login_attempt_append_only BEFORE UPDATE OR DELETE ON login_attempt "
            "FOR EACH ROW EXECUTE FUNCTION login_attempt_append_only()"
        )
        op.execute(
            "CREATE FUNCTION ocrm_no_truncate() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only: it cannot be truncated', TG_TABLE_NAME; END $$"
        )
        for table in _NO_TRUNCATE:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ocrm_no_truncate()"
            )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_delete")
        op.execute(
            "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
            "WHEN OLD.seq > (SELECT COALESCE(MAX(last_seq), 0) FROM audit_archive) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_archive_no_{verb.lower()} BEFORE {verb} ON audit_archive "
                f"BEGIN SELECT RAISE(ABORT, '{ARCHIVE_APPEND_ONLY}'); END"
            )
        op.execute(
            "CREATE TRIGGER login_attempt_no_update BEFORE UPDATE ON login_attempt "
            f"BEGIN SELECT RAISE(ABORT, '{ATTEMPTS_APPEND_ONLY}'); END"
        )
        # Both times are stored the same way (UTC text), so they compare as text.
        op.execute(
            "CREATE TRIGGER login_attempt_no_delete BEFORE DELETE ON login_attempt "
            "WHEN NOT EXISTS (SELECT 1 FROM audit_archive WHERE OLD.at < before_at "
            "AND last_seq = (SELECT MAX(last_seq) FROM audit_archive)) "
            f"BEGIN SELECT RAISE(ABORT, '{ATTEMPTS_APPEND_ONLY}'); END"
        )


def _refuse_every_delete() -> None:
    """Back to 0006: no audit record may be deleted at all; login attempts unprotected."""
    if op.get_bind().dialect.name == "postgresql":
        for table in _NO_TRUNCATE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ocrm_no_truncate()")
        op.execute("DROP TRIGGER IF EXISTS login_attempt_append_only ON login_attempt")
        op.execute("DROP FUNCTION IF EXISTS login_attempt_append_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_archive")
        op.execute("DROP FUNCTION IF EXISTS audit_archive_append_only()")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS login_attempt_no_update")
        op.execute("DROP TRIGGER IF EXISTS login_attempt_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_archive_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_archive_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_delete")
        op.execute(
            "CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def _refuse_downgrade_after_a_cut() -> None:
    """Once the trail has been cut, the chain in the database starts from the newest archive
    row: dropping the table would lose that anchor and the trail would no longer verify."""
    cuts = op.get_bind().exec_driver_sql("SELECT COUNT(*) FROM audit_archive").scalar()
    if cuts:
        raise RuntimeError(
            f"The audit trail has been archived ({cuts} archive cut(s) in audit_archive): the chain in the "
            "database continues from the newest one, so the schema cannot go back before 0007"
        )


def upgrade() -> None:
    op.create_table('audit_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('archived_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('before_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('first_seq', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('login_attempts', sa.Integer(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('last_seq')
    )
    op.create_table('access_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('customer_nos', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('filter_json', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('export_what', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['requester_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.create_index('ix_access_request_requester', ['requester_id', 'requested_at'], unique=False)
        batch_op.create_index('ix_access_request_status', ['status', 'requested_at'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('terminal', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('ended_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_ended_at'), ['ended_at'], unique=False)
        batch_op.create_index('ix_user_session_user_open', ['user_id', 'ended_at'], unique=False)

    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_access_grant_request_id'), ['request_id'], unique=False)
        batch_op.create_foreign_key('fk_access_grant_request', 'access_request', ['request_id'], ['id'])

    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unmask', sa.Boolean(), nullable=True))

    _allow_archive_deletes()


def downgrade() -> None:
    _refuse_downgrade_after_a_cut()
    _refuse_every_delete()
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('unmask')

    with op.batch_alter_table('access_grant', schema=None) as batch_op:
        batch_op.drop_constraint('fk_access_grant_request', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_access_grant_request_id'))
        batch_op.drop_column('request_id')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index('ix_user_session_user_open')
        batch_op.drop_index(batch_op.f('ix_user_session_ended_at'))

    op.drop_table('user_session')
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_index('ix_access_request_status')
        batch_op.drop_index('ix_access_request_requester')

    op.drop_table('access_request')
    op.drop_table('audit_archive')
