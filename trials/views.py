"""Trial pages: the power calculation, allocations and analysis plans. Views stay thin."""

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core.auth import roles_required
from core.downloads import attachment
from core.extensions import db
from core.forms import ActionForm
from trials import INVITERS, PLANNERS, READERS, exports, plans, power, services
from trials.allocation import MAX_SEED
from trials.forms import AllocationForm, AmendForm, LockForm, PlanForm, PowerForm, show_error
from trials.models import AnalysisPlan, TrialAllocation

bp = Blueprint("trials", __name__, url_prefix="/trials")


def _carry_out(form, action):
    """Run ``action`` (one service call) for a valid form and commit; when the service refuses, roll
    back and show its message on the form. Returns what the service returned, or None."""
    try:
        result = action()
    except services.TrialError as error:
        db.session.rollback()
        show_error(form, error)
        return None
    db.session.commit()
    return result


@bp.route("/")
@roles_required(*READERS)
def index():
    plans = services.all_plans() if current_user.role in PLANNERS else []
    return render_template("trials/index.html", allocations=services.all_allocations(), plans=plans)


@bp.route("/power")
@roles_required(*PLANNERS)
def power_page():
    defaults = None if request.args else services.power_defaults()
    form = PowerForm(formdata=MultiDict(request.args) if request.args else None, data=defaults)
    result = None
    if request.args and form.validate():
        result = power.plan(form.design(), float(form.reduction.data), form.per_arm.data)
    return render_template("trials/power.html", form=form, result=result, defaults=defaults)


