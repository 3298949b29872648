"""service tickets, their timeline, collaboration tasks and alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:18:59

Tickets carry a version column (a stale save is refused) and the indexes of the
worker's queue (assignee, status, due time), of the SLA scan and the branch pool
(status, due time) and of the longest-idle rule (assignee, time of assignment).
Alerts are raised once: their ``dedupe_key`` is unique.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('unread', sa.Boolean(), nullable=False),
    sa.Column('required_skill', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('solution', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('rated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_assignee_assigned', ['assignee_id', 'assigned_at'], unique=False)
        batch_op.create_index('ix_ticket_assignee_status_due', ['assignee_id', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_ticket_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_ticket_org_status', ['org_id', 'status'], unique=False)
        batch_op.create_index('ix_ticket_status_due', ['status', 'due_at'], unique=False)

    op.create_table('ticket_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('from_value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('to_value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_event_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('ticket_help',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('to_user_id', sa.Integer(), nullable=True),
    sa.Column('to_role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('task', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.ForeignKeyConstraint(['to_user_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_help', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_help_role_status', ['to_role', 'status'], unique=False)
        batch_op.create_index('ix_ticket_help_ticket', ['ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_help_user_status', ['to_user_id', 'status'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('ticket_help', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_help_user_status')
        batch_op.drop_index('ix_ticket_help_ticket')
        batch_op.drop_index('ix_ticket_help_role_status')

    op.drop_table('ticket_help')
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_event_ticket')

    op.drop_table('ticket_event')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_status_due')
        batch_op.drop_index('ix_ticket_org_status')
        batch_op.drop_index('ix_ticket_customer')
        batch_op.drop_index('ix_ticket_assignee_status_due')
        batch_op.drop_index('ix_ticket_assignee_assigned')

    op.drop_table('ticket')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_user_read')

    op.drop_table('alert')

