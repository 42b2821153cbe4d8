"""hardening (issue 10): session epochs, opaque bid ids, audit chains, bounds on every number

Revision ID: i10_hardening
Revises: i9_api_tokens
Create Date: 2026-12-01 23:00:00+00:00

"""
from alembic import op
import sqlalchemy as sa

import consortium.db


# revision identifiers, used by Alembic.
revision = 'i10_hardening'
down_revision = 'i9_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
    _checks_up()
    _bids_up()
    _audit_chains_up()
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('member', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='invitationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('member', 'admin')", name=op.f('ck_invitations_role')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')", name=op.f('ck_invitations_status')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_invitations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token', name=op.f('uq_invitations_token'))
    )
    with op.batch_alter_table('invitations') as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_user_id'), ['user_id'], unique=False)
    # Sign-in limits moved to Flask-Limiter (Redis or memory): the table of attempts goes.
    with op.batch_alter_table('login_attempts') as batch_op:
        batch_op.drop_index('ix_login_attempts_email_ip_at')
    op.drop_table('login_attempts')


def downgrade():
    _audit_chains_down()
    _bids_down()
    op.drop_table('invitations')
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts') as batch_op:
        batch_op.create_index('ix_login_attempts_email_ip_at', ['email', 'ip', 'at'], unique=False)
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


def _bids_up():
    # Existing bids get a random public id each (uuid4 hex: 128 random bits, no sequence).
    with op.batch_alter_table('bids') as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
    bids = sa.table('bids', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    connection = op.get_bind()
    import uuid

    for (bid_id,) in connection.execute(sa.select(bids.c.id)).all():
        connection.execute(bids.update().where(bids.c.id == bid_id).values(public_id=uuid.uuid4().hex))
    with op.batch_alter_table('bids') as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_bids_public_id'), ['public_id'])


def _bids_down():
    with op.batch_alter_table('bids') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bids_public_id'), type_='unique')
        batch_op.drop_column('public_id')


def _audit_chains_up():
    # New events chain per reader's scope (consortium.audit.models); old rows keep chain NULL
    # and verify as the single chain they were written in (nothing is rewritten).
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sealed_solicitation_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain', 'seq'])
        batch_op.create_index(batch_op.f('ix_audit_events_sealed_solicitation_id'), ['sealed_solicitation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_sealed_solicitation_id_solicitations'), 'solicitations', ['sealed_solicitation_id'], ['id'])


def _audit_chains_down():
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_sealed_solicitation_id_solicitations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_sealed_solicitation_id'))
        batch_op.drop_constraint(batch_op.f('uq_audit_events_chain_seq'), type_='unique')
        batch_op.drop_column('sealed_solicitation_id')
        batch_op.drop_column('seq')
        batch_op.drop_column('chain')
