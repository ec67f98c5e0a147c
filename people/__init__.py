"""People: schools, the DSL register, user accounts, roles and sign-in."""

from core.auth import ADMIN
from core.demo import register_demo_step
from core.extensions import login_manager
from core.imports import register_import_kind
from core.navigation import add_nav_item


def init_app(app) -> None:
    from people import cli, demo, messages
    from people.importers import DslsImport, SchoolsImport
    from people.views import bp

    app.register_blueprint(bp)
    messages.init_app(app)
    login_manager.user_loader(_user_for_request)
    app.cli.add_command(cli.users)
    register_import_kind(app, SchoolsImport())
    register_import_kind(app, DslsImport())
    register_demo_step(app, 10, "county", demo.load_county)
    add_nav_item(app, "people.schools", "Schools", {ADMIN}, order=20, section="people.school")
    add_nav_item(app, "people.dsls", "DSL register", {ADMIN}, order=21, section="people.dsl")
    add_nav_item(app, "people.users", "Users", {ADMIN}, order=22, section="people.user")


def _user_for_request(session_id: str):
    """The signed-in user for this request: checked against the database every time, except on
    views marked ``session_check_remembered`` (published materials), where a check from the last
    MATERIALS_SESSION_CHECK_SECONDS in this worker is trusted."""
    from flask import current_app, request

    from people import services

    seconds = current_app.config.get("MATERIALS_SESSION_CHECK_SECONDS", 0)
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if seconds and getattr(view, "session_check_remembered", False):
        return services.remembered_session(session_id, seconds)
    return services.load_session_user(session_id)
