"""Bids: vendor products, sealed tiered bids with receipts, bid opening and eligibility."""
