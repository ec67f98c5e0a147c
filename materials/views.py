"""The materials pages: DSLs (and every signed-in role) read and download; admins edit, preview and
publish. PDFs are served from the bytes stored at publish time, with ETag and Last-Modified."""

import io
import re
from datetime import timezone

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape

from core.auth import ADMIN, public, roles_required, signed_in
from core.extensions import db
from materials import figures, services
from materials.content import DESCRIPTIONS, KINDS, POSTER, TITLES, flatten, paragraphs, unflatten, upgrade
from materials.forms import PublishForm, SettingsForm, field_groups, material_form_class
from materials.outline import page_context

bp = Blueprint("materials", __name__, static_folder="static", static_url_path="/materials/static")
admin_bp = Blueprint("materials_admin", __name__, url_prefix="/admin/materials")

BOLD = re.compile(r"\*\*(.+?)\*\*")


@bp.app_template_filter("material_text")
def material_text(text: str) -> Markup:
    """A material's text as HTML paragraphs: escaped, **bold** as <strong>, line breaks kept."""
    out = []
    for paragraph in paragraphs(text):
        html = BOLD.sub(r"<strong>\1</strong>", str(escape(paragraph))).replace("\n", "<br>")
        out.append(f'<p class="govuk-body">{html}</p>')
    return Markup("\n".join(out))


def _material(kind: str):
    """The material named in the address, or 404."""
    material = services.material_by_kind(kind) if kind in KINDS else None
    if material is None:
        abort(404)
    return material


def _render(kind: str, content: dict, version=None, **extra):
    return render_template("materials/material.html", kind=kind, title=TITLES[kind], content=content,
                           version=version, **page_context(kind, content), **extra)


def _send_pdf(file, user=None) -> Response:
    """A stored PDF with its ETag and Last-Modified (304 to a matching conditional request), its file
    name through Flask's encoding. A full download is logged and committed before it is sent."""
    if file is None:
        abort(404)
    response = send_file(io.BytesIO(file.data), mimetype="application/pdf", download_name=file.filename,
                         as_attachment=True, etag=file.sha256, last_modified=file.published_at.replace(tzinfo=timezone.utc, microsecond=0),
                         conditional=True)
    response.cache_control.private = True
    if response.status_code == 200:
        services.record_download(file.version_id, user.id if user else None, file.size)
        db.session.commit()
    return response


def _size() -> str:
    return "A3" if request.args.get("size", "").upper() == "A3" else "A4"


# -- for everyone signed in ---------------------------------------------------------------------


@bp.route("/materials/")
@signed_in
def index():
    current = services.current_summaries()
    rows = [{"kind": kind, "title": TITLES[kind], "description": DESCRIPTIONS[kind], "version": current.get(kind)}
            for kind in KINDS]
    return render_template("materials/index.html", rows=rows, poster_public=services.poster_is_public())


@bp.route("/materials/<kind>/")
@signed_in
def read(kind):
    version = services.current_version(_material(kind)) or abort(404)
    return _render(kind, version.content, version)


@bp.route("/materials/<kind>.pdf")
@signed_in
def download(kind):
    if kind not in KINDS:
        abort(404)
    return _send_pdf(services.current_pdf(kind, _size()), current_user._get_current_object())


@bp.route("/materials/<kind>/v<int:number>.pdf")
@signed_in
def download_version(kind, number):
    if kind not in KINDS:
        abort(404)
    return _send_pdf(services.version_pdf(kind, number, _size()), current_user._get_current_object())


# -- the poster without signing in, when an admin allows it -------------------------------------


def _public_poster():
    if not services.poster_is_public():
        abort(404)
    material = services.material_by_kind(POSTER)
    version = services.current_version(material) if material else None
    return version or abort(404)


@bp.route("/poster")
@public
def public_poster():
    version = _public_poster()
    return _render(POSTER, version.content, version, public_page=True)


@bp.route("/poster.pdf")
@public
def public_poster_pdf():
    if not services.poster_is_public():
        abort(404)
    # A request without a signed-in session (the poster on a staffroom tablet, a link in a
    # newsletter) is served without looking up any user.
    signed_in_session = "_user_id" in session and current_user.is_authenticated
    user = current_user._get_current_object() if signed_in_session else None
    return _send_pdf(services.current_pdf(POSTER, _size()), user)


# -- admin: edit, preview, publish, settings ----------------------------------------------------


@admin_bp.route("/", endpoint="index")
@roles_required(ADMIN)
def manage():
    materials = services.ensure_materials()
    db.session.commit()
    counts = services.download_counts()
    rows = [{"material": m, "title": TITLES[m.kind], "current": services.current_version(m),
             "draft": services.draft_of(m)} for m in materials]
    form = SettingsForm(poster_public=services.poster_is_public())
    return render_template("materials/admin_index.html", rows=rows, counts=counts, form=form)


@admin_bp.route("/settings", methods=["POST"])
@roles_required(ADMIN)
def settings():
    form = SettingsForm()
    if form.validate_on_submit():
        services.set_poster_public(form.poster_public.data, current_user._get_current_object())
        db.session.commit()
        flash("The poster is now public." if form.poster_public.data else "The poster now needs signing in.", "success")
    return redirect(url_for("materials_admin.index"))


@admin_bp.route("/<kind>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit(kind):
    material = _material(kind)
    form_class = material_form_class(kind)
    content, upgraded = services.editable_content(material)
    figure = None
    if request.method == "GET":
        data = flatten(content)
        if request.args.get("figure") == "latest":
            data, figure = figures.filled(data)
        form = form_class(data=data)
    else:
        form = form_class()
    if form.validate_on_submit():
        draft = services.save_draft(material, unflatten(kind, form.data), current_user._get_current_object())
        db.session.commit()
        flash(f"Version {draft.number} is saved as a draft. Check it below, then publish it.", "success")
        return redirect(url_for("materials_admin.preview", kind=kind))
    return render_template("materials/edit.html", form=form, kind=kind, title=TITLES[kind], groups=field_groups(kind),
                           draft=services.draft_of(material), upgraded=upgraded, figure=figure)


@admin_bp.route("/<kind>/preview")
@roles_required(ADMIN)
def preview(kind, form=None):
    draft = services.draft_of(_material(kind))
    if draft is None:
        flash("There is no draft of this material. Edit it to start one.", "info")
        return redirect(url_for("materials_admin.edit", kind=kind))
    # What publishing builds: a draft from before content model 2 is published in model 2.
    form = form or PublishForm()
    return _render(kind, upgrade(kind, draft.content), draft, preview=True, publish_form=form, form=form)


@admin_bp.route("/<kind>/publish", methods=["POST"])
@roles_required(ADMIN)
def publish(kind):
    material = _material(kind)
    form = PublishForm()
    if not form.validate_on_submit():
        return preview(kind, form)
    try:
        version = services.publish_draft(material, current_app.config["COUNCIL_NAME"], current_user._get_current_object())
    except services.MaterialError as error:
        flash(str(error), "info")
        return redirect(url_for("materials_admin.index"))
    db.session.commit()
    flash(f"{TITLES[kind]}: version {version.number} is published.", "success")
    return redirect(url_for("materials_admin.versions", kind=kind))


@admin_bp.route("/<kind>/versions")
@roles_required(ADMIN)
def versions(kind):
    material = _material(kind)
    return render_template("materials/versions.html", material=material, title=TITLES[kind],
                           versions=list(reversed(material.versions)), counts=services.download_counts())
