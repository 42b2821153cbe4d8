"""The outbox page: every mail the system sent or logged."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from consortium import policy
from consortium.accounts.services import current_org
from consortium.notifications.services import outbox as recent_outbox

bp = Blueprint("notifications", __name__, url_prefix="/outbox")


@bp.get("/")
def outbox():
    policy.require(policy.can_read_outbox(current_user, current_org()))
    return render_template("notifications/outbox.html", messages=recent_outbox())
