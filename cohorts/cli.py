"""``flask cohorts create|report|recompute|relink|alias|unalias``."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from cohorts import exports, services
from core.cli import WINDOW
from core.extensions import db
from people.services import dsl_by_email

FORMATS = ("json", "csv", "xlsx", "pdf")


@click.group(help="Define cohorts and report their outcomes.")
def cohorts():
    pass


@cohorts.command("create")
@click.argument("name")
@click.option("--courses", required=True, help="Comma-separated course codes, e.g. induction,refresher")
@click.option("--exposure", type=WINDOW, required=True, help="Window of session first days, START:END")
@click.option("--outcome", type=WINDOW, required=True, help="Window of MASH records' received dates, START:END")
@click.option("--pre", type=WINDOW, help="Optional pre-period before training, START:END, for the "
                                         "difference in differences")
@with_appcontext
def create(name, courses, exposure, outcome, pre):
    """Create cohort NAME and freeze its membership."""
    definition = services.Definition(name, [c.strip() for c in courses.split(",") if c.strip()],
                                     exposure, outcome, pre)
    try:
        cohort = services.create_cohort(definition)
    except services.CohortError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    sizes = {c.id: (n_c, n_t) for c, n_c, n_t in services.all_cohorts()}[cohort.id]
    click.echo(f"Created cohort {cohort.name}: {sizes[1]} DSLs in treatment, {sizes[0]} in comparison.")


@cohorts.command("report")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output)")
@click.option("--annual-calls", type=click.IntRange(min=1), help="Calls a year that result in no further action")
@click.option("--annual-cost", type=click.FloatRange(min=0), help="What those calls cost a year")
@click.option("--suppress", is_flag=True, help="For publication: counts of 1 to 4 as c, others rounded to 5")
@with_appcontext
def report(name, fmt, output, annual_calls, annual_cost, suppress):
    """Write the outcome report of cohort NAME."""
    cohort = services.cohort_by_name(name)
    if cohort is None:
        raise click.ClickException(f"There is no cohort called {name}")
    if (annual_calls is None) != (annual_cost is None):
        raise click.UsageError("give both --annual-calls and --annual-cost, or neither")
    result = services.cohort_report(cohort, annual_calls, annual_cost, suppress)
    data = render(fmt, result, cohort)
    if output:
        output.write_bytes(data)
        click.echo(f"Wrote {output}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def render(fmt: str, result, cohort=None) -> bytes:
    """The report ``result`` in ``fmt``; a PDF names the analysis plan that registered ``cohort``."""
    if fmt == "json":
        return exports.to_json(result.figures)
    if fmt == "csv":
        return exports.to_csv(result.figures, result.per_dsl)
    if fmt == "xlsx":
        return exports.to_xlsx(result.figures, result.per_dsl)
    plan = services.analysis_plan(cohort) if cohort else None
    return exports.to_pdf(result.figures, current_app.config.get("COUNCIL_NAME", ""), plan=plan)


@cohorts.command("recompute")
@click.argument("name")
@click.option("--apply", "apply_changes", is_flag=True, help="Replace the frozen membership (default: only show)")
@with_appcontext
def recompute(name, apply_changes):
    """Show who would move if cohort NAME's membership were computed now; --apply to replace it."""
    cohort = services.cohort_by_name(name)
    if cohort is None:
        raise click.ClickException(f"There is no cohort called {name}")
    try:
        changes = services.recompute(cohort) if apply_changes else services.membership_changes(cohort)
    except services.CohortError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    for change in changes:
        click.echo(f"DSL {change['dsl_id']}: {change['from']} -> {change['to']}: {change['why']}")
    click.echo(f"{len(changes)} DSL(s) {'moved' if apply_changes else 'would move'}.")
    if apply_changes:
        db.session.commit()


@cohorts.command("relink")
@with_appcontext
def relink():
    """Link MASH records and Early Help consultations to DSLs by email, as the register stands now."""
    counts = services.relink()
    db.session.commit()
    click.echo(f"Linked MASH records: {counts['before']['linked']} before, {counts['after']['linked']} now "
               f"(of {counts['after']['records']}).")


@cohorts.command("alias")
@click.argument("email")
@click.argument("dsl_email")
@with_appcontext
def alias(email, dsl_email):
    """Map referrer EMAIL (one the register does not hold) to the DSL whose register email is DSL_EMAIL."""
    dsl = dsl_by_email(dsl_email)
    if dsl is None:
        raise click.ClickException(f"No DSL on the register has the email {dsl_email.strip().lower()}")
    try:
        made, changed = services.create_alias(email, dsl.id, user_id=None)
    except services.LinkageError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"{made.email} now links to {dsl.name}: {relinked_summary(changed)}.")


@cohorts.command("unalias")
@click.argument("email")
@with_appcontext
def unalias(email):
    """Remove the alias of referrer EMAIL; its records link to no one again."""
    found = services.alias_by_email(email)
    if found is None:
        raise click.ClickException(f"No alias maps {email.strip().lower()}")
    changed = services.remove_alias(found, user_id=None)
    db.session.commit()
    click.echo(f"The alias for {found.email} has been removed: {relinked_summary(changed)}.")


def relinked_summary(changed: dict) -> str:
    """How many records a relinking changed, in words (the pages say it the same way)."""
    return f"{changed['mash_records']:,} MASH records and {changed['early_help']:,} Early Help consultations relinked"
