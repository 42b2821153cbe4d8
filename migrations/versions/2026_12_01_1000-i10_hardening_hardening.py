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
    _checks_up()


def downgrade():
    _checks_down()
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_epoch')


# Every number people type has a range (consortium.bounds); the database holds to it too.
CHECKS = (
    ('district_profiles', 'enrollment_max', 'enrollment <= 2000000'),
    ('district_profiles', 'schools_max', 'schools <= 5000'),
    ('district_profiles', 'broadband_max', 'broadband_mbps <= 10000000'),
    ('solicitations', 'term_months_max', 'term_months <= 120'),
    ('solicitations', 'acceptance_window_max', 'acceptance_window_days <= 365'),
    ('opt_ins', 'quantity_max', 'quantity <= 10000000'),
    ('opt_ins', 'max_unit_amount_range',
     'max_unit_amount IS NULL OR max_unit_amount BETWEEN 1 AND 100000000'),
    ('bid_versions', 'capacity_max', 'capacity <= 10000000'),
)


def _checks_up():
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(name, condition)


def _checks_down():
    for table, name, _condition in reversed(CHECKS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
