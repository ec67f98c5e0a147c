"""The Infoline's pages: recording a call (advisers and admins), the topics list (admins) and
the figures (evaluators and admins). Views stay thin."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cohorts.services import mash_by_month
from core.auth import ADMIN, EVALUATOR, INFOLINE, roles_required
from core.downloads import attachment
from core.extensions import db
from core.forms import ActionForm
from core.timefmt import utcnow
from infoline import display, exports, services
from infoline.forms import CallerSearchForm, CallForm, PeriodForm, TopicForm
from infoline.models import ADVICE_LABELS, InfolineTopic

bp = Blueprint("infoline", __name__, url_prefix="/infoline")
ADVISERS = (ADMIN, INFOLINE)
READERS = (ADMIN, EVALUATOR)


def _caller_choices(query: str) -> list[tuple[str, str]]:
    dsls, schools = services.find_callers(query)
    choices = [(f"dsl-{dsl.id}", f"{dsl.name}, {dsl.school.name} ({dsl.email})") for dsl in dsls]
    choices += [(f"school-{school.urn}", f"Someone else at {school.name} (URN {school.urn}), not on the register")
                for school in schools]
    return choices


def _caller(value: str):
    """The DSL or the school a caller choice names (both None for a value no search offered)."""
    kind, _, number = (value or "").partition("-")
    if not number.isdigit():
        return None, None
    if kind == "dsl":
        return services.dsl_by_id(int(number)), None
    return None, services.school_by_urn(int(number)) if kind == "school" else None


@bp.route("/calls/new", methods=["GET", "POST"])
@roles_required(*ADVISERS)
def record():
    query = (request.values.get("q") or "").strip()[:200]
    search = CallerSearchForm(request.args, meta={"csrf": False})
    callers = _caller_choices(query)
    form = CallForm(callers, services.active_topics())
    if len(callers) == 1 and not form.is_submitted():
        form.caller.data = callers[0][0]
    if form.validate_on_submit():
        dsl, school = _caller(form.caller.data)
        try:
            call = services.record_call(dsl=dsl, school=school, advice=form.advice.data, topic=form.topic.data or None,
                                        duration_minutes=form.duration.data, recorded_by_id=current_user.id)
        except services.InfolineError as error:
            getattr(form, error.field, form.caller).errors.append(str(error))
        else:
            db.session.commit()
            who = dsl.name if dsl else f"someone at {school.name}"
            flash(f"Call from {who} saved ({ADVICE_LABELS[call.advice].lower()}). Ready for the next call.", "success")
            return redirect(url_for("infoline.record"))
    return render_template("infoline/record.html", search=search, form=form, query=query, callers=callers,
                           schools=services.school_names(), recent=services.recent_calls(current_user.id),
                           advice_labels=ADVICE_LABELS, action=ActionForm(),
                           removable_since=utcnow() - services.REMOVABLE_FOR)


@bp.route("/calls/<int:call_id>/remove", methods=["POST"])
@roles_required(*ADVISERS)
def remove(call_id):
    call = services.removable_call(call_id, current_user.id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.remove_call(call)
    db.session.commit()
    flash("The call was removed. Record it again if it was saved with a mistake.", "success")
    return redirect(url_for("infoline.record"))


@bp.route("/topics", methods=["GET", "POST"])
@roles_required(ADMIN)
def topics():
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = services.add_topic(form.name.data)
        except services.InfolineError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Topic added: {topic.name}", "success")
            return redirect(url_for("infoline.topics"))
    return render_template("infoline/topics.html", form=form, topics=services.topics(), action=ActionForm())


@bp.route("/topics/<int:topic_id>/active", methods=["POST"])
@roles_required(ADMIN)
def topic_active(topic_id):
    topic = db.session.get(InfolineTopic, topic_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.set_topic_active(topic, not topic.active)
    db.session.commit()
    flash(f"{topic.name} is {'offered to advisers again' if topic.active else 'no longer offered to advisers'}.",
          "success")
    return redirect(url_for("infoline.topics"))


def _mash_contacts() -> dict[str, int]:
    return {row["month"]: int(row["contacts"]) for row in mash_by_month().to_dict("records")}


def _period() -> tuple[PeriodForm, tuple]:
    """The period the evaluator chose (both ends open until they choose one, or when it is wrong)."""
    form = PeriodForm(request.args)
    if ("start" in request.args or "end" in request.args) and form.validate():
        return form, (form.start.day, form.end.day)
    return form, (None, None)


@bp.route("/")
@roles_required(*READERS)
def figures():
    form, period = _period()
    numbers = services.figures(*period)
    query = {name: value for name, value in request.args.items() if name in ("start", "end") and value}
    return render_template("infoline/figures.html", figures=numbers, tables=display.tables(numbers), form=form,
                           period=period, query=query, charts=display.charts(numbers, _mash_contacts()))


@bp.route("/figures.<fmt>")
@roles_required(*READERS)
def figures_export(fmt):
    if fmt not in exports.CONTENT_TYPES:
        abort(404)
    _form, period = _period()
    tables = display.tables(services.figures(*period))
    data = exports.to_csv(tables) if fmt == "csv" else exports.to_xlsx(tables)
    span = "-".join(day.isoformat() if day else "all" for day in period) if any(period) else "all"
    return attachment(data, f"infoline-calls-{span}.{fmt}", exports.CONTENT_TYPES[fmt])
