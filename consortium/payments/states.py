"""The invoice and payment state machines: explicit tables, pure functions, no database.

An invoice moves as Stripe moves it (draft -> open -> paid / void / uncollectible); what a
person sees adds the clock ("overdue": open past its due date), as a contract shows
"lapsed". A payment is recorded once and can then be refunded, in part or in whole.
Services change a status only through `next_invoice_status` / `next_payment_status`, and a
webhook that finds Stripe further along replays the steps of `invoice_path`.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from enum import StrEnum


class InvoiceStatus(StrEnum):
    """Stripe's invoice statuses, stored as their values."""

    draft = "draft"  # made here, not yet issued (e.g. the vendor is still onboarding)
    open = "open"  # issued: the district owes it
    paid = "paid"
    void = "void"
    uncollectible = "uncollectible"  # written off; can still be paid or voided


class PaymentStatus(StrEnum):
    succeeded = "succeeded"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class PaymentMethod(StrEnum):
    """How a payment reached the vendor: through Stripe, or recorded by a manager."""

    stripe = "stripe"  # card or ACH on Stripe's hosted invoice page
    check = "check"
    ach = "ach"  # an ACH credit or wire sent by the district's bank, outside Stripe
    other = "other"


METHOD_LABELS = {
    PaymentMethod.stripe: "Card or ACH (Stripe)",
    PaymentMethod.check: "Check",
    PaymentMethod.ach: "ACH or wire transfer",
    PaymentMethod.other: "Other",
}

# (status, action) -> status. Anything not listed is refused.
INVOICE_TRANSITIONS: dict[tuple[InvoiceStatus, str], InvoiceStatus] = {
    (InvoiceStatus.draft, "issue"): InvoiceStatus.open,
    # A draft Stripe never saw can be voided here; Stripe itself voids only issued invoices.
    (InvoiceStatus.draft, "void"): InvoiceStatus.void,
    (InvoiceStatus.open, "pay"): InvoiceStatus.paid,
    (InvoiceStatus.open, "void"): InvoiceStatus.void,
    (InvoiceStatus.open, "write_off"): InvoiceStatus.uncollectible,
    (InvoiceStatus.uncollectible, "pay"): InvoiceStatus.paid,
    (InvoiceStatus.uncollectible, "void"): InvoiceStatus.void,
}

# The audit action and the past tense people read, per invoice action.
INVOICE_ACTIONS = {
    "issue": ("invoice.issued", "issued"),
    "pay": ("invoice.paid", "paid"),
    "void": ("invoice.voided", "voided"),
    "write_off": ("invoice.marked_uncollectible", "marked uncollectible"),
}

PAYMENT_TRANSITIONS: dict[tuple[PaymentStatus | None, str], PaymentStatus] = {
    (None, "record"): PaymentStatus.succeeded,
    (PaymentStatus.succeeded, "refund_part"): PaymentStatus.partially_refunded,
    (PaymentStatus.succeeded, "refund_all"): PaymentStatus.refunded,
    (PaymentStatus.partially_refunded, "refund_part"): PaymentStatus.partially_refunded,
    (PaymentStatus.partially_refunded, "refund_all"): PaymentStatus.refunded,
}

# What people see of an invoice: its status, refined by the clock.
PHASES = ("draft", "open", "overdue", "paid", "uncollectible", "void")


def next_invoice_status(status: InvoiceStatus | str, action: str) -> InvoiceStatus | None:
    """The status after `action`, or None when `status` does not allow it."""
    return INVOICE_TRANSITIONS.get((InvoiceStatus(status), action))


def next_payment_status(status: PaymentStatus | str | None, action: str) -> PaymentStatus | None:
    """The status after `action` (None as `status`: a payment not recorded yet)."""
    current = None if status is None else PaymentStatus(status)
    return PAYMENT_TRANSITIONS.get((current, action))


def refund_action(amount_cents: int, refunded_cents: int) -> str:
    """The payment action for a refunded total: in part, or all of it."""
    return "refund_all" if refunded_cents >= amount_cents else "refund_part"


def invoice_path(start: InvoiceStatus | str, goal: InvoiceStatus | str) -> list[str] | None:
    """The shortest run of actions from `start` to `goal` ([] when equal, None if none).

    A webhook may find Stripe two steps ahead (finalized and paid before either event was
    handled); replaying the steps keeps every audit event and mail of the way.
    """
    start, goal = InvoiceStatus(start), InvoiceStatus(goal)
    paths: dict[InvoiceStatus, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == goal:
            return paths[status]
        for (source, action), target in INVOICE_TRANSITIONS.items():
            if source == status and target not in paths:
                paths[target] = [*paths[status], action]
                queue.append(target)
    return None


def invoice_phase(status: InvoiceStatus | str, due_at: datetime | None, at: datetime) -> str:
    """What people see: an open invoice past its due date is overdue."""
    status = InvoiceStatus(status)
    if status == InvoiceStatus.open and due_at is not None and at > due_at:
        return "overdue"
    return status.value


def payable(status: InvoiceStatus | str) -> bool:
    """The district still owes it: payments and purchase orders may be recorded."""
    return InvoiceStatus(status) in (InvoiceStatus.open, InvoiceStatus.uncollectible)
