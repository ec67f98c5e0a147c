"""Cohort, report, linkage and demand pages: evaluators and admins. Views stay thin."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from cohorts import charts, display, exports, services
from cohorts.cli import render
from cohorts.forms import ActionForm, CohortForm, ReportOptionsForm
from cohorts.models import Cohort
from core.auth import ADMIN, EVALUATOR, roles_required
from core.extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")
EVALUATORS = (ADMIN, EVALUATOR)


@bp.route("/")
@roles_required(*EVALUATORS)
def cohorts():
    return render_template("cohorts/cohorts.html", cohorts=services.all_cohorts())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def cohort_new():
    codes = services.course_codes()
    form = CohortForm(codes)
    if form.validate_on_submit():
        definition = services.Definition(form.name.data, form.courses.data,
                                         (form.exposure_start.date, form.exposure_end.date),
                                         (form.outcome_start.date, form.outcome_end.date))
        try:
            cohort = services.create_cohort(definition, current_user.id)
        except services.CohortError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Cohort {cohort.name} has been created and its membership frozen.", "success")
            return redirect(url_for("cohorts.cohort_report", cohort_id=cohort.id))
    return render_template("cohorts/cohort_new.html", form=form, codes=codes)


def _options() -> tuple[ReportOptionsForm, dict]:
    form = ReportOptionsForm(formdata=MultiDict(request.args) if request.args else None)
    options = {"annual_calls": None, "annual_cost": None, "suppress": False}
    if request.args and form.validate():
        options = {"annual_calls": form.annual_calls.data,
                   "annual_cost": float(form.annual_cost.data) if form.annual_cost.data is not None else None,
                   "suppress": bool(form.suppress.data)}
    return form, options


@bp.route("/<int:cohort_id>")
@roles_required(*EVALUATORS)
def cohort_report(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form, options = _options()
    result = services.cohort_report(cohort, **options)
    return render_template("cohorts/report.html", cohort=cohort, form=form, report=result.figures,
                           tables=display.outcome_tables(result.figures), charts=charts.outcome_charts(result.figures),
                           query=request.args.to_dict())


@bp.route("/<int:cohort_id>/report.<fmt>")
@roles_required(*EVALUATORS)
def cohort_export(cohort_id, fmt):
    if fmt not in exports.CONTENT_TYPES:
        abort(404)
    cohort = db.get_or_404(Cohort, cohort_id)
    _form, options = _options()
    data = render(fmt, services.cohort_report(cohort, **options))
    filename = f"{cohort.name}-outcome-report.{fmt}".replace('"', "")
    return Response(data, mimetype=exports.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<int:cohort_id>/membership", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def cohort_membership(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = ActionForm()
    if form.validate_on_submit():
        changes = services.recompute(cohort)
        db.session.commit()
        flash(f"The membership of {cohort.name} has been recomputed: {len(changes)} DSL(s) moved.", "success")
        return redirect(url_for("cohorts.cohort_report", cohort_id=cohort.id))
    return render_template("cohorts/membership.html", cohort=cohort, form=form,
                           changes=services.membership_changes(cohort))


@bp.route("/linkage")
@roles_required(*EVALUATORS)
def linkage():
    return render_template("cohorts/linkage.html", counts=services.linkage_counts(replica=True),
                           referrers=services.unlinked_referrers(replica=True), form=ActionForm())


@bp.route("/linkage/relink", methods=["POST"])
@roles_required(*EVALUATORS)
def relink():
    if not ActionForm().validate_on_submit():
        abort(400)
    counts = services.relink()
    db.session.commit()
    flash(f"Records relinked to the register: {counts['after']['linked']:,} linked (was {counts['before']['linked']:,}).",
          "success")
    return redirect(url_for("cohorts.linkage"))


@bp.route("/demand")
@roles_required(*EVALUATORS)
def demand():
    return render_template("cohorts/demand.html", demand=services.demand())

