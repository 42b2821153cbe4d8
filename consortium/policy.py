"""Authorisation: the default-deny guard and every object-level `can_*` check.

Views never test roles inline; they call `require(can_x(user, obj))`. Each domain keeps
its checks in its own section below (edit only your section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort, current_app, request
from flask_login import current_user

from consortium.accounts.models import AffiliationStatus, OrgKind, Role
from consortium.context import current_org

if TYPE_CHECKING:
    from consortium.accounts.models import Affiliation, Organisation, User

# Endpoints anyone may reach without signing in. Domains add theirs in their section, or
# decorate the view with @public.
PUBLIC_ENDPOINTS: set[str] = {
    "static",
    "main.home",
    "main.healthz",
    "accounts.login",
    "accounts.register",
    "accounts.forgot_password",
    "accounts.reset_password",
}


def public(view: Any) -> Any:
    """Mark a view function as reachable without signing in."""
    view.is_public = True
    return view


def require(flag: bool, *, not_found: bool = False) -> None:
    """Abort with 403 unless `flag`; 404 instead when even the object's existence is private."""
    if not flag:
        abort(404 if not_found else 403)


def is_public_endpoint(endpoint: str | None) -> bool:
    if endpoint is None:  # no route matched: let the 404 through
        return True
    if endpoint in PUBLIC_ENDPOINTS or endpoint.endswith(".static"):
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def default_deny():
    """before_app_request: anonymous visitors only reach public endpoints."""
    if is_public_endpoint(request.endpoint) or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()


def _authenticated(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


# --- accounts ---


def is_member(user: User | None, org: Organisation | None) -> bool:
    """The user belongs to `org` (any role)."""
    return _authenticated(user) and org is not None and user.membership_in(org) is not None


def is_admin_of(user: User | None, org: Organisation | None) -> bool:
    membership = user.membership_in(org) if _authenticated(user) and org is not None else None
    return membership is not None and membership.role == Role.admin


def can_edit_org(user: User | None, org: Organisation | None) -> bool:
    """Profiles, declarations and settings of an organisation: its admins."""
    return is_admin_of(user, org)


def is_manager_of(user: User | None, consortium: Organisation | int | None) -> bool:
    """The user is staff of this consortium."""
    if not _authenticated(user) or consortium is None:
        return False
    membership = user.membership_in(consortium)
    return membership is not None and membership.organisation.kind == OrgKind.consortium


def is_verified_member(org: Organisation | None, consortium: Organisation | int | None) -> bool:
    """`org` (district or vendor) is verified by `consortium`; required to opt in or bid."""
    if org is None or consortium is None:
        return False
    affiliation = org.affiliation_with(consortium)
    return affiliation is not None and affiliation.status == AffiliationStatus.verified


def can_decide_affiliation(user: User | None, affiliation: Affiliation) -> bool:
    """Verify or reject a district or vendor: managers of that consortium."""
    return is_manager_of(user, affiliation.consortium_id)


def can_view_org_profile(user: User | None, org: Organisation) -> bool:
    """Its own members, and managers of any consortium it has applied to."""
    if is_member(user, org):
        return True
    return any(is_manager_of(user, a.consortium_id) for a in org.affiliations)


def can_read_audit(user: User | None, consortium: Organisation | None) -> bool:
    return consortium is not None and consortium.is_consortium and is_manager_of(user, consortium)


def can_read_outbox(user: User | None, consortium: Organisation | None) -> bool:
    """Managers read the outbox; in demo mode everyone signed in does."""
    if _authenticated(user) and current_app.config.get("DEMO_MODE"):
        return True
    return consortium is not None and is_manager_of(user, consortium)


# --- procurement ---

PUBLIC_ENDPOINTS.update({"procurement.index", "procurement.detail"})


def can_manage_procurement(user: User | None, consortium: Organisation | None) -> bool:
    """Write solicitations and the clause library of `consortium`: its staff."""
    return consortium is not None and consortium.is_consortium and is_manager_of(user, consortium)


def can_view_solicitation(user: User | None, solicitation: Any) -> bool:
    """Published ones are public; a draft exists only for its consortium's managers."""
    return solicitation.status != "draft" or is_manager_of(user, solicitation.consortium_id)


def can_manage_solicitation(user: User | None, solicitation: Any) -> bool:
    """Edit, publish, cancel, and read every district's opt-in (with profiles, CSV)."""
    return is_manager_of(user, solicitation.consortium_id)


def can_edit_clause(user: User | None, clause: Any) -> bool:
    return is_manager_of(user, clause.consortium_id)


def can_opt_in_for(user: User | None, org: Organisation | None) -> bool:
    """Opt in, change or withdraw for `org`: its staff, and only if it is a district."""
    return org is not None and org.kind == OrgKind.district and is_member(user, org)


# --- bids ---


def acting_vendor(user: User | None) -> Organisation | None:
    """The active organisation when it is a vendor the user belongs to (else None)."""
    org = current_org()
    return org if org is not None and org.is_vendor and is_member(user, org) else None


def can_manage_products(user: User | None) -> bool:
    """Products and the demand pages: staff of a vendor, acting for it."""
    return acting_vendor(user) is not None


def can_edit_product(user: User | None, product: Any) -> bool:
    org = acting_vendor(user)
    return org is not None and product.vendor_id == org.id


def can_view_demand(user: User | None) -> bool:
    """Aggregate demand of open solicitations: vendors only (districts see momentum publicly)."""
    return acting_vendor(user) is not None


def can_bid(user: User | None, solicitation: Any) -> bool:
    """Submit, revise or withdraw: a vendor verified by the solicitation's consortium."""
    org = acting_vendor(user)
    return org is not None and is_verified_member(org, solicitation.consortium_id)


def can_view_bid(user: User | None, bid: Any) -> bool:
    """Sealed: its vendor's staff only; the consortium's managers once bids are opened."""
    if is_member(user, bid.vendor_id):
        return True
    opened = bid.solicitation.status in ("bids_opened", "awarded")
    return opened and is_manager_of(user, bid.solicitation.consortium_id)


def can_open_bids(user: User | None, solicitation: Any) -> bool:
    """Open bids and read the opening page: managers of the solicitation's consortium."""
    return is_manager_of(user, solicitation.consortium_id)


# --- allocation and awards ---

# Anyone may verify a published award and download its input and result.
PUBLIC_ENDPOINTS.update(
    {"awards.index", "awards.verify", "awards.input_json", "awards.result_json"}
)


def can_run_allocation(user: User | None, solicitation: Any) -> bool:
    """Start, watch, compare and publish runs: managers of the solicitation's consortium."""
    return is_manager_of(user, solicitation.consortium_id)


def can_view_run(user: User | None, run: Any) -> bool:
    return can_run_allocation(user, run.solicitation)


def can_manage_award(user: User | None, award: Any) -> bool:
    """Acceptance overview, contracts and reports of an award: its consortium's managers."""
    return is_manager_of(user, award.solicitation.consortium_id)


def can_view_contract(user: User | None, contract: Any) -> bool:
    """A district sees its own contract only; the consortium's managers see all."""
    return is_member(user, contract.district) or can_manage_award(user, contract.award)


def can_decide_contract(user: User | None, contract: Any) -> bool:
    """Accept or decline: staff of the district itself, nobody else."""
    return is_member(user, contract.district)


def can_view_award_group(user: User | None, group: Any) -> bool:
    """A vendor sees its own groups (with their districts); managers see every group."""
    return is_member(user, group.vendor) or can_manage_award(user, group.award)
