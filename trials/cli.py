"""``flask trials power|allocate|show``."""

import json
import sys

import click
from flask.cli import with_appcontext

from core.extensions import db
from trials import allocation as algorithm
from trials import exports, services
from trials import power as power_calc

DEFAULT_ARMS = "control,intervention"


class OneLineErrors(click.Command):
    """A command whose bad input is reported on one line, ``Error: ...``, without the usage text
    (click's exit status 2 stays): the person sees what to fix at once."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            error.ctx = None
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            error.ctx = None
            raise


@click.group(help="Plan a trial: sample sizes, randomised allocation of schools.")
def trials():
    pass


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@trials.command("power", cls=OneLineErrors)
@click.option("--baseline", type=float, required=True, help="Mean contacts per DSL without the training, e.g. 0.57")
@click.option("--dispersion", type=float, required=True, help="Negative binomial dispersion k (variance mu + k mu^2)")
@click.option("--reduction", type=float, help="Reduction in contacts hoped for, in %, e.g. 20")
@click.option("--per-arm", type=int, help="DSLs available in each arm: print the minimum detectable reduction")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Two-sided significance level")
@click.option("--power", "power_", type=float, default=0.8, show_default=True, help="Power wanted")
@click.option("--icc", type=float, help="Intra-class correlation of DSLs within a school")
@click.option("--cluster-size", type=float, help="DSLs per school")
def power(baseline, dispersion, reduction, per_arm, alpha, power_, icc, cluster_size):
    """Print the DSLs needed in each arm (or, with --per-arm, the smallest detectable reduction) as JSON."""
    design = power_calc.Design(baseline, dispersion, alpha, power_, icc, cluster_size)
    try:
        _echo_json(power_calc.answer(design, reduction=reduction, per_arm_available=per_arm))
    except power_calc.PowerError as error:
        raise click.ClickException(str(error))



@trials.command("allocate", cls=OneLineErrors)
@click.argument("name")
@click.option("--strata", default="", help="Comma-separated, any of: district, phase, size_band (default: none)")
@click.option("--seed", type=int, required=True, help=f"A whole number from 0 to {algorithm.MAX_SEED}")
@click.option("--arms", help="Comma-separated arm names, the comparison arm first [default: control,intervention]")
@click.option("--waves", help="A stepped wedge instead: the number of waves, or their names in order")
@with_appcontext
def allocate(name, strata, seed, arms, waves):
    """Randomise every school on the register to arms (or waves) and store the allocation as NAME, for good."""
    if arms is not None and waves is not None:
        raise click.UsageError("give --arms or --waves, not both")
    try:
        design = "stepped-wedge" if waves is not None else "parallel"
        names = algorithm.parse_waves(waves) if waves is not None else algorithm.parse_arms(arms or DEFAULT_ARMS)
        record = services.create_allocation(name, algorithm.parse_strata(strata), names, seed, design=design,
                                            source="cli")
    except (algorithm.AllocationError, services.TrialError) as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    sizes = algorithm.arm_sizes(services.allocation_frame(record), record.arms)
    counts = ", ".join(f"{arm} {int(sizes.loc['all strata', arm]):,}" for arm in record.arms)
    click.echo(f"Allocated {record.schools:,} schools in {len(sizes) - 1} strata as {record.name} "
               f"(seed {record.seed}): {counts}.")


@trials.command("show", cls=OneLineErrors)
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def show(name, fmt):
    """Print allocation NAME: one entry per school with its stratum and arm."""
    record = services.allocation_by_name(name)
    if record is None:
        raise click.ClickException(f"There is no allocation called {name}")
    rows = services.allocation_rows(record)
    data = exports.to_json(rows) if fmt == "json" else exports.to_csv(rows, services.SHOW_COLUMNS)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
