"""Bids: products, sealed submissions, eligibility, opening, and aggregate demand.

models       Product, Bid, BidVersion (append-only versions with a receipt hash)
products     a vendor's products
sealed       submit / withdraw a version until the deadline, receipts, the counting version
opening      a manager opens the bids after the deadline; the opening page's rows
eligibility  a vendor's declarations against a solicitation's requirements, per district
schedules    tier schedules as vendors type them, their rules and previews
demand       aggregate demand as vendors may see it before award (small cells withheld)

A bid becomes a `pricing` Offer in `consortium.allocation.adapter`, the one mapping.
"""
