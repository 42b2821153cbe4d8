"""Loading what a vendor bids on, with its authorisation: one loader for the bid pages and the
API alike (as procurement.loaders.get_solicitation is for solicitations)."""

from __future__ import annotations

from flask_login import current_user

from consortium.accounts.models import Organisation
from consortium.bids.models import Bid
from consortium.bids.sealed import find_bid
from consortium.policy import can_bid, require, require_acting_vendor
from consortium.procurement.loaders import get_solicitation
from consortium.procurement.models import Solicitation


def get_bidding(solicitation_id: int) -> tuple[Solicitation, Organisation, Bid | None]:
    """The solicitation (404 if hidden), the acting vendor (403 unless it may bid on it, i.e.
    verified by the solicitation's consortium) and that vendor's bid on it, if any."""
    solicitation = get_solicitation(solicitation_id)
    vendor = require_acting_vendor()
    require(can_bid(current_user, solicitation))
    return solicitation, vendor, find_bid(solicitation.id, vendor.id)
