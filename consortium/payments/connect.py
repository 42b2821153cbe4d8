"""Vendors on Stripe Connect: the account, the onboarding link, and its status kept current.

The account is made once (its id stored under a unique constraint, in a small commit of its
own, since the vendor is about to leave for Stripe's page); its status follows what Stripe
says, on `account.updated` or when the vendor asks. Once it can take payouts, the vendor's
invoices that were waiting for it are issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import select

from consortium.accounts.models import Organisation
from consortium.audit.services import record
from consortium.clock import now
from consortium.errors import conflict
from consortium.extensions import db
from consortium.notifications.services import member_emails, notify_members
from consortium.payments.models import ConnectedAccount, Invoice
from consortium.payments.outbound import reconcile
from consortium.payments.records import ConnectedAccount as StripeAccount
from consortium.payments.records import GatewayError, OnboardingLink
from consortium.payments.states import InvoiceStatus
from consortium.payments.wiring import payment_gateway
from consortium.transaction import after_commit, commit_now

OFFLINE = ("Payments are recorded offline here (no Stripe keys are configured): districts pay "
           "you directly, and your fee statement shows the consortium's fee.")


@dataclass(frozen=True)
class PayoutStatus:
    """What the vendor's organisation page shows about getting paid."""

    online: bool
    account: ConnectedAccount | None

    @property
    def ready(self) -> bool:
        return self.account is not None and self.account.ready


def payout_status(vendor: Organisation) -> PayoutStatus:
    return PayoutStatus(payment_gateway().online, db.session.get(ConnectedAccount, vendor.id))


def ensure_account(vendor: Organisation) -> ConnectedAccount:
    """The vendor's connected account, made at Stripe once and kept."""
    gateway = payment_gateway()
    if not gateway.online:
        raise conflict(OFFLINE)
    account = db.session.get(ConnectedAccount, vendor.id)
    if account is not None:
        return account
    emails = member_emails(vendor)
    try:
        made = gateway.create_connected_account(
            email=emails[0] if emails else None, business_name=vendor.name,
            metadata={"organisation_id": str(vendor.id)},
            idempotency_key=f"account:vendor-{vendor.id}",
        )
    except GatewayError as error:
        raise conflict(f"Stripe could not set up the account: {error}") from error
    account = ConnectedAccount(organisation_id=vendor.id, account_id=made.id, currently_due=[])
    db.session.add(account)
    _apply(account, made)
    record("connected_account.created", account, before=None, after=account.audit_state())
    commit_now()  # kept before the vendor leaves for Stripe's onboarding page
    return db.session.get(ConnectedAccount, vendor.id)


def onboarding_link(vendor: Organisation, *, refresh_url: str, return_url: str,
                    create: bool = True) -> OnboardingLink:
    """A fresh single-use link to Stripe's onboarding (`create`: make the account if none)."""
    if create:
        account = ensure_account(vendor)
    else:
        account = db.session.get(ConnectedAccount, vendor.id)
        if account is None or not payment_gateway().online:
            raise conflict("Set up Stripe payouts from your organisation page first.")
    try:
        return payment_gateway().create_onboarding_link(
            account.account_id, refresh_url=refresh_url, return_url=return_url)
    except GatewayError as error:
        raise conflict(f"Stripe could not make an onboarding link: {error}") from error


def refresh(vendor: Organisation) -> ConnectedAccount:
    """Ask Stripe for the account's status now (the vendor's 'Refresh' button)."""
    account = db.session.get(ConnectedAccount, vendor.id, with_for_update=True)
    if account is None or not payment_gateway().online:
        raise conflict("There is no Stripe account to refresh yet: set up payouts first.")
    try:
        remote = payment_gateway().retrieve_account(account.account_id)
    except GatewayError as error:
        raise conflict(f"Stripe could not be asked: {error}") from error
    update(account, remote)
    return account


def account_updated(account_id: str) -> str:
    """`account.updated`: take Stripe's current state of the account (never the snapshot)."""
    account = db.session.scalar(
        select(ConnectedAccount).where(ConnectedAccount.account_id == account_id).with_for_update()
    )
    if account is None:
        return "ignored: not a vendor account of this application"
    changed = update(account, payment_gateway().retrieve_account(account_id))
    return "account updated" if changed else "account already current"


def update(account: ConnectedAccount, remote: StripeAccount) -> bool:
    """Store Stripe's view of the account; issue waiting invoices once it is ready."""
    before = account.audit_state()
    was_ready = account.ready
    _apply(account, remote)
    if account.audit_state() == before:
        return False
    record("connected_account.updated", account, before=before, after=account.audit_state())
    if account.ready and not was_ready:
        notify_members(account.organisation_id, "Stripe payouts are ready",
                       "Your Stripe account can now take payments: your invoices are issued "
                       "and their payments reach you less the consortium's admin fee.")
        waiting = db.session.scalars(select(Invoice.id).where(
            Invoice.vendor_id == account.organisation_id, Invoice.status == InvoiceStatus.draft))
        for invoice_id in waiting:
            after_commit(partial(reconcile, invoice_id))
    return True


def _apply(account: ConnectedAccount, remote: StripeAccount) -> None:
    account.charges_enabled = remote.charges_enabled
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.currently_due = list(remote.currently_due)
    account.disabled_reason = remote.disabled_reason
    account.country = remote.country[:2]
    account.updated_at = now()
