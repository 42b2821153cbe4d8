"""The scenario form: a grouping policy in words a manager uses, turned into ALLOCATION.md policy."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

SOLVER_CHOICES = [
    SelectChoice("", "default (HiGHS)"),
    SelectChoice("highs", "HiGHS"),
    SelectChoice("cbc", "CBC"),
]


class RunForm(FlaskForm):
    label = StringField("Scenario name", validators=[Optional(), Length(max=120)])
    enrollment_max_ratio = FloatField(
        "Enrollment: largest / smallest at most",
        validators=[Optional(), NumberRange(min=1, message="must be at least 1")],
        description="Leave empty to group districts of any size together.",
    )
    mbps_max_ratio = FloatField(
        "Broadband per student: largest / smallest at most",
        validators=[Optional(), NumberRange(min=1, message="must be at least 1")],
    )
    mbps_max_spread = FloatField(
        "Broadband per student: largest − smallest at most (Mbps)",
        validators=[Optional(), NumberRange(min=0, message="must be zero or more")],
    )
    same_locale = BooleanField("Same locale (rural, town, suburban, urban)")
    same_state = BooleanField("Same state or province")
    min_group_size = IntegerField(
        "Smallest group (districts)",
        default=1,
        validators=[InputRequired(), NumberRange(min=1, message="must be at least 1")],
    )
    max_group_size = IntegerField(
        "Largest group (districts)",
        validators=[Optional(), NumberRange(min=1, message="must be at least 1")],
        description="Leave empty for no limit.",
    )
    individual_rationality = BooleanField("Nobody pays more than buying alone", default=True)
    time_limit_s = FloatField(
        "Time limit (seconds)",
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=3600, message="between 1 and 3600")],
    )
    mip_gap = FloatField(
        "Optimality gap",
        default=0.001,
        validators=[InputRequired(), NumberRange(min=0, max=0.5, message="between 0 and 0.5")],
    )
    solver = SelectField("Solver", choices=SOLVER_CHOICES, default="")

    def validate_max_group_size(self, field: IntegerField) -> None:
        if (
            field.data is not None
            and self.min_group_size.data
            and field.data < self.min_group_size.data
        ):
            raise ValidationError("must be at least the smallest group size")

    def validate_mbps_max_spread(self, field: FloatField) -> None:
        if field.data is not None and self.mbps_max_ratio.data is not None:
            raise ValidationError("choose a ratio or a spread for broadband, not both")

    def policy(self) -> dict[str, Any]:
        """The policy object of ALLOCATION.md these answers stand for."""
        rules: list[dict[str, Any]] = []
        if self.enrollment_max_ratio.data is not None:
            rules.append({"feature": "enrollment", "max_ratio": self.enrollment_max_ratio.data})
        if self.mbps_max_ratio.data is not None:
            rules.append({"feature": "mbps_per_student", "max_ratio": self.mbps_max_ratio.data})
        if self.mbps_max_spread.data is not None:
            rules.append({"feature": "mbps_per_student", "max_spread": self.mbps_max_spread.data})
        if self.same_locale.data:
            rules.append({"feature": "locale", "same": True})
        if self.same_state.data:
            rules.append({"feature": "state", "same": True})
        return {
            "similarity": rules,
            "min_group_size": self.min_group_size.data,
            "max_group_size": self.max_group_size.data,
            "individual_rationality": bool(self.individual_rationality.data),
            "time_limit_s": self.time_limit_s.data,
            "mip_gap": self.mip_gap.data,
        }

    def solver_choice(self) -> str | None:
        return self.solver.data or None


def form_defaults(policy: dict[str, Any] | None) -> dict[str, Any]:
    """Initial form values from a solicitation's stored policy."""
    policy = policy or {}
    values: dict[str, Any] = {
        "min_group_size": policy.get("min_group_size", 1),
        "max_group_size": policy.get("max_group_size"),
        "individual_rationality": policy.get("individual_rationality", True),
        "time_limit_s": policy.get("time_limit_s", 30),
        "mip_gap": policy.get("mip_gap", 0.001),
    }
    for rule in policy.get("similarity", []):
        feature = rule.get("feature")
        if feature == "enrollment" and "max_ratio" in rule:
            values["enrollment_max_ratio"] = rule["max_ratio"]
        elif feature == "mbps_per_student" and "max_ratio" in rule:
            values["mbps_max_ratio"] = rule["max_ratio"]
        elif feature == "mbps_per_student" and "max_spread" in rule:
            values["mbps_max_spread"] = rule["max_spread"]
        elif feature == "locale" and rule.get("same"):
            values["same_locale"] = True
        elif feature == "state" and rule.get("same"):
            values["same_state"] = True
    return values


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
