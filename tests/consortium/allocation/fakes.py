"""A tiny stand-in for `pricing.engine.solve`: one group per offer, deterministic, valid.

It serves every buyer it can in one group of the cheapest offer (dropping buyers whose
ceiling the group price breaks), and leaves the rest unassigned with a reason. With no
similarity rules and volume tiers this obeys every rule `pricing.check` knows.
"""

from __future__ import annotations

from pricing.tiers import member_amounts, schedule_total, standalone_amount
from pricing.types import Assignment, Group, Instance, Result, Unassigned

REASON = "no eligible offer within max_unit_amount"


def _group_for(instance: Instance, offer) -> list:
    members = [b for b in instance.buyers if b.may_buy(offer.id)]
    while members:
        _total, shares = member_amounts(offer, [b.quantity for b in members])
        fits = [
            b
            for b, share in zip(members, shares, strict=True)
            if b.max_unit_amount is None or share <= b.max_unit_amount * b.quantity
        ]
        if len(fits) == len(members):
            return members
        members = fits
    return []


def fake_solve(instance: Instance, *, solver=None, time_limit_s=None, progress=None) -> Result:
    best = None
    for offer in instance.offers:
        members = _group_for(instance, offer)
        served = sum(b.quantity for b in members)
        total = schedule_total(offer, served)
        key = (-served, total, offer.id)
        if members and (best is None or key < best[0]):
            best = (key, offer, members)
    groups, assignments, unassigned = [], [], []
    served_ids: set[str] = set()
    if best is not None:
        _key, offer, members = best
        total, shares = member_amounts(offer, [b.quantity for b in members])
        groups.append(Group("g1", offer.id, tuple(b.id for b in members), sum(b.quantity for b in members), total))
        for buyer, share in zip(members, shares, strict=True):
            alone = standalone_amount(buyer, instance.offers)
            assignments.append(Assignment(buyer.id, "g1", offer.id, buyer.quantity, share, alone))
            served_ids.add(buyer.id)
    for buyer in instance.buyers:
        if buyer.id not in served_ids:
            unassigned.append(Unassigned(buyer.id, REASON))
    total = sum(g.total_amount for g in groups)
    return Result(
        status="optimal",
        served_quantity=sum(a.quantity for a in assignments),
        total_amount=total,
        bound=total,
        gap=0.0,
        groups=tuple(groups),
        assignments=tuple(assignments),
        unassigned=tuple(unassigned),
        stats={"solver": "fake", "solver_version": "0.0", "build_s": 0.0, "solve_s": 0.0},
        served_bound=sum(a.quantity for a in assignments),
    )


def error_solve(instance: Instance, *, solver=None, time_limit_s=None, progress=None) -> Result:
    return Result(status="error", served_quantity=0, total_amount=0, bound=None, gap=None,
                  stats={"solver": "fake"}, message="solver crashed: out of licences")


def progressing_solve(steps: int = 5, pause_s: float = 0.0):
    """`fake_solve` that reports `steps` improving allocations (`pause_s` apart) before it
    answers, as the engine's progress callback does; the last event agrees with the result."""
    import time

    def solve(instance: Instance, *, solver=None, time_limit_s=None, progress=None) -> Result:
        result = fake_solve(instance)
        began = time.perf_counter()
        for step in range(1, steps + 1):
            if pause_s:
                time.sleep(pause_s)
            if progress is not None:
                share = step / steps
                progress({
                    "t": round(time.perf_counter() - began, 3), "phase": "exact",
                    "served": int(result.served_quantity * share),
                    "total": int(result.total_amount * (2 - share)),
                    "bound": int(result.total_amount * share),
                    "served_bound": result.served_quantity * 2 - int(result.served_quantity * share),
                    "gap": round(1 - share / (2 - share), 6),
                })
        if progress is not None:
            progress({"t": round(time.perf_counter() - began, 3), "phase": "done",
                      "served": result.served_quantity, "total": result.total_amount,
                      "bound": result.bound, "served_bound": result.served_bound, "gap": result.gap})
        return result

    return solve


def dropping_solve(leave_out: int):
    """`fake_solve` on all but the last `leave_out` buyers (the rest left out): a scenario
    that serves fewer seats than another."""

    def solve(instance: Instance, *, solver=None, time_limit_s=None, progress=None) -> Result:
        from dataclasses import replace

        kept = instance.buyers[: len(instance.buyers) - leave_out]
        result = fake_solve(replace(instance, buyers=kept))
        dropped = tuple(Unassigned(b.id, "no group of similar districts reaches a price within its ceiling")
                        for b in instance.buyers[len(kept):])
        bound = sum(b.quantity for b in instance.buyers)
        return replace(result, status="feasible", unassigned=result.unassigned + dropped,
                       served_bound=bound)

    return solve
