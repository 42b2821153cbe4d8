"""What publishing, cancelling or withdrawing from a solicitation will do, in people's words:
the lines of each confirmation page (consortium/confirm.py), read before anything changes."""

from __future__ import annotations

from consortium.filters import localtime, quantity
from consortium.procurement.models import OptIn, Solicitation, SolicitationStatus
from consortium.procurement.optins import live_opt_ins


def withdraw_opt_in(opt_in: OptIn) -> list[str]:
    solicitation, district = opt_in.solicitation, opt_in.district
    tz = solicitation.consortium.timezone
    return [
        f"Your opt-in ({quantity(opt_in.quantity, solicitation.unit)}) stops counting: {district.name} "
        "will not be placed in a purchasing group and commits to nothing.",
        "You can opt in again until the opt-in deadline, "
        f"{localtime(solicitation.opt_in_deadline, tz)}; after it, nothing can change.",
    ]


def publish(solicitation: Solicitation) -> list[str]:
    tz = solicitation.consortium.timezone
    return [
        "It appears on the public list of solicitations; verified districts of "
        f"{solicitation.consortium.name} can opt in until "
        f"{localtime(solicitation.opt_in_deadline, tz)}.",
        f"Verified vendors can submit sealed bids until {localtime(solicitation.bid_deadline, tz)}.",
        "Its terms, requirements and clauses are frozen: afterwards only the deadlines can be "
        "extended, or the solicitation cancelled.",
    ]


def cancel(solicitation: Solicitation) -> list[str]:
    lines = ["This is final: a cancelled solicitation cannot be reopened, its bids are never "
             "opened and no award is made."]
    if solicitation.status == SolicitationStatus.open:
        live = len(live_opt_ins(solicitation))
        lines.append(f"Opted-in districts ({live:,}) are mailed that the buy is off and their "
                     "opt-ins commit them to nothing.")
    else:
        lines.append("It is a draft: nobody has seen it, nobody is mailed.")
    return lines
