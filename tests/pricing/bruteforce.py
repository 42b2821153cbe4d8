"""The optimum of a small instance by exhaustive search over every partition of its buyers.

Slow but obviously right: each group is accepted only if `pricing.check.group_violations`
finds nothing, so the reference optimum obeys exactly the rules the checker enforces.
Used to test the MILP engine on instances of up to 8 buyers.
"""

from __future__ import annotations

from functools import cache

from pricing.check import group_violations
from pricing.tiers import member_amounts, schedule_total, standalone_amount
from pricing.types import Assignment, Group, Instance, Result, Unassigned

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
    served, total, _ = exhaustive_allocation(instance)
    return served, total


def exhaustive_allocation(instance: Instance) -> tuple[int, int, list[tuple[str, list[str]]]]:
    """The optimum and one grouping reaching it, as (offer id, member ids) pairs."""
    n = len(instance.buyers)
    if n > MAX_BUYERS:
        raise ValueError(f"exhaustive search is for at most {MAX_BUYERS} buyers, got {n}")
    quantities = [buyer.quantity for buyer in instance.buyers]
    capacitated = [offer for offer in instance.offers if offer.capacity is not None]
    capacities = [offer.capacity or 0 for offer in capacitated]
    options = group_options(instance)
    cheapest = _cheapest_uncapacitated(instance, options)

    def mask_quantity(mask: int) -> int:
        return sum(q for i, q in enumerate(quantities) if mask >> i & 1)

    @cache
    def best(remaining: int, used: tuple[int, ...]) -> tuple[tuple[int, int], tuple | None]:
        # Value is (served, -cost) so that max() is the lexicographic optimum; the first
        # choice found wins ties, which keeps the reported grouping deterministic.
        if remaining == 0:
            return (0, 0), None
        first = remaining & -remaining
        rest = remaining ^ first
        value, choice = best(rest, used)[0], (0, None, used)  # first buyer left unassigned
        sub = rest
        while True:
            mask = sub | first
            quantity = mask_quantity(mask)
            for slot, cost in options.get(mask, ()):
                after = used
                if slot is not None:
                    if used[slot] + quantity > capacities[slot]:
                        continue
                    after = used[:slot] + (used[slot] + quantity,) + used[slot + 1 :]
                (served, negative_cost), _ = best(remaining ^ mask, after)
                candidate = (served + quantity, negative_cost - cost)
                if candidate > value:
                    value, choice = candidate, (mask, slot, after)
            if sub == 0:
                break
            sub = (sub - 1) & rest
        return value, choice

    remaining, used = (1 << n) - 1, tuple(0 for _ in capacities)
    (served, negative_cost), _ = best(remaining, used)
    grouping = []
    while remaining:
        _, (mask, slot, after) = best(remaining, used)
        if mask == 0:
            remaining &= remaining - 1
            continue
        offer_id = cheapest[mask] if slot is None else capacitated[slot].id
        members = [buyer.id for i, buyer in enumerate(instance.buyers) if mask >> i & 1]
        grouping.append((offer_id, members))
        remaining, used = remaining ^ mask, after
    return served, -negative_cost, grouping


def cheapest_serving(instance: Instance, at_least: int) -> int | None:
    """Least spend of any valid allocation serving at least `at_least` seats (None: none does).

    A bound the engine reports for its served quantity must never exceed this.
    """
    n = len(instance.buyers)
    if n > MAX_BUYERS:
        raise ValueError(f"exhaustive search is for at most {MAX_BUYERS} buyers, got {n}")
    quantities = [buyer.quantity for buyer in instance.buyers]
    capacities = [offer.capacity or 0 for offer in instance.offers if offer.capacity is not None]
    options = group_options(instance)

    @cache
    def frontier(remaining: int, used: tuple[int, ...]) -> dict[int, int]:
        # seats served -> least spend, over allocations of the `remaining` buyers
        if remaining == 0:
            return {0: 0}
        first = remaining & -remaining
        rest = remaining ^ first
        found = dict(frontier(rest, used))  # the first buyer left out
        sub = rest
        while True:
            mask = sub | first
            quantity = sum(q for i, q in enumerate(quantities) if mask >> i & 1)
            for slot, cost in options.get(mask, ()):
                after = used
                if slot is not None:
                    if used[slot] + quantity > capacities[slot]:
                        continue
                    after = used[:slot] + (used[slot] + quantity,) + used[slot + 1 :]
                for served, spend in frontier(remaining ^ mask, after).items():
                    key = served + quantity
                    if key not in found or spend + cost < found[key]:
                        found[key] = spend + cost
            if sub == 0:
                break
            sub = (sub - 1) & rest
        return found

    spends = [s for served, s in frontier((1 << n) - 1, tuple(0 for _ in capacities)).items()
              if served >= at_least]
    return min(spends) if spends else None


def _cheapest_uncapacitated(
    instance: Instance, options: dict[int, list[tuple[int | None, int]]]
) -> dict[int, str]:
    """Which uncapacitated offer the None option of each subset stands for."""
    found = {}
    for mask, choices in options.items():
        if choices[0][0] is not None:
            continue
        members = [buyer for i, buyer in enumerate(instance.buyers) if mask >> i & 1]
        quantity = sum(buyer.quantity for buyer in members)
        for offer in instance.offers:
            if (
                offer.capacity is None
                and schedule_total(offer, quantity) == choices[0][1]
                and not group_violations(instance, offer, members, "group")
            ):
                found[mask] = offer.id
                break
    return found


def result_for(
    instance: Instance, grouping: list[tuple[str, list[str]]], status: str = "optimal"
) -> Result:
    """A result in the documented format for a grouping: amounts from pricing.tiers."""
    buyers = {buyer.id: buyer for buyer in instance.buyers}
    offers = {offer.id: offer for offer in instance.offers}
    groups, assignments = [], []
    for number, (offer_id, member_ids) in enumerate(grouping, start=1):
        group_id = f"g{number}"
        quantities = [buyers[m].quantity for m in member_ids]
        total, amounts = member_amounts(offers[offer_id], quantities)
        groups.append(Group(group_id, offer_id, tuple(member_ids), sum(quantities), total))
        for member, quantity, amount in zip(member_ids, quantities, amounts, strict=True):
            alone = standalone_amount(buyers[member], instance.offers)
            assignments.append(Assignment(member, group_id, offer_id, quantity, amount, alone or 0))
    placed = {a.buyer for a in assignments}
    unassigned = tuple(
        Unassigned(buyer.id, "no valid group")
        for buyer in instance.buyers
        if buyer.id not in placed
    )
    total_amount = sum(a.amount for a in assignments)
    return Result(
        status=status,  # type: ignore[arg-type]
        served_quantity=sum(a.quantity for a in assignments),
        total_amount=total_amount,
        bound=total_amount,
        gap=0.0,
        groups=tuple(groups),
        assignments=tuple(assignments),
        unassigned=unassigned,
        stats={"solver": "exhaustive"},
        served_bound=sum(a.quantity for a in assignments),
    )
