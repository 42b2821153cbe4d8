"""payments (issue 8): invoices per contract year, their lines and payments, payment terms,
Stripe customers, Connect accounts and handled webhook events

Generated with `flask --app wsgi db migrate` against the initial schema, then reviewed:
money columns are BIGINT cents with the models' CHECK constraints (fee within total, paid
within total, refunds within paid, paid in full when paid, line amount = quantity x unit);
every Stripe id is UNIQUE; (contract_id, contract_year) is UNIQUE, one invoice a year.

Revision ID: i8_payments
Revises: f0b096e3f59a
Create Date: 2026-12-01 21:27:42.733058+00:00

"""
from alembic import op
import sqlalchemy as sa

import consortium.db


# revision identifiers, used by Alembic.
revision = 'i8_payments'
down_revision = 'f0b096e3f59a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('received_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id'))
    )
    op.create_table('connected_accounts',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=255), nullable=False),
    sa.Column('charges_enabled', sa.Boolean(), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('currently_due', sa.JSON(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_connected_accounts_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_connected_accounts')),
    sa.UniqueConstraint('account_id', name=op.f('uq_connected_accounts_account_id'))
    )
    op.create_table('stripe_customers',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_stripe_customers_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_stripe_customers')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_stripe_customers_customer_id'))
    )
    op.create_table('payment_terms',
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('days_until_due', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.JSON(), nullable=False),
    sa.Column('updated_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days_until_due >= 0 AND days_until_due <= 365', name=op.f('ck_payment_terms_days_until_due_range')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_payment_terms_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('solicitation_id', name=op.f('pk_payment_terms'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=26), nullable=True),
    sa.Column('consortium_id', sa.Integer(), nullable=False),
    sa.Column('solicitation_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('contract_year', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('fee_bps', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.BigInteger(), nullable=False),
    sa.Column('amount_paid_cents', sa.BigInteger(), nullable=False),
    sa.Column('refunded_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'paid', 'void', 'uncollectible', name='invoicestatus', native_enum=False, length=20), nullable=False),
    sa.Column('days_until_due', sa.Integer(), nullable=False),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('due_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.Column('po_number', sa.String(length=64), nullable=True),
    sa.Column('po_recorded_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.Column('gateway_invoice_id', sa.String(length=255), nullable=True),
    sa.Column('hosted_invoice_url', sa.String(length=2048), nullable=True),
    sa.Column('payment_attempts', sa.Integer(), nullable=False),
    sa.Column('sync_error', sa.String(length=500), nullable=True),
    sa.Column('reminders_sent', sa.JSON(), nullable=False),
    sa.Column('last_reminded_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'paid' OR amount_paid_cents = total_cents", name=op.f('ck_invoices_paid_in_full')),
    sa.CheckConstraint("status <> 'void' OR void_reason IS NOT NULL", name=op.f('ck_invoices_void_has_reason')),
    sa.CheckConstraint("status IN ('draft', 'open', 'paid', 'void', 'uncollectible')", name=op.f('ck_invoices_status_known')),
    sa.CheckConstraint('amount_paid_cents >= 0 AND amount_paid_cents <= total_cents', name=op.f('ck_invoices_paid_within_total')),
    sa.CheckConstraint('contract_year >= 1', name=op.f('ck_invoices_contract_year_positive')),
    sa.CheckConstraint('days_until_due >= 0 AND days_until_due <= 365', name=op.f('ck_invoices_days_until_due_range')),
    sa.CheckConstraint('fee_bps >= 0 AND fee_bps <= 10000', name=op.f('ck_invoices_fee_bps_range')),
    sa.CheckConstraint('fee_cents >= 0 AND fee_cents <= total_cents', name=op.f('ck_invoices_fee_within_total')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_invoices_currency_code')),
    sa.CheckConstraint('refunded_cents >= 0 AND refunded_cents <= amount_paid_cents', name=op.f('ck_invoices_refunds_within_paid')),
    sa.CheckConstraint('total_cents > 0', name=op.f('ck_invoices_total_positive')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_invoices_award_id_awards')),
    sa.ForeignKeyConstraint(['consortium_id'], ['organisations.id'], name=op.f('fk_invoices_consortium_id_organisations')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_invoices_contract_id_contracts')),
    sa.ForeignKeyConstraint(['district_id'], ['organisations.id'], name=op.f('fk_invoices_district_id_organisations')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['solicitations.id'], name=op.f('fk_invoices_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['organisations.id'], name=op.f('fk_invoices_vendor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('contract_id', 'contract_year', name=op.f('uq_invoices_contract_id_contract_year')),
    sa.UniqueConstraint('gateway_invoice_id', name=op.f('uq_invoices_gateway_invoice_id')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_consortium_id'), ['consortium_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_solicitation_id'), ['solicitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_cents = quantity * unit_amount_cents', name=op.f('ck_invoice_lines_amount_is_product')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_invoice_lines_quantity_positive')),
    sa.CheckConstraint('unit_amount_cents >= 0', name=op.f('ck_invoice_lines_unit_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('stripe', 'check', 'ach', 'other', name='paymentmethod', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('succeeded', 'partially_refunded', 'refunded', name='paymentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('refunded_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('stripe_invoice_payment_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_charge_id', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', consortium.db.TZDateTime(timezone=True), nullable=False),
    sa.Column('refunded_at', consortium.db.TZDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("method <> 'stripe' OR stripe_invoice_payment_id IS NOT NULL", name=op.f('ck_payments_stripe_has_id')),
    sa.CheckConstraint("method IN ('stripe', 'check', 'ach', 'other')", name=op.f('ck_payments_method_known')),
    sa.CheckConstraint("status IN ('succeeded', 'partially_refunded', 'refunded')", name=op.f('ck_payments_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_payments_currency_code')),
    sa.CheckConstraint('refunded_cents >= 0 AND refunded_cents <= amount_cents', name=op.f('ck_payments_refunds_within_amount')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_payments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('stripe_charge_id', name=op.f('uq_payments_stripe_charge_id')),
    sa.UniqueConstraint('stripe_invoice_payment_id', name=op.f('uq_payments_stripe_invoice_payment_id')),
    sa.UniqueConstraint('stripe_payment_intent_id', name=op.f('uq_payments_stripe_payment_intent_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))

    op.drop_table('payments')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_status'))
        batch_op.drop_index(batch_op.f('ix_invoices_solicitation_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_district_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_contract_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_consortium_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_award_id'))

    op.drop_table('invoices')
    op.drop_table('payment_terms')
    op.drop_table('stripe_customers')
    op.drop_table('connected_accounts')
    op.drop_table('stripe_events')
