"""Authorisation: the default-deny guard and every object-level `can_*` check.

Views never test roles inline; they call `require(can_x(user, obj))`, or one of the guards
that load the acting organisation and refuse in one step (`require_managed_consortium()`...).
Services do not ask policy who may act: the view decides, the service enforces the domain's
own rules (deadlines, verification) and refuses with DomainError. Each domain keeps its
checks in its own section below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from flask import abort, current_app, request
from flask_login import AnonymousUserMixin, current_user

from consortium.accounts.models import AffiliationStatus, Organisation, OrgKind, Role, User
from consortium.context import current_org
from consortium.procurement.models import SolicitationStatus, bids_are_open

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from consortium.accounts.models import Affiliation
    from consortium.accounts.tokens import ApiToken
    from consortium.allocation.models import AllocationRun
    from consortium.awards.models import Award, AwardGroup, Contract
    from consortium.bids.models import Bid, Product
    from consortium.payments.models import Invoice
    from consortium.procurement.models import Clause, Solicitation

# Who asks: the signed-in user, or Flask-Login's anonymous user (or nobody, outside requests).
Viewer = User | AnonymousUserMixin | None
OrgRef = Organisation | int | None  # an organisation, or its id
View = TypeVar("View")

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


def public(view: View) -> View:
    """Mark a view function as reachable without signing in."""
    view.is_public = True  # type: ignore[attr-defined]
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


def default_deny() -> Response | None:
    """before_app_request: anonymous visitors only reach public endpoints."""
    if is_public_endpoint(request.endpoint) or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()


def _user(user: Viewer) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- accounts ---


def is_member(user: Viewer, org: OrgRef) -> bool:
    """The user belongs to `org` (any role)."""
    signed_in = _user(user)
    return signed_in is not None and org is not None and signed_in.membership_in(org) is not None


def is_admin_of(user: Viewer, org: OrgRef) -> bool:
    signed_in = _user(user)
    membership = signed_in.membership_in(org) if signed_in is not None and org is not None else None
    return membership is not None and membership.role == Role.admin


def can_edit_org(user: Viewer, org: OrgRef) -> bool:
    """Profiles, declarations and settings of an organisation: its admins."""
    return is_admin_of(user, org)


def is_manager_of(user: Viewer, consortium: OrgRef) -> bool:
    """The user is staff of this consortium."""
    signed_in = _user(user)
    if signed_in is None or consortium is None:
        return False
    membership = signed_in.membership_in(consortium)
    return membership is not None and membership.organisation.kind == OrgKind.consortium


def can_manage_consortium(user: Viewer, org: Organisation | None) -> bool:
    """`org` is a consortium and the user its staff: its solicitations, clause library,
    verification queue, bid openings, runs, reports, audit trail and mail."""
    return org is not None and org.is_consortium and is_manager_of(user, org)


def is_verified_member(org: Organisation | None, consortium: OrgRef) -> bool:
    """`org` (district or vendor) is verified by `consortium`; required to opt in or bid."""
    if org is None or consortium is None:
        return False
    affiliation = org.affiliation_with(consortium)
    return affiliation is not None and affiliation.status == AffiliationStatus.verified


def can_apply_to_consortia(user: Viewer, org: Organisation | None) -> bool:
    """See its standing with each consortium and apply to more: a district's or vendor's staff."""
    return org is not None and not org.is_consortium and is_member(user, org)


def can_decide_affiliation(user: Viewer, affiliation: Affiliation) -> bool:
    """Verify or reject a district or vendor: managers of that consortium."""
    return is_manager_of(user, affiliation.consortium_id)


def can_view_org_profile(user: Viewer, org: Organisation) -> bool:
    """Its own members, and managers of any consortium it has applied to."""
    if is_member(user, org):
        return True
    return any(is_manager_of(user, a.consortium_id) for a in org.affiliations)


def can_read_outbox(user: Viewer, org: Organisation | None) -> bool:
    """Managers read their consortium's outbox; in demo mode everyone signed in reads their own."""
    if _user(user) is not None and current_app.config.get("DEMO_MODE"):
        return True
    return can_manage_consortium(user, org)


# --- the acting organisation (guards for views: the active organisation, or 403) ---


def acting_vendor(user: Viewer) -> Organisation | None:
    """The active organisation when it is a vendor the user belongs to (else None)."""
    org = current_org()
    return org if org is not None and org.is_vendor and is_member(user, org) else None


def require_acting_org() -> Organisation:
    """The organisation the signed-in user acts for (403 when they belong to none)."""
    org = current_org()
    require(org is not None and is_member(current_user, org))
    return org


def require_managed_consortium() -> Organisation:
    """The active organisation, which must be a consortium the user manages."""
    org = current_org()
    require(can_manage_consortium(current_user, org))
    return org


def require_acting_district() -> Organisation:
    """The active organisation, which must be a district the user belongs to."""
    org = current_org()
    require(can_opt_in_for(current_user, org))
    return org


def require_acting_vendor() -> Organisation:
    """The active organisation, which must be a vendor the user belongs to."""
    vendor = acting_vendor(current_user)
    require(vendor is not None)
    return vendor


# --- procurement ---

PUBLIC_ENDPOINTS.update({"procurement.index", "procurement.detail"})


def can_view_solicitation(user: Viewer, solicitation: Solicitation) -> bool:
    """Published ones are public; a draft exists only for its consortium's managers."""
    return solicitation.status != SolicitationStatus.draft or is_manager_of(
        user, solicitation.consortium_id
    )


