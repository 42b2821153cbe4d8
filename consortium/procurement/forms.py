"""Forms of solicitations, the clause library and opt-ins. Every error names its field.

Deadlines are typed in the consortium's timezone and stored in UTC; money is typed in
dollars and stored in cents; the admin fee is typed in percent and stored in basis points.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from consortium.accounts.forms import MultiCheckboxField, options
from consortium.accounts.models import CERTIFICATIONS
from consortium.bounds import FIRST_YEAR, LAST_YEAR, MAX_SEATS, MAX_UNIT_CENTS, SEATS_PER_STUDENT
from consortium.forms import PRICE_INVALID, AppForm, FiniteDecimalField
from consortium.procurement.grouping import PolicyChoices
from consortium.procurement.models import Solicitation

CATEGORIES = (
    "Learning management system",
    "Student information system",
    "Assessment",
    "Literacy",
    "Mathematics",
    "Internet access",
    "Devices",
    "Productivity and email",
)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CENT = Decimal("0.01")


def to_utc(local: datetime, tz: str) -> datetime:
    """A wall-clock time typed in `tz` as aware UTC; ValueError if the clocks skip it (DST)."""
    zone = ZoneInfo(tz)
    aware = local.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise ValueError(f"{local:%b %d, %Y %H:%M} does not exist in {tz} (the clocks skip it).")
    return utc


def to_local(value: datetime | None, tz: str) -> datetime | None:
    """Aware UTC as the naive wall-clock time a datetime-local input shows."""
    return None if value is None else value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _two_decimals(message: str):
    def check(form, field) -> None:
        if field.data is not None and field.data.quantize(CENT) != field.data:
            raise ValidationError(message)

    return check


class DeadlinesForm(AppForm):
    """The two deadlines, the only thing a published solicitation may change (later only)."""

    opt_in_deadline = DateTimeLocalField(
        "Opt-in deadline",
        format=DATETIME_FORMAT,
        validators=[InputRequired(message="Enter the opt-in deadline (date and time).")],
        description="Districts may opt in, change or withdraw until then.",
    )
    bid_deadline = DateTimeLocalField(
        "Bid deadline",
        format=DATETIME_FORMAT,
        validators=[InputRequired(message="Enter the bid deadline (date and time).")],
        description="Not before the opt-in deadline: vendors bid on the final demand.",
    )

    def __init__(self, *args: Any, tz: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.opt_in_deadline.description += f" Time in {tz}."
        self.bid_deadline.description += f" Time in {tz}."

    def _utc(self, field) -> datetime | None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a deadline between {FIRST_YEAR} and {LAST_YEAR}.")
        try:
            return to_utc(field.data, self.tz) if field.data else None
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_opt_in_deadline(self, field) -> None:
        self._utc(field)

    def validate_bid_deadline(self, field) -> None:
        bid = self._utc(field)
        try:
            opt_in = self._utc(self.opt_in_deadline)
        except ValidationError:
            return
        if bid is not None and opt_in is not None and bid < opt_in:
            raise ValidationError("The bid deadline cannot be before the opt-in deadline.")

    def deadlines(self) -> tuple[datetime, datetime]:
        """Both deadlines as aware UTC (call after validate())."""
        return to_utc(self.opt_in_deadline.data, self.tz), to_utc(self.bid_deadline.data, self.tz)

    @staticmethod
    def data_from(solicitation: Solicitation, tz: str) -> dict[str, Any]:
        return {
            "opt_in_deadline": to_local(solicitation.opt_in_deadline, tz),
            "bid_deadline": to_local(solicitation.bid_deadline, tz),
        }


class GroupingPolicyForm(AppForm):
    """The grouping policy of ALLOCATION.md as plain choices: on a solicitation (its default)
    and on each allocation run (a scenario). `PolicyChoices` maps it to the policy object."""

    enrollment_max_ratio = FiniteDecimalField(
        "Enrollment: largest at most N times the smallest", places=2,
        validators=[Optional(), NumberRange(min=1, max=10_000, message="At least 1 (leave empty for no rule).")],
        description="Leave empty to group districts of any size together.",
    )
    mbps_max_ratio = FiniteDecimalField(
        "Broadband per student: largest at most N times the smallest", places=2,
        validators=[Optional(), NumberRange(min=1, max=10_000, message="At least 1 (leave empty for no rule).")],
        description="Leave empty to ignore connectivity.",
    )
    mbps_max_spread = FiniteDecimalField(
        "Broadband per student: largest at most N Mbps more than the smallest", places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000, message="Zero or more (leave empty for no rule).")],
        description="A difference instead of a ratio; leave empty for no rule.",
    )
    same_locale = BooleanField("Same locale (rural, town, suburban, urban) in a group")
    same_state = BooleanField("Same state or province in a group")
    min_group_size = IntegerField(
        "Smallest group (districts)", default=1,
        validators=[InputRequired(message="Enter the smallest group size."),
                    NumberRange(min=1, max=10_000, message="At least 1.")],
    )
    max_group_size = IntegerField(
        "Largest group (districts)",
        validators=[Optional(), NumberRange(min=1, max=10_000, message="At least 1.")],
        description="Leave empty for no limit.",
    )
    individual_rationality = BooleanField(
        "No district pays more in its group than alone", default=True
    )
    time_limit_s = IntegerField(
        "Solver time limit (seconds)", default=60,
        validators=[InputRequired(message="Enter the solver's time limit."),
                    NumberRange(min=1, max=3_600, message="Between 1 and 3,600 seconds.")],
    )
    mip_gap_pct = FiniteDecimalField(
        "Solver optimality gap (%)", default=Decimal("0.1"), places=3,
        validators=[InputRequired(message="Enter the optimality gap in percent."),
                    NumberRange(min=0, max=50, message="Between 0%% and 50%%.")],
        description="The solver stops once its total is proven within this distance of the best.",
    )

    def validate_max_group_size(self, field) -> None:
        low = self.min_group_size.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError("Cannot be smaller than the smallest group.")

    def validate_mbps_max_spread(self, field) -> None:
        if field.data is not None and self.mbps_max_ratio.data is not None:
            raise ValidationError("Choose a ratio or a difference for broadband, not both.")

    def policy_choices(self) -> PolicyChoices:
        return PolicyChoices(
            enrollment_max_ratio=_float(self.enrollment_max_ratio.data),
            mbps_max_ratio=_float(self.mbps_max_ratio.data),
            mbps_max_spread=_float(self.mbps_max_spread.data),
            same_locale=self.same_locale.data,
            same_state=self.same_state.data,
            min_group_size=self.min_group_size.data,
            max_group_size=self.max_group_size.data,
            individual_rationality=self.individual_rationality.data,
            time_limit_s=self.time_limit_s.data,
            mip_gap=float(self.mip_gap_pct.data) / 100,
        )

    @staticmethod
    def data_from_policy(policy: dict[str, Any] | None) -> dict[str, Any]:
        """The fields' values for a stored policy (defaults for what it leaves out)."""
        choices = PolicyChoices.from_policy(policy)
        return {
            "enrollment_max_ratio": _decimal(choices.enrollment_max_ratio),
            "mbps_max_ratio": _decimal(choices.mbps_max_ratio),
            "mbps_max_spread": _decimal(choices.mbps_max_spread),
            "same_locale": choices.same_locale,
            "same_state": choices.same_state,
            "min_group_size": choices.min_group_size,
            "max_group_size": choices.max_group_size,
            "individual_rationality": choices.individual_rationality,
            "time_limit_s": int(choices.time_limit_s),
            "mip_gap_pct": Decimal(str(choices.mip_gap * 100)),
        }


