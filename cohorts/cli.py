"""``flask cohorts create|report|recompute|relink|alias|unalias|purge-records``."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from cohorts import exports, services
from core.cli import WINDOW
from core.extensions import db
from core.timefmt import uk_date
from people.services import dsl_by_email

FORMATS = ("json", "csv", "xlsx", "pdf")


@click.group(help="Define cohorts and report their outcomes.")
def cohorts():
    pass


@cohorts.command("create")
@click.argument("name")
@click.option("--courses", help="Comma-separated course codes, e.g. induction,refresher (with --trial: what counts "
                                "as attending, default induction,refresher)")
@click.option("--exposure", type=WINDOW, help="Window of session first days, START:END (with --trial: when "
                                              "attending counts, default from the draw to the outcome end)")
@click.option("--outcome", type=WINDOW, required=True, help="Window of MASH records' received dates, START:END")
@click.option("--pre", type=WINDOW, help="Optional pre-period before training, START:END, for the "
                                         "difference in differences")
@click.option("--trial", help="A trial's intention-to-treat cohort: the name of the allocation whose arms make "
                              "the groups")
@with_appcontext
def create(name, courses, exposure, outcome, pre, trial):
    """Create cohort NAME and freeze its membership."""
    if trial is None and (courses is None or exposure is None):
        raise click.UsageError("give --courses and --exposure, or --trial ALLOCATION")
    codes = [c.strip() for c in (courses or "").split(",") if c.strip()]
    definition = services.Definition(name, codes, exposure, outcome, pre, trial=trial)
    try:
        cohort = services.create_cohort(definition)
    except services.CohortError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    sizes = {c.id: (n_c, n_t) for c, n_c, n_t in services.all_cohorts()}[cohort.id]
    if trial is None:
        click.echo(f"Created cohort {cohort.name}: {sizes[1]} DSLs in treatment, {sizes[0]} in comparison.")
    else:
        click.echo(f"Created cohort {cohort.name} following allocation {trial.strip()} (intention to treat): "
                   f"{sizes[1]} DSLs in treatment, {sizes[0]} in comparison.")


class Amount(click.ParamType):
    """A number typed as people write it: 570825, 570,825 or £570,825."""

    name = "amount"

    def __init__(self, whole: bool = False):
        self.whole = whole

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return value
        text = str(value).strip().removeprefix("£").replace(",", "").strip()
        try:
            number = int(text) if self.whole else float(text)
        except ValueError:
            self.fail(f"{value!r} is not {'a whole number' if self.whole else 'a number'}, like 570,825", param, ctx)
        if number < (1 if self.whole else 0):
            self.fail(f"{value!r} must be {'1 or more' if self.whole else '0 or more'}", param, ctx)
        return number


@cohorts.command("report")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output)")
@click.option("--annual-calls", type=Amount(whole=True),
              help="The projection's base: non-urgent calls (contacts) from schools to the MASH in a year, e.g. 2,150")
@click.option("--annual-cost", type=Amount(), help="What those calls cost a year, e.g. £570,825")
@click.option("--optimism-bias", type=click.FloatRange(min=0, max=100), default=0, show_default=True,
              help="Optimism bias in %: the share of the projected calls avoided taken off (HM Treasury Green Book)")
@click.option("--suppress", is_flag=True, help="For publication: counts of 1 to 4 as c, others rounded to 5")
@click.option("--per-dsl", is_flag=True, help="Write the pseudonymous per-DSL rows as CSV instead of the report "
                                              "(not with --suppress)")
@with_appcontext
def report(name, fmt, output, annual_calls, annual_cost, optimism_bias, suppress, per_dsl):
    """Write the outcome report of cohort NAME."""
    cohort = services.cohort_by_name(name)
    if cohort is None:
        raise click.ClickException(f"There is no cohort called {name}")
    if (annual_calls is None) != (annual_cost is None):
        raise click.UsageError("give both --annual-calls and --annual-cost, or neither")
    if per_dsl and suppress:
        raise click.UsageError("--per-dsl writes one row per DSL, which a suppressed report never carries: "
                               "leave out --suppress")
    result = services.cohort_report(cohort, annual_calls, annual_cost, suppress, optimism_bias)
    data = exports.to_dsl_csv(result.per_dsl) if per_dsl else render(fmt, result, cohort)
    services.record_report_export(cohort, fmt, {"annual_calls": annual_calls, "annual_cost": annual_cost,
                                                "suppress": suppress, "optimism_bias": optimism_bias,
                                                "per_dsl": per_dsl}, "cli")
    db.session.commit()
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


@cohorts.command("purge-records")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Keep this many months of records (default: RECORD_RETENTION_MONTHS).")
@click.option("--yes", is_flag=True, help="Delete without asking.")
@with_appcontext
def purge_records(months, yes):
    """Delete MASH records and Early Help consultations older than the retention period, all in one
    transaction, and record it in the audit trail."""
    months = months or current_app.config["RECORD_RETENTION_MONTHS"]
    if not yes:
        click.confirm(f"Delete every MASH record and Early Help consultation older than {months} months?", abort=True)
    try:
        result = services.purge_old_records(months)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Deleted {result.mash_records} MASH record(s) and {result.early_help} Early Help consultation(s) "
               f"from before {uk_date(result.cutoff)} (kept {months} months).")
