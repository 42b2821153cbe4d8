"""Forms for products, declarations and the tier schedule editor (works without JavaScript).

The schedule editor is a fixed number of rows, each "up to" + "$ per seat";
the last filled row is unbounded. Field names are `tiers-<n>-up_to` and
`tiers-<n>-unit_price`; every error message is reported once, on the field at fault, and
read with the field's name in words ("Tier 2 unit price: must not be higher than tier 1's").
"""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from consortium.bids.schedules import Schedule, schedule_problems
from consortium.bounds import MAX_SEATS, MAX_UNIT_CENTS
from consortium.forms import PRICE_INVALID, AppForm, FiniteDecimalField, WholeNumberField
from pricing.types import Tier

TIER_ROWS = 6
SEATS_INVALID = "Enter a whole number of seats, e.g. 500."
# How the summary names the bid form's fields (their labels carry hints too long for it).
SHORT_LABELS = {"product": "Product", "tiers_mode": "Pricing mode", "capacity": "Capacity",
                "file": "Tier schedule file"}
TIER_PARTS = {"up_to": "up to (seats)", "unit_price": "unit price"}


def field_label(name: str) -> str:
    """A field of the bid form in words: 'tiers-1-unit_price' -> 'Tier 2 unit price'."""
    if name.startswith("tiers-"):
        _, index, part = name.split("-", 2)
        return f"Tier {int(index) + 1} {TIER_PARTS.get(part, part.replace('_', ' '))}"
    return SHORT_LABELS.get(name, name.replace("_", " ").capitalize())


class ProductForm(AppForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    category = StringField("Category", validators=[Optional(), Length(max=100)])
    sku = StringField("SKU", validators=[Optional(), Length(max=64)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save product")


class TierRowForm(Form):
    """One row of the schedule editor (a plain Form: the enclosing AppForm carries CSRF)."""

    up_to = WholeNumberField(
        "Up to (seats)", invalid=SEATS_INVALID,
        validators=[Optional(), NumberRange(min=1, max=MAX_SEATS,
                                            message=f"Between 1 and {MAX_SEATS:,} seats.")],
    )
    unit_price = FiniteDecimalField(
        "$ per seat", places=2, invalid=PRICE_INVALID,
        validators=[Optional(), NumberRange(min=0, max=MAX_UNIT_CENTS // 100,
                                            message=f"Between $0 and ${MAX_UNIT_CENTS // 100:,}.")],
    )


class BidForm(AppForm):
    product = SelectField("Product", coerce=int, validators=[DataRequired()])
    tiers_mode = RadioField(
        "Pricing mode",
        choices=[
            SelectChoice(
                "volume", "Volume: every seat at the price of the tier the total falls in"
            ),
            SelectChoice("graduated", "Graduated: each tier's seats at that tier's price"),
        ],
        default="volume",
    )
    tiers = FieldList(FormField(TierRowForm), min_entries=TIER_ROWS, max_entries=TIER_ROWS)
    capacity = WholeNumberField(
        "Capacity (most seats you can serve; empty = no limit)",
        invalid=SEATS_INVALID,
        validators=[Optional(), NumberRange(min=1, max=MAX_SEATS,
                                            message=f"Between 1 and {MAX_SEATS:,} seats.")],
    )
    preview = SubmitField("Preview")
    submit = SubmitField("Submit sealed bid")
    _refused: frozenset[str] | set[str] = frozenset()

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        # Check the schedule as a whole too (so a bad product does not hide tier errors), unless
        # a tier input is already unreadable: the schedule rules would then report noise.
        self._refused = {field.name for field in self._all_fields() if field.errors}
        if not any(sub.errors for row in self.tiers for sub in row):
            ok = self.schedule(check=True) is not None and ok
        for field in self._all_fields():
            field.errors = list(dict.fromkeys(field.errors))  # each problem said once
        return ok

    @staticmethod
    def label_of(field) -> str:
        """The field's name in words, as error messages start with it."""
        return field_label(field.name)

    def _all_fields(self):
        for name, field in self._fields.items():
            if name == "tiers":
                for row in field:
                    yield from row
            else:
                yield field

    def rows(self) -> list[tuple[int, int | None, Decimal | None]]:
        return [(i, row.up_to.data, row.unit_price.data) for i, row in enumerate(self.tiers)]

    def _field(self, name: str):
        if name.startswith("tiers-"):
            _, index, sub = name.split("-", 2)
            return getattr(self.tiers[int(index)], sub)
        return getattr(self, name)

    def schedule(self, check: bool = False) -> Schedule | None:
        """The schedule the rows describe; with check=True, errors go on the fields (None if any)."""
        filled = [r for r in self.rows() if r[1] is not None or r[2] is not None]
        errors: list[tuple[str, str]] = []
        if filled:
            last_index = filled[-1][0]
            for index, _up_to, price in self.rows()[: last_index + 1]:
                if (index, _up_to, price) not in filled:
                    errors.append((f"tiers-{index}-unit_price", "fill the tiers in order, no gaps"))
        tiers = []
        for index, up_to, price in filled:
            if price is None:
                errors.append((f"tiers-{index}-unit_price", "enter the price per seat"))
                continue
            if price != price.quantize(Decimal("0.01")):
                errors.append((f"tiers-{index}-unit_price", "whole cents only"))
                continue
            tiers.append(Tier(up_to, int(price * 100)))
        schedule = Schedule(self.tiers_mode.data or "", tuple(tiers), self.capacity.data)
        if not errors:
            errors = schedule_problems(schedule)
        if check:
            for name, message in errors:
                field = self._field(name)
                # A field its own validators already refused (capacity out of range) keeps
                # that one message: the schedule rule would say the same thing again.
                if name not in self._refused:
                    field.errors = [*field.errors, message]
        return None if errors else schedule

    def field_errors(self) -> list[str]:
        """Every error message of the form, each naming its field in words (the summary)."""
        messages = [f"{field_label(field.name)}: {e}" for field in self._all_fields()
                    for e in field.errors]
        return list(dict.fromkeys(messages))


class ScheduleUploadForm(AppForm):
    """The tier schedule as a CSV file (one tier per line), with the rest of the bid."""

    product = SelectField("Product", coerce=int, validators=[DataRequired()])
    tiers_mode = BidForm.tiers_mode
    capacity = BidForm.capacity
    file = FileField(
        "Tier schedule (CSV)",
        validators=[FileRequired(message="Choose a CSV file."),
                    FileAllowed(["csv", "txt"], message="Upload a .csv file.")],
        description="Columns up_to and unit_price (dollars); leave up_to empty on the last tier.",
    )
    preview = SubmitField("Preview")
    submit = SubmitField("Submit sealed bid")
