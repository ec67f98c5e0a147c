"""Cohort, report, linkage and demand pages: evaluators and admins. Views stay thin."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from cohorts import caveats, charts, display, exports, services
from cohorts.cli import relinked_summary, render
from cohorts.forms import (
    AliasChoiceForm,
    AliasConfirmForm,
    AliasSearchForm,
    CohortForm,
    LinkageFilterForm,
    ReportOptionsForm,
    TrialCohortForm,
)
from cohorts.models import Cohort, DslAlias
from core.auth import ADMIN, EVALUATOR, roles_required
from core.downloads import attachment
from core.extensions import db
from core.forms import ActionForm

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
                                         (form.exposure_start.day, form.exposure_end.day),
                                         (form.outcome_start.day, form.outcome_end.day), form.pre)
        created = _create(form, definition, "Cohort {name} has been created and its membership frozen.")
        if created:
            return created
    return render_template("cohorts/cohort_new.html", form=form, codes=codes)


def _create(form, definition, message: str):
    """Create the cohort ``definition`` describes and go to its report, saying ``message``; or, when
    it cannot be made, put the reason on the form's field and give None."""
    try:
        cohort = services.create_cohort(definition, current_user.id)
    except services.CohortError as error:
        db.session.rollback()
        form[error.field].errors.append(str(error))
        return None
    db.session.commit()
    flash(message.replace("{name}", cohort.name), "success")
    return redirect(url_for("cohorts.cohort_report", cohort_id=cohort.id))


