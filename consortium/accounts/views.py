"""Sign-in, registration, the organisation profile, the org switcher and verification."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from consortium import context, policy
from consortium.accounts import (
    affiliations,
    imports,
    invitations,
    organisations,
    registration,
    signin,
    tokens,
)
from consortium.accounts.forms import (
    AddMemberForm,
    AddOrganisationForm,
    ApiTokenForm,
    ChangePasswordForm,
    ConfirmForm,
    DecisionForm,
    DistrictImportForm,
    DistrictProfileForm,
    ForgotPasswordForm,
    JoinConsortiumForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SwitchOrgForm,
    VendorProfileForm,
    options,
)
from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    Membership,
    Organisation,
    OrgKind,
)
from consortium.commit_point import Answer, flash_and_redirect, mark_field, on_refusal
from consortium.errors import DomainError
from consortium.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _limit(name: str):
    """A limit string from the settings, read per request (each app may set its own)."""
    return lambda: getattr(current_app.config["SETTINGS"], name)


def _email_and_address() -> str:
    """Key of the per-account limits: the email typed and the client's address (after ProxyFix).

    Keyed on the email alone, anyone could lock a victim out by failing on purpose; with the
    address too, only the failing client waits.
    """
    email = str(request.form.get("email", "")).strip().lower()[:254]
    return f"{email}|{request.remote_addr or 'unknown'}"


def _failed(response) -> bool:
    return response.status_code != 302  # a success (or a reset link sent) redirects


TOO_MANY = "Too many attempts from your address. For your security, wait a little and try again."


def _show(form, error: DomainError) -> None:
    """The refusal next to its field, or flashed when the form has no such field."""
    if not mark_field(form, error):
        flash(error.message, "error")


def _refused_form(template: str, form, **context) -> Answer:
    """Answer a refusal with the form again (400), the refusal shown on it."""

    def answer(error: DomainError):
        _show(form, error)
        return render_template(template, form=form, **context), 400

    return answer


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("login_limit_per_account"), key_func=_email_and_address, methods=["POST"],
               deduct_when=_failed, error_message=TOO_MANY)
@limiter.limit(_limit("login_limit_per_address"), methods=["POST"], error_message=TOO_MANY)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next"))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = signin.authenticate(form.email.data, form.password.data)
    except DomainError as error:
        _show(form, error)
        return render_template("accounts/login.html", form=form), 400
    signin.sign_in(user, remember=form.remember.data)
    flash(f"Welcome back, {user.name}.", "success")
    # Each role lands on its dashboard: what waits for it, with links to where to act.
    return redirect(_safe_next(form.next.data) or url_for("dashboard.index"))


@bp.post("/logout")
def logout():
    signin.sign_out(current_user)
    flash("You are signed out.", "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("registration_limit_per_address"), methods=["POST"], error_message=TOO_MANY,
               exempt_when=lambda: current_user.is_authenticated)
def register():
    if current_user.is_authenticated:
        return _add_organisation()
    form = RegisterForm()
    form.consortium_id.choices = options((c.id, c.name) for c in registration.consortia())
    if request.method == "GET" and request.args.get("kind") in ("district", "vendor"):
        form.kind.data = request.args["kind"]
    if not form.validate_on_submit():
        return render_template("accounts/register.html", form=form), 400 if form.is_submitted() else 200
    on_refusal(_refused_form("accounts/register.html", form))
    registration.register(
        registration.Registration(
            kind=OrgKind(form.kind.data),
            organisation_name=form.organisation_name.data,
            consortium_id=form.consortium_id.data,
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
        )
    )
    # The same answer whether or not the email has an account: the mail tells which.
    flash(
        f"Check the inbox of {form.email.data.strip()}: a message there tells you how to finish "
        "(the link works for 48 hours).",
        "info",
    )
    return redirect(url_for("accounts.login"))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token: str):
    """The link of a registration mail: confirming makes the organisation and signs in."""
    pending = registration.pending_for(token)
    if pending is None:
        flash("That link has expired or was already used. Register again, or sign in.", "error")
        return redirect(url_for("accounts.login"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("accounts/confirm.html", pending=pending, form=form)
    on_refusal(flash_and_redirect(url_for("accounts.register")))
    org = registration.confirm(pending)
    signin.sign_in(pending.user)
    context.switch_org(pending.user, org.id)
    flash(
        "Your organisation is registered. Complete its profile; a consortium manager will verify it "
        "before you can opt in or bid.",
        "success",
    )
    return redirect(url_for("accounts.profile"))


def _add_organisation():
    """Signed in: register another district or vendor and act for it."""
    form = AddOrganisationForm()
    form.consortium_id.choices = options((c.id, c.name) for c in registration.consortia())
    if request.method == "GET" and request.args.get("kind") in ("district", "vendor"):
        form.kind.data = request.args["kind"]
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/register.html", form=form, adding=True), status
    on_refusal(_refused_form("accounts/register.html", form, adding=True))
    org = registration.register_organisation(
        current_user, OrgKind(form.kind.data), form.organisation_name.data, form.consortium_id.data
    )
    context.switch_org(current_user, org.id)
    flash(f"{org.name} is registered; you are now acting for it.", "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("reset_limit_per_account"), key_func=_email_and_address, methods=["POST"],
               error_message=TOO_MANY)
@limiter.limit(_limit("reset_limit_per_address"), methods=["POST"], error_message=TOO_MANY)
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/forgot_password.html", form=form), status
    signin.request_password_reset(form.email.data)
    flash(
        "If an account uses that email, a link to choose a new password is on its way.", "info"
    )
    return redirect(url_for("accounts.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = signin.user_for_token(token)
    if user is None:
        flash("That link has expired or was already used. Ask for a new one.", "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/reset_password.html", form=form, user=user), status
    signin.set_password(user, form.password.data)
    flash("Your password is set. Sign in with it.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The signed-in person: their organisations, password and personal API tokens."""
    form = ChangePasswordForm()
    if request.method == "POST":
        if form.validate_on_submit():
            on_refusal(_refused_form("accounts/account.html", form, **_token_page()))
            signin.change_password(
                current_user._get_current_object(), form.current.data, form.password.data
            )
            flash("Your password is changed.", "success")
            return redirect(url_for("accounts.account"))
        return render_template("accounts/account.html", form=form, **_token_page()), 400
    return render_template("accounts/account.html", form=form, **_token_page())


