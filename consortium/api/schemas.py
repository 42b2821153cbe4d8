"""What the API answers: marshmallow schemas of the resources, shared by its modules.

Times are ISO 8601 in UTC (`...Z`); money is integer cents (`*_amount`) beside the
resource's `currency`; statuses are the stored values, `phase` what the pages show.
"""

from __future__ import annotations

import marshmallow as ma

from consortium.accounts.models import CERTIFICATIONS
from consortium.api.core import Schema, UtcDateTime, whole
from consortium.bounds import MAX_SEATS, MAX_UNIT_CENTS
from consortium.procurement.models import CURRENCIES

F = ma.fields
RATIO_MAX = 10_000.0


class OrganisationRef(ma.Schema):
    id = F.Integer(required=True)
    name = F.String(required=True)
    slug = F.String(required=True)
    kind = F.String(required=True, metadata={"enum": ["district", "vendor", "consortium"]})


class Requirements(Schema):
    """What a product must meet."""

    dpa_required = F.Boolean(load_default=True, dump_default=False,
                             metadata={"description": "A DPA signed for each district's state."})
    certifications = F.List(F.String(validate=ma.validate.OneOf(CERTIFICATIONS)),
                            load_default=list, validate=ma.validate.Length(max=len(CERTIFICATIONS)))
    accessibility = F.String(allow_none=True, load_default="WCAG 2.1 AA",
                             validate=ma.validate.OneOf(["WCAG 2.0 AA", "WCAG 2.1 AA"]))


class Grouping(Schema):
    """The grouping policy as the pages set it (procurement.grouping.PolicyChoices)."""

    enrollment_max_ratio = F.Float(allow_none=True, load_default=None,
                                   validate=ma.validate.Range(1, RATIO_MAX))
    mbps_max_ratio = F.Float(allow_none=True, load_default=None,
                             validate=ma.validate.Range(1, RATIO_MAX))
    mbps_max_spread = F.Float(allow_none=True, load_default=None,
                              validate=ma.validate.Range(0, RATIO_MAX))
    same_locale = F.Boolean(load_default=False)
    same_state = F.Boolean(load_default=False)
    min_group_size = whole(1, 10_000, load_default=1)
    max_group_size = whole(1, 10_000, allow_none=True, load_default=None)
    individual_rationality = F.Boolean(load_default=True)
    time_limit_s = whole(1, 3_600, load_default=60)
    mip_gap = F.Float(load_default=0.001, validate=ma.validate.Range(0, 0.5),
                      metadata={"description": "Relative optimality gap (0.001 = 0.1 %)."})

    @ma.validates_schema
    def _consistent(self, data, **kwargs) -> None:
        low, high = data.get("min_group_size"), data.get("max_group_size")
        if high is not None and low is not None and high < low:
            raise ma.ValidationError("Cannot be smaller than min_group_size.", "max_group_size")
        if data.get("mbps_max_ratio") is not None and data.get("mbps_max_spread") is not None:
            raise ma.ValidationError("Choose a ratio or a spread for broadband, not both.",
                                     "mbps_max_spread")


class Clause(ma.Schema):
    title = F.String(attribute="shown_title", required=True)
    body = F.String(attribute="shown_body", required=True)


class Solicitation(ma.Schema):
    id = F.Integer(required=True)
    consortium = F.Nested(OrganisationRef, required=True)
    title = F.String(required=True)
    category = F.String(required=True)
    unit = F.String(required=True)
    description = F.String(required=True)
    term_months = F.Integer(required=True)
    requirements = F.Nested(Requirements, required=True)
    grouping = F.Nested(Grouping, required=True)
    opt_in_deadline = UtcDateTime(required=True)
    bid_deadline = UtcDateTime(required=True)
    acceptance_window_days = F.Integer(required=True)
    admin_fee_bps = F.Integer(required=True, metadata={"description": "Basis points (150 = 1.5 %)."})
    currency = F.String(required=True, metadata={"enum": list(CURRENCIES)})
    status = F.String(required=True)
    phase = F.String(required=True, metadata={"description": "What the pages show, e.g. 'opt-ins closed'."})
    created_at = UtcDateTime(required=True)
    published_at = UtcDateTime(allow_none=True, required=True)
    bids_opened_at = UtcDateTime(allow_none=True, required=True)
    cancelled_at = UtcDateTime(allow_none=True, required=True)
    clauses = F.List(F.Nested(Clause), required=True)


class DemandCell(ma.Schema):
    label = F.String(required=True)
    districts = F.Integer(allow_none=True, required=True)
    seats = F.Integer(allow_none=True, required=True)


class Momentum(ma.Schema):
    """Committed demand; outside the consortium's staff, cells of fewer than three districts
    are withheld (null), and while opt-ins are open seats are null but for `seats_range` (a
    1-2-5 range, so no single district's quantity can be read by comparing two answers); exact
    totals once opt-ins close. As on the pages."""

    districts = F.Integer(allow_none=True, required=True)
    seats = F.Integer(allow_none=True, required=True)
    seats_range = F.String(allow_none=True, required=True, dump_default=None, metadata={
        "description": "While opt-ins are open, outside the consortium: e.g. '2,000 to 5,000'."})
    by_locale = F.List(F.Nested(DemandCell), required=True)
    by_enrollment = F.List(F.Nested(DemandCell), required=True)


class OptIn(ma.Schema):
    id = F.Integer(required=True)
    solicitation_id = F.Integer(required=True)
    district = F.Nested(OrganisationRef, required=True)
    quantity = F.Integer(required=True)
    max_unit_amount = F.Integer(allow_none=True, required=True,
                                metadata={"description": "Price ceiling, cents per unit (null: none)."})
    currency = F.String(required=True)
    status = F.String(required=True, metadata={"enum": ["live", "withdrawn"]})
    version = F.Integer(required=True, metadata={"description": "Send it back to change or withdraw."})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class Tier(Schema):
    up_to = whole(1, MAX_SEATS, allow_none=True, required=True,
                  metadata={"description": "Last seat of the tier; null on the last tier."})
    unit_amount = whole(0, MAX_UNIT_CENTS, required=True, metadata={"description": "Cents per seat."})


class BidVersion(ma.Schema):
    number = F.Integer(required=True)
    submitted_at = UtcDateTime(required=True)
    withdrawn = F.Boolean(required=True)
    product_id = F.Integer(required=True)
    tiers_mode = F.String(required=True, metadata={"enum": ["volume", "graduated"]})
    tiers = F.List(F.Nested(Tier), required=True)
    capacity = F.Integer(allow_none=True, required=True)
    content_hash = F.String(required=True, metadata={"description": "SHA-256 receipt hash."})
    nonce = F.String(allow_none=True, required=True,
                     metadata={"description": "The hash's secret; null unless you may see it."})


class Bid(ma.Schema):
    id = F.String(required=True, metadata={
        "description": "Opaque (not a sequence number): GET /bids/{id} reads the bid."})
    solicitation_id = F.Integer(required=True)
    vendor = F.Nested(OrganisationRef, required=True)
    currency = F.String(required=True)
    sealed_until = UtcDateTime(required=True, metadata={"description": "The bid deadline."})
    counting_version = F.Integer(allow_none=True, required=True,
                                 metadata={"description": "Known after the bid deadline."})
    versions = F.List(F.Nested(BidVersion), required=True)


class Product(ma.Schema):
    id = F.Integer(required=True)
    name = F.String(required=True)
    category = F.String(required=True)
    sku = F.String(required=True)
