"""initial schema: every table of the marketplace, and the append-only audit trigger

Generated with `flask --app wsgi db migrate` against an empty PostgreSQL database, then
reviewed: constraint names follow consortium.db.NAMING_CONVENTION (op.f marks them as final),
enums are VARCHAR(20) with the models' own named CHECK constraints (native_enum=False, no
unnamed enum constraint), bid_versions.nonce has server_default '' (versions hashed before
nonces existed), and on PostgreSQL audit_events gets the trigger refusing UPDATE and DELETE.

Revision ID: f0b096e3f59a
Revises:
Create Date: 2026-11-23 15:47:38.138506+00:00

"""
from alembic import op
import sqlalchemy as sa

import consortium.db
from consortium.audit.models import AUDIT_APPEND_ONLY_SQL


# revision identifiers, used by Alembic.
revision = 'f0b096e3f59a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    op.create_index('ix_login_attempts_email_ip_at', 'login_attempts', ['email', 'ip', 'at'], unique=False)
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('district', 'vendor', 'consortium', name='orgkind', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('district', 'vendor', 'consortium')", name=op.f('ck_organisations_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organisations_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('affiliations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'verified', 'rejected', name='affiliationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'verified', 'rejected')", name=op.f('ck_affiliations_status')),
    sa.CheckConstraint('consortium_id <> member_id', name=op.f('ck_affiliations_not_self')),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_affiliations_consortium_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_affiliations_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['organisations.id'], name=op.f('fk_affiliations_member_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliations')),
    sa.UniqueConstraint('consortium_id', 'member_id', name=op.f('uq_affiliations_consortium_id_member_id'))
    )
    op.create_index(op.f('ix_affiliations_consortium_id'), 'affiliations', ['consortium_id'], unique=False)
    op.create_index(op.f('ix_affiliations_member_id'), 'affiliations', ['member_id'], unique=False)
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_org_id', sa.Integer(), nullable=True),
    sa.Column('consortium_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.String(length=80), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_org_id'], ['organisations.id'], name=op.f('fk_audit_events_actor_org_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_audit_events_actor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_audit_events_consortium_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    op.create_index(op.f('ix_audit_events_action'), 'audit_events', ['action'], unique=False)
    op.create_index('ix_audit_events_consortium_at', 'audit_events', ['consortium_id', 'at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # The trail is append-only in the database too (create_all does the same by DDL event).
        for statement in AUDIT_APPEND_ONLY_SQL:
            op.execute(statement)
    op.create_table('clauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_clauses_consortium_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clauses'))
    )
    op.create_index(op.f('ix_clauses_consortium_id'), 'clauses', ['consortium_id'], unique=False)
    op.create_table('district_profiles',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('nces_id', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('enrollment', sa.Integer(), nullable=True),
    sa.Column('schools', sa.Integer(), nullable=True),
    sa.Column('broadband_mbps', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=20), nullable=True),
    sa.Column('sis', sa.String(length=80), nullable=True),
    sa.CheckConstraint("locale IS NULL OR locale IN ('rural', 'town', 'suburban', 'urban')", name=op.f('ck_district_profiles_locale')),
    sa.CheckConstraint('broadband_mbps IS NULL OR broadband_mbps >= 0', name=op.f('ck_district_profiles_broadband_nonneg')),
    sa.CheckConstraint('enrollment IS NULL OR enrollment >= 0', name=op.f('ck_district_profiles_enrollment_nonneg')),
    sa.CheckConstraint('schools IS NULL OR schools >= 0', name=op.f('ck_district_profiles_schools_nonneg')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_district_profiles_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_district_profiles'))
    )
    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('member', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('member', 'admin')", name=op.f('ck_memberships_role')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_memberships_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('user_id', 'organisation_id', name=op.f('uq_memberships_user_id_organisation_id'))
    )
    op.create_index(op.f('ix_memberships_organisation_id'), 'memberships', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_memberships_user_id'), 'memberships', ['user_id'], unique=False)
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sent', 'logged', 'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'logged', 'failed')", name=op.f('ck_outbox_messages_status')),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_outbox_messages_consortium_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    op.create_index(op.f('ix_outbox_messages_consortium_id'), 'outbox_messages', ['consortium_id'], unique=False)
    op.create_index(op.f('ix_outbox_messages_to'), 'outbox_messages', ['to'], unique=False)
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['organisations.id'], name=op.f('fk_products_vendor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products'))
    )
    op.create_index(op.f('ix_products_vendor_id'), 'products', ['vendor_id'], unique=False)
    op.create_table('solicitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('opt_in_deadline', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('bid_deadline', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('acceptance_window_days', sa.Integer(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('admin_fee_bps', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', 'bids_opened', 'awarded', 'cancelled', name='solicitationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('published_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('bids_opened_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('opt_in_reminder_sent_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("currency IN ('usd', 'cad')", name=op.f('ck_solicitations_currency_known')),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'bids_opened', 'awarded', 'cancelled')", name=op.f('ck_solicitations_status_known')),
    sa.CheckConstraint('acceptance_window_days >= 1', name=op.f('ck_solicitations_acceptance_window_positive')),
    sa.CheckConstraint('admin_fee_bps >= 0 AND admin_fee_bps <= 2000', name=op.f('ck_solicitations_admin_fee_bps_range')),
    sa.CheckConstraint('bid_deadline >= opt_in_deadline', name=op.f('ck_solicitations_bid_after_opt_in_deadline')),
    sa.CheckConstraint('term_months >= 1', name=op.f('ck_solicitations_term_months_positive')),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_solicitations_consortium_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solicitations'))
    )
    op.create_index(op.f('ix_solicitations_consortium_id'), 'solicitations', ['consortium_id'], unique=False)
    op.create_index(op.f('ix_solicitations_status'), 'solicitations', ['status'], unique=False)
    op.create_table('vendor_profiles',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('dpa_states', sa.JSON(), nullable=False),
    sa.Column('certifications', sa.JSON(), nullable=False),
    sa.Column('accessibility', sa.String(length=20), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.CheckConstraint("accessibility IN ('WCAG 2.1 AA', 'WCAG 2.0 AA', 'none')", name=op.f('ck_vendor_profiles_accessibility')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_vendor_profiles_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_vendor_profiles'))
    )
    op.create_table('allocation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('solver', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.String(length=300), nullable=False),
    sa.Column('input_json', sa.Text(), nullable=True),
    sa.Column('input_sha256', sa.String(length=64), nullable=True),
    sa.Column('result_json', sa.Text(), nullable=True),
    sa.Column('result_status', sa.String(length=16), nullable=True),
    sa.Column('bound', sa.BigInteger(), nullable=True),
    sa.Column('gap', sa.Float(), nullable=True),
    sa.Column('total_amount', sa.BigInteger(), nullable=True),
    sa.Column('served_quantity', sa.BigInteger(), nullable=True),
    sa.Column('standalone_total', sa.BigInteger(), nullable=True),
    sa.Column('solver_version', sa.String(length=80), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('started_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_allocation_runs_status_known')),
    sa.CheckConstraint('total_amount IS NULL OR total_amount >= 0', name=op.f('ck_allocation_runs_total_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_allocation_runs_created_by_id_users')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_allocation_runs_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_runs'))
    )
    op.create_index(op.f('ix_allocation_runs_solicitation_id'), 'allocation_runs', ['solicitation_id'], unique=False)
    op.create_table('bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_bids_product_id_products')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_bids_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['organisations.id'], name=op.f('fk_bids_vendor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    sa.UniqueConstraint('solicitation_id', 'vendor_id', name=op.f('uq_bids_solicitation_id_vendor_id'))
    )
    op.create_index(op.f('ix_bids_solicitation_id'), 'bids', ['solicitation_id'], unique=False)
    op.create_index(op.f('ix_bids_vendor_id'), 'bids', ['vendor_id'], unique=False)
    op.create_table('opt_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('max_unit_amount', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('live', 'withdrawn', name='optinstatus', native_enum=False, length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('live', 'withdrawn')", name=op.f('ck_opt_ins_status_known')),
    sa.CheckConstraint('max_unit_amount IS NULL OR max_unit_amount >= 0', name=op.f('ck_opt_ins_max_unit_amount_nonnegative')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_opt_ins_quantity_positive')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_opt_ins_version_positive')),
    sa.ForeignKeyConstraint(['district_id'], ['organisations.id'], name=op.f('fk_opt_ins_district_id_organisations')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_opt_ins_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_ins')),
    sa.UniqueConstraint('solicitation_id', 'district_id', name=op.f('uq_opt_ins_solicitation_id_district_id'))
    )
    op.create_index(op.f('ix_opt_ins_district_id'), 'opt_ins', ['district_id'], unique=False)
    op.create_index(op.f('ix_opt_ins_solicitation_id'), 'opt_ins', ['solicitation_id'], unique=False)
    op.create_table('solicitation_clauses',
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['clause_id'], ['clauses.id'], name=op.f('fk_solicitation_clauses_clause_id_clauses')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_solicitation_clauses_solicitation_id_solicitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('solicitation_id', 'clause_id', name=op.f('pk_solicitation_clauses'))
    )
    op.create_table('awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('published_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('input_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_awards_published_by_id_users')),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_runs.id'], name=op.f('fk_awards_run_id_allocation_runs')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_awards_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('solicitation_id', name=op.f('uq_awards_solicitation_id'))
    )
    op.create_table('bid_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('tiers_mode', sa.String(length=16), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), server_default='', nullable=False),
    sa.CheckConstraint("tiers_mode IN ('volume', 'graduated')", name=op.f('ck_bid_versions_tiers_mode_known')),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 1', name=op.f('ck_bid_versions_capacity_positive')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_bid_versions_number_positive')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_bid_versions_bid_id_bids')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_bid_versions_product_id_products')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_bid_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_versions')),
    sa.UniqueConstraint('bid_id', 'number', name=op.f('uq_bid_versions_bid_id_number'))
    )
    op.create_index(op.f('ix_bid_versions_bid_id'), 'bid_versions', ['bid_id'], unique=False)
    op.create_table('award_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('unit_amount', sa.BigInteger(), nullable=False),
    sa.Column('tiers_mode', sa.String(length=16), nullable=False),
    sa.Column('tier_index', sa.Integer(), nullable=False),
    sa.CheckConstraint("tiers_mode IN ('volume', 'graduated')", name=op.f('ck_award_groups_tiers_mode_known')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_award_groups_quantity_positive')),
    sa.CheckConstraint('total_amount >= 0', name=op.f('ck_award_groups_total_not_negative')),
    sa.CheckConstraint('unit_amount >= 0', name=op.f('ck_award_groups_unit_not_negative')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_groups_award_id_awards')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_award_groups_bid_id_bids')),
    sa.ForeignKeyConstraint(['vendor_id'], ['organisations.id'], name=op.f('fk_award_groups_vendor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_groups')),
    sa.UniqueConstraint('award_id', 'label', name=op.f('uq_award_groups_award_id_label'))
    )
    op.create_index(op.f('ix_award_groups_award_id'), 'award_groups', ['award_id'], unique=False)
    op.create_index(op.f('ix_award_groups_vendor_id'), 'award_groups', ['vendor_id'], unique=False)
    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('standalone_amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accept_by', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('signature_reminded_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('expiry_reminded_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'lapsed')", name=op.f('ck_contracts_status_known')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_contracts_amount_not_negative')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_contracts_quantity_positive')),
    sa.CheckConstraint('standalone_amount >= 0', name=op.f('ck_contracts_standalone_not_negative')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_contracts_award_id_awards')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_contracts_decided_by_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['organisations.id'], name=op.f('fk_contracts_district_id_organisations')),
    sa.ForeignKeyConstraint(['group_id'], ['award_groups.id'], name=op.f('fk_contracts_group_id_award_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('award_id', 'district_id', name=op.f('uq_contracts_award_id_district_id'))
    )
    op.create_index(op.f('ix_contracts_award_id'), 'contracts', ['award_id'], unique=False)
    op.create_index(op.f('ix_contracts_district_id'), 'contracts', ['district_id'], unique=False)
    op.create_index(op.f('ix_contracts_group_id'), 'contracts', ['group_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_contracts_group_id'), table_name='contracts')
    op.drop_index(op.f('ix_contracts_district_id'), table_name='contracts')
    op.drop_index(op.f('ix_contracts_award_id'), table_name='contracts')
    op.drop_table('contracts')
    op.drop_index(op.f('ix_award_groups_vendor_id'), table_name='award_groups')
    op.drop_index(op.f('ix_award_groups_award_id'), table_name='award_groups')
    op.drop_table('award_groups')
    op.drop_index(op.f('ix_bid_versions_bid_id'), table_name='bid_versions')
    op.drop_table('bid_versions')
    op.drop_table('awards')
    op.drop_table('solicitation_clauses')
    op.drop_index(op.f('ix_opt_ins_solicitation_id'), table_name='opt_ins')
    op.drop_index(op.f('ix_opt_ins_district_id'), table_name='opt_ins')
    op.drop_table('opt_ins')
    op.drop_index(op.f('ix_bids_vendor_id'), table_name='bids')
    op.drop_index(op.f('ix_bids_solicitation_id'), table_name='bids')
    op.drop_table('bids')
    op.drop_index(op.f('ix_allocation_runs_solicitation_id'), table_name='allocation_runs')
    op.drop_table('allocation_runs')
    op.drop_table('vendor_profiles')
    op.drop_index(op.f('ix_solicitations_status'), table_name='solicitations')
    op.drop_index(op.f('ix_solicitations_consortium_id'), table_name='solicitations')
    op.drop_table('solicitations')
    op.drop_index(op.f('ix_products_vendor_id'), table_name='products')
    op.drop_table('products')
    op.drop_index(op.f('ix_outbox_messages_to'), table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_consortium_id'), table_name='outbox_messages')
    op.drop_table('outbox_messages')
    op.drop_index(op.f('ix_memberships_user_id'), table_name='memberships')
    op.drop_index(op.f('ix_memberships_organisation_id'), table_name='memberships')
    op.drop_table('memberships')
    op.drop_table('district_profiles')
    op.drop_index(op.f('ix_clauses_consortium_id'), table_name='clauses')
    op.drop_table('clauses')
    op.drop_index('ix_audit_events_consortium_at', table_name='audit_events')
    op.drop_index(op.f('ix_audit_events_action'), table_name='audit_events')
    op.drop_table('audit_events')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS audit_events_append_only()')
    op.drop_index(op.f('ix_affiliations_member_id'), table_name='affiliations')
    op.drop_index(op.f('ix_affiliations_consortium_id'), table_name='affiliations')
    op.drop_table('affiliations')
    op.drop_table('users')
    op.drop_table('organisations')
    op.drop_index('ix_login_attempts_email_ip_at', table_name='login_attempts')
    op.drop_table('login_attempts')
