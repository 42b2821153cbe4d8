"""Money as integer cents: the admin fee's rounding and the checks every amount passes."""

from __future__ import annotations

# Stripe's supported currencies are three lowercase letters; the consortium bills in dollars
# today, but the currency travels with every amount so a second one needs no migration.
DEFAULT_CURRENCY = "usd"
BPS_PER_WHOLE = 10_000  # basis points in 100 %


class InvalidPaymentInput(ValueError):
    """An amount, quantity or identifier that no payment may carry; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_cents(value: object, field: str) -> int:
    """`value` if it is a whole, non-negative number of cents."""
    # bool is an int subclass: True cents is a bug, not one cent; floats never carry money.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidPaymentInput(field, f"must be a whole number of cents, not {value!r}")
    if value < 0:
        raise InvalidPaymentInput(field, f"must be zero or more cents, not {value}")
    return value


def check_whole(value: object, field: str, low: int, high: int | None = None) -> int:
    """An int (not a bool) from `low` to `high` inclusive."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"from {low} to {high}"
        raise InvalidPaymentInput(field, f"must be a whole number {bounds}, not {value!r}")
    return value


def check_currency(value: object, field: str = "currency") -> str:
    """A three-letter lowercase ISO currency code, as Stripe spells it."""
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise InvalidPaymentInput(field, f"must be a three-letter currency code, not {value!r}")
    return value.lower()


def admin_fee_cents(total_cents: int, fee_bps: int) -> int:
    """The consortium's fee on an invoice total: `fee_bps` basis points, half-up to the cent."""
    check_cents(total_cents, "total_cents")
    check_whole(fee_bps, "fee_bps", 0, BPS_PER_WHOLE)
    # Integer arithmetic: no float ever touches money. Half-up (0.5 cent -> 1 cent) is how
    # cooperatives' fee statements round; the result never exceeds the total since bps <= 100 %.
    return (total_cents * fee_bps + BPS_PER_WHOLE // 2) // BPS_PER_WHOLE
