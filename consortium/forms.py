"""The base of every form, and the number fields that refuse what Decimal and int accept.

`AppForm` reads only the posted form fields as text: a text field never receives an uploaded
file part (a login posted as multipart) or a JSON value (a dict where an email was expected);
file fields receive only files. `FiniteDecimalField` refuses NaN, sNaN, Infinity and numbers
too large to be money, which Python's Decimal parses happily and NumberRange cannot compare.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, FileField, IntegerField
from wtforms.validators import StopValidation

# Larger than any price, ratio or percentage a form asks for, by far: beyond it, a typo.
DECIMAL_LIMIT = Decimal(10) ** 12
# What a price field says when what was typed is not an amount of money.
PRICE_INVALID = "Enter a price in dollars, e.g. 12.50."


class AppForm(FlaskForm):
    """FlaskForm that takes text from text fields and files from file fields, nothing else."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return formdata
            if not _is_submitted():
                return None
            data = MultiDict(request.form.items(multi=True))
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            for name in file_fields:
                for upload in request.files.getlist(name):
                    data.add(name, upload)
            return data or None

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        """Also refuse NUL characters: no database text column can hold them."""
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and "\x00" in field.data:
                field.errors = [*field.errors, "Remove the invisible control characters."]
                ok = False
        return ok


class _SaysOnlyUnreadable:
    """Text that is not a number gets the parse message alone, not also "must be between"."""

    def pre_validate(self, form) -> None:
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:
            raise StopValidation()


class WholeNumberField(_SaysOnlyUnreadable, IntegerField):
    """An IntegerField whose message for letters says what to type (`invalid`)."""

    def __init__(self, *args, invalid: str = "Enter a whole number, e.g. 500.", **kwargs):
        super().__init__(*args, invalid_value_message=invalid, **kwargs)


class FiniteDecimalField(_SaysOnlyUnreadable, DecimalField):
    """A DecimalField that refuses non-finite and absurdly large values with a clear message.

    Whatever cannot be read as a number gets one message saying what to type (`invalid`,
    e.g. "Enter a price in dollars, e.g. 12.50."), instead of WTForms' "Not a valid decimal
    value." followed by the range validator's complaint about the missing value.
    """

    def __init__(self, *args, invalid: str = "Enter a number, e.g. 12.50.", **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None
        value = self.data
        if isinstance(value, Decimal):
            try:
                sane = value.is_finite() and abs(value) < DECIMAL_LIMIT
            except InvalidOperation:
                sane = False
            if not sane:
                self.data = None
                raise ValueError(self.invalid_message)
