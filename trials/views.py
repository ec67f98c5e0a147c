"""Trial pages: the power calculation, allocations and analysis plans. Views stay thin."""

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from core.auth import roles_required
from trials import PLANNERS, READERS, power, services
from trials.forms import PowerForm

bp = Blueprint("trials", __name__, url_prefix="/trials")


@bp.route("/")
@roles_required(*READERS)
def index():
    return render_template("trials/index.html")


@bp.route("/power")
@roles_required(*PLANNERS)
def power_page():
    defaults = None if request.args else services.power_defaults()
    form = PowerForm(formdata=MultiDict(request.args) if request.args else None, data=defaults)
    result = None
    if request.args and form.validate():
        result = power.plan(form.design(), float(form.reduction.data), form.per_arm.data)
    return render_template("trials/power.html", form=form, result=result, defaults=defaults)
