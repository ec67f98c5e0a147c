"""Sign-in, accounts and the admin pages for schools, DSLs and users. Views stay thin."""

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from core import sessions
from core.auth import ADMIN, ROLE_LABELS, ROLES, public, roles_required, signed_in
from core.extensions import db
from core.forms import ActionForm
from core.ratelimit import invitation_token, pending_account, signed_in_account, throttled, typed_account
from people import mfa, services
from people.forms import (
    AppCodeForm,
    ChangePasswordForm,
    CodeForm,
    DslForm,
    LoginForm,
    SchoolForm,
    SetPasswordForm,
    UserEditForm,
    UserForm,
)
from people.models import Dsl, School, User
from people.services import AccountError

bp = Blueprint("people", __name__)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


# -- signing in and out -------------------------------------------------------------------------


# How long someone whose password was right has to finish signing in with their code (seconds).
PENDING_SECONDS = 300


@bp.route("/login", methods=["GET", "POST"])
@public
@throttled(typed_account)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            services.record_failed_sign_in(form.email.data)
            db.session.commit()
            form.email.errors.append("Enter a correct email address and password")
        else:
            return _after_password(user)
    return render_template("people/login.html", form=form)


def _after_password(user):
    """The password was right: sign in, or ask for the second step (setting up an app first where the
    role needs one and none is set up)."""
    target = services.safe_next(request.args.get("next"), url_for("core.home"))
    if not user.mfa_enrolled and not services.mfa_required(user):
        return _complete_sign_in(user, "password", target)
    session.clear()
    session["pending_sign_in"] = {"id": user.get_id(), "at": int(time.time()), "next": target}
    return redirect(url_for("people.login_code" if user.mfa_enrolled else "people.login_enrol"))


def _complete_sign_in(user, method: str, target: str):
    services.record_sign_in(user, method)
    db.session.commit()
    session.clear()  # nothing from before signing in carries over (a new CSRF token, too)
    login_user(user)
    session.permanent = False
    sessions.start()
    return redirect(target)


def _pending_user():
    """The account whose password was right a moment ago and whose second step is being asked for."""
    pending = session.get("pending_sign_in")
    if not isinstance(pending, dict) or int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return services.load_session_user(str(pending.get("id", "")))


