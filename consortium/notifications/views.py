"""The outbox page: every mail the system sent or logged."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from consortium import policy
from consortium.accounts.services import current_org
from consortium.notifications.services import outbox_for

bp = Blueprint("notifications", __name__, url_prefix="/outbox")


@bp.get("/")
def outbox():
    org = current_org()
    policy.require(policy.can_read_outbox(current_user, org))
    return render_template("notifications/outbox.html", messages=outbox_for(current_user, org))
