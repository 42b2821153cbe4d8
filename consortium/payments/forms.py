"""Forms of the payments pages; every error names its field.

Amounts are typed in dollars and parsed straight to integer cents (never through a float):
"1,250.00", "$1250" and "1250.5" are accepted, "NaN", "Infinity", "1e30" and negatives are
refused before any service sees them.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from consortium.accounts.forms import options
from consortium.bounds import MAX_PAYMENT_DOLLARS
from consortium.forms import AppForm
from consortium.payments.lifecycle import MAX_DAYS, MAX_PO, MAX_REASON, MAX_REFERENCE, MAX_REMINDERS
from consortium.payments.states import METHOD_LABELS, PaymentMethod

AMOUNT = re.compile(r"^\$?\s*(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?$", re.ASCII)


def dollars_to_cents(text: str | None) -> int:
    """'1,250.50' -> 125050; ValueError with a message for people otherwise."""
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise ValueError("The amount cannot be negative.")
    match = AMOUNT.match(raw)
    if not match:
        raise ValueError("Enter an amount in dollars and cents, like 1250.00.")
    whole = int(match["whole"].replace(",", ""))
    if whole >= MAX_PAYMENT_DOLLARS:
        raise ValueError("That amount is too large for an invoice.")
    return whole * 100 + int((match["cents"] or "0").ljust(2, "0"))


class ActionForm(AppForm):
    """A button that changes something: only the CSRF token."""


class PaymentTermsForm(AppForm):
    days_until_due = IntegerField(
        "Days until due", default=30,
        validators=[InputRequired(message="Enter how many days districts have to pay."),
                    NumberRange(min=0, max=MAX_DAYS, message=f"From 0 to {MAX_DAYS} days.")],
        description="From the day an invoice is issued. 0 means due on receipt.",
    )
    reminder_days = StringField(
        "Reminders (days before the due date)", default="7",
        validators=[Length(max=100, message="At most 100 characters.")],
        description=f"Up to {MAX_REMINDERS}, separated by commas, e.g. 14, 3. Leave empty for "
                    "none. An overdue notice always goes out the day after the due date.",
    )

    def validate_reminder_days(self, field) -> None:
        self.reminders()

    def reminders(self) -> list[int]:
        parts = [p.strip() for p in (self.reminder_days.data or "").split(",") if p.strip()]
        if len(parts) > MAX_REMINDERS or not all(p.isdigit() and len(p) <= 3 for p in parts):
            raise ValidationError(f"Up to {MAX_REMINDERS} whole numbers of days, like 14, 3.")
        days = [int(p) for p in parts]
        if any(not 1 <= d <= MAX_DAYS for d in days):
            raise ValidationError(f"Each reminder is from 1 to {MAX_DAYS} days before.")
        return days


class PaymentForm(AppForm):
    """A payment received outside Stripe: amount, date, reference."""

    amount = StringField("Amount received", validators=[InputRequired(message="Enter the amount."),
                                                        Length(max=30, message="At most 30 characters.")],
                         description="In dollars, e.g. 1250.00.")
    received_on = DateField("Date received",
                            validators=[InputRequired(message="Enter the date it was received.")])
    method = SelectField("Paid by", choices=options((m.value, METHOD_LABELS[m]) for m in PaymentMethod
                                                    if m != PaymentMethod.stripe), default="check")
    reference = StringField(
        "Reference", validators=[Length(max=MAX_REFERENCE,
                                        message=f"At most {MAX_REFERENCE} characters.")],
        description="The check number or the ACH trace number.",
    )
    expected_paid = HiddenField()  # what was paid when the form was shown: a 2nd click is stale

    def validate_amount(self, field) -> None:
        try:
            self.cents = dollars_to_cents(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if self.cents == 0:
            raise ValidationError("The amount must be more than zero.")

    def expected_paid_cents(self) -> int | None:
        value = (self.expected_paid.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 19 else None

    def values(self) -> dict[str, Any]:
        return {"amount_cents": self.cents, "received_on": self.received_on.data,
                "method": self.method.data, "reference": self.reference.data,
                "expected_paid_cents": self.expected_paid_cents()}


class VoidForm(AppForm):
    reason = TextAreaField(
        "Reason", validators=[DataRequired(message="Say why the invoice is voided."),
                              Length(max=MAX_REASON, message=f"At most {MAX_REASON} characters.")],
        description="The district and the vendor are told.",
    )


class PurchaseOrderForm(AppForm):
    po_number = StringField(
        "Purchase order number",
        validators=[DataRequired(message="Enter the purchase order number."),
                    Length(max=MAX_PO, message=f"At most {MAX_PO} characters.")],
        description="Shown on the invoice, so your accounts payable can match it.",
    )
