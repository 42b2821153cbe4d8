"""Realistic random instances, calibrated on the district figures of shared/data/districts.md.

Deterministic per seed (one `random.Random(seed)` drives every draw), so a benchmark or a
failing test names its instance by (buyers, offers, seed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from pricing.types import Buyer, Instance, Offer, Policy, SimilarityRule, Tier

# Locale shares and median enrollment per locale (districts.md). Enrollment is drawn as
# ln(students) ~ N(ln(locale median), WITHIN_SD): the mixture then has the real overall sd
# of ln students (1.55) and a median of about 1,080 (real: 1,139), keeping locale medians exact.
LOCALES = (
    ("rural", 0.52, 495),
    ("suburban", 0.23, 3145),
    ("town", 0.19, 1677),
    ("urban", 0.06, 9778),
)
MIXTURE_MEAN = sum(share * math.log(median) for _, share, median in LOCALES)
BETWEEN_VAR = sum(share * (math.log(median) - MIXTURE_MEAN) ** 2 for _, share, median in LOCALES)
WITHIN_SD = math.sqrt(1.55**2 - BETWEEN_VAR)
ENROLLMENT_RANGE = (40, 1_000_000)

# Bandwidth per student: median 195 kbps, sd of ln 1.30, correlation -0.37 with ln(students).
KBPS_MEDIAN, KBPS_LN_SD, KBPS_CORRELATION = 195.0, 1.30, -0.37
LN_STUDENTS_MEAN, LN_STUDENTS_SD = 6.98, 1.55

# NCES LEA ids are a two-digit state FIPS code and five digits; weights follow district counts.
STATES = (("48", 1026), ("06", 944), ("17", 860), ("36", 684), ("39", 614), ("26", 540),
          ("42", 500), ("29", 520), ("55", 420), ("31", 250), ("41", 200), ("10", 16))  # fmt: skip

# Districts buy for a grade band or the whole district.
SEAT_SHARES = (0.25, 0.5, 0.75, 1.0)
# Software seat tiers: deep tiers start beyond any one typical district, so they need pooling.
BOUNDARIES = (249, 499, 999, 2499, 4999, 9999, 24999, 49999, 99999)
DEEP_FROM = 9999


def default_policy() -> Policy:
    """The grouping policy generated instances use unless told otherwise."""
    return Policy(
        similarity=(
            SimilarityRule("enrollment", max_ratio=4.0),
            SimilarityRule("mbps_per_student", max_ratio=4.0),
            SimilarityRule("locale", same=True),
        ),
        min_group_size=1,
    )


def generate_instance(
    buyers: int, offers: int, seed: int, *, policy: Policy | None = None
) -> Instance:
    """A realistic instance of `buyers` districts and `offers` bids, the same for the same seed."""
    return _instance(buyers, offers, seed, (3, 6), policy)


def bench_instance(buyers: int, seed: int) -> Instance:
    """The benchmark shape: 6 offers of 4 to 6 tiers, the default similarity rules."""
    return _instance(buyers, 6, seed, (4, 6), None)


def _instance(
    buyers: int, offers: int, seed: int, tier_counts: tuple[int, int], policy: Policy | None
) -> Instance:
    if buyers < 1 or offers < 1:
        raise ValueError("an instance needs at least one buyer and one offer")
    rng = random.Random(seed)
    districts = [_district(rng) for _ in range(buyers)]
    ids = _lea_ids(rng, buyers)
    demand = sum(quantity for _, quantity in districts)
    bids, ceiling_of, eligible_of = vendor_mix(rng, offers, tier_counts, demand)
    result = tuple(
        Buyer(buyer_id, quantity, features, ceiling_of(), eligible_of())
        for buyer_id, (features, quantity) in zip(ids, districts, strict=True)
    )
    return Instance("usd", result, bids, policy or default_policy())


def vendor_mix(
    rng: random.Random, offers: int, tier_counts: tuple[int, int], demand: int
) -> tuple[tuple[Offer, ...], Callable[[], int | None], Callable[[], tuple[str, ...] | None]]:
    """The benchmark's bids for `demand` seats, and per-buyer draws of a ceiling and eligibility.

    Call the two draws once per buyer, ceiling first: the instance then depends on the seed only.
    """
    bids = _offers(rng, offers, tier_counts, demand)
    deepest = min(offer.tiers[-1].unit_amount for offer in bids)
    cheapest_list = min(offer.tiers[0].unit_amount for offer in bids)

    def ceiling() -> int | None:
        # A third of districts state one, below the cheapest list price, so it only holds in
        # a pooled tier.
        return rng.randint(deepest, cheapest_list) if rng.random() < 1 / 3 else None

    def eligible() -> tuple[str, ...] | None:
        # A missing data-privacy agreement rules out some vendors, never all.
        if offers > 1 and rng.random() < 0.15:
            keep = rng.randint(1, offers - 1)
            return tuple(sorted(rng.sample([o.id for o in bids], keep), key=_offer_order))
        return None

    return bids, ceiling, eligible


def _offer_order(offer_id: str) -> int:
    return int(offer_id[1:])


def _district(rng: random.Random) -> tuple[dict[str, float | int | str], int]:
    """Features and seat quantity of one district."""
    locale, median = rng.choices(
        [(name, median) for name, _, median in LOCALES], [share for _, share, _ in LOCALES]
    )[0]
    ln_students = rng.gauss(math.log(median), WITHIN_SD)
    enrollment = int(
        min(max(round(math.exp(ln_students)), ENROLLMENT_RANGE[0]), ENROLLMENT_RANGE[1])
    )
    # Bivariate normal on the logs: the standardised ln(students) carries the correlation.
    standard = (ln_students - LN_STUDENTS_MEAN) / LN_STUDENTS_SD
    noise = rng.gauss(0.0, 1.0)
    z = KBPS_CORRELATION * standard + math.sqrt(1 - KBPS_CORRELATION**2) * noise
    kbps = KBPS_MEDIAN * math.exp(KBPS_LN_SD * z)
    mbps = max(round(kbps / 1000, 3), 0.001)
    quantity = max(1, round(enrollment * rng.choice(SEAT_SHARES)))
    return {"enrollment": enrollment, "mbps_per_student": mbps, "locale": locale}, quantity


def _lea_ids(rng: random.Random, count: int) -> list[str]:
    """Distinct 7-digit NCES-like ids with a state prefix."""
    codes = [code for code, _ in STATES]
    weights = [weight for _, weight in STATES]
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < count:
        candidate = f"{rng.choices(codes, weights)[0]}{rng.randint(0, 99999):05d}"
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)
    return ids


def _offers(
    rng: random.Random, count: int, tier_counts: tuple[int, int], demand: int
) -> tuple[Offer, ...]:
    """`count` software bids: about a quarter graduated, about a third with a capacity."""
    graduated = set(rng.sample(range(count), round(count / 4)))
    capacitated = set(rng.sample(range(count), round(count / 3)))
    offers = []
    for k in range(count):
        tiers = _tiers(rng, rng.randint(*tier_counts))
        capacity = None
        if k in capacitated:
            # A large share of all demand: binds when this bid is the best, not otherwise.
            capacity = max(1, round(demand * rng.uniform(0.3, 0.8)))
        mode = "graduated" if k in graduated else "volume"
        offers.append(Offer(f"v{k}", f"Vendor {k}", mode, tiers, capacity))
    return tuple(offers)


def _tiers(rng: random.Random, count: int) -> tuple[Tier, ...]:
    """`count` tiers from a $15-$45 list price down to 10-40% off, the last unbounded."""
    deep = [b for b in BOUNDARIES if b >= DEEP_FROM]
    shallow = [b for b in BOUNDARIES if b < DEEP_FROM]
    # The last finite boundary is a deep one, so the best price needs a pooled quantity.
    last = rng.choice(deep)
    others = [b for b in shallow + deep if b < last]
    boundaries = sorted(rng.sample(others, count - 2)) + [last]
    list_price = rng.randint(1500, 4500)
    deepest_off = rng.uniform(0.10, 0.40)
    discounts = sorted(rng.uniform(0.0, deepest_off) for _ in range(count - 2))
    prices = [list_price] + [round(list_price * (1 - d)) for d in discounts]
    prices.append(round(list_price * (1 - deepest_off)))
    for i in range(1, count):  # rounding must never raise a later tier
        prices[i] = min(prices[i], prices[i - 1])
    up_tos: list[int | None] = [*boundaries, None]
    return tuple(Tier(up_to, price) for up_to, price in zip(up_tos, prices, strict=True))
