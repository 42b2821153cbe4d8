"""Whether a vendor's declarations meet a solicitation's requirements for one district.

`eligibility_problems` is the pure rule; `bid_is_eligible` applies it to a stored bid.
"""

from __future__ import annotations

from typing import Any

from consortium.accounts.models import ACCESSIBILITY_LEVELS as _LEVELS_STRONGEST_FIRST
from consortium.accounts.models import DistrictProfile, Organisation, VendorProfile
from consortium.bids.models import Bid
from consortium.extensions import db

# Ordered from weakest to strongest: a declaration meets a requirement at or below it.
ACCESSIBILITY_LEVELS = tuple(reversed(_LEVELS_STRONGEST_FIRST))


def accessibility_rank(level: str | None) -> int:
    """Position of an accessibility level in ACCESSIBILITY_LEVELS (unknown = 'none')."""
    return ACCESSIBILITY_LEVELS.index(level) if level in ACCESSIBILITY_LEVELS else 0


def eligibility_problems(
    requirements: dict[str, Any] | None,
    declarations: VendorProfile | None,
    district_state: str | None,
) -> list[str]:
    """Why a vendor's declarations do not meet a solicitation's requirements for one district.

    Empty list = eligible. Pure: reads the requirements dict and the profile's attributes.
    """
    requirements = requirements or {}
    dpa_states = set(getattr(declarations, "dpa_states", None) or [])
    certifications = set(getattr(declarations, "certifications", None) or [])
    accessibility = getattr(declarations, "accessibility", None) or "none"
    problems = []
    if requirements.get("dpa_required"):
        if not district_state:
            problems.append("the district has no state on its profile for the DPA check")
        elif district_state.upper() not in {s.upper() for s in dpa_states}:
            problems.append(f"no signed DPA for {district_state}")
    missing = [c for c in requirements.get("certifications") or [] if c not in certifications]
    if missing:
        problems.append("missing certification: " + ", ".join(missing))
    required_level = requirements.get("accessibility") or "none"
    if accessibility_rank(accessibility) < accessibility_rank(required_level):
        problems.append(f"accessibility {accessibility} is below {required_level}")
    return problems


def declaration_gaps(requirements: dict[str, Any] | None, declarations: Any) -> list[str]:
    """The problems that hold for every district (certifications, accessibility), not the DPA."""
    return eligibility_problems({**(requirements or {}), "dpa_required": False}, declarations, None)


def _district_state(district: Organisation | DistrictProfile) -> str | None:
    if isinstance(district, DistrictProfile):
        return district.state
    profile = district.district_profile
    return profile.state if profile else None


def vendor_declarations(vendor_id: int) -> VendorProfile | None:
    """The vendor's compliance declarations (its VendorProfile), if it has one."""
    return db.session.get(VendorProfile, vendor_id)


def bid_is_eligible(bid: Bid, district: Organisation | DistrictProfile) -> bool:
    """Whether `bid`'s vendor meets its solicitation's requirements for this district."""
    return not eligibility_problems(
        bid.solicitation.requirements,
        vendor_declarations(bid.vendor_id),
        _district_state(district),
    )
