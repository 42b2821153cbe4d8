"""An independent checker: every rule of ALLOCATION.md verified from an instance and a result.

The same per-group rules (`group_violations`) serve the checker and any exhaustive search,
so what the tests call valid is exactly what a published award is checked against.
Similarity is `pricing.rules`, the definition the model and the heuristics use too; prices
come from `pricing.tiers`. Nothing here re-implements either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from pricing.rules import rule_label, similarity_problem
from pricing.tiers import member_amounts, schedule_total, standalone_amount
from pricing.types import Assignment, Buyer, Group, Instance, Offer, Result

ALLOCATED = ("optimal", "feasible")
STATUSES = ("optimal", "feasible", "infeasible", "error")


def _exceeds(total: int, quantity: int, group_quantity: int, limit: int) -> bool:
    # The exact proportional share total * quantity / group_quantity, compared without division.
    return total * quantity > limit * group_quantity


def group_violations(
    instance: Instance,
    offer: Offer,
    members: Sequence[Buyer],
    label: str,
    standalone: Mapping[str, int | None] | None = None,
) -> list[str]:
    """Rules 1-5 for one group of `members` priced by `offer`'s schedule (capacity is rule 6)."""
    policy = instance.policy
    problems = []
    size = len(members)
    if size < policy.min_group_size:
        problems.append(f"rule 5 (min_group_size {policy.min_group_size}): {label} has {size}")
    if policy.max_group_size is not None and size > policy.max_group_size:
        problems.append(f"rule 5 (max_group_size {policy.max_group_size}): {label} has {size}")
    quantity = sum(buyer.quantity for buyer in members)
    total = schedule_total(offer, quantity)
    for buyer in members:
        where = f"buyer {buyer.id} in {label}"
        if not buyer.may_buy(offer.id):
            problems.append(f"rule 1 (eligible_offers): {where} may not buy offer {offer.id}")
        ceiling = buyer.max_unit_amount
        if ceiling is not None and _exceeds(
            total, buyer.quantity, quantity, ceiling * buyer.quantity
        ):
            problems.append(
                f"rule 2 (max_unit_amount {ceiling}): {where} pays "
                f"{total / quantity:.2f} per unit > {ceiling}"
            )
        if policy.individual_rationality:
            alone = (
                standalone.get(buyer.id)
                if standalone is not None
                else standalone_amount(buyer, instance.offers)
            )
            if alone is not None and _exceeds(total, buyer.quantity, quantity, alone):
                share = total * buyer.quantity / quantity
                problems.append(
                    f"rule 3 (individual_rationality): {where} pays {share:.2f} "
                    f"> standalone {alone}"
                )
    for rule in policy.similarity:
        values = [buyer.features.get(rule.feature) for buyer in members]
        problem = similarity_problem(rule, values)
        if problem is not None:
            problems.append(f"rule 4 ({rule_label(rule)}): {label} has {problem}")
    return problems


def check_result(instance: Instance, result: Result) -> list[str]:
    """Every way `result` breaks ALLOCATION.md for `instance`; empty when it is valid."""
    problems: list[str] = []
    if result.status not in STATUSES:
        problems.append(f"status: {result.status!r} is not one of {', '.join(STATUSES)}")
    if result.status == "error" and not result.message:
        problems.append("status: error needs a message")
    if result.status not in ALLOCATED:
        if result.groups or result.assignments:
            problems.append(f"status: {result.status} result must not allocate anything")
        return problems
    buyers = {buyer.id: buyer for buyer in instance.buyers}
    offers = {offer.id: offer for offer in instance.offers}
    alone = {buyer.id: standalone_amount(buyer, instance.offers) for buyer in instance.buyers}
    problems += _coverage(instance, result)
    assigned: dict[str, Assignment] = {}
    by_group: dict[str, set[str]] = {}
    for a in result.assignments:
        assigned.setdefault(a.buyer, a)
        by_group.setdefault(a.group, set()).add(a.buyer)
    groups = {}
    for group in result.groups:
        if group.id in groups:
            problems.append(f"groups: duplicate group id {group.id}")
        groups[group.id] = group
    for a in result.assignments:
        where = f"assignment of buyer {a.buyer}"
        if a.group not in groups:
            problems.append(f"{where}: unknown group {a.group}")
        elif groups[a.group].offer != a.offer:
            problems.append(
                f"{where}: offer {a.offer} but group {a.group} has {groups[a.group].offer}"
            )
        if a.offer not in offers:
            problems.append(f"{where}: unknown offer {a.offer}")
        if a.buyer in buyers:
            if a.quantity != buyers[a.buyer].quantity:
                problems.append(
                    f"{where}: quantity {a.quantity} != the buyer's {buyers[a.buyer].quantity}"
                )
            if a.standalone_amount != alone[a.buyer]:
                problems.append(
                    f"{where}: standalone_amount {a.standalone_amount} != {alone[a.buyer]}"
                )
    used: Counter[str] = Counter()
    for group in result.groups:
        in_group = by_group.get(group.id, set())
        problems += _group(instance, group, offers, buyers, assigned, in_group, alone)
        used[group.offer] += group.quantity
    for offer in instance.offers:
        if offer.capacity is not None and used[offer.id] > offer.capacity:
            problems.append(
                f"rule 6 (capacity {offer.capacity}): offer {offer.id} is assigned {used[offer.id]}"
            )
    problems += _totals(instance, result)
    return problems


