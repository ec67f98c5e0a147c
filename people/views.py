"""Sign-in, accounts and the admin pages for schools, DSLs and users. Views stay thin."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from core.auth import ADMIN, ROLE_LABELS, ROLES, public, roles_required, signed_in
from core.extensions import db
from core.forms import ActionForm
from people import services
from people.forms import (
    ChangePasswordForm,
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


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.email.errors.append("Enter a correct email address and password")
        else:
            services.record_sign_in(user)
            db.session.commit()
            login_user(user)
            session.permanent = False
            return redirect(services.safe_next(request.args.get("next"), url_for("core.home")))
    return render_template("people/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            services.end_all_sessions(current_user._get_current_object())
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
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if services.authenticate(user.email, form.current.data) is None:
            form.current.errors.append("Your current password is not correct")
        else:
            services.set_password(user, form.password.data)
            db.session.commit()
            login_user(user)  # this session carries on; every other one has ended
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("core.home"))
    return render_template("people/change_password.html", form=form)


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
