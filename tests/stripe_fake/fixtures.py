"""Pytest fixtures: a running fake Stripe and a StripeGateway pointed at it.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py, so any test under
tests/ can ask for `stripe_fake`, `stripe_gateway` or `stripe_webhook_secret`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consortium.payments.gateway import StripeGateway
from tests.stripe_fake.server import FakeStripe

STRIPE_TEST_KEY = "sk_test_consortium_fake"
STRIPE_WEBHOOK_SECRET = "whsec_consortium_fake"


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    """A fake Stripe on 127.0.0.1 (a free port), fresh for each test."""
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def stripe_gateway(stripe_fake: FakeStripe) -> Iterator[StripeGateway]:
    """The real gateway and SDK, talking HTTP to `stripe_fake` and nowhere else."""
    gateway = StripeGateway(STRIPE_TEST_KEY, api_base=stripe_fake.base_url, timeout_seconds=5)
    assert gateway.api_base == stripe_fake.base_url
    yield gateway
    gateway.close()


@pytest.fixture
def stripe_webhook_secret() -> str:
    """The signing secret of the test webhook endpoint (STRIPE_WEBHOOK_SECRET in settings)."""
    return STRIPE_WEBHOOK_SECRET
