"""What every solver of the allocation problem computes first, once.

For each buyer: its standalone price, and for each offer it may use the smallest group
quantity at which joining a group of that offer keeps its price within its ceiling and,
when the policy asks, within its standalone price. Unit prices never rise with
quantity, so these per-district price conditions are exactly minimum group quantities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pricing import boxes
from pricing.tiers import member_amounts, min_group_quantity, schedule_total, standalone_amount
from pricing.types import Buyer, Instance, Offer, Policy, SimilarityRule


@dataclass(slots=True)
class Problem:
    """An instance with its derived facts, indexed by position (buyer i, offer o)."""

    instance: Instance
    standalone: list[int | None]
    # need[i][o] = minimum group quantity for buyer i in offer o; absent = may not use it
    need: list[dict[int, int]]
    blocks: list[list[int]]
    offer_index: dict[str, int] = field(default_factory=dict)
    # dominators[o] = offers that are never dearer than o at any quantity and whose
    # capacity cannot bind: a group of o whose members may all use one of them can switch
    dominators: list[list[int]] = field(default_factory=list)
    # reachable masses over compatible buyers (explain.reachable_mass without boxes), kept
    # because the bound and the unassigned reasons both need them
    compatible_mass: dict[tuple[int, int], int] | None = None

    @property
    def buyers(self) -> tuple[Buyer, ...]:
        return self.instance.buyers

    @property
    def offers(self) -> tuple[Offer, ...]:
        return self.instance.offers

    @property
    def policy(self) -> Policy:
        return self.instance.policy

    @property
    def rules(self) -> tuple[SimilarityRule, ...]:
        return self.instance.policy.similarity

    def group_cost(self, offer: int, members: list[int]) -> int:
        return schedule_total(self.offers[offer], sum(self.buyers[i].quantity for i in members))

    def group_is_valid(self, offer: int, members: list[int]) -> bool:
        """Every rule of ALLOCATION.md that one group can break on its own (not capacity)."""
        policy = self.policy
        if not members or len(members) < policy.min_group_size:
            return False
        if policy.max_group_size is not None and len(members) > policy.max_group_size:
            return False
        quantity = sum(self.buyers[i].quantity for i in members)
        if any(offer not in self.need[i] or self.need[i][offer] > quantity for i in members):
            return False
        return boxes.fits(self.buyers, self.rules, members)

    def amounts(self, offer: int, members: list[int]) -> tuple[int, list[int]]:
        return member_amounts(self.offers[offer], [self.buyers[i].quantity for i in members])

    def useful_offers(self, members: list[int]) -> list[int]:
        """Offers a group drawn from `members` may need: those no dominator serves equally well.

        If o' is never dearer than o and cannot run out, any group of o whose members may
        all use o' switches to it at no extra cost, and every member's price condition
        still holds (its exact share is the average price times its quantity).
        """
        users = {o: [i for i in members if o in self.need[i]] for o in range(len(self.offers))}
        useful = []
        for o, those in users.items():
            if not those:
                continue
            if any(all(d in self.need[i] for i in those) for d in self.dominators[o]):
                continue
            useful.append(o)
        return useful


def prepare(instance: Instance) -> Problem:
    """Derive standalone prices, minimum group quantities and `same` blocks."""
    offers = instance.offers
    policy = instance.policy
    standalone: list[int | None] = []
    need: list[dict[int, int]] = []
    for buyer in instance.buyers:
        alone = standalone_amount(buyer, offers)
        standalone.append(alone)
        mins: dict[int, int] = {}
        for o, offer in enumerate(offers):
            if not buyer.may_buy(offer.id):
                continue
            if offer.capacity is not None and buyer.quantity > offer.capacity:
                continue
            m = min_group_quantity(buyer, offer, alone, policy.individual_rationality)
            if m is not None and (offer.capacity is None or m <= offer.capacity):
                mins[o] = m
        need.append(mins)
    return Problem(
        instance=instance,
        standalone=standalone,
        need=need,
        blocks=boxes.blocks(instance.buyers, policy.similarity),
        offer_index={offer.id: o for o, offer in enumerate(offers)},
        dominators=_dominators(instance, need),
    )


def _dominators(instance: Instance, need: list[dict[int, int]]) -> list[list[int]]:
    """For each offer, the offers that dominate it (ties broken by position, so never both ways)."""
    offers = instance.offers
    demand = [sum(b.quantity for b, n in zip(instance.buyers, need, strict=True) if o in n) for o in range(len(offers))]
    unlimited = [o.capacity is None or o.capacity >= demand[k] for k, o in enumerate(offers)]
    out: list[list[int]] = []
    for o, offer in enumerate(offers):
        found = []
        for d, other in enumerate(offers):
            if d == o or not unlimited[d] or not never_dearer(other, offer):
                continue
            if never_dearer(offer, other) and d > o:  # same prices: the first one stands
                continue
            found.append(d)
        out.append(found)
    return out


def never_dearer(cheap: Offer, dear: Offer) -> bool:
    """Whether `cheap` costs at most `dear` for every quantity.

    Both totals are linear between consecutive tier boundaries of either schedule, so
    comparing at every boundary (and the last unit prices beyond them) is exact.
    """
    points = {1}
    for offer in (cheap, dear):
        for tier in offer.tiers:
            if tier.up_to is not None:
                points.update((tier.up_to, tier.up_to + 1))
    if any(schedule_total(cheap, q) > schedule_total(dear, q) for q in points):
        return False
    return cheap.tiers[-1].unit_amount <= dear.tiers[-1].unit_amount
