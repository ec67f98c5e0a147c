"""Admin pages: the outbox (what is waiting, what failed and why), and in development the messages
kept as files instead of sent."""

from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from core.auth import ADMIN, roles_required
from core.extensions import db
from core.forms import ActionForm
from core.mail import sending

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")
FOLDER_PAGE = 100


@bp.route("/")
@roles_required(ADMIN)
def outbox():
    return render_template("core/mail/outbox.html", summary=sending.summary(), failing=sending.failing_messages(),
                           set_up=sending.mail_is_set_up(), folder=bool(current_app.config.get("MAIL_FOLDER")),
                           action_form=ActionForm())


@bp.route("/retry", methods=["POST"])
@roles_required(ADMIN)
def retry():
    if not ActionForm().validate_on_submit():
        abort(400)
    sending.retry_now()
    db.session.commit()
    report = sending.deliver()
    flash(f"Tried again: {report.sent} sent, {report.failed} failed, {report.waiting} still waiting.", "success")
    return redirect(url_for("mail.outbox"))


def _folder() -> Path:
    folder = current_app.config.get("MAIL_FOLDER")
    if not folder:
        abort(404)
    return Path(folder)


def _read(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


@bp.route("/development")
@roles_required(ADMIN)
def development():
    folder = _folder()
    files = sorted(folder.glob("*.eml"), reverse=True)[:FOLDER_PAGE] if folder.is_dir() else []
    messages = [(path.name, _read(path)) for path in files]
    return render_template("core/mail/development.html", messages=messages, folder=folder)


@bp.route("/development/<name>")
@roles_required(ADMIN)
def development_message(name):
    folder = _folder()
    path = folder / name
    if not name.endswith(".eml") or path.name != name or not path.is_file():
        abort(404)
    message = _read(path)
    text = message.get_body(preferencelist=("plain",))
    attachments = [part.get_filename() for part in message.iter_attachments()]
    return render_template("core/mail/development_message.html", name=name, message=message,
                           text=text.get_content() if text else "", attachments=attachments)
