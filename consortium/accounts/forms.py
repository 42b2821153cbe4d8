"""Forms for registration, sign-in, profiles and verification. Validation names the field."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from consortium.accounts.models import ACCESSIBILITY_LEVELS, CERTIFICATIONS, LOCALES
from consortium.bounds import MAX_BROADBAND_MBPS, MAX_ENROLLMENT, MAX_SCHOOLS
from consortium.forms import AppForm

US_STATES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"]
PROVINCES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
REGIONS = tuple(US_STATES + PROVINCES)


def options(pairs) -> list[SelectChoice]:
    """WTForms 3.3 choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


REGION_CHOICES = options((code, code) for code in REGIONS)

MIN_PASSWORD = 12


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(AppForm):
    # No format check here: any existing account must be able to sign in.
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(message="Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class RegisterForm(AppForm):
    kind = RadioField(
        "Your organisation is a",
        choices=options([("district", "School district"), ("vendor", "Vendor")]),
        validators=[InputRequired(message="Choose district or vendor.")],
    )
    organisation_name = StringField(
        "Organisation name",
        validators=[DataRequired(message="Enter the organisation's name."), Length(max=200)],
        description="As it appears on contracts, e.g. 'Maple Valley School District 12'.",
    )
    consortium_id = SelectField(
        "Consortium to join",
        coerce=int,
        validators=[InputRequired(message="Choose a consortium.")],
        description="Its managers verify your organisation before you can opt in or bid.",
    )
    name = StringField("Your name", validators=[DataRequired(message="Enter your name."), Length(max=120)])
    email = EmailField(
        "Work email",
        validators=[DataRequired(message="Enter your email."), Email(), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(message="Choose a password."),
            Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
        description=f"At least {MIN_PASSWORD} characters; a short sentence works well.",
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[EqualTo("password", message="The two passwords differ.")],
    )


class DistrictProfileForm(AppForm):
    nces_id = StringField(
        "NCES or provincial id",
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z0-9-]{4,20}$", message="Use 4 to 20 letters, digits or dashes (NCES LEA ids have 7 digits)."),
        ],
        description="The 7-digit NCES LEA id, or your provincial board number.",
    )
    state = SelectField(
        "State or province",
        choices=[SelectChoice("", "Choose…"), *REGION_CHOICES],
        validators=[DataRequired(message="Choose a state or province.")],
    )
    enrollment = IntegerField(
        "Enrollment (students)",
        validators=[
            InputRequired(message="Enter the number of students."),
            NumberRange(min=1, max=MAX_ENROLLMENT, message=f"Enter a number from 1 to {MAX_ENROLLMENT:,}."),
        ],
    )
    schools = IntegerField(
        "Number of schools",
        validators=[
            InputRequired(message="Enter the number of schools."),
            NumberRange(min=1, max=MAX_SCHOOLS, message=f"Enter a number from 1 to {MAX_SCHOOLS:,}."),
        ],
    )
    broadband_mbps = IntegerField(
        "Internet bandwidth (Mbps)",
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_BROADBAND_MBPS,
                        message=f"Enter a number from 0 to {MAX_BROADBAND_MBPS:,}."),
        ],
        description="Total internet access bandwidth of the district.",
    )
    locale = SelectField(
        "Locale",
        choices=options([("", "Choose…"), *[(v, v.capitalize()) for v in LOCALES]]),
        validators=[DataRequired(message="Choose a locale.")],
    )
    sis = StringField(
        "Student information system",
        validators=[Optional(), Length(max=80)],
        description="e.g. PowerSchool, Infinite Campus, Skyward.",
    )


class VendorProfileForm(AppForm):
    dpa_states = MultiCheckboxField(
        "States and provinces with a signed data-privacy agreement",
        choices=REGION_CHOICES,
        validate_choice=True,
    )
    certifications = MultiCheckboxField(
        "1EdTech certifications", choices=options((c, c) for c in CERTIFICATIONS)
    )
    accessibility = SelectField(
        "Accessibility conformance",
        choices=options((v, v) for v in ACCESSIBILITY_LEVELS),
        validators=[DataRequired(message="Choose an accessibility level.")],
    )
    website = URLField(
        "Website",
        validators=[Optional(), URL(message="Enter a full address starting with https://"), Length(max=300)],
    )


class SwitchOrgForm(AppForm):
    organisation_id = SelectField("Acting for", coerce=int)


class JoinConsortiumForm(AppForm):
    consortium_id = SelectField(
        "Consortium", coerce=int, validators=[InputRequired(message="Choose a consortium.")]
    )


class DecisionForm(AppForm):
    decision = RadioField(
        "Decision",
        choices=options([("verified", "Verify"), ("rejected", "Reject")]),
        validators=[InputRequired(message="Choose verify or reject.")],
    )
    note = TextAreaField("Note to the organisation", validators=[Optional(), Length(max=500)])


class AddOrganisationForm(AppForm):
    """A signed-in person registers another district or vendor."""

    kind = RegisterForm.kind
    organisation_name = RegisterForm.organisation_name
    consortium_id = RegisterForm.consortium_id


class ForgotPasswordForm(AppForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter your email."), Length(max=254)])


class ResetPasswordForm(AppForm):
    password = RegisterForm.password
    confirm = RegisterForm.confirm


class AddMemberForm(AppForm):
    email = EmailField(
        "Email", validators=[DataRequired(message="Enter their email."), Email(), Length(max=254)]
    )
    name = StringField("Name", validators=[DataRequired(message="Enter their name."), Length(max=120)])
    role = SelectField(
        "Role",
        choices=options([("member", "Member"), ("admin", "Admin (edits the profile and members)")]),
        validators=[DataRequired()],
    )


class DistrictImportForm(AppForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired(message="Choose a CSV file."),
            FileAllowed(["csv", "txt"], message="Upload a .csv file."),
        ],
        description=(
            "NCES Common Core of Data LEA layout: LEAID, LEA_NAME, ST, MEMBER, and optionally "
            "SCH, ULOCAL (locale code), BROADBAND_MBPS, SIS. Up to 20,000 rows."
        ),
    )


class ChangePasswordForm(AppForm):
    current = PasswordField(
        "Current password", validators=[DataRequired(message="Enter your current password.")]
    )
    password = RegisterForm.password
    confirm = RegisterForm.confirm


class ApiTokenForm(AppForm):
    """A new personal API token: what will use it, and which organisation it acts for."""

    name = StringField(
        "Token name",
        validators=[DataRequired(message="Name the token after what will use it."), Length(max=100)],
        description="For example: SIS nightly sync. You can revoke it any time.",
    )
    organisation_id = SelectField("Acts for", coerce=int)


class ConfirmForm(AppForm):
    """A button that answers something (accept, decline): only the CSRF token."""