@bp.route("/new/trial", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def trial_cohort_new():
    codes = services.course_codes()
    allocations = services.trial_allocation_names()
    form = TrialCohortForm(allocations, codes)
    if request.method == "GET" and request.args.get("trial") in allocations:
        form.trial.data = request.args["trial"]
    if form.validate_on_submit():
        definition = services.Definition(form.name.data, form.courses.data or [], form.exposure,
                                         (form.outcome_start.day, form.outcome_end.day), form.pre,
                                         trial=form.trial.data)
        created = _create(form, definition, "Cohort {name} has been created from allocation " + form.trial.data
                          + " and its membership frozen.")
        if created:
            return created
    return render_template("cohorts/trial_cohort_new.html", form=form, allocations=allocations)


def _options() -> tuple[ReportOptionsForm, dict]:
    form = ReportOptionsForm(formdata=MultiDict(request.args) if request.args else None)
    options = {"annual_calls": None, "annual_cost": None, "suppress": False, "optimism_bias": 0}
    if request.args and form.validate():
        options = {"annual_calls": form.annual_calls.data,
                   "annual_cost": float(form.annual_cost.data) if form.annual_cost.data is not None else None,
                   "suppress": bool(form.suppress.data),
                   "optimism_bias": float(form.optimism_bias.data) if form.optimism_bias.data is not None else 0}
    return form, options


@bp.route("/<int:cohort_id>")
@roles_required(*EVALUATORS)
def cohort_report(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form, options = _options()
    result = services.cohort_report(cohort, **options)
    return render_template("cohorts/report.html", cohort=cohort, form=form, report=result.figures,
                           design=display.design(result.figures), findings=display.findings(result.figures),
                           tables=display.outcome_tables(result.figures), charts=charts.outcome_charts(result.figures),
                           trial=display.trial_words(result.figures),
                           caveats=caveats.caveats(result.figures),
                           query=request.args.to_dict())


@bp.route("/<int:cohort_id>/report.<fmt>")
@roles_required(*EVALUATORS)
def cohort_export(cohort_id, fmt):
    if fmt not in exports.CONTENT_TYPES:
        abort(404)
    cohort = db.get_or_404(Cohort, cohort_id)
    _form, options = _options()
    data = render(fmt, services.cohort_report(cohort, **options), cohort)
    services.record_report_export(cohort, fmt, options, "web")
    db.session.commit()
    return attachment(data, f"{cohort.name}-outcome-report.{fmt}", exports.CONTENT_TYPES[fmt])


@bp.route("/<int:cohort_id>/dsls.csv")
@roles_required(*EVALUATORS)
def cohort_dsls(cohort_id):
    """The pseudonymous per-DSL rows: never part of a report suppressed for publication."""
    cohort = db.get_or_404(Cohort, cohort_id)
    _form, options = _options()
    if options["suppress"]:
        flash("A report suppressed for publication has no per-DSL rows: download them without suppression, and "
              "keep them inside the team.", "error")
        return redirect(url_for("cohorts.cohort_report", cohort_id=cohort.id, **request.args))
    data = exports.to_dsl_csv(services.cohort_report(cohort, **options).per_dsl)
    return attachment(data, f"{cohort.name}-per-dsl.csv", exports.CONTENT_TYPES["csv"])


@bp.route("/<int:cohort_id>/membership", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def cohort_membership(cohort_id):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            changes = services.recompute(cohort)
        except services.CohortError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("cohorts.cohort_membership", cohort_id=cohort.id))
        db.session.commit()
        flash(f"The membership of {cohort.name} has been recomputed: {len(changes)} DSL(s) moved.", "success")
        return redirect(url_for("cohorts.cohort_report", cohort_id=cohort.id))
    return render_template("cohorts/membership.html", cohort=cohort, form=form,
                           changes=services.membership_changes(cohort))


FILTER_ARGS = ("source", "batch")


def _kept_filters() -> dict:
    """The linkage page's filters as this request carries them, to hand on in links and redirects
    (the linkage page checks them)."""
    return {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}


def _linkage_filter() -> tuple[LinkageFilterForm, services.LinkageFilter, dict]:
    form = LinkageFilterForm(services.linkage_sources(), services.linkage_batches(),
                             formdata=MultiDict(request.args) if _kept_filters() else None)
    if not _kept_filters() or not form.validate():
        return form, services.EVERYTHING, {}
    where = services.LinkageFilter(source=form.source.data or None,
                                   batch_id=int(form.batch.data) if form.batch.data else None)
    return form, where, _kept_filters()


@bp.route("/linkage")
@roles_required(*EVALUATORS)
def linkage():
    filters, where, query = _linkage_filter()
    return render_template("cohorts/linkage.html", filters=filters, where=where, query=query,
                           form=ActionForm(), **services.linkage_overview(where, replica=True))


@bp.route("/linkage/relink", methods=["POST"])
@roles_required(*EVALUATORS)
def relink():
    if not ActionForm().validate_on_submit():
        abort(400)
    counts = services.relink()
    db.session.commit()
    flash(f"Records relinked to the register and the aliases: {relinked_summary(counts['changed'])}; "
          f"{counts['after']['linked']:,} MASH records linked (was {counts['before']['linked']:,}).", "success")
    return redirect(url_for("cohorts.linkage", **_kept_filters()))


def _add_error(field, message: str) -> None:
    # A field that has not been validated holds its errors in a tuple.
    field.errors = [*field.errors, message]


def _alias_search() -> tuple[AliasSearchForm, list, int]:
    """The search form as the address gives it, and the register's DSLs it finds."""
    searched = "q" in request.args
    search = AliasSearchForm(formdata=MultiDict(request.args) if searched else None,
                             data=None if searched else {"email": request.args.get("email", "")})
    if searched and not search.validate():
        return search, [], 0
    if search.email.data:
        try:
            services.check_alias_email(search.email.data)
        except services.LinkageError as error:
            _add_error(search.email, str(error))
            return search, [], 0
    found, total = services.register_search(search.q.data or "")
    return search, found, total


@bp.route("/linkage/aliases/new", methods=["GET", "POST"])
@roles_required(*EVALUATORS)
def alias_new():
    search, found, total = _alias_search()
    choice = AliasChoiceForm(found, email=search.email.data)
    if choice.validate_on_submit():
        try:
            proposal = services.propose_alias(choice.email.data, choice.dsl.data)
        except services.LinkageError as error:
            _add_error(search.email if error.field == "email" else choice.dsl, str(error))
        else:
            return render_template("cohorts/alias_confirm.html", proposal=proposal, query=_kept_filters(),
                                   form=AliasConfirmForm(email=proposal.email, dsl=proposal.dsl.id))
    return render_template("cohorts/alias_new.html", search=search, choice=choice, found=found, total=total,
                           query=_kept_filters())


@bp.route("/linkage/aliases", methods=["POST"])
@roles_required(*EVALUATORS)
def alias_create():
    form = AliasConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        alias, changed = services.create_alias(form.email.data, form.dsl.data)
    except services.LinkageError as error:
        db.session.rollback()
        search = AliasSearchForm(formdata=None, data={"email": form.email.data})
        _add_error(search.email, str(error))
        return render_template("cohorts/alias_new.html", search=search, choice=AliasChoiceForm([]), found=[],
                               total=0, query=_kept_filters())
    db.session.commit()
    flash(f"{alias.email} now links to {alias.dsl.name}: {relinked_summary(changed)}.", "success")
    return redirect(url_for("cohorts.linkage", **_kept_filters()))


@bp.route("/linkage/aliases/<int:alias_id>/remove", methods=["POST"])
@roles_required(*EVALUATORS)
def alias_remove(alias_id):
    alias = db.get_or_404(DslAlias, alias_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    email = alias.email
    changed = services.remove_alias(alias)
    db.session.commit()
    flash(f"The alias for {email} has been removed: {relinked_summary(changed)}.", "success")
    return redirect(url_for("cohorts.linkage", **_kept_filters()))


@bp.route("/demand")
@roles_required(*EVALUATORS)
def demand():
    return render_template("cohorts/demand.html", demand=services.demand())

