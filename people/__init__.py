"""People: schools, the DSL register, user accounts, roles and sign-in."""

from core.auth import ADMIN
from core.demo import register_demo_note, register_demo_step
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
    register_demo_note(app, "The admin and the evaluator also need a code from an authenticator app holding the key "
                            f"{demo.DEMO_TOTP_SECRET} (or: python -c \"import pyotp; "
                            f"print(pyotp.TOTP('{demo.DEMO_TOTP_SECRET}').now())\").")
    add_nav_item(app, "people.schools", "Schools", {ADMIN}, order=20, section="people.school")
    add_nav_item(app, "people.dsls", "DSL register", {ADMIN}, order=21, section="people.dsl")
    add_nav_item(app, "people.users", "Users", {ADMIN}, order=22, section="people.user")


def _user_for_request(session_id: str):
    """The signed-in user for this request, checked against the database on every request: a session
    ended by signing out, a new password, a new role or disabling the account gets nothing more."""
    from people import services

    return services.load_session_user(session_id)
