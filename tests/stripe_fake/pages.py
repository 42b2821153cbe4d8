"""The Stripe-hosted pages a person would open: the invoice page and Connect onboarding.

A browser test can follow `hosted_invoice_url` or an onboarding link to the fake and press
the one button; tests without a browser call FakeStripe.pay_on_hosted_page instead.
"""

from __future__ import annotations

import html
import re

from tests.stripe_fake import invoices, resources
from tests.stripe_fake.errors import StripeApiError
from tests.stripe_fake.store import Store

_INVOICE = re.compile(r"^/i/(?P<id>in_[A-Za-z0-9]+)(?P<pay>/pay)?$")
_ONBOARDING = re.compile(r"^/connect/onboarding/(?P<account>acct_[A-Za-z0-9]+)/(?P<token>[\w-]+)$")
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _page(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>").encode()


def _invoice_page(store: Store, invoice_id: str) -> bytes:
    invoice = store.get(invoice_id, "invoice")
    amount = f"{invoice['amount_remaining'] / 100:.2f} {invoice['currency'].upper()}"
    form = ""
    if invoice["status"] in ("open", "uncollectible"):
        form = (f'<form method="post" action="/i/{invoice_id}/pay">'
                f'<button type="submit">Pay {html.escape(amount)}</button></form>')
    return _page(f"Invoice {invoice['number']}",
                 f'<p>Status: <span class="status">{invoice["status"]}</span></p>'
                 f"<p>Amount due: {html.escape(amount)}</p>{form}")


def serve_page(store: Store, method: str, path: str, body: bytes) -> tuple[int, dict, bytes]:
    """(status, headers, content) for a hosted page; 404 for anything else."""
    try:
        if match := _INVOICE.match(path):
            if method == "POST" and match["pay"]:
                invoices.pay_on_hosted_page(store, match["id"])
                return 303, {"Location": f"/i/{match['id']}"}, b""
            if method == "GET" and not match["pay"]:
                return 200, HTML, _invoice_page(store, match["id"])
        if (match := _ONBOARDING.match(path)) and match["token"] in store.onboarding:
            account_id, return_url = store.onboarding[match["token"]]
            if method == "POST":
                del store.onboarding[match["token"]]  # links are single use
                resources.complete_onboarding(store, account_id)
                return 303, {"Location": return_url or "/"}, b""
            return 200, HTML, _page("Set up payouts", f'<form method="post" action="{path}">'
                                    '<button type="submit">Agree and submit</button></form>')
    except StripeApiError as error:
        return error.status, HTML, _page("Error", f"<p>{html.escape(error.message)}</p>")
    return 404, HTML, _page("Not found", "")
