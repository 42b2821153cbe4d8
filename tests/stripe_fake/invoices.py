"""Invoices as Stripe moves them: draft -> open -> paid / void / uncollectible.

The API calls the gateway makes, plus what happens outside the API (the district pays on
the hosted page, a payment fails, the vendor refunds), each emitting Stripe's event.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.stripe_fake.errors import StripeApiError, bad_state, param_invalid, param_missing
from tests.stripe_fake.forms import as_bool, as_int
from tests.stripe_fake.store import Origin, Store, fixture

DAY = 86_400
# The states each call accepts (Stripe's invoice lifecycle); anything else is a 400.
ACCEPTS = {
    "finalize": {"draft"},
    "send": {"open", "paid", "uncollectible"},
    "void": {"open", "uncollectible"},
    "mark_uncollectible": {"open"},
    "pay": {"open", "uncollectible"},
}


def _expect(invoice: dict[str, Any], action: str) -> None:
    if invoice["status"] not in ACCEPTS[action]:
        allowed = " or ".join(sorted(ACCEPTS[action]))
        code = "invoice_not_editable" if action == "finalize" else None
        raise bad_state(f"You can only {action.replace('_', ' ')} {allowed} invoices; "
                        f"{invoice['id']} is {invoice['status']}.", code)


def _recompute(invoice: dict[str, Any]) -> None:
    total = sum(line["amount"] for line in invoice["lines"]["data"])
    invoice.update(subtotal=total, subtotal_excluding_tax=total, total=total,
                   total_excluding_tax=total, amount_due=total,
                   amount_remaining=total - invoice["amount_paid"])


def create_invoice(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    if not params.get("customer"):
        raise param_missing("customer")
    customer = store.get(params["customer"], "customer", param="customer")
    method = params.get("collection_method", "charge_automatically")
    if method not in ("charge_automatically", "send_invoice"):
        raise param_invalid("collection_method", f"Invalid collection_method: {method}")
    now = store.now()
    due_date = None
    if method == "send_invoice":
        if "days_until_due" not in params and "due_date" not in params:
            raise param_missing("days_until_due")
        if "days_until_due" in params:
            due_date = now + as_int(params["days_until_due"], "days_until_due") * DAY
        else:
            due_date = as_int(params["due_date"], "due_date")
    elif "days_until_due" in params:
        raise param_invalid("days_until_due", "days_until_due is only valid with send_invoice")
    transfer, fee = params.get("transfer_data"), params.get("application_fee_amount")
    if transfer is not None:
        store.get(transfer.get("destination", ""), "account", param="transfer_data[destination]")
    if fee is not None:
        fee = as_int(fee, "application_fee_amount")
        if fee < 0:
            raise param_invalid("application_fee_amount",
                                "This value must be greater than or equal to 0.")
    if params.get("on_behalf_of"):
        store.get(params["on_behalf_of"], "account", param="on_behalf_of")
    invoice = fixture("invoice")
    invoice_id = store.new_id("in")
    invoice.update(
        id=invoice_id, created=now, period_start=now, period_end=now, customer=customer["id"],
        customer_name=customer["name"], customer_email=customer["email"],
        collection_method=method, due_date=due_date, currency=params.get("currency", "usd"),
        status="draft", number=params.get("number"), hosted_invoice_url=None, invoice_pdf=None,
        auto_advance=as_bool(params.get("auto_advance", "false"), "auto_advance"),
        description=params.get("description"),
        metadata={k: v for k, v in (params.get("metadata") or {}).items() if v != ""},
        amount_paid=0, amount_overpaid=0, attempted=False, attempt_count=0,
        application_fee_amount=fee,
        transfer_data={"amount": None, "destination": transfer["destination"]} if transfer else None,
        on_behalf_of=params.get("on_behalf_of"),
        paid_out_of_band=False, amount_paid_off_stripe=0,
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None,
                            "paid_at": None, "voided_at": None},
        effective_at=None, last_finalization_error=None, next_payment_attempt=None,
        webhooks_delivered_at=None, parent=None, from_invoice=None, shipping_cost=None,
    )
    invoice["lines"] = {"object": "list", "data": [], "has_more": False,
                        "url": f"/v1/invoices/{invoice_id}/lines"}
    _recompute(invoice)
    store.add(invoice)
    store.emit("invoice.created", invoice, origin=origin)
    return invoice


def _line(store: Store, invoice: dict[str, Any], index: int, spec: Any) -> dict[str, Any]:
    where = f"lines[{index}]"
    if not isinstance(spec, dict):
        raise param_invalid(where, "Invalid hash")
    quantity = as_int(spec.get("quantity", "1"), f"{where}[quantity]")
    if quantity < 0:
        raise param_invalid(f"{where}[quantity]", "This value must be greater than or equal to 0.")
    price = spec.get("price_data")
    if price is not None:
        if price.get("currency") != invoice["currency"]:
            raise param_invalid(f"{where}[price_data][currency]",
                                "The line's currency must match the invoice's currency.")
        if "unit_amount" not in price:
            raise param_missing(f"{where}[price_data][unit_amount]")
        if not price.get("product") and not (price.get("product_data") or {}).get("name"):
            raise param_missing(f"{where}[price_data][product_data][name]")
        unit = as_int(price["unit_amount"], f"{where}[price_data][unit_amount]")
        amount = unit * quantity
    elif "amount" in spec:
        amount, unit = as_int(spec["amount"], f"{where}[amount]"), None
    else:
        raise param_missing(f"{where}[price_data]")
    line = copy.deepcopy(fixture("invoice")["lines"]["data"][0])
    now = store.now()
    line.update(
        id=store.new_id("il"), invoice=invoice["id"], amount=amount, subtotal=amount,
        currency=invoice["currency"], description=spec.get("description"), quantity=quantity,
        quantity_decimal=str(quantity), period={"start": now, "end": now}, metadata={},
        discount_amounts=[], discounts=[], taxes=[], pretax_credit_amounts=[],
        pricing={"type": "price_details", "unit_amount_decimal": None if unit is None else str(unit),
                 "price_details": {"price": store.new_id("price"), "product": store.new_id("prod", 14)}},
        parent={"type": "invoice_item_details", "subscription_item_details": None,
                "invoice_item_details": {"invoice_item": store.new_id("ii"), "proration": False,
                                         "proration_details": {"credited_items": None},
                                         "subscription": None}},
    )
    return line


def add_lines(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    lines = params.get("lines")
    if not lines:
        raise param_missing("lines")
    if not isinstance(lines, list):
        raise param_invalid("lines", "Invalid array")
    if invoice["status"] != "draft":
        raise bad_state("You can only add lines to a draft invoice.", "invoice_not_editable")
    new = [_line(store, invoice, index, spec) for index, spec in enumerate(lines)]
    previous = {"total": invoice["total"]}
    invoice["lines"]["data"].extend(new)
    _recompute(invoice)
    store.emit("invoice.updated", invoice, previous=previous, origin=origin)
    return invoice


def _move(store: Store, invoice: dict[str, Any], status: str, stamp: str, event: str,
          origin: Origin | None, **changes: Any) -> dict[str, Any]:
    previous = {"status": invoice["status"], **{key: invoice.get(key) for key in changes}}
    invoice.update(status=status, **changes)
    invoice["status_transitions"][stamp] = store.now()
    store.emit(event, invoice, previous=previous, origin=origin)
    return invoice


def finalize(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    _expect(invoice, "finalize")
    fee = invoice.get("application_fee_amount") or 0
    if fee > invoice["total"]:
        # The fake's rule, where Stripe refuses a fee larger than what the invoice collects.
        raise StripeApiError(400, "The application fee cannot exceed the invoice total.",
                             param="application_fee_amount")
    customer = store.get(invoice["customer"], "customer")
    number = invoice["number"]
    if number is None:
        number = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
    if "auto_advance" in params:
        invoice["auto_advance"] = as_bool(params["auto_advance"], "auto_advance")
    page = f"{store.base_url}/i/{invoice_id}"
    invoice.update(effective_at=store.now())
    _move(store, invoice, "open", "finalized_at", "invoice.finalized", origin, number=number,
          hosted_invoice_url=page, invoice_pdf=f"{page}/pdf")
    if invoice["amount_due"] == 0:  # Stripe marks a zero invoice paid as it finalizes
        _move(store, invoice, "paid", "paid_at", "invoice.paid", origin)
    return invoice


def send(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    if invoice["collection_method"] != "send_invoice":
        raise bad_state("Only invoices with collection_method=send_invoice can be sent.")
    _expect(invoice, "send")
    store.emit("invoice.sent", invoice, origin=origin)
    return invoice


def void(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    _expect(invoice, "void")
    return _move(store, invoice, "void", "voided_at", "invoice.voided", origin)


def mark_uncollectible(store: Store, invoice_id: str, params: dict[str, Any],
                       origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    _expect(invoice, "mark_uncollectible")
    return _move(store, invoice, "uncollectible", "marked_uncollectible_at",
                 "invoice.marked_uncollectible", origin)


def pay(store: Store, invoice_id: str, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    invoice = store.get(invoice_id, "invoice")
    out_of_band = as_bool(params.get("paid_out_of_band", "false"), "paid_out_of_band")
    _expect(invoice, "pay")
    if not out_of_band:
        raise bad_state("This customer has no attached payment source or default payment method.")
    amount = invoice["amount_remaining"]
    return _move(store, invoice, "paid", "paid_at", "invoice.paid", origin,
                 amount_paid=invoice["amount_paid"] + amount, amount_remaining=0,
                 paid_out_of_band=True, amount_paid_off_stripe=amount)


def pay_on_hosted_page(store: Store, invoice_id: str) -> dict[str, Any]:
    """The district paid by card or ACH on the hosted page: a charge, then `invoice.paid`."""
    with store.lock:
        invoice = store.get(invoice_id, "invoice")
        _expect(invoice, "pay")
        amount = invoice["amount_remaining"]
        charge = fixture("charge")
        destination = (invoice.get("transfer_data") or {}).get("destination")
        charge.update(
            id=store.new_id("ch"), created=store.now(), amount=amount, amount_captured=amount,
            amount_refunded=0, refunded=False, captured=True, paid=True, status="succeeded",
            currency=invoice["currency"], customer=invoice["customer"], description=None,
            payment_intent=store.new_id("pi"), on_behalf_of=invoice.get("on_behalf_of"),
            application_fee_amount=invoice.get("application_fee_amount"),
            transfer_data={"amount": None, "destination": destination} if destination else None,
            metadata={}, balance_transaction=store.new_id("txn"),
        )
        charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
        store.add(charge)
        payment = fixture("invoice_payment")
        payment.update(id=store.new_id("inpay"), invoice=invoice_id, amount_paid=amount,
                       amount_requested=amount, currency=invoice["currency"], livemode=False,
                       created=store.now(), status="paid",
                       payment={"type": "payment_intent", "payment_intent": charge["payment_intent"]},
                       status_transitions={"canceled_at": None, "paid_at": store.now()})
        store.add(payment)
        store.emit("charge.succeeded", charge)
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        _move(store, invoice, "paid", "paid_at", "invoice.paid", None,
              amount_paid=invoice["amount_paid"] + amount, amount_remaining=0)
        store.emit("invoice.payment_succeeded", invoice)
        return copy.deepcopy(invoice)


def fail_payment(store: Store, invoice_id: str) -> dict[str, Any]:
    """An attempt on the hosted page failed (declined card, returned ACH debit)."""
    with store.lock:
        invoice = store.get(invoice_id, "invoice")
        _expect(invoice, "pay")
        previous = {"attempt_count": invoice["attempt_count"], "attempted": invoice["attempted"]}
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        store.emit("invoice.payment_failed", invoice, previous=previous)
        return copy.deepcopy(invoice)


def refund(store: Store, charge_id: str, amount: int | None = None) -> dict[str, Any]:
    """The charge behind a paid invoice was refunded (in part, or whole by default)."""
    with store.lock:
        charge = store.get(charge_id, "charge")
        amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
        if not 0 < amount <= charge["amount"] - charge["amount_refunded"]:
            raise ValueError(f"cannot refund {amount} of {charge_id}")
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        store.emit("charge.refunded", charge, previous=previous)
        return copy.deepcopy(charge)


def list_invoice_payments(store: Store, params: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """`GET /v1/invoice_payments?invoice=...` or `?payment[payment_intent]=...`: a list page.

    How a `charge.refunded` handler finds the invoice a charge paid (a charge names its
    payment intent; an invoice payment names both).
    """
    invoice_id = params.get("invoice")
    payment = params.get("payment") or {}
    if invoice_id is None and not payment:
        raise param_missing("invoice")
    intent = payment.get("payment_intent") if isinstance(payment, dict) else None
    found = [
        copy.deepcopy(o) for o in store.objects.values()
        if o["object"] == "invoice_payment"
        and (invoice_id is None or o["invoice"] == invoice_id)
        and (intent is None or (o.get("payment") or {}).get("payment_intent") == intent)
    ]
    return {"object": "list", "data": found, "has_more": False, "url": "/v1/invoice_payments"}
