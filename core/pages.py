"""The service's own pages: home, accessibility statement, health check, favicon, imports."""

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user
from sqlalchemy import text

from core.auth import ADMIN, EVALUATOR, public
from core.extensions import db
from core.navigation import add_nav_item

bp = Blueprint("core", __name__)


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return render_template("core/start.html")
    panels = [(template, context()) for roles, template, context in current_app.extensions.get(HOME_PANELS, [])
              if current_user.role in roles]
    return render_template("core/home.html", panels=panels)


HOME_PANELS = "right_support_home_panels"


def add_home_panel(app, roles, template: str, context) -> None:
    """Show ``template`` on the home page of users with one of ``roles``; ``context()`` gives its values
    (as ``panel``). A feature adds what its users need to see first, such as a DSL's training status."""
    app.extensions.setdefault(HOME_PANELS, []).append((frozenset(roles), template, context))


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("core/accessibility.html")


@bp.route("/favicon.ico")
@public
def favicon():
    return send_from_directory(current_app.static_folder + "/images", "favicon.ico", max_age=86400)


@bp.route("/healthz")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def init_app(app) -> None:
    from core import audit_views, import_views
    from core.cli import import_command
    from core.demo import demo_command
    from core.uploads import imports_group

    app.register_blueprint(bp)
    app.register_blueprint(import_views.bp)
    audit_views.init_app(app)
    app.cli.add_command(import_command)
    app.cli.add_command(imports_group)
    app.cli.add_command(demo_command)
    add_nav_item(app, "core.home", "Home", {"admin", "trainer", "evaluator", "dsl", "infoline"}, order=0, section="core.home")
    add_nav_item(app, "imports.upload", "Imports", {ADMIN, EVALUATOR}, order=80, section="imports.")
