"""The optimum of a small instance by exhaustive search over every partition of its buyers.

Slow but obviously right: each group is accepted only if `pricing.check.group_violations`
finds nothing, so the reference optimum obeys exactly the rules the checker enforces.
Used to test the MILP engine on instances of up to 8 buyers.
"""

from __future__ import annotations

from functools import cache

from pricing.check import group_violations
from pricing.tiers import schedule_total, standalone_amount
from pricing.types import Instance

MAX_BUYERS = 10


def group_options(instance: Instance) -> dict[int, list[tuple[int | None, int]]]:
    """For each buyer subset (bit mask), the valid (capacitated offer index or None, cost) options.

    Offers without a capacity never compete with each other across groups, so only the
    cheapest of them is kept per subset (None); each capacitated offer stays a separate option.
    """
    buyers = instance.buyers
    alone = {buyer.id: standalone_amount(buyer, instance.offers) for buyer in buyers}
    capacitated = [k for k, offer in enumerate(instance.offers) if offer.capacity is not None]
    options: dict[int, list[tuple[int | None, int]]] = {}
    for mask in range(1, 1 << len(buyers)):
        members = [buyer for i, buyer in enumerate(buyers) if mask >> i & 1]
        quantity = sum(buyer.quantity for buyer in members)
        cheapest: int | None = None
        found: list[tuple[int | None, int]] = []
        for k, offer in enumerate(instance.offers):
            if offer.capacity is not None and quantity > offer.capacity:
                continue
            if group_violations(instance, offer, members, "group", alone):
                continue
            cost = schedule_total(offer, quantity)
            if k in capacitated:
                found.append((capacitated.index(k), cost))
            elif cheapest is None or cost < cheapest:
                cheapest = cost
        if cheapest is not None:
            found.insert(0, (None, cheapest))
        if found:
            options[mask] = found
    return options


def exhaustive_optimum(instance: Instance) -> tuple[int, int]:
    """(served_quantity, total_amount) of the lexicographic optimum: serve most, then pay least."""
    n = len(instance.buyers)
    if n > MAX_BUYERS:
        raise ValueError(f"exhaustive search is for at most {MAX_BUYERS} buyers, got {n}")
    quantities = [buyer.quantity for buyer in instance.buyers]
    capacities = [offer.capacity for offer in instance.offers if offer.capacity is not None]
    options = group_options(instance)

    def mask_quantity(mask: int) -> int:
        return sum(q for i, q in enumerate(quantities) if mask >> i & 1)

    @cache
    def best(remaining: int, used: tuple[int, ...]) -> tuple[int, int]:
        # Value is (served, -cost) so that max() is the lexicographic optimum.
        if remaining == 0:
            return (0, 0)
        first = remaining & -remaining
        rest = remaining ^ first
        value = best(rest, used)  # the first remaining buyer stays unassigned
        sub = rest
        while True:
            mask = sub | first
            quantity = mask_quantity(mask)
            for slot, cost in options.get(mask, ()):
                after = used
                if slot is not None:
                    if used[slot] + quantity > capacities[slot]:  # type: ignore[operator]
                        continue
                    after = used[:slot] + (used[slot] + quantity,) + used[slot + 1 :]
                served, negative_cost = best(remaining ^ mask, after)
                value = max(value, (served + quantity, negative_cost - cost))
            if sub == 0:
                break
            sub = (sub - 1) & rest
        return value

    served, negative_cost = best((1 << n) - 1, tuple(0 for _ in capacities))
    return served, -negative_cost
