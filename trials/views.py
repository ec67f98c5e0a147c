"""Trial pages: the power calculation, allocations and analysis plans. Views stay thin."""

import io
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core.auth import roles_required
from core.extensions import db
from trials import INVITERS, PLANNERS, READERS, exports, power, services
from trials.allocation import MAX_SEED
from trials.forms import AllocationForm, PowerForm, show_error
from trials.models import TrialAllocation

bp = Blueprint("trials", __name__, url_prefix="/trials")


@bp.route("/")
@roles_required(*READERS)
def index():
    return render_template("trials/index.html", allocations=services.all_allocations())


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
        try:
            record = services.create_allocation(form.name.data, form.chosen_strata, form.arm_names, form.seed.data,
                                                design=form.design.data, user_id=current_user.id, source="web")
        except services.TrialError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"{record.schools:,} schools have been allocated and the allocation {record.name} stored.", "success")
            return redirect(url_for("trials.allocation", allocation_id=record.id))
    elif not form.is_submitted():
        form.seed.data = secrets.randbelow(MAX_SEED + 1)
    return render_template("trials/allocation_new.html", form=form)


@bp.route("/allocations/<int:allocation_id>")
@roles_required(*READERS)
def allocation(allocation_id):
    record = db.get_or_404(TrialAllocation, allocation_id)
    return render_template("trials/allocation.html", allocation=record, summary=services.allocation_summary(record),
                           arms=services.arm_overview(record), can_invite=current_user.role in INVITERS)


@bp.route("/allocations/<int:allocation_id>/allocation.csv")
@roles_required(*READERS)
def allocation_csv(allocation_id):
    record = db.get_or_404(TrialAllocation, allocation_id)
    data = exports.to_csv(services.allocation_rows(record), services.SHOW_COLUMNS, bom=True)
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                     download_name=f"{record.name}-allocation.csv")


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
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                     download_name=f"{record.name}-{arm}-addresses.csv".replace(" ", "-"))
