"""core-banking sync, handled alerts and the customer pool

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00

Alerts gain a severity, the day they are about and what their addressee did about them
(a handled alert leaves the open list). A customer records when their RM claimed them
from the branch pool (the pool sweep returns neglected claims). Transactions are indexed
by posting time for the alert scan's recent days.

Columns are added with plain ALTER TABLE (no table rebuild on SQLite: the customer
table's search triggers stay as they are).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customer', sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    op.add_column('alert', sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=8),
                                     server_default='medium', nullable=False))
    op.add_column('alert', sa.Column('due_on', sa.Date(), nullable=True))
    op.add_column('alert', sa.Column('handled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('alert', sa.Column('handled_by', sa.Integer(), nullable=True))
    op.add_column('alert', sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
    op.add_column('alert', sa.Column('action_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.create_index('ix_alert_user_open', 'alert', ['user_id', 'handled_at'], unique=False)
    op.create_index('ix_alert_org_open', 'alert', ['org_id', 'handled_at'], unique=False)

    op.create_index('ix_txn_posted', 'txn', ['posted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_txn_posted', table_name='txn')
    op.drop_index('ix_alert_org_open', table_name='alert')
    op.drop_index('ix_alert_user_open', table_name='alert')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        for column in ('action_note', 'action', 'handled_by', 'handled_at', 'due_on', 'severity'):
            batch_op.drop_column(column)
    op.drop_column('customer', 'claimed_at')
