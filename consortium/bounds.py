"""The sane range of every number people type, shared by forms, imports and CheckConstraints.

A leaf module (no imports), so models, forms and services all read the same bounds: whatever
a form lets through, the database accepts, and nothing typed can overflow a column.
"""

from __future__ import annotations

MAX_SEATS = 10_000_000  # an opt-in's quantity, a tier's "up to", a bid's capacity
MAX_UNIT_CENTS = 100_000_000  # $1,000,000 per seat: a price ceiling or a tier's price
MAX_ENROLLMENT = 2_000_000  # the largest US district has about a million students
MAX_SCHOOLS = 5_000
MAX_BROADBAND_MBPS = 10_000_000
# How many seats a district may commit to per enrolled student (staff and spares included):
# more is refused, so a small district cannot fake a large demand.
SEATS_PER_STUDENT = 3
# PostgreSQL's INTEGER: every id column; a URL naming a larger id names nothing (404).
MAX_ID = 2**31 - 1
# Deadlines and dates people type; outside these years a date is a typo (or an attack).
FIRST_YEAR = 2000
LAST_YEAR = 2100
# Payments (issue 8): days an invoice gives until it is due (Stripe's limit too), how many
# reminders before it, and the largest amount a manager may type (ten billion dollars).
MAX_DAYS_UNTIL_DUE = 365
MAX_REMINDERS = 5
MAX_PAYMENT_DOLLARS = 10**10