def _start_again():
    session.pop("pending_sign_in", None)
    flash("Signing in took too long. Enter your email address and password again.", "info")
    return redirect(url_for("people.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@throttled(pending_account)
def login_code():
    user = _pending_user()
    if user is None or not user.mfa_enrolled:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        method = services.verify_second_step(user, form.code.data)
        if method is None:
            services.record_failed_sign_in(user.email, step="code")
            db.session.commit()
            form.code.errors.append("The code is not right. Enter the code your app shows now, or a recovery code "
                                    "you have not used before")
        else:
            db.session.commit()  # the code is spent before anything else happens
            response = _complete_sign_in(user, f"password+{method}", session["pending_sign_in"]["next"])
            if method == "recovery_code":
                left = services.recovery_codes_left(user)
                flash(f"You signed in with a recovery code. It cannot be used again: you have {left} left. "
                      "If you have lost your phone, ask an admin to reset your two-step sign-in.", "info")
            return response
    return render_template("people/login_code.html", form=form)


@bp.route("/login/set-up-app", methods=["GET", "POST"])
@public
@throttled(pending_account)
def login_enrol():
    user = _pending_user()
    if user is None or user.mfa_enrolled:
        return _start_again()
    pending = session["pending_sign_in"]
    if "secret" not in pending:
        pending["secret"] = mfa.new_secret()
        session.modified = True
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            codes = services.enrol_mfa(user, pending["secret"], form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            _complete_sign_in(user, "password+totp", pending["next"])
            return render_template("people/recovery_codes.html", codes=codes, next_url=pending["next"], new=True)
    return render_template("people/enrol.html", form=form, **_enrolment(user, pending["secret"]),
                           required=services.mfa_required(user))


def _enrolment(user, secret: str) -> dict:
    issuer = f"{current_app.config['SERVICE_NAME']} ({current_app.config['COUNCIL_NAME']})"
    return {"qr_svg": Markup(mfa.qr_svg(mfa.provisioning_uri(secret, user.email, issuer))),
            "secret": mfa.grouped(secret), "user": user}


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            services.record_sign_out(current_user._get_current_object())
            db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
        return redirect(url_for("people.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("people.login"))
    return render_template("people/logout.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@throttled(invitation_token, methods=("GET", "POST"))
def set_password(token):
    invitation = services.open_invitation(token)
    if invitation is None:
        return render_template("people/invitation_expired.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(token, form.password.data)
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            flash("Your password is set. Sign in with your email address and new password.", "success")
            return redirect(url_for("people.login"))
    return render_template("people/set_password.html", form=form, user=invitation.user)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@throttled(signed_in_account)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if services.authenticate(user.email, form.current.data) is None:
            form.current.errors.append("Your current password is not correct")
        else:
            try:
                services.set_password(user, form.password.data)
            except AccountError as error:
                form.password.errors.append(str(error))
            else:
                db.session.commit()
                login_user(user)  # this session carries on; every other one has ended
                flash("Your password has been changed. You have been signed out everywhere else.", "success")
                return redirect(url_for("core.home"))
    return render_template("people/change_password.html", form=form)


# -- two-step sign-in, for the person -------------------------------------------------------------


@bp.route("/account/two-step")
@signed_in
def two_step():
    user = current_user._get_current_object()
    return render_template("people/two_step.html", user=user, required=services.mfa_required(user),
                           left=services.recovery_codes_left(user) if user.mfa_enrolled else 0)


@bp.route("/account/two-step/set-up", methods=["GET", "POST"])
@signed_in
@throttled(signed_in_account)
def two_step_set_up():
    user = current_user._get_current_object()
    if user.mfa_enrolled:
        return redirect(url_for("people.two_step"))
    secret = session.get("mfa_secret") or mfa.new_secret()
    session["mfa_secret"] = secret
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            codes = services.enrol_mfa(user, secret, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            session.pop("mfa_secret", None)
            return render_template("people/recovery_codes.html", codes=codes, next_url=url_for("people.two_step"),
                                   new=True)
    return render_template("people/enrol.html", form=form, **_enrolment(user, secret),
                           required=services.mfa_required(user), signed_in=True)


@bp.route("/account/two-step/recovery-codes", methods=["GET", "POST"])
@signed_in
@throttled(signed_in_account)
def two_step_recovery_codes():
    return _confirm_with_code("new_recovery_codes", "Make new recovery codes",
                              "Your old recovery codes stop working. Enter a code from your app to go on.")


@bp.route("/account/two-step/turn-off", methods=["GET", "POST"])
@signed_in
@throttled(signed_in_account)
def two_step_turn_off():
    return _confirm_with_code("turn_off_mfa", "Turn off two-step sign-in",
                              "You will sign in with your password only. Enter a code from your app to go on.")


def _confirm_with_code(action: str, title: str, lead: str):
    user = current_user._get_current_object()
    if not user.mfa_enrolled:
        return redirect(url_for("people.two_step"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            codes = getattr(services, action)(user, form.code.data)
        except AccountError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            if codes:
                return render_template("people/recovery_codes.html", codes=codes, next_url=url_for("people.two_step"))
            login_user(user)  # turning it off ended every session: this one carries on
            sessions.start()
            flash("Two-step sign-in is off. You sign in with your password only.", "success")
            return redirect(url_for("people.two_step"))
    return render_template("people/two_step_confirm.html", form=form, title=title, lead=lead)


# -- schools ----------------------------------------------------------------------------------


@bp.route("/admin/schools")
@roles_required(ADMIN)
def schools():
    query, district = request.args.get("q", ""), request.args.get("district", "")
    page = services.search_schools(query, district, _page())
    return render_template("people/schools.html", page=page, q=query, district=district,
                           districts=services.districts())


@bp.route("/admin/schools/new", methods=["GET", "POST"])
@bp.route("/admin/schools/<int:school_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_school(school_id=None):
    school = db.get_or_404(School, school_id) if school_id else None
    form = SchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            services.save_school(school, urn=form.urn.data, name=form.name.data, pupils=form.pupils.data,
                                 fsm_percent=float(form.fsm_percent.data), phase=form.phase.data,
                                 district=form.district.data)
        except AccountError as error:
            form.urn.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{form.name.data} has been saved.", "success")
            return redirect(url_for("people.schools"))
    return render_template("people/school_form.html", form=form, school=school)


# -- DSLs -------------------------------------------------------------------------------------


@bp.route("/admin/dsls")
@roles_required(ADMIN)
def dsls():
    query, district = request.args.get("q", ""), request.args.get("district", "")
    school_id = request.args.get("school", type=int)
    page = services.search_dsls(query, school_id, district, _page())
    school = db.session.get(School, school_id) if school_id else None
    return render_template("people/dsls.html", page=page, q=query, district=district, school=school,
                           districts=services.districts())


@bp.route("/admin/dsls/new", methods=["GET", "POST"])
@bp.route("/admin/dsls/<int:dsl_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_dsl(dsl_id=None):
    dsl = db.get_or_404(Dsl, dsl_id) if dsl_id else None
    form = DslForm(obj=dsl)
    if request.method == "GET" and dsl is not None:
        form.school_urn.data = dsl.school.urn
    if form.validate_on_submit():
        school = services.school_by_urn(form.school_urn.data)
        if school is None:
            form.school_urn.errors.append("There is no school with this URN")
        else:
            try:
                services.save_dsl(dsl, email=form.email.data, name=form.name.data, school=school, role=form.role.data)
            except AccountError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"{form.name.data} has been saved.", "success")
                return redirect(url_for("people.dsls"))
    return render_template("people/dsl_form.html", form=form, dsl=dsl)


# -- users ------------------------------------------------------------------------------------


@bp.route("/admin/users")
@roles_required(ADMIN)
def users():
    query, role = request.args.get("q", ""), request.args.get("role", "")
    if role not in ROLES:
        role = ""
    return render_template("people/users.html", users=services.search_users(query, role), q=query, role=role,
                           roles=ROLES, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.role.data, form.name.data)
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            _remember_invitation(user)
            db.session.commit()
            flash(f"Account created for {user.email}. An invitation to set a password has been emailed to them; "
                  "you can also copy the link below and send it yourself.", "success")
            return redirect(url_for("people.edit_user", user_id=user.id))
    return render_template("people/user_new.html", form=form)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != ADMIN or not form.active.data):
            form.role.errors.append("You cannot remove your own admin role or disable your own account")
        else:
            services.update_user(user, form.name.data, form.role.data, form.active.data)
            db.session.commit()
            flash(f"{user.email} has been saved.", "success")
            return redirect(url_for("people.users"))
    invitation_link = None
    stashed = session.pop("invitation_link", None)
    if stashed and stashed.get("user_id") == user.id:
        invitation_link = stashed["url"]
    return render_template("people/user_edit.html", form=form, user=user, invitation_link=invitation_link,
                           invite_form=ActionForm())


@bp.route("/admin/users/<int:user_id>/invite", methods=["POST"])
@roles_required(ADMIN)
def invite_user(user_id):
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    _remember_invitation(user)
    db.session.commit()
    flash(f"A new set-password link has been emailed to {user.email}. Any earlier link no longer works.", "success")
    return redirect(url_for("people.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/two-step/reset", methods=["POST"])
@roles_required(ADMIN)
def reset_two_step(user_id):
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.reset_mfa(user)
    db.session.commit()
    then = ("must set up an authenticator app again when they next sign in" if services.mfa_required(user)
            else "can sign in with their password, and set up an app again if they want to")
    flash(f"Two-step sign-in has been reset for {user.email}: their sessions have ended, and they {then}.", "success")
    return redirect(url_for("people.edit_user", user_id=user.id))


def _remember_invitation(user: User) -> None:
    """Make an invitation, email its link, and keep the link for this admin's next page only (to copy
    and send by hand if the email does not arrive)."""
    from flask import current_app

    from core.mail import external_url
    from people.messages import queue_invitation

    days = current_app.config["INVITATION_DAYS"]
    token = services.invite(user, current_user._get_current_object(), days)
    link = external_url("people.set_password", token=token)
    queue_invitation(user, link, days, current_app.config["COUNCIL_NAME"], current_app.config["SERVICE_NAME"])
    session["invitation_link"] = {"user_id": user.id, "url": link}