def _token_page(token_form: ApiTokenForm | None = None, **extra) -> dict:
    """The account page's API token section: the person's tokens and the form for a new one."""
    token_form = token_form or ApiTokenForm(formdata=None)
    memberships = sorted(current_user.memberships, key=lambda m: m.id)
    token_form.organisation_id.choices = options(
        (m.organisation_id, m.organisation.name) for m in memberships
    )
    if token_form.organisation_id.data is None:
        active = context.current_org()
        token_form.organisation_id.data = active.id if active else None
    return {"tokens": tokens.tokens_of(current_user), "token_form": token_form, **extra}


@bp.post("/account/tokens")
def create_token():
    """Make a personal API token and show it, this once (the page is not cached)."""
    token_form = ApiTokenForm()
    page = _token_page(token_form)
    if not token_form.validate_on_submit():
        return render_template("accounts/account.html", form=ChangePasswordForm(formdata=None),
                               **page), 400
    organisation = current_user.membership_in(token_form.organisation_id.data).organisation

    def refused(error: DomainError):
        _show(token_form, error)
        return render_template("accounts/account.html", form=ChangePasswordForm(formdata=None),
                               **_token_page(token_form)), 400

    on_refusal(refused)
    made = tokens.create_token(current_user, token_form.name.data, organisation)
    page = _token_page(ApiTokenForm(formdata=None), new_token=made.plaintext)
    response = render_template("accounts/account.html", form=ChangePasswordForm(formdata=None),
                               **page)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    token = db.session.get(tokens.ApiToken, token_id)  # <int:> is bounded (urls.py)
    # Someone else's token does not exist as far as this person can tell.
    policy.require(token is not None and policy.can_revoke_token(current_user, token),
                   not_found=True)
    tokens.revoke_token(token)
    flash(f"Token '{token.name}' is revoked: it no longer works.", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/org/members", methods=["GET", "POST"])
def members():
    org = policy.require_acting_org()
    form = AddMemberForm()
    editable = policy.can_edit_org(current_user, org)
    if request.method == "POST":
        policy.require(editable)
        if form.validate_on_submit():
            on_refusal(_refused_form("accounts/members.html", form, org=org, editable=editable,
                                     invitations=invitations.pending_invitations(org)))
            membership, invitation = organisations.add_member(
                org, form.email.data, form.name.data, form.role.data, by=current_user
            )
            if membership is not None:
                signin.send_password_link(membership.user, invited_to=org)
                flash(f"{membership.user.email} added; an invitation to choose a password was "
                      "sent.", "success")
            else:
                flash(f"{invitation.user.email} already has an account: they are invited, and "
                      "join once they accept.", "success")
            return redirect(url_for("accounts.members"))
        return _members_page(org, form, editable), 400
    return _members_page(org, form, editable)


def _members_page(org: Organisation, form: AddMemberForm, editable: bool) -> str:
    return render_template("accounts/members.html", org=org, form=form, editable=editable,
                           invitations=invitations.pending_invitations(org))


@bp.get("/invitations/<token>")
def invitation(token: str):
    """The invitee's page: who invites them to what, accept or decline."""
    found = invitations.invitation_for(token, current_user)
    policy.require(found is not None, not_found=True)
    return render_template("accounts/invitation.html", invitation=found, form=ConfirmForm())


@bp.post("/invitations/<token>/<any(accept, decline):decision>")
def answer_invitation(token: str, decision: str):
    found = invitations.invitation_for(token, current_user)
    policy.require(found is not None, not_found=True)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(flash_and_redirect(url_for("main.home")))
    invitations.answer(found, accept=decision == "accept")
    org = found.organisation
    if decision == "accept":
        context.switch_org(current_user, org.id)
        flash(f"You are now a member of {org.name}, and acting for it.", "success")
    else:
        flash(f"You declined the invitation to {org.name}.", "info")
    return redirect(url_for("main.home"))


@bp.post("/org/members/<int:membership_id>/remove")
def remove_member(membership_id: int):
    org = policy.require_acting_org()
    membership = db.session.get(Membership, membership_id)
    policy.require(membership is not None and membership.organisation_id == org.id, not_found=True)
    policy.require(policy.can_edit_org(current_user, org))
    on_refusal(flash_and_redirect(url_for("accounts.members")))
    organisations.remove_member(membership)
    flash("Member removed.", "success")
    return redirect(url_for("accounts.members"))


@bp.route("/org/profile", methods=["GET", "POST"])
def profile():
    org = policy.require_acting_org()
    if org.is_consortium:
        return render_template("accounts/consortium_profile.html", org=org)
    editable = policy.can_edit_org(current_user, org)
    if org.is_district:
        form = DistrictProfileForm(obj=org.district_profile)
        fields = organisations.DISTRICT_FIELDS
    else:
        form = VendorProfileForm(obj=org.vendor_profile)
        fields = organisations.VENDOR_FIELDS
    if request.method == "POST":
        policy.require(editable)
        if form.validate_on_submit():
            values = {name: getattr(form, name).data for name in fields}
            if org.is_district:
                values["nces_id"] = values["nces_id"] or None
                values["sis"] = (values["sis"] or "").strip() or None
                organisations.update_district_profile(org, **values)
            else:
                values["website"] = values["website"] or None
                organisations.update_vendor_profile(org, **values)
            flash("Profile saved.", "success")
            return redirect(url_for("accounts.profile"))
        return render_template("accounts/profile.html", org=org, form=form, editable=editable), 400
    return render_template("accounts/profile.html", org=org, form=form, editable=editable)


@bp.post("/org/switch")
def switch_org():
    form = SwitchOrgForm()
    form.organisation_id.choices = options(
        (m.organisation_id, m.organisation.name) for m in current_user.memberships
    )
    if not form.validate_on_submit():
        abort(400)
    org = context.switch_org(current_user, form.organisation_id.data)  # 403 if not a member
    flash(f"You are now acting for {org.name}.", "info")
    return redirect(_safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/org/consortia", methods=["GET", "POST"])
def consortia():
    """The active organisation's standing with each consortium, and joining another."""
    org = policy.require_acting_org()
    policy.require(policy.can_apply_to_consortia(current_user, org))
    form = JoinConsortiumForm()
    joined = {a.consortium_id for a in org.affiliations}
    form.consortium_id.choices = options(
        (c.id, c.name) for c in registration.consortia() if c.id not in joined
    )
    if request.method == "POST":
        policy.require(policy.can_edit_org(current_user, org))
        if form.validate_on_submit():
            consortium = db.session.get(Organisation, form.consortium_id.data)
            on_refusal(_refused_form("accounts/consortia.html", form, org=org))
            affiliations.apply_to_consortium(org, consortium)
            flash(f"Applied to {consortium.name}; its managers will verify you.", "success")
            return redirect(url_for("accounts.consortia"))
        return render_template("accounts/consortia.html", org=org, form=form), 400
    return render_template("accounts/consortia.html", org=org, form=form)


@bp.get("/verification")
def verification():
    consortium = policy.require_managed_consortium()
    status = request.args.get("status", "pending")
    if status not in {"pending", "verified", "rejected", "all"}:
        status = "pending"
    shown = affiliations.affiliations_of(consortium, None if status == "all" else status)
    counts = {s.value: 0 for s in AffiliationStatus}
    for a in affiliations.affiliations_of(consortium):
        counts[a.status.value] += 1
    return render_template(
        "accounts/verification.html",
        consortium=consortium,
        affiliations=shown,
        status=status,
        counts=counts,
        form=DecisionForm(),
        gaps={a.id: affiliations.profile_gaps(a.member) for a in shown},
    )


@bp.post("/verification/<int:affiliation_id>")
def decide(affiliation_id: int):
    affiliation = db.session.get(Affiliation, affiliation_id)
    policy.require(affiliation is not None, not_found=True)
    policy.require(policy.can_decide_affiliation(current_user, affiliation), not_found=True)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Choose verify or reject.", "error")
        return redirect(url_for("accounts.verification")), 303
    on_refusal(flash_and_redirect(url_for("accounts.verification")))  # e.g. an empty profile
    affiliations.decide_affiliation(affiliation, form.decision.data, current_user, form.note.data)
    verb = "verified" if affiliation.status == AffiliationStatus.verified else "rejected"
    flash(f"{affiliation.member.name} is {verb}.", "success")
    return redirect(url_for("accounts.verification"))


@bp.route("/verification/import", methods=["GET", "POST"])
def import_districts():
    """A manager imports districts from a CCD file: all rows or none."""
    consortium = policy.require_managed_consortium()
    form = DistrictImportForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("accounts/import.html", form=form, consortium=consortium), status
    raw = form.file.data.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # CCD files from older years
    result = imports.import_districts(consortium, text, current_user)
    if not result.ok:  # all rows or none: the 400 rolls back what was added
        return render_template(
            "accounts/import.html", form=form, consortium=consortium, errors=result.errors
        ), 400
    flash(f"Imported {result.created} new districts; all are verified for {consortium.name}.",
          "success")
    return redirect(url_for("accounts.verification", status="verified"))


@bp.get("/verification/import/template.csv")
def import_template():
    """The district import as a spreadsheet to fill in (besides the NCES CCD layout)."""
    policy.require_managed_consortium()
    return Response(imports.template_csv(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="districts-template.csv"'})


@bp.get("/orgs/<slug>")
def organisation(slug: str):
    org = db.session.execute(db.select(Organisation).filter_by(slug=slug)).scalar_one_or_none()
    policy.require(org is not None, not_found=True)
    policy.require(policy.can_view_org_profile(current_user, org), not_found=True)
    return render_template("accounts/organisation.html", org=org)
