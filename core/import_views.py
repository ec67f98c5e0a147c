"""Upload an import file, see what it would do, then confirm. Admins, evaluators and trainers
(each sees only the kinds their role may import)."""

from datetime import date, datetime

import pandas as pd
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired

from core import uploads
from core.auth import ADMIN, EVALUATOR, TRAINER, roles_required
from core.extensions import db
from core.imports import MAX_ERRORS_SHOWN, apply_plan, import_kinds, kinds_for_role, plan_import
from core.models import ImportBatch
from core.timefmt import uk_date, uk_datetime

bp = Blueprint("imports", __name__, url_prefix="/imports")
PREVIEW_ROWS = 20


class UploadForm(FlaskForm):
    kind = RadioField("What does the file hold?", widget=GovRadioInput(), validators=[InputRequired("Choose what the file holds")])
    file = FileField("File", widget=GovFileInput(), description="CSV or Excel (.xlsx), with a header row",
                     validators=[FileRequired("Choose a CSV or Excel file to upload")])
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def __init__(self, kinds, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.name, k.label) for k in kinds]


class ConfirmForm(FlaskForm):
    upload = HiddenField()
    submit = SubmitField("Import the file", widget=GovSubmitInput())


def _load(token: str) -> tuple[dict, bytes]:
    """The upload this user made under ``token``; 404 for anyone else's or an expired one."""
    found = uploads.load(token)
    if found is None or found[0].get("user_id") != current_user.id:
        abort(404)
    return found


def preview_tables(plan) -> list[dict]:
    """The first rows to create and to update, as GOV.UK table parameters."""
    columns = [c.name for c in plan.kind.columns]
    kinds = {c.name: c.kind for c in plan.kind.columns}
    tables = []
    for title, frame in (("Records to create", plan.create), ("Records to update", plan.update)):
        if not len(frame):
            continue
        caption = title if len(frame) <= PREVIEW_ROWS else f"{title} (first {PREVIEW_ROWS} of {len(frame)})"
        head = [{"text": "Row"}] + [{"text": name} for name in columns]
        rows = [
            [{"text": int(record["_row"])}] + [{"text": _cell(record.get(name), kinds[name])} for name in columns]
            for record in frame.head(PREVIEW_ROWS).to_dict("records")
        ]
        tables.append({"caption": caption, "head": head, "rows": rows})
    return tables


def _cell(value, kind: str = "text") -> str:
    """A value as the preview shows it: dates the UK way (17 September 2020), times in London time
    (stored UTC), never ISO 8601."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == "datetime" and isinstance(value, datetime):
        return uk_datetime(value)
    if kind == "date" and isinstance(value, (date, datetime)):
        return uk_date(value.date() if isinstance(value, datetime) else value)
    return str(value)


def _render_preview(plan, token: str):
    return render_template("core/import_preview.html", plan=plan, tables=preview_tables(plan) if plan.ok else [],
                           confirm=ConfirmForm(upload=token) if token else None, max_errors=MAX_ERRORS_SHOWN)


def _allowed_kind(name: str):
    kind = import_kinds().get(name)
    if kind is None or current_user.role not in kind.roles:
        abort(403)
    return kind


@bp.route("/", methods=["GET", "POST"])
@roles_required(ADMIN, EVALUATOR, TRAINER)
def upload():
    kinds = kinds_for_role(current_user.role)
    form = UploadForm(kinds)
    if form.validate_on_submit():
        kind = _allowed_kind(form.kind.data)
        data = form.file.data.read()
        filename = (form.file.data.filename or "upload.csv").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        plan = plan_import(kind, data, filename)
        token = uploads.store({"kind": kind.name, "filename": filename, "user_id": current_user.id}, data) if plan.ok else ""
        return _render_preview(plan, token)
    # Each role sees the recent imports of the kinds it may import, not everyone's.
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.kind.in_([k.name for k in kinds]))
                                 .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc()).limit(20))
    return render_template("core/import_upload.html", form=form, kinds=kinds, batches=list(batches))


@bp.route("/confirm", methods=["POST"])
@roles_required(ADMIN, EVALUATOR, TRAINER)
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    meta, data = _load(form.upload.data)
    kind = _allowed_kind(meta["kind"])
    plan = plan_import(kind, data, meta["filename"])
    if not plan.ok:
        # The register changed since the preview: show the new problems, write nothing, keep nothing.
        uploads.discard(form.upload.data)
        return _render_preview(plan, "")
    try:
        batch = apply_plan(plan, current_user.id, "web")
        db.session.commit()
    finally:
        # Written or not, the file is not kept: a failed import is uploaded again.
        uploads.discard(form.upload.data)
    if batch is None:
        flash(f"Nothing to import from {plan.filename}: every row is already stored unchanged.", "success")
        return redirect(url_for("imports.upload"))
    flash(f"Imported {batch.filename}: {batch.created} created, {batch.updated} updated, {batch.unchanged} unchanged.", "success")
    return redirect(url_for("imports.upload"))