def _coverage(instance: Instance, result: Result) -> list[str]:
    """Every buyer exactly once, in assignments or in unassigned with a reason."""
    problems = []
    known = {buyer.id for buyer in instance.buyers}
    seen = Counter([a.buyer for a in result.assignments] + [u.buyer for u in result.unassigned])
    for buyer_id, count in seen.items():
        if buyer_id not in known:
            problems.append(f"coverage: unknown buyer {buyer_id}")
        elif count > 1:
            problems.append(f"coverage: buyer {buyer_id} appears {count} times")
    for buyer in instance.buyers:
        if buyer.id not in seen:
            problems.append(f"coverage: buyer {buyer.id} is neither assigned nor unassigned")
    for u in result.unassigned:
        if not u.reason.strip():
            problems.append(f"coverage: unassigned buyer {u.buyer} has no reason")
    return problems


def _group(
    instance: Instance,
    group: Group,
    offers: Mapping[str, Offer],
    buyers: Mapping[str, Buyer],
    assigned: Mapping[str, Assignment],
    in_group: set[str],
    alone: Mapping[str, int | None],
) -> list[str]:
    """Structure, prices and rules 1-5 of one group as reported."""
    label = f"group {group.id}"
    problems = []
    if len(set(group.members)) != len(group.members):
        problems.append(f"{label}: a member is listed twice")
    if set(group.members) != in_group:
        problems.append(
            f"{label}: members {sorted(group.members)} do not match the assignments {sorted(in_group)}"
        )
    offer = offers.get(group.offer)
    members = [buyers[m] for m in group.members if m in buyers]
    if offer is None:
        return [*problems, f"{label}: unknown offer {group.offer}"]
    if len(members) != len(group.members):
        return [*problems, f"{label}: has unknown members"]
    quantity = sum(buyer.quantity for buyer in members)
    if group.quantity != quantity:
        problems.append(f"{label}: quantity {group.quantity} != members' sum {quantity}")
    total, amounts = member_amounts(offer, [buyer.quantity for buyer in members])
    if group.total_amount != total:
        problems.append(
            f"{label}: total_amount {group.total_amount} != schedule price {total} "
            f"of {quantity} under {offer.id}"
        )
    how = "quantity * unit price" if offer.tiers_mode == "volume" else "largest-remainder share"
    for buyer, amount in zip(members, amounts, strict=True):
        a = assigned.get(buyer.id)
        if a is not None and a.group == group.id and a.amount != amount:
            problems.append(
                f"assignment of buyer {buyer.id}: amount {a.amount} != {amount} ({how} in {label})"
            )
    return problems + group_violations(instance, offer, members, label, alone)


def _totals(instance: Instance, result: Result) -> list[str]:
    """served_quantity, total_amount, bound and gap agree with the assignments."""
    problems = []
    served = sum(a.quantity for a in result.assignments)
    if result.served_quantity != served:
        problems.append(f"served_quantity {result.served_quantity} != assignments' sum {served}")
    total = sum(a.amount for a in result.assignments)
    if result.total_amount != total:
        problems.append(f"total_amount {result.total_amount} != assignments' sum {total}")
    groups_total = sum(group.total_amount for group in result.groups)
    if result.total_amount != groups_total:
        problems.append(f"total_amount {result.total_amount} != groups' sum {groups_total}")
    if result.served_bound is not None and result.served_quantity > result.served_bound:
        problems.append(
            f"served_quantity {result.served_quantity} > served_bound {result.served_bound}"
        )
    if result.status == "optimal" and result.served_quantity != result.served_bound:
        problems.append(
            f"status optimal but served_quantity {result.served_quantity} != served_bound "
            f"{result.served_bound}"
        )
    if result.bound is None:
        if result.gap is not None:
            problems.append(f"gap {result.gap} given without a bound")
        return problems
    if result.bound > result.total_amount:
        problems.append(f"bound {result.bound} > total_amount {result.total_amount}")
    expected = (
        0.0
        if result.total_amount == 0
        else (result.total_amount - result.bound) / result.total_amount
    )
    if result.gap is None or abs(result.gap - expected) > 1e-6:
        problems.append(
            f"gap {result.gap} != (total_amount - bound) / total_amount = {expected:.6g}"
        )
    elif result.status == "optimal" and result.gap > instance.policy.mip_gap + 1e-9:
        problems.append(
            f"status optimal with gap {result.gap:.6g} > mip_gap {instance.policy.mip_gap}"
        )
    return problems
