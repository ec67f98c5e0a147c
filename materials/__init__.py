"""Materials: the 'at a glance' poster, the induction and refresher slides and the follow-up sheet,
as versioned content an admin edits and publishes, each version's PDF built once."""

from core.auth import ADMIN, ROLES
from core.demo import register_demo_step
from core.navigation import add_nav_item


def init_app(app) -> None:
    from materials import cli, demo, models, services  # noqa: F401  (models: the tables join the metadata)
    from materials.views import admin_bp, bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(cli.materials)
    register_demo_step(app, 30, "materials", demo.publish_first_versions)
    add_nav_item(app, "materials.index", "Materials", set(ROLES), order=40, section="materials.")
    add_nav_item(app, "materials_admin.index", "Manage materials", {ADMIN}, order=41, section="materials_admin.")
