"""Cohorts and outcomes: MASH and Early Help imports, cohort definitions, the outcome report."""

from core.auth import ADMIN, EVALUATOR
from core.demo import register_demo_step
from core.events import REGISTER_CHANGED, subscribe
from core.imports import register_import_kind
from core.navigation import add_nav_item

EVALUATORS = (ADMIN, EVALUATOR)


def init_app(app) -> None:
    from cohorts import cli, demo, services
    from cohorts.importers import ContactsImport, EarlyHelpImport
    from cohorts.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cli.cohorts)
    register_import_kind(app, ContactsImport())
    register_import_kind(app, EarlyHelpImport())
    # The register changed: records carrying the emails concerned link differently now.
    subscribe(app, REGISTER_CHANGED, services.relink_emails)
    register_demo_step(app, 40, "MASH records, Early Help consultations and the autumn-2020 cohort", demo.load)
    add_nav_item(app, "cohorts.cohorts", "Cohorts", set(EVALUATORS), order=60, section="cohorts.cohort")
    add_nav_item(app, "cohorts.linkage", "Linkage", set(EVALUATORS), order=61, section="cohorts.linkage")
    add_nav_item(app, "cohorts.demand", "Demand", set(EVALUATORS), order=62, section="cohorts.demand")
