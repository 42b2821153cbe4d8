"""The open-data pages: a release package of every published solicitation, or of one."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, url_for

from consortium.extensions import db
from consortium.opendata import ocds
from consortium.procurement.models import Solicitation

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


def _json(data: dict):
    response = jsonify(data)
    # Open data: any site may read it, and it holds nothing private.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/")
def index():
    return render_template("opendata/index.html", solicitations=ocds.published_solicitations(),
                           extensions=ocds.EXTENSIONS)


@bp.get("/ocds.json")
def package():
    """Every published solicitation's current release."""
    uri = url_for("opendata.package", _external=True)
    return _json(ocds.release_package(ocds.published_solicitations(), uri))


@bp.get("/ocds/<int:solicitation_id>.json")
def solicitation_release(solicitation_id: int):
    """One published solicitation's release, as a package of one (drafts do not exist)."""
    solicitation = db.session.get(Solicitation, solicitation_id)  # <int:> is bounded (urls.py)
    if solicitation is None or solicitation.status not in ocds.PUBLISHED:
        abort(404)
    uri = url_for("opendata.solicitation_release", solicitation_id=solicitation.id, _external=True)
    return _json(ocds.release_package([solicitation], uri))
