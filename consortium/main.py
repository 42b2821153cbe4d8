"""The public front door: home page and health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Organisation,
    OrgKind,
)
from consortium.extensions import db

bp = Blueprint("main", __name__)


def momentum() -> dict[str, int]:
    """Headline numbers for the home page."""
    counts = dict(
        db.session.execute(
            select(Organisation.kind, func.count()).group_by(Organisation.kind)
        ).all()
    )
    verified = select(Affiliation.member_id).where(Affiliation.status == AffiliationStatus.verified)
    students = db.session.execute(
        select(func.coalesce(func.sum(DistrictProfile.enrollment), 0)).where(
            DistrictProfile.organisation_id.in_(verified)
        )
    ).scalar_one()
    return {
        "consortia": counts.get(OrgKind.consortium, 0),
        "districts": counts.get(OrgKind.district, 0),
        "vendors": counts.get(OrgKind.vendor, 0),
        "students": int(students or 0),
    }


@bp.get("/")
def home():
    return render_template("home.html", momentum=momentum())


@bp.get("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
