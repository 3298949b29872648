"""campaigns, target lists and the SMS outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 03:59:37

A campaign carries a version column (two terminals editing it: the second is refused)
and its filter as JSON; a customer is on a campaign's list at most once, and an SMS
goes to a target at most once. The customer's tier index gains the daily-average AUM,
so that "these tiers, AUM between" is one index range per tier.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('goal', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('actual_cost', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('filter_json', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sms_template', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('generated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_campaign_status', ['status', 'starts_on'], unique=False)

    op.create_table('campaign_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('rm_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('converted_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('contacted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['rm_id'], ['staff_user.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'customer_id', name='uq_campaign_target_customer')
    )
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_target_rm', ['campaign_id', 'rm_id', 'status'], unique=False)
        batch_op.create_index('ix_campaign_target_rm_customer', ['rm_id', 'customer_id'], unique=False)
        batch_op.create_index('ix_campaign_target_list', ['campaign_id', 'id'], unique=False)

    op.create_table('sms_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('exported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['campaign_target.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('target_id')
    )
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_message_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_sms_message_status', ['status', 'id'], unique=False)

    # Plain index operations: the customer table (and its search triggers) is not rebuilt.
    op.drop_index('ix_customer_tier', table_name='customer')
    op.create_index('ix_customer_tier_aum', 'customer', ['tier', 'aum_daily_avg'], unique=False,
                    postgresql_include=['id'])



def downgrade() -> None:
    op.drop_index('ix_customer_tier_aum', table_name='customer')
    op.create_index('ix_customer_tier', 'customer', ['tier'], unique=False)

    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_message_status')
        batch_op.drop_index(batch_op.f('ix_sms_message_campaign_id'))

    op.drop_table('sms_message')
    with op.batch_alter_table('campaign_target', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_target_list')
        batch_op.drop_index('ix_campaign_target_rm_customer')
        batch_op.drop_index('ix_campaign_target_rm')

    op.drop_table('campaign_target')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_status')
        batch_op.drop_index(batch_op.f('ix_campaign_owner_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_org_id'))

    op.drop_table('campaign')
