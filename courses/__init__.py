"""Courses: course types, sessions, bookings, the register, certificates and the training clock."""

from core.auth import ADMIN, DSL, TRAINER
from core.demo import register_demo_step, register_seeded_tables
from core.imports import register_import_kind
from core.navigation import add_nav_item
from core.pages import add_home_panel
from core.timefmt import to_london


def uk_time(value) -> str:
    """10:30am, in London time."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{local.strftime('%I').lstrip('0')}:{local:%M}{local.strftime('%p').lower()}"


def init_app(app) -> None:
    from courses import cli, demo, messages
    from courses.importers import AttendanceImport
    from courses.views import bp

    app.register_blueprint(bp)
    messages.init_app(app)
    app.jinja_env.filters["uk_time"] = uk_time
    app.cli.add_command(cli.courses)
    app.cli.add_command(cli.reminders)
    register_import_kind(app, AttendanceImport())
    register_demo_step(app, 20, "courses", demo.load_courses)
    register_seeded_tables(app, "course_types", "course_settings")
    add_nav_item(app, "courses.sessions", "Sessions", {ADMIN, TRAINER}, order=30, section="courses.session")
    add_nav_item(app, "courses.clock", "Training clock", {ADMIN, TRAINER}, order=31, section="courses.clock")
    add_nav_item(app, "courses.course_types", "Course types", {ADMIN}, order=32, section="courses.course_type")
    add_nav_item(app, "courses.my_training", "My training", {DSL}, order=33, section="courses.my_")
    add_home_panel(app, {DSL}, "courses/_home_status.html", _home_status)


def _home_status() -> dict | None:
    """A DSL's training status and next booking, for the home page."""
    from flask_login import current_user

    from courses import services
    from courses.clock import STATUS_LABELS

    dsl = current_user.dsl
    if dsl is None:
        return None
    return {"clock": services.clock_of(dsl), "labels": STATUS_LABELS, "next": services.next_booking(dsl)}
