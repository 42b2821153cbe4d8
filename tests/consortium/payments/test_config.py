"""The Stripe settings: keys and the API base from the environment only, checked in production."""

from __future__ import annotations

import pytest

from consortium.config import ConfigError, Settings

PROD = {"FLASK_ENV": "production", "SECRET_KEY": "s" * 40}


def test_the_stripe_variables_are_read_from_the_environment():
    settings = Settings.from_env({"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1",
                                  "STRIPE_API_BASE": "http://127.0.0.1:12111"})
    assert (settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base) == (
        "sk_test_1", "whsec_1", "http://127.0.0.1:12111")
    hidden = settings.public_dict()
    assert hidden["stripe_secret_key"] == hidden["stripe_webhook_secret"] == "***"
    assert Settings.from_env({}).stripe_api_base is None  # Stripe itself


@pytest.mark.parametrize(("env", "message"), [
    ({**PROD, "STRIPE_API_BASE": "http://127.0.0.1:12111"}, "STRIPE_API_BASE"),
    ({"STRIPE_API_BASE": "ftp://example.com"}, "STRIPE_API_BASE"),
    ({**PROD, "STRIPE_SECRET_KEY": "sk_live_1"}, "STRIPE_WEBHOOK_SECRET"),
])
def test_misconfigured_stripe_refuses_to_start(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_production_with_stripe_starts():
    settings = Settings.from_env({**PROD, "STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_WEBHOOK_SECRET": "whsec_1",
                                  "STRIPE_API_BASE": "https://api.stripe.com"})
    assert settings.production and settings.stripe_api_base == "https://api.stripe.com"
