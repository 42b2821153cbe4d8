"""A published award's results as the public reads them: each group by a readable name, its
vendor, tier and unit price, its districts and seats, each district's savings, and totals.

Used by the public award page, the API's award resource and the OCDS export alike. A group
is named from what the optimiser grouped on, as the run's stored input recorded it (the
districts' locale and enrollment at the time), not from today's profiles:
"Group 3 · Acme Learning, tier 3 · Rural, 1,000–4,000 students".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from consortium import filters
from consortium.allocation.services import run_instance
from consortium.awards.models import Award, AwardGroup, Contract

LOCALE_NAMES = {"rural": "Rural", "town": "Town", "suburban": "Suburban", "urban": "Urban"}


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A group as the public reads it; `members` are its contracts (district, seats, amount,
    amount alone, savings), by district name."""

    group: AwardGroup
    name: str
    members: tuple[Contract, ...]

    @property
    def tier(self) -> int:
        """The tier the group's quantity reached, counted from 1 as vendors number them."""
        return self.group.tier_index + 1

    @property
    def standalone_amount(self) -> int:
        return sum(m.standalone_amount for m in self.members)

    @property
    def members_amount(self) -> int:
        return sum(m.amount for m in self.members)

    @property
    def savings(self) -> int:
        return self.standalone_amount - self.members_amount


@dataclass(frozen=True, slots=True)
class AwardResults:
    award: Award
    groups: tuple[GroupResult, ...]

    @property
    def currency(self) -> str:
        return self.award.solicitation.currency

    @property
    def total_amount(self) -> int:
        return sum(g.group.total_amount for g in self.groups)

    @property
    def standalone_amount(self) -> int:
        return sum(g.standalone_amount for g in self.groups)

    @property
    def savings(self) -> int:
        return sum(g.savings for g in self.groups)

    @property
    def savings_rate(self) -> float:
        return self.savings / self.standalone_amount if self.standalone_amount else 0.0

    @property
    def seats(self) -> int:
        return sum(g.group.quantity for g in self.groups)

    @property
    def districts(self) -> int:
        return sum(len(g.members) for g in self.groups)


def _rounded(enrollment: float) -> str:
    """Enrollment as people say it: 1,240 -> "1,200", 18,400 -> "18,000", 85 -> "85"."""
    value = int(enrollment)
    if value >= 10_000:
        value = round(value, -3)
    elif value >= 1_000:
        value = round(value, -2)
    return f"{value:,}"


def describe_districts(features: Sequence[Mapping[str, object]]) -> str:
    """'Rural, 1,000–4,000 students', from the members' features (locale, enrollment)."""
    locales = sorted({str(f["locale"]) for f in features if f.get("locale")},
                     key=lambda name: list(LOCALE_NAMES).index(name) if name in LOCALE_NAMES else 9)
    where = " and ".join(LOCALE_NAMES.get(name, name.capitalize()) for name in locales)
    sizes = [float(f["enrollment"]) for f in features if isinstance(f.get("enrollment"), int | float)]
    if not sizes:
        size = ""
    elif _rounded(min(sizes)) == _rounded(max(sizes)):
        size = f"{_rounded(min(sizes))} students"
    else:
        size = f"{_rounded(min(sizes))}–{_rounded(max(sizes))} students"
    return ", ".join(part for part in (where or "Mixed locales", size) if part)


def group_name(group: AwardGroup, features: Sequence[Mapping[str, object]]) -> str:
    """The group's one name (as every page and mail gives it) and who is in it."""
    return f"{filters.group_name(group)} · {describe_districts(features)}"


def award_results(award: Award) -> AwardResults:
    """Every group of `award`, named, with its members' amounts and savings."""
    buyers = {buyer.id: buyer.features for buyer in run_instance(award.run).buyers}
    groups = []
    names: dict[str, int] = {}
    for group in award.groups:
        members = tuple(sorted(group.contracts, key=lambda c: c.district.name))
        name = group_name(group, [buyers.get(str(c.district_id), {}) for c in group.contracts])
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:  # two groups alike in every named respect: number the repeats
            name = f"{name} ({names[name]})"
        groups.append(GroupResult(group, name, members))
    return AwardResults(award, tuple(groups))
