"""allocation runs (issue 6): the proven served bound, seats asked, progress events, set-aside districts

Revision ID: w6_run_progress
Revises: i11_decline_reason
Create Date: 2026-12-02 12:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w6_run_progress'
down_revision = 'i11_decline_reason'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocation_runs') as batch_op:
        batch_op.add_column(sa.Column('served_bound', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('asked_quantity', sa.BigInteger(), nullable=True))
        # Existing runs have no events and set nothing aside: an empty list, not NULL.
        batch_op.add_column(sa.Column('progress_events', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('set_aside', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.create_check_constraint(
            'served_bound_not_negative', 'served_bound IS NULL OR served_bound >= 0')
        batch_op.create_check_constraint(
            'asked_not_negative', 'asked_quantity IS NULL OR asked_quantity >= 0')


def downgrade():
    with op.batch_alter_table('allocation_runs') as batch_op:
        batch_op.drop_constraint(op.f('ck_allocation_runs_asked_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_allocation_runs_served_bound_not_negative'), type_='check')
        batch_op.drop_column('set_aside')
        batch_op.drop_column('progress_events')
        batch_op.drop_column('asked_quantity')
        batch_op.drop_column('served_bound')