@bp.route("/allocations/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def allocation_new():
    form = AllocationForm()
    if form.validate_on_submit():
        record = _carry_out(form, lambda: services.create_allocation(
            form.name.data, form.chosen_strata, form.arm_names, form.seed.data, design=form.design.data,
            user_id=current_user.id, source="web"))
        if record is not None:
            flash(f"{record.schools:,} schools have been allocated and the allocation {record.name} stored.", "success")
            return redirect(url_for("trials.allocation", allocation_id=record.id))
    elif not form.is_submitted():
        form.seed.data = secrets.randbelow(MAX_SEED + 1)
    return render_template("trials/allocation_new.html", form=form)


@bp.route("/allocations/<int:allocation_id>")
@roles_required(*READERS)
def allocation(allocation_id):
    record = db.get_or_404(TrialAllocation, allocation_id)
    can_invite = current_user.role in INVITERS
    can_report = current_user.role in PLANNERS and record.design == "parallel"
    return render_template("trials/allocation.html", allocation=record, summary=services.allocation_summary(record),
                           arms=services.arm_overview(record), can_invite=can_invite,
                           invitations=services.invitation_counts(record) if can_invite else None, form=ActionForm(),
                           reports=services.trial_cohorts(record) if can_report else None)


@bp.route("/allocations/<int:allocation_id>/allocation.csv")
@roles_required(*READERS)
def allocation_csv(allocation_id):
    record = db.get_or_404(TrialAllocation, allocation_id)
    data = exports.to_csv(services.allocation_rows(record), services.SHOW_COLUMNS, bom=True)
    return attachment(data, f"{record.name}-allocation.csv", "text/csv")


def _invited_arm(allocation_id: int, number: int):
    record = db.get_or_404(TrialAllocation, allocation_id)
    arm = services.invited_arm(record, number)
    if arm is None:
        abort(404)
    return record, arm


@bp.route("/allocations/<int:allocation_id>/arms/<int:number>")
@roles_required(*INVITERS)
def arm_dsls(allocation_id, number):
    record, arm = _invited_arm(allocation_id, number)
    page = services.arm_dsl_page(record, arm, request.args.get("page", 1, type=int))
    return render_template("trials/arm.html", allocation=record, arm=arm, number=number, page=page)


@bp.route("/allocations/<int:allocation_id>/arms/<int:number>/addresses.csv")
@roles_required(*INVITERS)
def arm_addresses(allocation_id, number):
    record, arm = _invited_arm(allocation_id, number)
    data = exports.to_csv(services.arm_addresses(record, arm), services.ADDRESS_COLUMNS, bom=True)
    return attachment(data, f"{record.name}-{arm}-addresses.csv".replace(" ", "-"), "text/csv")


@bp.route("/allocations/<int:allocation_id>/arms/<int:number>/invite", methods=["POST"])
@roles_required(*INVITERS)
def arm_invite(allocation_id, number):
    record, arm = _invited_arm(allocation_id, number)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        sent = services.invite_arm(record, arm, current_user.id)
    except services.TrialError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        if sent["queued"]:
            flash(f"An invitation to book has been emailed to {sent['queued']:,} DSL(s) of {arm}"
                  + (f"; {sent['already']:,} had one already." if sent["already"] else "."), "success")
        else:
            flash(f"Every DSL of {arm} has been invited already: nothing more was sent.")
    return redirect(url_for("trials.allocation", allocation_id=record.id, _anchor="invitations"))


# -- analysis plans ---------------------------------------------------------------------------


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def plan_new():
    allocations = services.all_allocations()
    form = PlanForm(allocations)
    if form.validate_on_submit():
        plan = _carry_out(form, lambda: services.create_plan(form.name.data, form.allocation_id.data, form.choices(),
                                                             current_user.id))
        if plan is not None:
            flash(f"The draft of {plan.name} has been saved. Lock it before any outcome data exist.", "success")
            return redirect(url_for("trials.plan", plan_id=plan.id))
    return render_template("trials/plan_form.html", form=form, plan=None, allocations=allocations)


@bp.route("/plans/<int:plan_id>")
@roles_required(*PLANNERS)
def plan(plan_id):
    record = db.get_or_404(AnalysisPlan, plan_id)
    records_now = None if record.locked else services.mash_records_in_window(record)
    return render_template("trials/plan.html", plan=record, versions=services.plan_versions(record.name),
                           latest=services.latest_version(record.name), records_now=records_now, form=LockForm(),
                           locked_by=services.user_name(record.locked_by_id),
                           windows={"outcome": plans.outcome_window(record.content), "pre": plans.pre_window(record.content)},
                           labels={"outcomes": plans.OUTCOMES, "models": plans.MODELS, "covariates": plans.COVARIATES})


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def plan_edit(plan_id):
    record = db.get_or_404(AnalysisPlan, plan_id)
    if record.locked and request.method == "GET":
        flash(f"Version {record.version} of {record.name} is locked and never changes: amend it to make a new version.")
        return redirect(url_for("trials.plan", plan_id=record.id))
    allocations = services.all_allocations()
    form = PlanForm(allocations, named=False, data=None if request.method == "POST" else PlanForm.data_from(record))
    if form.validate_on_submit():
        if _carry_out(form, lambda: services.update_plan(record, form.allocation_id.data, form.choices())):
            flash(f"The draft of {record.name} has been saved.", "success")
            return redirect(url_for("trials.plan", plan_id=record.id))
    return render_template("trials/plan_form.html", form=form, plan=record, allocations=allocations)


@bp.route("/plans/<int:plan_id>/lock", methods=["POST"])
@roles_required(*PLANNERS)
def plan_lock(plan_id):
    record = db.get_or_404(AnalysisPlan, plan_id)
    if not LockForm().validate_on_submit():
        abort(400)
    try:
        services.lock_plan(record, current_user.id)
    except services.TrialError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(f"Version {record.version} of {record.name} is locked for good: its SHA-256 is below.", "success")
    return redirect(url_for("trials.plan", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/amend", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def plan_amend(plan_id):
    record = db.get_or_404(AnalysisPlan, plan_id)
    form = AmendForm()
    if form.validate_on_submit():
        amendment = _carry_out(form, lambda: services.amend_plan(record, form.reason.data, current_user.id))
        if amendment is not None:
            flash(f"Version {amendment.version} of {amendment.name} is a draft: change what the amendment needs, "
                  "then lock it.", "success")
            return redirect(url_for("trials.plan_edit", plan_id=amendment.id))
    return render_template("trials/plan_amend.html", form=form, plan=record)


@bp.route("/plans/<int:plan_id>/plan.json")
@roles_required(*PLANNERS)
def plan_json(plan_id):
    record = db.get_or_404(AnalysisPlan, plan_id)
    if not record.locked:
        abort(404)
    return attachment(record.canonical_json.encode("ascii"), f"{record.name}-v{record.version}-plan.json",
                      "application/json")
