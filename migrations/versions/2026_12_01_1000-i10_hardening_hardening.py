"""hardening (issue 10): session epochs, opaque bid ids, audit chains, bounds on every number

Revision ID: i10_hardening
Revises: f0b096e3f59a
Create Date: 2026-12-01 10:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i10_hardening'
down_revision = 'f0b096e3f59a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_epoch')
