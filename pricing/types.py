"""The allocation problem as frozen dataclasses: the contract of ALLOCATION.md in types.

Instances come in through `pricing.io.load_instance` (which validates every field);
results go out through `pricing.io.dump_result`. Money is integer cents throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

TiersMode = Literal["volume", "graduated"]
Status = Literal["optimal", "feasible", "infeasible", "error"]
FeatureValue = float | int | str


@dataclass(frozen=True, slots=True)
class Tier:
    """One step of a price schedule: units up to `up_to` (None = unbounded) at `unit_amount` cents."""

    up_to: int | None
    unit_amount: int


@dataclass(frozen=True, slots=True)
class Offer:
    """One vendor's sealed bid: a tiered schedule, an optional capacity."""

    id: str
    vendor: str
    tiers_mode: TiersMode
    tiers: tuple[Tier, ...]
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    """A district's opt-in: quantity, optional ceiling, features and eligible offers."""

    id: str
    quantity: int
    features: Mapping[str, FeatureValue] = field(default_factory=dict)
    max_unit_amount: int | None = None
    eligible_offers: tuple[str, ...] | None = None  # None = every offer

    def may_buy(self, offer_id: str) -> bool:
        return self.eligible_offers is None or offer_id in self.eligible_offers


@dataclass(frozen=True, slots=True)
class SimilarityRule:
    """Members of a group must be alike on `feature`: exactly one of the three kinds is set."""

    feature: str
    max_ratio: float | None = None
    max_spread: float | None = None
    same: bool = False

    @property
    def kind(self) -> Literal["max_ratio", "max_spread", "same"]:
        if self.same:
            return "same"
        return "max_ratio" if self.max_ratio is not None else "max_spread"


@dataclass(frozen=True, slots=True)
class Policy:
    """How groups may be formed and how long the solver may take."""

    similarity: tuple[SimilarityRule, ...] = ()
    min_group_size: int = 1
    max_group_size: int | None = None
    individual_rationality: bool = True
    time_limit_s: float = 60.0
    mip_gap: float = 0.001


@dataclass(frozen=True, slots=True)
class Instance:
    """Everything the optimiser needs: opt-ins, bids and the grouping policy."""

    currency: str
    buyers: tuple[Buyer, ...]
    offers: tuple[Offer, ...]
    policy: Policy = Policy()


@dataclass(frozen=True, slots=True)
class Group:
    """A purchasing group: members that contract together with one offer."""

    id: str
    offer: str
    members: tuple[str, ...]
    quantity: int
    total_amount: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """One buyer's place in the award: its group, its share and what it would pay alone."""

    buyer: str
    group: str
    offer: str
    quantity: int
    amount: int
    standalone_amount: int


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A buyer left out, with the rule that stopped it."""

    buyer: str
    reason: str


@dataclass(frozen=True, slots=True)
class Result:
    """An allocation in the result format of ALLOCATION.md."""

    status: Status
    served_quantity: int
    total_amount: int
    bound: int | None
    gap: float | None
    groups: tuple[Group, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    stats: Mapping[str, object] = field(default_factory=dict)
    message: str | None = None
    # A proven upper bound on the seats any valid allocation serves (None: not known).
    served_bound: int | None = None
