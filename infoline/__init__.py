"""The DSL Infoline: advisers record who calls and the advice given; evaluators see who uses it,
and every outcome report counts trained and untrained DSLs' calls."""

from core.auth import ADMIN, EVALUATOR, INFOLINE
from core.demo import register_demo_step
from core.imports import register_import_kind
from core.navigation import add_nav_item

ADVISERS = (ADMIN, INFOLINE)  # who records calls
READERS = (ADMIN, EVALUATOR)  # who sees the figures


def init_app(app) -> None:
    from cohorts.services import register_demand_series, register_linked_table, register_report_section
    from core.pages import add_home_panel
    from infoline import cli, demo, services
    from infoline.importers import InfolineImport
    from infoline.models import InfolineCall
    from infoline.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cli.infoline)
    register_import_kind(app, InfolineImport())
    # Calls relink with the MASH records whenever the register or an alias changes.
    register_linked_table(app, InfolineCall)
    register_report_section(app, "infoline", services.report_section, services.suppress_section)
    register_demand_series(app, "infoline_calls", services.calls_by_month)
    register_demo_step(app, 50, "a year of Infoline calls", demo.load)
    add_home_panel(app, {INFOLINE}, "infoline/_home.html", dict)
    add_nav_item(app, "infoline.record", "Record a call", set(ADVISERS), order=70, section="infoline.record")
    add_nav_item(app, "infoline.figures", "Infoline", set(READERS), order=71, section="infoline.figures")
    add_nav_item(app, "infoline.topics", "Infoline topics", {ADMIN}, order=72, section="infoline.topic")
