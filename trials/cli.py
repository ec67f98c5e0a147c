"""``flask trials power|allocate|show``."""

import json

import click

from trials import power as power_calc


class OneLineErrors(click.Command):
    """A command whose bad input is reported on one line, ``Error: ...``, without the usage text
    (click's exit status 2 stays): the person sees what to fix at once."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
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