class SolicitationForm(DeadlinesForm, GroupingPolicyForm):
    """Everything of a draft solicitation, the grouping policy as plain choices."""

    title = StringField(
        "Title", validators=[DataRequired(message="Give the solicitation a title."), Length(max=200)]
    )
    category = StringField(
        "Product category",
        validators=[DataRequired(message="Name the product category."), Length(max=100)],
        description="For example: " + ", ".join(CATEGORIES[:4]) + ".",
    )
    unit = StringField(
        "Unit", default="seat per year",
        validators=[DataRequired(message="Name the unit districts buy."), Length(max=50)],
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    term_months = IntegerField(
        "Contract term (months)", default=12,
        validators=[InputRequired(message="Enter the contract term in months."),
                    NumberRange(min=1, max=120, message="Between 1 and 120 months.")],
    )
    acceptance_window_days = IntegerField(
        "Acceptance window (days)", default=30,
        validators=[InputRequired(message="Enter how many days districts have to accept."),
                    NumberRange(min=1, max=365, message="Between 1 and 365 days.")],
        description="After the award, how long each district has to sign.",
    )
    currency = SelectField(
        "Currency", choices=options([("usd", "US dollars (USD)"), ("cad", "Canadian dollars (CAD)")]),
        default="usd",
    )
    admin_fee = FiniteDecimalField(
        "Admin fee (%)", default=Decimal("1.00"), places=2,
        validators=[InputRequired(message="Enter the admin fee in percent (0 for none)."),
                    NumberRange(min=0, max=20, message="Between 0%% and 20%%."),
                    _two_decimals("At most two decimals, e.g. 1.25.")],
        description="Paid by the vendor on each award, as cooperatives do.",
    )

    # Requirements of the product.
    dpa_required = BooleanField(
        "A data-privacy agreement signed for each district's state", default=True
    )
    certifications = MultiCheckboxField(
        "1EdTech certifications required", choices=options((c, c) for c in CERTIFICATIONS)
    )
    accessibility = SelectField(
        "Accessibility conformance",
        choices=options([("", "No requirement"), ("WCAG 2.0 AA", "WCAG 2.0 AA"),
                         ("WCAG 2.1 AA", "WCAG 2.1 AA")]),
        default="WCAG 2.1 AA",
    )

    clause_ids = MultiCheckboxField("Clauses from the library", coerce=int, validate_choice=True)

    def values(self) -> dict[str, Any]:
        """The service's input (call after validate())."""
        opt_in_deadline, bid_deadline = self.deadlines()
        return {
            "title": self.title.data.strip(),
            "category": self.category.data.strip(),
            "unit": self.unit.data.strip(),
            "description": (self.description.data or "").strip(),
            "term_months": self.term_months.data,
            "requirements": {
                "dpa_required": bool(self.dpa_required.data),
                "certifications": sorted(self.certifications.data or []),
                "accessibility": self.accessibility.data or None,
            },
            "opt_in_deadline": opt_in_deadline,
            "bid_deadline": bid_deadline,
            "acceptance_window_days": self.acceptance_window_days.data,
            "policy": self.policy_choices().as_policy(),
            "admin_fee_bps": int(self.admin_fee.data * 100),
            "currency": self.currency.data,
        }

    @staticmethod
    def data_from(solicitation: Solicitation, tz: str) -> dict[str, Any]:
        requirements = solicitation.requirements or {}
        return {
            **DeadlinesForm.data_from(solicitation, tz),
            **GroupingPolicyForm.data_from_policy(solicitation.policy),
            "title": solicitation.title,
            "category": solicitation.category,
            "unit": solicitation.unit,
            "description": solicitation.description,
            "term_months": solicitation.term_months,
            "acceptance_window_days": solicitation.acceptance_window_days,
            "currency": solicitation.currency,
            "admin_fee": Decimal(solicitation.admin_fee_bps) / 100,
            "dpa_required": bool(requirements.get("dpa_required")),
            "certifications": list(requirements.get("certifications") or []),
            "accessibility": requirements.get("accessibility") or "",
            "clause_ids": [link.clause_id for link in solicitation.clause_links],
        }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class ClauseForm(AppForm):
    title = StringField(
        "Clause title", validators=[DataRequired(message="Give the clause a title."), Length(max=200)]
    )
    body = TextAreaField(
        "Clause text", validators=[DataRequired(message="Write the clause's text."), Length(max=20_000)]
    )


class OptInForm(AppForm):
    """A district's opt-in: quantity and an optional price ceiling in dollars."""

    quantity = IntegerField(
        "Quantity",
        validators=[InputRequired(message="Enter how many units your district commits to."),
                    NumberRange(min=1, max=MAX_SEATS, message=f"At least 1 (and at most {MAX_SEATS:,}).")],
        description=f"At most {SEATS_PER_STUDENT} per enrolled student (staff and spares included).",
    )
    max_unit_price = FiniteDecimalField(
        "Price ceiling per unit", places=2, invalid=PRICE_INVALID,
        validators=[Optional(),
                    NumberRange(min=Decimal("0.01"), max=MAX_UNIT_CENTS // 100,
                                message=f"Between $0.01 and ${MAX_UNIT_CENTS // 100:,} "
                                        "(leave it empty for no ceiling)."),
                    _two_decimals("Whole cents only, e.g. 12.50.")],
        description="Optional. You commit to buy only if the awarded unit price is at most this.",
    )
    version = HiddenField(default="0")

    def ceiling_cents(self) -> int | None:
        value = self.max_unit_price.data
        return None if value is None else int((value * 100).to_integral_value())

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class WithdrawForm(AppForm):
    version = HiddenField(default="0")

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
