"""report summaries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00

Management reports read monthly summaries instead of every transaction and snapshot: a
tier-1 branch holds half a million customers and five million transactions. The summaries
are rebuilt from the detail by ``services/reports_data.refresh`` (after imports, after the
demo, and by ``ocrm report refresh``); a database upgraded to this revision has them empty
until the first refresh, and the reports say so.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)


def upgrade() -> None:
    op.create_table(
        'report_txn_month',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('rm_id', sa.Integer(), nullable=True),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('txn_count', sa.Integer(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_txn_month_org', 'report_txn_month', ['org_id', 'month'], unique=False)
    op.create_index('ix_report_txn_month_rm', 'report_txn_month', ['rm_id', 'month'], unique=False)
    op.create_table(
        'report_aum_month',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('rm_id', sa.Integer(), nullable=True),
        sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('prev_tier', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('aum', MONEY, nullable=False),
        sa.Column('aum_daily_avg', MONEY, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_report_aum_month_org', 'report_aum_month', ['org_id', 'month'], unique=False)
    op.create_index('ix_report_aum_month_rm', 'report_aum_month', ['rm_id', 'month'], unique=False)
    op.create_table(
        'report_falling',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('through', sa.Date(), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('aum_from', MONEY, nullable=False),
        sa.Column('aum_to', MONEY, nullable=False),
        sa.PrimaryKeyConstraint('customer_id'),
    )


def downgrade() -> None:
    op.drop_table('report_falling')
    op.drop_index('ix_report_aum_month_rm', table_name='report_aum_month')
    op.drop_index('ix_report_aum_month_org', table_name='report_aum_month')
    op.drop_table('report_aum_month')
    op.drop_index('ix_report_txn_month_rm', table_name='report_txn_month')
    op.drop_index('ix_report_txn_month_org', table_name='report_txn_month')
    op.drop_table('report_txn_month')
