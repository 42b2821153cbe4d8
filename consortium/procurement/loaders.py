"""Loading a solicitation with its authorisation: the one loader of every page that names one
(procurement, bids, allocation), as flaskr's `get_post(id, check_author=True)`."""

from __future__ import annotations

from flask_login import current_user

from consortium.extensions import db
from consortium.policy import can_manage_solicitation, can_view_solicitation, require
from consortium.procurement.models import Solicitation


def get_solicitation(solicitation_id: int, *, manage: bool = False) -> Solicitation:
    """A solicitation the current user may see (a draft stays invisible: 404), and with
    `manage` one they may manage as its consortium's staff (403 otherwise)."""
    solicitation = db.session.get(Solicitation, solicitation_id)
    require(
        solicitation is not None and can_view_solicitation(current_user, solicitation),
        not_found=True,
    )
    if manage:
        require(can_manage_solicitation(current_user, solicitation))
    return solicitation
