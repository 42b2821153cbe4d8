"""Payments (issue 8): invoices per contract year, the admin fee, Stripe Connect, webhooks.

gateway      the only module that imports the Stripe SDK (StripeGateway, verify_webhook)
offline      its no-keys twin; records: the frozen types both speak; money: the cent rules
states       the invoice and payment state machines, as tables
models       invoices, lines, payments, payment terms, Stripe customers, Connect accounts, events
transitions  THE place a status changes, with its audit event and mail (mail: the texts)
sync         bringing an invoice to its gateway's current state (both modes, and webhooks)
wiring       which gateway this app uses; the offline twin's invoices are the invoices rows
invoicing    what is billed: contract years, lines, the fee; outbound: issuing, telling Stripe
lifecycle    what people do: terms, payments by hand, voids, purchase orders, reminders
connect      vendors' Stripe Connect accounts; webhooks: POST /webhooks/stripe's handling
reports      totals, CSV and quarterly fee statements; views and manage_views: the pages
"""
