"""The browsable API reference at /api/v1/docs, rendered here from the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from consortium.policy import public

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs")
@public
def reference():
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return render_template("api/reference.html", spec=spec)
