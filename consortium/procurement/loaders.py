"""Loading a solicitation with its authorisation: the one loader of every page that names one
(procurement, bids, allocation), as flaskr's `get_post(id, check_author=True)`."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from consortium.extensions import db
from consortium.policy import can_manage_solicitation, can_view_solicitation, require
from consortium.procurement.models import Solicitation, SolicitationClause


def get_solicitation(
    solicitation_id: int, *, manage: bool = False, with_clauses: bool = False
) -> Solicitation:
    """A solicitation the current user may see (a draft stays invisible: 404), and with
    `manage` one they may manage as its consortium's staff (403 otherwise); `with_clauses`
    loads its clauses in the same round trip (the pages that show them)."""
    # Its consortium comes along: every page of a solicitation shows its zone and name.
    options = [joinedload(Solicitation.consortium)]
    if with_clauses:
        options.append(selectinload(Solicitation.clause_links).joinedload(SolicitationClause.clause))
    solicitation = db.session.get(Solicitation, solicitation_id, options=options)
    require(
        solicitation is not None and can_view_solicitation(current_user, solicitation),
        not_found=True,
    )
    if manage:
        require(can_manage_solicitation(current_user, solicitation))
    return solicitation
