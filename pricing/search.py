"""Local search on a valid grouping: serve more first, then spend less, never breaking a rule.

Every move keeps the grouping valid (each group passes `Problem.group_is_valid`, capacities
hold) and is lexicographically improving: it serves more seats, or as many for less money.
Adding a member to a group only raises its quantity, so every other member's price
condition still holds; the group's offer may change on the way when another one suits all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from pricing.baselines import Grouping, _Greedy, anchored_boxes, served_quantity
from pricing.problem import Problem


def improve(problem: Problem, groups: Grouping, *, deadline: float | None = None,
            rounds: int = 4) -> Grouping:
    """Insert left-out buyers, merge, move and re-offer groups until nothing improves."""
    groups = [(o, sorted(m)) for o, m in groups if m]
    for _ in range(rounds):
        changed = insert_left_out(problem, groups, deadline)
        changed |= _merge(problem, groups, deadline)
        if _out_of_time(deadline):
            break
        changed |= reoffer(problem, groups)
        changed |= _move(problem, groups, deadline)
        if not changed or _out_of_time(deadline):
            break
    return sorted(groups, key=lambda g: (g[0], g[1]))


def _out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() >= deadline


def _used(problem: Problem, groups: Grouping) -> list[int]:
    used = [0] * len(problem.offers)
    for o, members in groups:
        used[o] += sum(problem.buyers[i].quantity for i in members)
    return used


def _room(problem: Problem, used: list[int], offer: int, extra: int) -> bool:
    cap = problem.offers[offer].capacity
    return cap is None or used[offer] + extra <= cap


def insert_left_out(problem: Problem, groups: Grouping, deadline: float | None = None) -> bool:
    """Give every left-out buyer a place: in a group (perhaps re-offered), alone, or in a new group.

    Largest first, each at the cheapest place that keeps every rule; then the rest are
    grouped among themselves by the greedy, with the capacity that is left.
    """
    qty = [b.quantity for b in problem.buyers]
    served = {i for _, members in groups for i in members}
    left_out = sorted((i for i in range(len(qty)) if i not in served and problem.need[i]),
                      key=lambda i: (-qty[i], i))
    if not left_out:
        return False
    used = _used(problem, groups)
    changed = False
    for i in left_out:
        if _out_of_time(deadline):
            break
        best: tuple[int, int, int] | None = None  # (extra cost, group index or -1, offer)
        alone_ok = problem.policy.min_group_size <= 1
        for o, need in problem.need[i].items():
            if alone_ok and need <= qty[i] and _room(problem, used, o, qty[i]):
                extra = problem.group_cost(o, [i])
                if best is None or extra < best[0]:
                    best = (extra, -1, o)
        for k, (o, members) in enumerate(groups):
            grown = members + [i]
            before = problem.group_cost(o, members)
            for offer in _offers_for(problem, grown, o):
                extra_q = qty[i] + (0 if offer == o else sum(qty[j] for j in members))
                if not _room(problem, used, offer, extra_q):
                    continue
                extra = problem.group_cost(offer, grown) - before
                if (best is None or extra < best[0]) and problem.group_is_valid(offer, grown):
                    best = (extra, k, offer)
        if best is None:
            continue
        _, k, offer = best
        if k < 0:
            groups.append((offer, [i]))
        else:
            o, members = groups[k]
            used[o] -= sum(qty[j] for j in members)
            groups[k] = (offer, sorted(members + [i]))
            used[offer] += sum(qty[j] for j in members)
        used[offer] += qty[i]
        served.add(i)
        changed = True
    rest = [i for i in left_out if i not in served]
    if rest:
        greedy = _Greedy(problem)
        greedy.taken = set(range(len(qty))) - set(rest)
        greedy.left = [None if o.capacity is None else o.capacity - used[k]
                       for k, o in enumerate(problem.offers)]
        blocks = [[i for i in block if i in set(rest)] for block in problem.blocks]
        candidates = [box for block in blocks if block for box in anchored_boxes(problem, block)]
        for o, members in greedy.run(candidates):
            groups.append((o, members))
            changed = True
    return changed


def _offers_for(problem: Problem, members: Iterable[int], first: int) -> list[int]:
    """Offers every member may use, the group's own first (the cheapest re-offer wins ties)."""
    members = list(members)
    common = set(problem.need[members[0]])
    for i in members[1:]:
        common &= set(problem.need[i])
    return sorted(common, key=lambda o: (o != first, o))


def reoffer(problem: Problem, groups: Grouping) -> bool:
    """Move whole groups to a cheaper offer that suits every member and has the room."""
    used = _used(problem, groups)
    changed = False
    for k, (o, members) in enumerate(groups):
        quantity = sum(problem.buyers[i].quantity for i in members)
        now = problem.group_cost(o, members)
        best = None
        for offer in _offers_for(problem, members, o):
            if offer == o or not _room(problem, used, offer, quantity):
                continue
            price = problem.group_cost(offer, members)
            if price < now and (best is None or price < best[0]) and problem.group_is_valid(offer, members):
                best = (price, offer)
        if best is not None:
            used[o] -= quantity
            used[best[1]] += quantity
            groups[k] = (best[1], members)
            changed = True
    return changed


def _merge(problem: Problem, groups: Grouping, deadline: float | None = None) -> bool:
    """Merge same-offer groups whose union is a valid group (never dearer), until `deadline`."""
    changed = False
    k = 0
    while k < len(groups):
        if _out_of_time(deadline):
            break
        o, members = groups[k]
        for j in range(k + 1, len(groups)):
            other_offer, others = groups[j]
            if other_offer != o:
                continue
            union = sorted(members + others)
            if problem.group_is_valid(o, union):
                groups[k] = (o, union)
                del groups[j]
                changed = True
                break
        else:
            k += 1
    return changed


def _move(problem: Problem, groups: Grouping, deadline: float | None = None) -> bool:
    """Move one buyer to another group when the total falls and both groups stay valid."""
    changed = False
    used = _used(problem, groups)
    for a in range(len(groups)):
        if _out_of_time(deadline):
            break
        for i in list(groups[a][1]):
            oa, ma = groups[a]
            if i not in ma:
                continue
            rest = [m for m in ma if m != i]
            if rest and not problem.group_is_valid(oa, rest):
                continue
            before_a = problem.group_cost(oa, ma)
            after_a = problem.group_cost(oa, rest) if rest else 0
            best: tuple[int, int] | None = None
            for b, (ob, mb) in enumerate(groups):
                if b == a or (ob != oa and not _room(problem, used, ob, problem.buyers[i].quantity)):
                    continue
                grown = sorted(mb + [i])
                gain = before_a - after_a + problem.group_cost(ob, mb) - problem.group_cost(ob, grown)
                if gain > 0 and (best is None or gain > best[0]) and problem.group_is_valid(ob, grown):
                    best = (gain, b)
            if best is not None:
                b = best[1]
                ob, mb = groups[b]
                groups[b] = (ob, sorted(mb + [i]))
                groups[a] = (oa, rest)
                used[oa] -= problem.buyers[i].quantity
                used[ob] += problem.buyers[i].quantity
                changed = True
    groups[:] = [g for g in groups if g[1]]
    return changed


def lexicographically_better(problem: Problem, a: Grouping, b: Grouping) -> bool:
    """Whether grouping a serves more than b, or as much for less."""
    sa, sb = served_quantity(problem, a), served_quantity(problem, b)
    if sa != sb:
        return sa > sb
    cost = lambda g: sum(problem.group_cost(o, m) for o, m in g if m)  # noqa: E731
    return cost(a) < cost(b)
