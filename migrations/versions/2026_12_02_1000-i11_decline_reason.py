"""each role's day (issue 11): the reason a district gave for declining its contract

Revision ID: i11_decline_reason
Revises: i10_hardening
Create Date: 2026-12-02 10:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i11_decline_reason'
down_revision = 'i10_hardening'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contracts') as batch_op:
        batch_op.add_column(sa.Column('decline_reason', sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table('contracts') as batch_op:
        batch_op.drop_column('decline_reason')
