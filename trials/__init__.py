"""Trials: sample sizes, randomised allocation of schools to arms or waves, locked analysis plans."""

from core.auth import ADMIN, EVALUATOR, TRAINER
from core.navigation import add_nav_item

PLANNERS = (ADMIN, EVALUATOR)  # power, allocations, analysis plans
READERS = (ADMIN, EVALUATOR, TRAINER)  # who may see an allocation
INVITERS = (ADMIN, TRAINER)  # who may see the DSLs (names and emails) of an arm or wave


def init_app(app) -> None:
    from cohorts import services as cohorts
    from cohorts.services import TRIALS_PROVIDER
    from trials import cli, messages, services
    from trials.services import CohortProvider
    from trials.views import bp

    app.extensions[TRIALS_PROVIDER] = CohortProvider
    messages.init_app(app)
    cohorts.register_plan_source(app, services.plan_for_windows)
    app.register_blueprint(bp)
    app.cli.add_command(cli.trials)
    add_nav_item(app, "trials.index", "Trials", set(READERS), order=63, section="trials.")
