"""A local fake of the Stripe API for tests (see server.py; fixtures in fixtures.py)."""
