"""The scenario form: the grouping policy (the solicitation's form, prefilled with its
policy) plus a label and a solver, turned into ALLOCATION.md policy."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from consortium.forms import AppForm
from consortium.procurement.forms import GroupingPolicyForm

SOLVER_CHOICES = [
    SelectChoice("", "default (HiGHS)"),
    SelectChoice("highs", "HiGHS"),
    SelectChoice("cbc", "CBC"),
]


class RunForm(GroupingPolicyForm):
    label = StringField("Scenario name", validators=[Optional(), Length(max=120)])
    solver = SelectField("Solver", choices=SOLVER_CHOICES, default="")

    def policy(self) -> dict[str, Any]:
        """The policy object of ALLOCATION.md these answers stand for."""
        return self.policy_choices().as_policy()

    def solver_choice(self) -> str | None:
        return self.solver.data or None


class ConfirmForm(AppForm):
    """A button that changes state: only the CSRF token."""


class PublishForm(AppForm):
    """The publish confirmation: only a POST carrying `confirm` publishes.

    The field has no default, so a POST without it (the run page's button, a replayed or
    forged request) is never taken for a confirmation."""

    CONFIRMED = "yes"
    confirm = HiddenField()
