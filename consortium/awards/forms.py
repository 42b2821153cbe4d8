"""The one form of the award pages that asks for more than a click: declining a contract."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from consortium.awards.models import DECLINE_REASON_MAX
from consortium.forms import AppForm


class DeclineForm(AppForm):
    reason = TextAreaField(
        "Reason for declining",
        description="Required. The consortium's managers read it (e.g. the budget was not "
                    "approved, another contract covers it).",
        validators=[DataRequired(message="Say why your district declines."),
                    Length(max=DECLINE_REASON_MAX,
                           message=f"Keep it under {DECLINE_REASON_MAX:,} characters.")],
    )