def can_manage_solicitation(user: Viewer, solicitation: Solicitation) -> bool:
    """Edit, publish, cancel, and read every district's opt-in (with profiles, CSV)."""
    return is_manager_of(user, solicitation.consortium_id)


def can_edit_clause(user: Viewer, clause: Clause) -> bool:
    return is_manager_of(user, clause.consortium_id)


def can_opt_in_for(user: Viewer, org: Organisation | None) -> bool:
    """Opt in, change or withdraw for `org`: its staff, and only if it is a district."""
    return org is not None and org.kind == OrgKind.district and is_member(user, org)


# --- bids ---


def can_edit_product(user: Viewer, product: Product) -> bool:
    org = acting_vendor(user)
    return org is not None and product.vendor_id == org.id


def can_view_demand(user: Viewer) -> bool:
    """Aggregate demand of open solicitations: vendors only (districts see momentum publicly)."""
    return acting_vendor(user) is not None


def can_bid(user: Viewer, solicitation: Solicitation) -> bool:
    """Submit, revise or withdraw: a vendor verified by the solicitation's consortium."""
    org = acting_vendor(user)
    return org is not None and is_verified_member(org, solicitation.consortium_id)


def can_view_bid(user: Viewer, bid: Bid) -> bool:
    """Sealed: its vendor's staff only; the consortium's managers once bids are opened."""
    if is_member(user, bid.vendor_id):
        return True
    return bids_are_open(bid.solicitation) and is_manager_of(user, bid.solicitation.consortium_id)


def can_see_nonces(user: Viewer, bid: Bid) -> bool:
    """The secret nonces of a bid's receipt hashes: its own vendor's staff, others once opened.

    (Others reach a bid page only through `can_view_bid`, i.e. the consortium's managers after
    opening; this is the second lock on the one thing that would make a sealed hash checkable.)
    """
    return is_member(user, bid.vendor_id) or bids_are_open(bid.solicitation)


# --- allocation and awards ---

# Anyone may verify a published award and download its input and result.
PUBLIC_ENDPOINTS.update(
    {"awards.index", "awards.verify", "awards.input_json", "awards.result_json"}
)


def can_run_allocation(user: Viewer, solicitation: Solicitation) -> bool:
    """Start, watch, compare and publish runs: managers of the solicitation's consortium."""
    return is_manager_of(user, solicitation.consortium_id)


def can_view_run(user: Viewer, run: AllocationRun) -> bool:
    return can_run_allocation(user, run.solicitation)


def can_manage_award(user: Viewer, award: Award) -> bool:
    """Acceptance overview, contracts and reports of an award: its consortium's managers."""
    return is_manager_of(user, award.solicitation.consortium_id)


def can_view_contract(user: Viewer, contract: Contract) -> bool:
    """A district sees its own contract only; the consortium's managers see all."""
    return is_member(user, contract.district) or can_manage_award(user, contract.award)


def can_decide_contract(user: Viewer, contract: Contract) -> bool:
    """Accept or decline: staff of the district itself, nobody else."""
    return is_member(user, contract.district)


def can_view_award_group(user: Viewer, group: AwardGroup) -> bool:
    """A vendor sees its own groups (with their districts); managers see every group."""
    return is_member(user, group.vendor) or can_manage_award(user, group.award)


# --- payments (issue 8) ---

# Stripe posts without a session: the signature on the raw body is what admits a delivery.
PUBLIC_ENDPOINTS.add("payments.stripe_webhook")


def can_view_invoice(user: Viewer, invoice: Invoice) -> bool:
    """Its district and its vendor, and the consortium's managers; nobody else knows it exists."""
    return (is_member(user, invoice.district_id) or is_member(user, invoice.vendor_id)
            or is_manager_of(user, invoice.consortium_id))


def can_manage_invoice(user: Viewer, invoice: Invoice) -> bool:
    """Void, record a payment received outside Stripe, send a reminder: the consortium's staff."""
    return is_manager_of(user, invoice.consortium_id)


def can_record_purchase_order(user: Viewer, invoice: Invoice) -> bool:
    """The district that owes the invoice, and nobody else."""
    return is_member(user, invoice.district_id)


def can_view_fee_statement(user: Viewer, consortium: Organisation, vendor: Organisation) -> bool:
    """A vendor's fee statement with one consortium: the vendor's staff and that consortium's."""
    return vendor.is_vendor and (is_member(user, vendor) or can_manage_consortium(user, consortium))


def can_manage_payouts(user: Viewer, vendor: Organisation | None) -> bool:
    """Set up the vendor's Stripe Connect account: the vendor's admins."""
    return vendor is not None and vendor.is_vendor and is_admin_of(user, vendor)


# --- API tokens, the API's document and open data (issue 9) ---

# The OpenAPI document and the API reference are public, as are the open-data exports (OCDS).
PUBLIC_ENDPOINTS.update(
    {"api-docs.openapi_json", "opendata.index", "opendata.package", "opendata.solicitation_release"}
)


def can_revoke_token(user: Viewer, token: ApiToken) -> bool:
    """A personal API token is its person's alone: only they list and revoke it."""
    signed_in = _user(user)
    return signed_in is not None and token.user_id == signed_in.id


# --- hardening (issue 10) ---

# A registration is finished from the link mailed to its address, before anyone can sign in.
PUBLIC_ENDPOINTS.update({"accounts.confirm_registration"})
