"""The outbox page: every mail the system sent or logged."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from consortium import policy
from consortium.context import current_org
from consortium.notifications.services import consortium_outbox, personal_outbox

bp = Blueprint("notifications", __name__, url_prefix="/outbox")


@bp.get("/")
def outbox():
    org = current_org()
    policy.require(policy.can_read_outbox(current_user, org))
    if policy.can_manage_consortium(current_user, org):
        messages = consortium_outbox(org, current_user.email)
    else:
        messages = personal_outbox(current_user.email)
    return render_template("notifications/outbox.html", messages=messages)
