"""Payments (issue 8): invoices per contract year, the admin fee, Stripe Connect, webhooks.

`gateway` is the only module that imports the Stripe SDK; `offline` is its no-keys twin;
`records` holds the frozen types both speak; `money` the integer-cent rules.
"""
