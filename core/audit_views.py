"""The audit trail for admins: a filtered, paged page and the same rows as CSV; and the commands
that keep the trail to its retention period (``flask audit purge``)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, time, timedelta

import click
from flask import Blueprint, current_app, render_template, request
from flask.cli import with_appcontext
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from sqlalchemy import distinct, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from core import audit
from core.auth import ADMIN, roles_required
from core.downloads import attachment
from core.extensions import db
from core.forms import DayField, choice_list, single_line
from core.models import AuditEvent
from core.paging import paginate
from core.spreadsheets import csv_cell
from core.timefmt import london_to_utc, uk_datetime

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PAGE_SIZE = 50
FILTERS = ("event", "user", "start", "end")
CSV_COLUMNS = ["occurred_at_utc", "user_email", "event", "object_type", "object_id", "remote_addr", "old_values",
               "new_values"]


class AuditFilterForm(FlaskForm):
    """The page's filters, read from the address (GET): they change nothing, so no CSRF token."""

    class Meta:
        csrf = False

    event = SelectField("Event", widget=GovSelect(), validate_choice=False,
                        description="Named feature.object.what happened")
    user = StringField("Account", widget=GovTextInput(), description="An email address, or part of one",
                       validators=[single_line, Length(max=254, message="Enter 254 characters or fewer")])
    start = DayField("From", invalid_message="The first day must be a real date, like 2020-09-01 or 01/09/2020")
    end = DayField("To", invalid_message="The last day must be a real date, like 2020-09-30 or 30/09/2020")
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def __init__(self, events, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event.choices = choice_list(events, blank="All events")

    def validate_event(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Choose an event from the list")

    def validate_end(self, field):
        if self.start.day and field.day and field.day < self.start.day:
            raise ValidationError("The last day must be the same as or after the first day")


@dataclass(frozen=True)
class AuditFilter:
    event: str = ""
    user: str = ""
    start: date | None = None
    end: date | None = None


def _events() -> list[str]:
    return list(db.session.scalars(select(distinct(AuditEvent.event)).order_by(AuditEvent.event)))


def audit_statement(where: AuditFilter, with_email: bool = False):
    """The events ``where`` asks for, newest first; ``with_email`` adds each one's account email."""
    from people.models import User

    account = aliased(User)
    columns = (AuditEvent, account.email) if with_email else (AuditEvent,)
    statement = (select(*columns).outerjoin(account, account.id == AuditEvent.user_id)
                 .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()))
    if where.event:
        statement = statement.where(AuditEvent.event == where.event)
    if where.user:
        statement = statement.where(account.email.contains(where.user.strip().lower(), autoescape=True))
    if where.start:
        statement = statement.where(AuditEvent.occurred_at >= london_to_utc(where.start, time(0)))
    if where.end:
        statement = statement.where(AuditEvent.occurred_at < london_to_utc(where.end + timedelta(days=1), time(0)))
    return statement


def _filter() -> tuple[AuditFilterForm, AuditFilter, dict]:
    kept = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    form = AuditFilterForm(_events(), formdata=MultiDict(request.args) if kept else None)
    if not kept or not form.validate():
        return form, AuditFilter(), {}
    return form, AuditFilter(form.event.data or "", (form.user.data or "").strip(), form.start.day, form.end.day), kept


def _emails(user_ids) -> dict[int, str]:
    from people.models import User

    if not user_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())


def _changes(event: AuditEvent) -> str:
    """Old and new values as a line a person can read: 'role: trainer → admin; active: true → false'."""
    old, new = event.old_values or {}, event.new_values or {}
    parts = []
    for key in list(dict.fromkeys([*old, *new])):
        before, after = (json.dumps(values[key], ensure_ascii=False) if key in values else None for values in (old, new))
        if before is not None and after is not None:
            parts.append(f"{key}: {before} → {after}")
        else:
            parts.append(f"{key}: {before if after is None else after}")
    return "; ".join(parts)


@bp.route("/")
@roles_required(ADMIN)
def trail():
    form, where, kept = _filter()
    page = paginate(audit_statement(where), request.args.get("page", 1, type=int), PAGE_SIZE)
    emails = _emails({event.user_id for event in page.items if event.user_id})
    rows = [{"event": event, "email": emails.get(event.user_id), "changes": _changes(event)} for event in page.items]
    return render_template("core/audit.html", form=form, page=page, rows=rows, kept=kept,
                           retention=current_app.config["AUDIT_RETENTION_MONTHS"])


@bp.route("/audit-trail.csv")
@roles_required(ADMIN)
def trail_csv():
    _form, where, kept = _filter()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event, email in db.session.execute(audit_statement(where, with_email=True)):
        count += 1
        writer.writerow([csv_cell(value) for value in (
            event.occurred_at.isoformat(sep=" ", timespec="seconds"), email or "", event.event, event.object_type or "",
            event.object_id or "", event.remote_addr or "",
            json.dumps(event.old_values, ensure_ascii=False) if event.old_values is not None else "",
            json.dumps(event.new_values, ensure_ascii=False) if event.new_values is not None else "")])
    audit.record("core.audit.exported", object_type="audit_trail", new={"filters": kept, "rows": count})
    db.session.commit()
    return attachment(buffer.getvalue().encode("utf-8-sig"), "audit-trail.csv", "text/csv")


# -- the command line -------------------------------------------------------------------------------


@click.group("audit", help="The audit trail.")
def audit_group():
    pass


@audit_group.command("purge")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Keep this many months of events (default: AUDIT_RETENTION_MONTHS).")
@with_appcontext
def purge_command(months):
    """Delete audit events older than the retention period, in one transaction, recording the purge."""
    months = months or current_app.config["AUDIT_RETENTION_MONTHS"]
    try:
        row = audit.purge(months)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Deleted {row.deleted} audit event(s) from before {uk_datetime(row.cutoff)} "
               f"(kept {months} month(s)).")


def init_app(app) -> None:
    from core.navigation import add_nav_item

    app.register_blueprint(bp)
    app.cli.add_command(audit_group)
    add_nav_item(app, "audit.trail", "Audit trail", {ADMIN}, order=95, section="audit.")

